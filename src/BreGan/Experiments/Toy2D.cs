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
/// The 2D mixture-of-Gaussians experiment: G and D are the toy MLPs on ring8, grid25 or a user
/// mixture; each evaluation measures the mode metrics and D's monitors and draws the "mosaic"
/// panel (samples, one plane per D layer coloured by activation pattern, D's probability of real).
/// </summary>
public sealed class Toy2D : IExperiment
{
    /// <summary>The 2D datasets.</summary>
    public static readonly string[] Datasets = { "ring8", "grid25", "mixture" };

    /// <summary>Samples drawn in the mosaic's first column, per kind.</summary>
    const int MosaicPoints = 600;

    readonly ExperimentConfig config;
    readonly GaussianMixture2D mixture;
    readonly MlpGenerator g;
    readonly MlpDiscriminator d;
    readonly AdversarialGan variant;
    readonly DiscriminatorMonitors monitors;
    readonly Device device;
    Tensor? lastSamples;

    public Toy2D(ExperimentConfig config)
    {
        this.config = config;
        mixture = Mixture(config.Data);
        device = new Device(config.Train.Device);
        (g, d) = BuildModels(config, mixture, device);
        var (dev, mix) = (device, mixture);
        variant = AdversarialGan.WithGaussianNoise(g, d, (n, gen) => mix.Sample(n, gen, dev), config, device);
        monitors = new DiscriminatorMonitors(d, config.Bre);
    }

    public IGanVariant Variant => variant;

    public TrainingSchedule Schedule => TrainingSchedule.Standard(config.Train, config.Eval.Every);

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
        if (!GaussianMixture2D.PresetNames.Contains(data.Dataset))
            throw new BreGanInputException($"Unknown dataset '{data.Dataset}'; valid: {string.Join(", ", Datasets)}, {string.Join(", ", ImageGan.Datasets)}.");
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
        // The data's extent; never 0 (a single mode at the origin would make G a constant).
        double scale = m.OutputScale > 0 ? m.OutputScale : Math.Max(mixture.Scale, 4 * mixture.Std);
        var g = new MlpGenerator(m.NoiseDim, m.GeneratorLayers, m.GeneratorWidth, 2, scale);
        var d = new MlpDiscriminator(2, m.DiscriminatorLayers, m.DiscriminatorWidth, m.LeakySlope);
        g.to(device);
        d.to(device);
        return (g, d);
    }

    /// <summary>Trains a 2D run (see <see cref="ExperimentRunner.Train"/>).</summary>
    public static IReadOnlyDictionary<string, double?> Train(
        ExperimentConfig config, RunFolder run, bool resume = false, RunCallbacks? callbacks = null, CancellationToken stop = default) =>
        ExperimentRunner.Train(config, run, resume, callbacks, stop);

    public Dictionary<string, double> Evaluate(int iteration, string imagesPath)
    {
        using var scope = NewDisposeScope();
        var row = new Dictionary<string, double>();
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

        var real = mixture.Sample(config.Eval.MonitorBatch, streams, device);
        monitors.Measure(real, fakeSamples, streams, row);
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
        var layers = monitors.Patterns(grid, out var logits);
        var mosaicLayers = new List<MosaicLayer>();
        for (int l = 0; l < layers.Count; l++)
        {
            var hashes = ActivationPatterns.Hash(layers[l]).cpu().data<long>().ToArray();
            mosaicLayers.Add(new MosaicLayer($"layer {l + 1}", hashes, hashes.Distinct().Count()));
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

    /// <summary>samples.csv (header x,y) of the last evaluation's samples, and the mosaic animation.</summary>
    public void Finish(RunFolder run)
    {
        if (lastSamples is not null)
        {
            var v = lastSamples.contiguous().data<float>().ToArray();
            using (var w = new StreamWriter(run.SamplesPath + ".tmp"))
            {
                w.WriteLine("x,y");
                for (int i = 0; i + 1 < v.Length; i += 2)
                    w.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v[i]:R},{v[i + 1]:R}"));
            }
            File.Move(run.SamplesPath + ".tmp", run.SamplesPath, overwrite: true);
        }
        WriteAnimation(run.ImagesPath);
    }

    public Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows) => Summarize(rows, mixture.Count);

    /// <summary>summary.json from the metrics rows: the last row plus first_all_modes_iteration.</summary>
    public static Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows, int modeCount)
    {
        var summary = ExperimentRunner.LastRow(rows);
        if (rows.Count == 0) return summary;
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

    public void Dispose()
    {
        monitors.Dispose();
        variant.Dispose();
        g.Dispose();
        d.Dispose();
        lastSamples?.Dispose();
    }
}
