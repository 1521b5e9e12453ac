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
/// The semi-supervised experiment's checks, data and models; <see cref="SslExperiment"/> trains it
/// through <see cref="ExperimentRunner.Train"/>.
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
}

/// <summary>
/// Semi-supervised classification with the feature-matching GAN (plus BRE), run by the
/// <see cref="ExperimentRunner"/> like every other experiment: it loads the data, picks the balanced
/// labelled subset and counts epochs (its <see cref="Schedule"/>). Each evaluation epoch adds a row to
/// metrics.csv: epoch, test_error, the training losses averaged since the previous row and the BRE
/// monitors on real and fake batches; summary.json holds the final D's test_error; images/ has
/// samples.png and the test-error curve.
/// </summary>
public sealed class SslExperiment : IExperiment
{
    readonly ExperimentConfig config;
    readonly SslConfig ssl;
    readonly Device device;
    readonly ImageDataset trainSet, testSet;
    readonly long[] labeled, unlabeled;
    readonly SslBatches plan;
    readonly BatchSource source;
    readonly SslGenerator g;
    readonly SslDiscriminator d;
    readonly FeatureMatchingGan variant;
    readonly Evaluator evaluator;
    readonly Dictionary<string, Tensor> lossSums = new(); // on the device: no host copy per step
    int summedSteps;

    public SslExperiment(ExperimentConfig config)
    {
        this.config = config;
        ssl = Ssl.Validate(config);
        device = new Device(config.Train.Device);
        var owned = new List<IDisposable>(); // released if construction fails part-way
        try
        {
            owned.Add(trainSet = Ssl.Subsample(Ssl.Load(config.Data, train: true), ssl.TrainImages));
            owned.Add(testSet = Ssl.Load(config.Data, train: false));
            if (trainSet.Labels is null || testSet.Labels is null) throw new BreGanInputException($"{config.Data.Dataset}: SSL needs labelled train and test splits.");
            var labels = trainSet.Labels.data<long>().ToArray();
            long[] rest;
            (labeled, rest) = SslSplit.SelectBalanced(labels, ssl.LabelsPerClass, Ssl.Classes, config.Train.Seed);
            unlabeled = ssl.Unlabeled == "all" ? Enumerable.Range(0, labels.Length).Select(i => (long)i).ToArray() : rest;
            plan = new SslBatches(labeled, unlabeled, config.Train.BatchSize, config.Train.Seed);
            source = new BatchSource(trainSet, plan, device, config.Model.Architecture);

            (g, d) = Ssl.BuildModels(config, trainSet.Channels, trainSet.Height, trainSet.Width, device);
            owned.Add(g);
            owned.Add(d);
            owned.Add(variant = new FeatureMatchingGan(g, d, source, config, device));
            // D's placement must exist in this D (e.g. layers:6 in a 5-layer MLP): fail before training.
            try { BreCapture.Attach(d, BrePlacement.Parse(config.Bre.Placement), config.Bre.ToOptions()).Dispose(); }
            catch (ArgumentException e) { throw new BreGanInputException(e.Message); }
            owned.Add(evaluator = new Evaluator(config, g, d, variant, testSet, source, unlabeled, device));
        }
        catch
        {
            foreach (var o in Enumerable.Reverse(owned)) o.Dispose();
            throw;
        }
        int perEpoch = plan.IterationsPerEpoch, total = perEpoch * ssl.Epochs;
        bool EpochEnd(int it, int every) => it % perEpoch == 0 && it / perEpoch % every == 0 || it == total;
        Schedule = new TrainingSchedule(total, t => ssl.LearningRate(config.Train.Lr, t, total),
            it => EpochEnd(it, ssl.EvalEveryEpochs), it => EpochEnd(it, ssl.CheckpointEveryEpochs), DSteps: 1);
    }

    public IGanVariant Variant => variant;

    public TrainingSchedule Schedule { get; }

    public string ResumeCommand => "bregan ssl --resume";

    public void Prepare(int start, bool resumed, Action<string>? log)
    {
        source.Iteration = start;
        if (!resumed && ssl.DataInit > 0)
        {
            // The reference's data-dependent initialisation of the weight-normalised layers.
            using var scope = NewDisposeScope();
            g.train();
            d.train();
            d.InitializeFromData(source.Images(plan.UnlabeledOrder(0).Take(ssl.DataInit).ToArray()));
            using var stream = new Generator((ulong)(config.Train.Seed * 7919 + 13), new Device("cpu"));
            g.InitializeFromData(variant.Noise(Math.Max(2, config.Train.BatchSize), stream));
        }
        log?.Invoke($"{config.Preset}: {labeled.Length} labelled ({ssl.LabelsPerClass} per class), {unlabeled.Length} unlabelled, " +
                    $"{testSet.Count} test images; {plan.IterationsPerEpoch} iterations per epoch, {ssl.Epochs} epochs.");
    }

    public void AfterStep(int iteration)
    {
        foreach (var (name, value) in variant.LastLosses)
        {
            if (lossSums.TryGetValue(name, out var sum)) sum.add_(value);
            else lossSums[name] = value.clone().DetachFromDisposeScope();
        }
        summedSteps++;
        source.Iteration = iteration; // the batches of the next step
    }

    /// <summary>The epoch, the training losses averaged since the previous row, test error and monitors.</summary>
    public Dictionary<string, double> Evaluate(int iteration, string imagesPath)
    {
        var row = new Dictionary<string, double> { ["epoch"] = iteration / plan.IterationsPerEpoch };
        foreach (var (name, sum) in lossSums.OrderBy(p => p.Key)) row[name] = sum.item<float>() / summedSteps;
        ClearSums();
        foreach (var (k, v) in evaluator.Evaluate()) row[k] = v;
        return row;
    }

    public void Finish(RunFolder run) => evaluator.WritePictures(run.ImagesPath, run.MetricsPath);

    /// <summary>The last row (test_error of the final D) and the sizes of the splits.</summary>
    public Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows)
    {
        var summary = ExperimentRunner.LastRow(rows);
        summary["labels"] = labeled.Length;
        summary["unlabeled"] = unlabeled.Length;
        summary["train_images"] = trainSet.Count;
        summary["test_images"] = evaluator.TestCount;
        return summary;
    }

    void ClearSums()
    {
        foreach (var sum in lossSums.Values) sum.Dispose();
        lossSums.Clear();
        summedSteps = 0;
    }

    public void Dispose()
    {
        ClearSums();
        evaluator.Dispose();
        variant.Dispose();
        d.Dispose();
        g.Dispose();
        testSet.Dispose();
        trainSet.Dispose();
    }

    /// <summary>Gathers the batches of the current iteration from the training images.</summary>
    sealed class BatchSource(ImageDataset data, SslBatches plan, Device device, string architecture) : ISslBatchSource
    {
        public int Iteration { get; set; }

        public Tensor Images(long[] indices)
        {
            using var scope = NewDisposeScope();
            var (images, _) = data.Gather(torch.tensor(indices), device);
            return Ssl.Scale(images, architecture).MoveToOuterDisposeScope();
        }

        public (Tensor Images, Tensor Labels) Labeled()
        {
            using var scope = NewDisposeScope();
            var (images, labels) = data.Gather(torch.tensor(plan.At(Iteration).Labeled), device);
            return (Ssl.Scale(images, architecture).MoveToOuterDisposeScope(), labels!.MoveToOuterDisposeScope());
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
                    var logits = d.call(Ssl.Scale(images, config.Model.Architecture));
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
