using System.Diagnostics;
using BreGan.Data;
using BreGan.Models;
using BreGan.Training;
using BreGan.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Experiments;

/// <summary>
/// The presets of the semi-supervised experiments (issue 6): the feature-matching GAN of Salimans
/// et al. 2016 with the reference code's settings, and BRE (weight 0.01) on D's rectified layers
/// 2, 4 (and 6 where D has it) on the unlabelled real and the generated batches.
/// </summary>
public static class SslPresets
{
    /// <summary>MNIST network and optimisation (train_mnist_feature_matching.py): Adam 0.003
    /// (beta1 0.5), batch 100, 300 epochs, 10 labels per class.</summary>
    static ExperimentConfig Mlp(string name, string dataset) => new()
    {
        Preset = name,
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "fm-mlp", NoiseDim = 100, DiscriminatorWidth = 1000, GeneratorWidth = 500 },
        // The MNIST D has 5 rectified layers: the paper's "2, 4 and 6" becomes 2 and 4.
        Bre = new BreConfig { Weight = 0.01, Placement = "layers:2,4", OnReal = true, OnFake = true, OnInterpolated = false },
        Train = new TrainConfig { BatchSize = 100, Lr = 0.003, Beta1 = 0.5, Beta2 = 0.999, CheckpointEvery = 0 },
        Ssl = new SslConfig { LabelsPerClass = 10, Epochs = 300, FeatureMatching = "l2", DataInit = 500 },
    };

    /// <summary>CIFAR-10 / SVHN networks (train_{cifar,svhn}_feature_matching.py): Adam 0.0003
    /// (beta1 0.5), batch 100, lr decayed linearly to 0 over the last third.</summary>
    static ExperimentConfig Conv(string name, string dataset, int dWidth, int perClass, int epochs) => new()
    {
        Preset = name,
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "fm-conv", NoiseDim = 100, DiscriminatorWidth = dWidth, GeneratorWidth = 128 },
        Bre = new BreConfig { Weight = 0.01, Placement = "layers:2,4,6", OnReal = true, OnFake = true, OnInterpolated = false },
        Train = new TrainConfig { BatchSize = 100, Lr = 0.0003, Beta1 = 0.5, Beta2 = 0.999, CheckpointEvery = 0 },
        Ssl = new SslConfig
        {
            LabelsPerClass = perClass, Epochs = epochs, FeatureMatching = "l1",
            InputDropout = 0.2, HiddenDropout = 0.5, DataInit = 500,
        },
    };

    static readonly Dictionary<string, Func<ExperimentConfig>> All = new()
    {
        ["mnist-fm"] = () => Mlp("mnist-fm", "mnist"),
        ["fashion-fm"] = () => Mlp("fashion-fm", "fashion-mnist"),
        ["cifar10-fm"] = () => Conv("cifar10-fm", "cifar10", 96, 400, 1200),
        ["svhn-fm"] = () => Conv("svhn-fm", "svhn", 64, 100, 900),
    };

    public static IReadOnlyList<string> Names => All.Keys.ToList();

    public static bool Contains(string name) => All.ContainsKey(name);

    /// <summary>The preset's config; an unknown name lists the valid ones.</summary>
    public static ExperimentConfig Get(string name) =>
        All.TryGetValue(name, out var make) ? make()
            : throw new BreGanInputException($"Unknown SSL preset '{name}'; valid: {string.Join(", ", All.Keys)}.");
}

/// <summary>
/// Semi-supervised classification with the feature-matching GAN (plus BRE): loads the data,
/// picks the balanced labelled subset, trains epoch by epoch, measures the test error after each
/// evaluation epoch and writes the run folder: config.json, metrics.csv (one row per evaluation:
/// epoch, test_error, training losses averaged since the previous row, BRE monitors on real and
/// fake batches), summary.json (test_error of the final D), checkpoints/, images/ (samples, curve).
/// </summary>
public static class Ssl
{
    /// <summary>Dataset kinds an SSL config accepts in data.dataset.</summary>
    public static readonly string[] Datasets = { "mnist", "fashion-mnist", "cifar10", "svhn" };
    public static readonly string[] Architectures = { "fm-mlp", "fm-conv" };
    public const int Classes = 10;

    /// <summary>Whether a config is an SSL experiment (has the "ssl" section).</summary>
    public static bool IsSsl(ExperimentConfig config) => config.Ssl is not null;

    /// <summary>Validates the whole config and the SSL-specific keys; returns the SSL section.</summary>
    public static SslConfig Validate(ExperimentConfig config)
    {
        config.Validate();
        var ssl = config.Ssl ?? throw new BreGanInputException("Not an SSL config: the section 'ssl' is missing (start from --preset mnist-fm, fashion-fm, cifar10-fm or svhn-fm).");
        ssl.Validate();
        if (!Datasets.Contains(config.Data.Dataset))
            throw new BreGanInputException($"Unknown SSL dataset '{config.Data.Dataset}'; valid: {string.Join(", ", Datasets)}.");
        if (!Architectures.Contains(config.Model.Architecture))
            throw new BreGanInputException($"Unknown SSL architecture '{config.Model.Architecture}'; valid: {string.Join(", ", Architectures)}.");
        if (string.IsNullOrWhiteSpace(config.Data.Path))
            throw new BreGanInputException($"data.path is not set: give --data PATH, the folder of the {config.Data.Dataset} files.");
        if (config.Train.BatchSize < 2) throw new BreGanInputException($"train.batch_size must be >= 2, got {config.Train.BatchSize}.");
        if (config.Bre.Placement.StartsWith("names:", StringComparison.OrdinalIgnoreCase) is false)
        {
            try { BrePlacement.Parse(config.Bre.Placement).Select(RectifiedLayers(config.Model.Architecture)); }
            catch (ArgumentException e) { throw new BreGanInputException(e.Message); }
        }
        if (config.Bre.OnInterpolated && config.Bre.Weight > 0)
            throw new BreGanInputException("bre.on_interpolated is not used by SSL runs; BRE applies to the unlabelled real (bre.on_real) and fake (bre.on_fake) batches.");
        return ssl;
    }

    /// <summary>D's rectified layers (BRE positions 1..n): fm-mlp 5, fm-conv 9.</summary>
    public static int RectifiedLayers(string architecture) => architecture == "fm-mlp" ? 5 : 9;

    /// <summary>Loads one split of the config's dataset.</summary>
    public static ImageDataset Load(DataConfig data, bool train) => data.Dataset switch
    {
        "svhn" => ImageDatasets.LoadSvhn(data.Path!, train),
        var kind => ImageDatasets.Load(kind, data.Path!, train),
    };

    /// <summary>The first <paramref name="count"/> images of a fixed-seed permutation (0 or more than
    /// there are: all of them); the input is disposed when a subset replaces it.</summary>
    public static ImageDataset Subsample(ImageDataset data, int count)
    {
        if (count <= 0 || count >= data.Count) return data;
        using (data)
        {
            var keep = SslSplit.Permutation(data.Count, new SplitMix64(0xDA7A5EED)).Take(count).Order().ToArray();
            using var index = torch.tensor(keep);
            return data.Subset(index, $"{data.Name} [{count} of {data.Count}]");
        }
    }

    /// <summary>Builds G and D for images of the given shape (parameters seeded by train.seed).</summary>
    public static (SslGenerator G, SslDiscriminator D) BuildModels(ExperimentConfig config, int channels, int height, int width, Device device)
    {
        var m = config.Model;
        var ssl = config.Ssl ?? new SslConfig();
        torch.random.manual_seed(config.Train.Seed);
        (SslGenerator g, SslDiscriminator d) = m.Architecture switch
        {
            "fm-mlp" => ((SslGenerator)new FmMlpGenerator(new long[] { channels, height, width }, m.NoiseDim, m.GeneratorWidth),
                         (SslDiscriminator)new FmMlpDiscriminator(channels * height * width, m.DiscriminatorWidth, Classes, ssl.InputNoise, ssl.HiddenNoise)),
            "fm-conv" when height == 32 && width == 32 =>
                (new FmConvGenerator(channels, m.NoiseDim, m.GeneratorWidth),
                 new FmConvDiscriminator(channels, m.DiscriminatorWidth, Classes, ssl.InputDropout, ssl.HiddenDropout)),
            "fm-conv" => throw new BreGanInputException($"fm-conv needs 32x32 images, got {height}x{width}."),
            _ => throw new BreGanInputException($"Unknown SSL architecture '{m.Architecture}'; valid: {string.Join(", ", Architectures)}."),
        };
        g.to(device);
        d.to(device);
        return (g, d);
    }

    /// <summary>[-1, 1] pixels to what the architecture expects: [0, 1] for fm-mlp (sigmoid G), unchanged for fm-conv (tanh G).</summary>
    public static Tensor Scale(Tensor signedPixels, string architecture) =>
        architecture == "fm-mlp" ? signedPixels.add(1).div_(2) : signedPixels;

    /// <summary>
    /// Trains (or, with <paramref name="resume"/>, continues) an SSL run in <paramref name="run"/>
    /// and returns its summary (test_error of the final D, its error count, the last row's
    /// metrics). Same shape as <see cref="Toy2D.Train"/>; the config must already be saved in the
    /// folder for a resume.
    /// </summary>
    public static IReadOnlyDictionary<string, double?> Train(
        ExperimentConfig config, RunFolder run, bool resume = false, RunCallbacks? callbacks = null, CancellationToken stop = default)
    {
        callbacks ??= new RunCallbacks();
        var ssl = Validate(config);
        int threads = torch.get_num_threads();
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);
        try { return TrainCore(config, ssl, run, resume, callbacks, stop); }
        finally { torch.set_num_threads(threads); }
    }

    static IReadOnlyDictionary<string, double?> TrainCore(
        ExperimentConfig config, SslConfig ssl, RunFolder run, bool resume, RunCallbacks callbacks, CancellationToken stop)
    {
        var device = new Device(config.Train.Device);

        using var trainSet = Subsample(Load(config.Data, train: true), ssl.TrainImages);
        using var testSet = Load(config.Data, train: false);
        if (trainSet.Labels is null || testSet.Labels is null) throw new BreGanInputException($"{config.Data.Dataset}: SSL needs labelled train and test splits.");
        var labels = trainSet.Labels.data<long>().ToArray();
        var (labeled, rest) = SslSplit.SelectBalanced(labels, ssl.LabelsPerClass, Classes, config.Train.Seed);
        var unlabeled = ssl.Unlabeled == "all" ? Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray() : rest;
        var plan = new SslBatches(labeled, unlabeled, config.Train.BatchSize, config.Train.Seed);
        var source = new BatchSource(trainSet, plan, device, config.Model.Architecture);

        var (g, d) = BuildModels(config, trainSet.Channels, trainSet.Height, trainSet.Width, device);
        using var gDispose = g;
        using var dDispose = d;
        using var variant = new FeatureMatchingGan(g, d, source, config, device);
        // D's placement must exist in this D (e.g. layers:6 in a 5-layer MLP): fail before training.
        try { BreCapture.Attach(d, BrePlacement.Parse(config.Bre.Placement), config.Bre.ToOptions()).Dispose(); }
        catch (ArgumentException e) { throw new BreGanInputException(e.Message); }

        int perEpoch = plan.IterationsPerEpoch, total = perEpoch * ssl.Epochs, start = 0;
        double previousSeconds = 0;
        if (resume)
        {
            var latest = Checkpoint.List(run.CheckpointsPath).FirstOrDefault();
            if (latest.Path is null) throw new BreGanInputException($"'{run.Path}' has no checkpoint to resume from.");
            start = Checkpoint.Load(latest.Path, variant);
            MetricsLog.TruncateAfter(run.MetricsPath, start);
            var rows = MetricsLog.Read(run.MetricsPath);
            if (rows.Count > 0 && rows[^1].TryGetValue("seconds", out var s) && double.IsFinite(s)) previousSeconds = s;
            callbacks.Log?.Invoke($"Resuming from {Path.GetFileName(latest.Path)} (iteration {start}, epoch {start / perEpoch}).");
        }
        else if (ssl.DataInit > 0)
        {
            // The reference's data-dependent initialisation of the weight-normalised layers.
            using var scope = NewDisposeScope();
            g.train();
            d.train();
            d.InitializeFromData(source.Images(plan.UnlabeledOrder(0).Take(ssl.DataInit).ToArray()));
            using var stream = new Generator((ulong)(config.Train.Seed * 7919 + 13), new Device("cpu"));
            g.InitializeFromData(variant.Noise(Math.Max(2, config.Train.BatchSize), stream));
        }
        callbacks.Log?.Invoke($"{config.Preset}: {labeled.Length} labelled ({ssl.LabelsPerClass} per class), {unlabeled.Length} unlabelled, " +
                              $"{testSet.Count} test images; {perEpoch} iterations per epoch, {ssl.Epochs} epochs.");

        using var evaluator = new Evaluator(config, g, d, variant, testSet, source, unlabeled, device);
        var metrics = new MetricsLog(run.MetricsPath);
        var sums = new Dictionary<string, Tensor>();
        int summed = 0;
        var clock = Stopwatch.StartNew();
        callbacks.Started?.Invoke(start, total);
        int it = start;
        try
        {
            while (it < total && !stop.IsCancellationRequested)
            {
                variant.SetLearningRate(ssl.LearningRate(config.Train.Lr, it, total));
                variant.BreWeight = Trainer.BreWeight(config.Bre, it, total);
                source.Iteration = it;
                variant.DiscriminatorStep();
                variant.GeneratorStep();
                foreach (var (name, value) in variant.LastLosses)
                {
                    if (sums.TryGetValue(name, out var sum)) sum.add_(value);
                    else sums[name] = value.clone().DetachFromDisposeScope();
                }
                summed++;
                it++;
                callbacks.Step?.Invoke(it);
                if (it % perEpoch != 0) continue;
                int done = it / perEpoch;
                if (done % ssl.EvalEveryEpochs == 0 || it == total)
                {
                    var row = new Dictionary<string, double> { ["epoch"] = done };
                    foreach (var (name, sum) in sums.OrderBy(p => p.Key)) row[name] = sum.item<float>() / summed;
                    foreach (var sum in sums.Values) sum.Dispose();
                    sums.Clear();
                    summed = 0;
                    if (row.Values.Any(v => !double.IsFinite(v)))
                        throw new TrainingDivergedException($"Training diverged at epoch {done}: non-finite loss ({string.Join(", ", row.Select(p => $"{p.Key}={p.Value}"))}).");
                    row["lr"] = ssl.LearningRate(config.Train.Lr, it - 1, total);
                    row["bre_weight"] = variant.BreWeight;
                    foreach (var (k, v) in evaluator.Evaluate()) row[k] = v;
                    row["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
                    metrics.Append(it, row);
                    callbacks.Evaluated?.Invoke(it, row);
                }
                if (done % ssl.CheckpointEveryEpochs == 0 || it == total)
                    Checkpoint.Save(run.CheckpointsPath, it, config, variant, config.Train.KeepCheckpoints);
            }
        }
        finally
        {
            foreach (var sum in sums.Values) sum.Dispose();
        }
        if (it < total)
        {
            Checkpoint.Save(run.CheckpointsPath, it, config, variant, config.Train.KeepCheckpoints);
            callbacks.Log?.Invoke($"Interrupted at iteration {it} (epoch {it / perEpoch}); checkpoint written. Continue with: bregan ssl --resume {run.Path}");
            return new Dictionary<string, double?> { ["iterations"] = it, ["interrupted"] = 1 };
        }

        var summary = Summarize(MetricsLog.Read(run.MetricsPath));
        summary["iterations"] = it;
        summary["labels"] = labeled.Length;
        summary["unlabeled"] = unlabeled.Length;
        summary["train_images"] = trainSet.Count;
        summary["test_images"] = evaluator.TestCount;
        summary["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
        run.WriteSummary(summary);
        evaluator.WritePictures(run.ImagesPath, run.MetricsPath);
        return summary;
    }

    /// <summary>summary.json from the metrics rows: the last row (test_error of the final D), and test_error_count.</summary>
    public static Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows)
    {
        var summary = new Dictionary<string, double?>();
        if (rows.Count == 0) return summary;
        foreach (var (k, v) in rows[^1]) if (k != "iteration") summary[k] = v;
        return summary;
    }

    /// <summary>Gathers the batches of the current iteration from the training images.</summary>
    sealed class BatchSource(ImageDataset data, SslBatches plan, Device device, string architecture) : ISslBatchSource
    {
        public int Iteration { get; set; }

        public Tensor Images(long[] indices)
        {
            using var scope = NewDisposeScope();
            var (images, _) = data.Gather(torch.tensor(indices), device);
            return Scale(images, architecture).MoveToOuterDisposeScope();
        }

        public (Tensor Images, Tensor Labels) Labeled()
        {
            using var scope = NewDisposeScope();
            var (images, labels) = data.Gather(torch.tensor(plan.At(Iteration).Labeled), device);
            return (Scale(images, architecture).MoveToOuterDisposeScope(), labels!.MoveToOuterDisposeScope());
        }

        public Tensor Unlabeled() => Images(plan.At(Iteration).Unlabeled);

        public Tensor ForGenerator() => Images(plan.At(Iteration).ForGenerator);
    }

    /// <summary>Test error of the current D (eval mode: no noise, no dropout) and BRE monitors.</summary>
    sealed class Evaluator : IDisposable
    {
        const int EvalBatch = 500;
        readonly ExperimentConfig config;
        readonly SslGenerator g;
        readonly SslDiscriminator d;
        readonly FeatureMatchingGan variant;
        readonly ImageDataset test;
        readonly BatchSource source;
        readonly long[] monitorReal;
        readonly Device device;
        readonly BreCapture monitor;

        public Evaluator(ExperimentConfig config, SslGenerator g, SslDiscriminator d, FeatureMatchingGan variant,
            ImageDataset test, BatchSource source, long[] unlabeled, Device device)
        {
            this.config = config;
            this.g = g;
            this.d = d;
            this.variant = variant;
            this.test = test;
            this.source = source;
            this.device = device;
            int b = config.Train.BatchSize;
            monitorReal = unlabeled.Take(b).ToArray();
            TestCount = config.Ssl!.TestImages > 0 ? Math.Min(config.Ssl.TestImages, test.Count) : test.Count;
            monitor = BreCapture.Attach(d, BrePlacement.Parse(config.Bre.Placement), config.Bre.ToOptions());
            monitor.Enabled = false;
        }

        public int TestCount { get; }

        public Dictionary<string, double> Evaluate()
        {
            using var scope = NewDisposeScope();
            var row = new Dictionary<string, double>();
            d.eval();
            Tensor errors = zeros(1, dtype: ScalarType.Int64, device: device);
            using (no_grad())
            {
                for (int start = 0; start < TestCount; start += EvalBatch)
                {
                    using var batchScope = NewDisposeScope();
                    var (images, labels) = test.Slice(start, Math.Min(EvalBatch, TestCount - start), device);
                    var logits = d.call(Scale(images, config.Model.Architecture));
                    errors.add_(logits.argmax(1).ne(labels!).sum());
                }
            }
            long count = errors.item<long>();
            row["test_error"] = (double)count / TestCount;
            row["test_error_count"] = count;

            // BRE monitors of D's selected layers on an unlabelled real and a generated batch.
            using var stream = new Generator((ulong)(config.Train.Seed * 1_000_003 + 17), new Device("cpu"));
            g.train();
            Tensor fake;
            using (no_grad()) fake = g.call(variant.Noise(monitorReal.Length, stream));
            foreach (var (kind, x) in new[] { ("real", source.Images(monitorReal)), ("fake", fake) })
            {
                monitor.Enabled = true;
                using (no_grad()) d.call(x);
                monitor.Enabled = false;
                foreach (var (k, v) in monitor.Monitor().Named(kind + "_")) row[k] = v;
                monitor.Release();
            }
            d.train();
            return row;
        }

        /// <summary>images/samples.png (64 samples of G) and images/test_error.png (the curve).</summary>
        public void WritePictures(string imagesPath, string metricsPath)
        {
            using var scope = NewDisposeScope();
            using var stream = new Generator((ulong)(config.Train.Seed * 1_000_003 + 19), new Device("cpu"));
            g.train();
            Tensor fake;
            using (no_grad()) fake = g.call(variant.Noise(64, stream));
            // Back to [-1, 1] for the grid (fm-mlp generates [0, 1]).
            var signed = config.Model.Architecture == "fm-mlp" ? fake * 2 - 1 : fake;
            var pixels = signed.cpu().contiguous().data<float>().ToArray();
            SampleGrid.Write(pixels, 64, (int)fake.shape[1], (int)fake.shape[2], (int)fake.shape[3],
                Path.Combine(imagesPath, "samples.png"), columns: 8, scale: 2);
            var rows = MetricsLog.Read(metricsPath);
            if (rows.Count > 0)
                Plots.Lines(Path.Combine(imagesPath, "test_error.png"), $"{config.Preset}: test error", "epoch",
                    new[] { new Series($"BRE weight {config.Bre.Weight}", rows.Select(r => r["epoch"]).ToArray(), rows.Select(r => r["test_error"]).ToArray()) },
                    "test error");
        }

        public void Dispose() => monitor.Dispose();
    }
}
