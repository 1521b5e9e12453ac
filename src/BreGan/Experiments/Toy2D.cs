using System.Diagnostics;
using System.Globalization;
using BreGan.Data;
using BreGan.Metrics;
using BreGan.Models;
using BreGan.Training;
using BreGan.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Experiments;

/// <summary>Hooks for a user interface; every member is optional.</summary>
public sealed class RunCallbacks
{
    /// <summary>(first iteration to run, total iterations), before the first step.</summary>
    public Action<int, int>? Started { get; init; }
    /// <summary>After every G update.</summary>
    public Action<int>? Step { get; init; }
    /// <summary>After each evaluation, with that row of metrics.</summary>
    public Action<int, IReadOnlyDictionary<string, double>>? Evaluated { get; init; }
    /// <summary>A line of text worth showing.</summary>
    public Action<string>? Log { get; init; }
}

/// <summary>Thrown when losses or BRE terms become non-finite; the CLI exits with code 3.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// The 2D mixture-of-Gaussians experiment: trains G and D on ring8, grid25 or a user mixture,
/// evaluates the mode metrics and BRE monitors, draws the "mosaic" panel at each evaluation and
/// writes the run folder.
/// </summary>
public static class Toy2D
{
    /// <summary>Samples drawn in the mosaic's first column, per kind.</summary>
    const int MosaicPoints = 600;

    /// <summary>The mixture a config names (validated).</summary>
    public static GaussianMixture2D Mixture(DataConfig data)
    {
        if (data.Dataset == "mixture")
        {
            if (data.Means is null || data.Means.Length == 0)
                throw new BreGanInputException("data.means must list at least one [x, y] mean for dataset 'mixture'.");
            if (data.Std <= 0) throw new BreGanInputException($"data.std must be > 0 for dataset 'mixture', got {data.Std}.");
            if (data.Means.Any(m => m is null || m.Length != 2))
                throw new BreGanInputException("data.means must be a list of [x, y] pairs.");
            return new GaussianMixture2D(data.Means.Select(m => (m[0], m[1])).ToList(), data.Std, "mixture");
        }
        var names = GaussianMixture2D.PresetNames.Append("mixture");
        if (!GaussianMixture2D.PresetNames.Contains(data.Dataset))
            throw new BreGanInputException($"Unknown dataset '{data.Dataset}'; valid: {string.Join(", ", names)}.");
        var preset = GaussianMixture2D.FromName(data.Dataset);
        return data.Std > 0 ? new GaussianMixture2D(preset.Means, data.Std, preset.Name) : preset;
    }

    /// <summary>Builds G and D of the config on the device (parameters seeded by train.seed).</summary>
    public static (MlpGenerator G, MlpDiscriminator D) BuildModels(ExperimentConfig config, GaussianMixture2D mixture, Device device)
    {
        var m = config.Model;
        if (m.Architecture != "mlp")
            throw new BreGanInputException($"Unknown architecture '{m.Architecture}' for 2D data; valid: mlp.");
        torch.random.manual_seed(config.Train.Seed);
        double scale = m.OutputScale > 0 ? m.OutputScale : mixture.Scale;
        var g = new MlpGenerator(m.NoiseDim, m.GeneratorLayers, m.GeneratorWidth, 2, scale);
        var d = new MlpDiscriminator(2, m.DiscriminatorLayers, m.DiscriminatorWidth, m.LeakySlope);
        g.to(device);
        d.to(device);
        return (g, d);
    }

    /// <summary>
    /// Trains (or, with <paramref name="resume"/>, continues) a run in <paramref name="run"/>, and
    /// returns its summary. The config must already be saved in the folder for a resume.
    /// </summary>
    public static IReadOnlyDictionary<string, double?> Train(
        ExperimentConfig config, RunFolder run, bool resume = false, RunCallbacks? callbacks = null, CancellationToken stop = default)
    {
        callbacks ??= new RunCallbacks();
        config.Validate();
        var mixture = Mixture(config.Data);
        var device = new Device(config.Train.Device);
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);
        BrePlacement.Parse(config.Bre.Placement);

        var (g, d) = BuildModels(config, mixture, device);
        using var gDispose = g;
        using var dDispose = d;
        int nz = config.Model.NoiseDim;
        using var variant = new AdversarialGan(g, d,
            (n, gen) => mixture.Sample(n, gen, device),
            (n, gen) => randn(new long[] { n, nz }, generator: gen).to(device),
            config, device);

        int start = 0;
        double previousSeconds = 0;
        if (resume)
        {
            var latest = Checkpoint.List(run.CheckpointsPath).FirstOrDefault();
            if (latest.Path is null) throw new BreGanInputException($"'{run.Path}' has no checkpoint to resume from.");
            start = Checkpoint.Load(latest.Path, variant);
            MetricsLog.TruncateAfter(run.MetricsPath, start);
            var rows = MetricsLog.Read(run.MetricsPath);
            if (rows.Count > 0 && rows[^1].TryGetValue("seconds", out var s) && double.IsFinite(s)) previousSeconds = s;
            callbacks.Log?.Invoke($"Resuming from {Path.GetFileName(latest.Path)} (iteration {start}).");
        }

        using var evaluator = new Evaluator(config, mixture, g, d, variant, device);
        var metrics = new MetricsLog(run.MetricsPath);
        var clock = Stopwatch.StartNew();
        var trainer = new Trainer(variant, config.Train, config.Bre)
        {
            EvaluateEvery = config.Eval.Every,
            StepCompleted = callbacks.Step,
            Evaluate = it =>
            {
                var row = evaluator.Evaluate(it, run.ImagesPath);
                row["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
                metrics.Append(it, row);
                callbacks.Evaluated?.Invoke(it, row);
            },
            Checkpoint = it => Checkpoint.Save(run.CheckpointsPath, it, config, variant, config.Train.KeepCheckpoints),
        };
        callbacks.Started?.Invoke(start, config.Train.Iterations);
        int reached = trainer.Run(start, stop);
        if (reached < config.Train.Iterations)
        {
            Checkpoint.Save(run.CheckpointsPath, reached, config, variant, config.Train.KeepCheckpoints);
            callbacks.Log?.Invoke($"Interrupted at iteration {reached}; checkpoint written. Continue with: bregan train --resume {run.Path}");
            return new Dictionary<string, double?> { ["iterations"] = reached, ["interrupted"] = 1 };
        }

        evaluator.WriteSamples(run.SamplesPath, config.Eval.Samples);
        var summary = Summarize(MetricsLog.Read(run.MetricsPath), mixture.Count);
        summary["iterations"] = reached;
        summary["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
        run.WriteSummary(summary);
        WriteAnimation(run.ImagesPath);
        return summary;
    }

    /// <summary>summary.json from the metrics rows: the last row plus first_all_modes_iteration.</summary>
    public static Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows, int modeCount)
    {
        var summary = new Dictionary<string, double?>();
        if (rows.Count == 0) return summary;
        foreach (var (k, v) in rows[^1]) if (k != "iteration") summary[k] = v;
        var first = rows.FirstOrDefault(r => r.TryGetValue("modes", out var m) && m >= modeCount);
        summary["first_all_modes_iteration"] = first is null ? null : first["iteration"];
        return summary;
    }

    /// <summary>images/mosaic.gif from the mosaic panels in order.</summary>
    public static string? WriteAnimation(string imagesPath)
    {
        var frames = MosaicFrames(imagesPath);
        if (frames.Count == 0) return null;
        var gif = Path.Combine(imagesPath, "mosaic.gif");
        Animation.WriteGif(frames, gif, frameDelayMs: 400);
        return gif;
    }

    /// <summary>The mosaic PNGs of a run's images folder, in iteration order.</summary>
    public static IReadOnlyList<string> MosaicFrames(string imagesPath) =>
        Directory.Exists(imagesPath)
            ? Directory.GetFiles(imagesPath, "mosaic_*.png").OrderBy(p => p, StringComparer.Ordinal).ToList()
            : Array.Empty<string>();

    /// <summary>Everything measured at an evaluation: metrics, monitors, pictures.</summary>
    sealed class Evaluator : IDisposable
    {
        readonly ExperimentConfig config;
        readonly GaussianMixture2D mixture;
        readonly MlpGenerator g;
        readonly MlpDiscriminator d;
        readonly IGanVariant variant;
        readonly Device device;
        readonly BreCapture monitorCapture;   // the BRE layers, for the monitors
        readonly BreCapture patternCapture;   // every rectified layer, for pattern counts and mosaics
        readonly int modes;
        Tensor? lastSamples;

        public Evaluator(ExperimentConfig config, GaussianMixture2D mixture, MlpGenerator g, MlpDiscriminator d, IGanVariant variant, Device device)
        {
            this.config = config;
            this.mixture = mixture;
            this.g = g;
            this.d = d;
            this.variant = variant;
            this.device = device;
            modes = mixture.Count;
            monitorCapture = BreCapture.Attach(d, BrePlacement.Parse(config.Bre.Placement), config.Bre.ToOptions());
            patternCapture = BreCapture.Attach(d, BrePlacement.Parse("all"), config.Bre.ToOptions());
            monitorCapture.Enabled = patternCapture.Enabled = false;
        }

        public Dictionary<string, double> Evaluate(int iteration, string imagesPath)
        {
            using var scope = NewDisposeScope();
            var row = new Dictionary<string, double>();
            foreach (var (name, t) in variant.LastLosses.OrderBy(p => p.Key))
                row[name] = t.to(ScalarType.Float64).item<double>();
            if (row.Values.Any(v => !double.IsFinite(v)))
                throw new TrainingDivergedException(
                    $"Training diverged at iteration {iteration}: non-finite loss ({string.Join(", ", row.Select(p => $"{p.Key}={p.Value}"))}).");
            row["lr"] = Trainer.LearningRate(config.Train, Math.Max(0, iteration - 1), config.Train.Iterations);
            row["bre_weight"] = variant.BreWeight;

            using var streams = new Generator((ulong)(config.Train.Seed * 1_000_003 + iteration), new Device("cpu"));
            Tensor fakeSamples;
            using (no_grad())
                fakeSamples = g.call(randn(new long[] { config.Eval.Samples, config.Model.NoiseDim }, generator: streams).to(device));
            var m = MixtureMetrics.Compute(fakeSamples, mixture);
            row["modes"] = m.Modes;
            row["hq_fraction"] = m.HqFraction;
            row["reverse_kl"] = m.ReverseKl;
            lastSamples?.Dispose();
            lastSamples = fakeSamples.detach().cpu().MoveToOuterDisposeScope();

            int b = config.Eval.MonitorBatch;
            var real = mixture.Sample(b, streams, device);
            var fake = fakeSamples[TensorIndex.Slice(0, b)];
            var alpha = rand(new long[] { b }, generator: streams).to(device);
            var interpolated = Losses.Interpolate(real, fake, alpha, config.Bre.Interpolation == "reference");
            foreach (var (kind, x) in new[] { ("real", real), ("fake", fake), ("interp", interpolated) })
            {
                monitorCapture.Enabled = true;
                using (no_grad()) d.call(x);
                monitorCapture.Enabled = false;
                foreach (var (k, v) in monitorCapture.Monitor().Named(kind + "_")) row[k] = v;
                monitorCapture.Release();
                var xg = x.detach().requires_grad_(true);
                row[kind + "_grad_norm"] = Losses.InputGradientNorms(d.call(xg), xg, createGraph: false).mean().item<float>();
            }

            patternCapture.Enabled = true;
            using (no_grad()) d.call(fake);
            patternCapture.Enabled = false;
            var layers = patternCapture.Take();
            for (int l = 0; l < layers.Count; l++) row[$"patterns_fake_L{l + 1}"] = ActivationPatterns.CountDistinct(layers[l]);
            foreach (var t in layers) t.Dispose();

            if (config.Eval.Mosaic) DrawMosaic(iteration, real, fakeSamples, imagesPath);
            return row;
        }

        void DrawMosaic(int iteration, Tensor real, Tensor fakeSamples, string imagesPath)
        {
            int r = config.Eval.MosaicResolution;
            var e = mixture.Extent;
            // Row 0 at the top (y max), column 0 at the left (x min).
            var xs = linspace(e.MinX, e.MaxX, r, dtype: ScalarType.Float32);
            var ys = linspace(e.MaxY, e.MinY, r, dtype: ScalarType.Float32);
            var grid = stack(new[] { xs.unsqueeze(0).expand(r, r), ys.unsqueeze(1).expand(r, r) }, 2).reshape(r * r, 2).to(device);
            Tensor logits;
            patternCapture.Enabled = true;
            using (no_grad()) logits = d.call(grid);
            patternCapture.Enabled = false;
            var layers = patternCapture.Take();
            var mosaicLayers = new List<MosaicLayer>();
            for (int l = 0; l < layers.Count; l++)
            {
                var hashes = ActivationPatterns.Hash(layers[l]).cpu().data<long>().ToArray();
                mosaicLayers.Add(new MosaicLayer($"layer {l + 1}", hashes, hashes.Distinct().Count()));
                layers[l].Dispose();
            }
            var probability = sigmoid(logits).reshape(-1).cpu().data<float>().ToArray();
            int n = (int)Math.Min(MosaicPoints, Math.Min(real.shape[0], fakeSamples.shape[0]));
            var frame = new MosaicFrame(iteration, config.Bre.Weight > 0 ? "BRE" : "baseline",
                new PlaneExtent(e.MinX, e.MaxX, e.MinY, e.MaxY), r,
                real[TensorIndex.Slice(0, n)].cpu().contiguous().data<float>().ToArray(),
                fakeSamples[TensorIndex.Slice(0, n)].cpu().contiguous().data<float>().ToArray(),
                mosaicLayers, probability);
            MosaicPanel.Render(frame, Path.Combine(imagesPath, $"mosaic_{iteration:D7}.png"));
        }

        /// <summary>samples.csv (header x,y) of the last evaluation's generated samples.</summary>
        public void WriteSamples(string path, int count)
        {
            if (lastSamples is null) return;
            var v = lastSamples.contiguous().data<float>().ToArray();
            using var w = new StreamWriter(path + ".tmp");
            w.WriteLine("x,y");
            for (int i = 0; i + 1 < v.Length && i / 2 < count; i += 2)
                w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v[i]:R},{v[i + 1]:R}"));
            w.Close();
            File.Move(path + ".tmp", path, overwrite: true);
        }

        public void Dispose()
        {
            monitorCapture.Dispose();
            patternCapture.Dispose();
            lastSamples?.Dispose();
        }
    }
}
