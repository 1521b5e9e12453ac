using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BreGan.Training;
using BreGan.Visualization;

namespace BreGan.Experiments;

/// <summary>One arm's results: per-seed summaries, and their mean and standard error.</summary>
public sealed record ArmResult(string Name, IReadOnlyList<(long Seed, IReadOnlyDictionary<string, double?> Summary)> Runs)
{
    public IEnumerable<string> Metrics => Runs.SelectMany(r => r.Summary.Keys).Distinct();

    /// <summary>Values of a metric over the runs that have one.</summary>
    public double[] Values(string metric) => Runs
        .Select(r => r.Summary.TryGetValue(metric, out var v) ? v : null)
        .Where(v => v is double d && double.IsFinite(d)).Select(v => v!.Value).ToArray();

    public double Mean(string metric) { var v = Values(metric); return v.Length == 0 ? double.NaN : v.Average(); }

    /// <summary>Standard error of the mean (sample std / sqrt(n)); 0 for a single run.</summary>
    public double StdErr(string metric)
    {
        var v = Values(metric);
        if (v.Length < 2) return v.Length == 1 ? 0 : double.NaN;
        double m = v.Average();
        return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / (v.Length - 1) / v.Length);
    }
}

/// <summary>
/// Baseline (BRE weight 0) against BRE with the same seeds and budgets, one run after another:
/// writes comparison.json, comparison.md and a side-by-side mosaic animation.
/// </summary>
public static class Comparison
{
    /// <summary>Metrics shown first in tables, when present.</summary>
    public static readonly string[] KeyMetrics =
        { "modes", "hq_fraction", "reverse_kl", "first_all_modes_iteration", "kl", "fid", "classifier_score", "test_error", "fake_ac", "patterns_fake_L1", "seconds" };

    /// <summary>The two arms' configs for one seed.</summary>
    public static (ExperimentConfig Baseline, ExperimentConfig Bre) Arms(ExperimentConfig config, long seed)
    {
        double weight = config.Bre.Weight > 0 ? config.Bre.Weight : 1;
        var train = config.Train with { Seed = seed };
        return (config with { Train = train, Bre = config.Bre with { Weight = 0 } },
                config with { Train = train, Bre = config.Bre with { Weight = weight } });
    }

    /// <summary>Runs both arms for seeds seed0 .. seed0+seeds-1 and writes the comparison files.</summary>
    public static (ArmResult Baseline, ArmResult Bre) Run(ExperimentConfig config, int seeds, string outDir, bool force,
        Func<string, long, RunCallbacks>? callbacksFor = null, CancellationToken stop = default)
    {
        if (seeds < 1) throw new BreGanInputException($"--seeds must be >= 1, got {seeds}.");
        ExperimentRunner.Check(config);
        var root = Path.GetFullPath(outDir);
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            if (!force) throw new BreGanInputException($"Comparison folder '{outDir}' already exists; use --force to overwrite it.");
            if (!File.Exists(Path.Combine(root, "comparison.json")) && !File.Exists(Path.Combine(root, "config.json")))
                throw new BreGanInputException($"Refusing to overwrite '{outDir}': it is not empty and is not a BreGan comparison folder.");
            RunLock.ThrowIfAnyHeldUnder(root); // never wipe runs that are still training
            Directory.Delete(root, true);
        }
        Directory.CreateDirectory(root);
        RunFolder.WriteAtomically(Path.Combine(root, "config.json"), config.ToJson());
        var baseline = new List<(long, IReadOnlyDictionary<string, double?>)>();
        var bre = new List<(long, IReadOnlyDictionary<string, double?>)>();
        for (int i = 0; i < seeds; i++)
        {
            long seed = config.Train.Seed + i;
            var (b, r) = Arms(config, seed);
            foreach (var (name, armConfig, list) in new[] { ("baseline", b, baseline), ("bre", r, bre) })
            {
                if (stop.IsCancellationRequested) break;
                var run = RunFolder.Create(Path.Combine(root, name, $"seed{seed}"), force: true);
                run.WriteConfig(armConfig);
                var summary = ExperimentRunner.Train(armConfig, run, callbacks: callbacksFor?.Invoke(name, seed), stop: stop);
                list.Add((seed, summary));
            }
        }
        var result = (new ArmResult("baseline", baseline), new ArmResult("bre", bre));
        Write(root, result.Item1, result.Item2, config);
        return result;
    }

    /// <summary>Writes comparison.json, comparison.md and the side-by-side animation.</summary>
    public static void Write(string root, ArmResult baseline, ArmResult bre, ExperimentConfig config)
    {
        var arms = new JsonObject();
        foreach (var arm in new[] { baseline, bre })
        {
            var metrics = arm.Metrics.ToList();
            var mean = new JsonObject();
            var stderr = new JsonObject();
            foreach (var m in metrics) { mean[m] = Number(arm.Mean(m)); stderr[m] = Number(arm.StdErr(m)); }
            var runs = new JsonArray();
            foreach (var (seed, summary) in arm.Runs)
            {
                var o = new JsonObject { ["seed"] = seed };
                foreach (var (k, v) in summary) o[k] = v is double d ? Number(d) : null;
                runs.Add(o);
            }
            arms[arm.Name] = new JsonObject { ["mean"] = mean, ["stderr"] = stderr, ["runs"] = runs };
        }
        var json = new JsonObject { ["preset"] = config.Preset, ["arms"] = arms };
        RunFolder.WriteAtomically(Path.Combine(root, "comparison.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        RunFolder.WriteAtomically(Path.Combine(root, "comparison.md"), Markdown(baseline, bre, config));

        // The first seed of each arm side by side: mosaics for 2D runs, fixed-z sample grids for images.
        bool toy = ExperimentRunner.IsToy(config);
        string pattern = toy ? "mosaic_*.png" : "samples_*.png";
        IReadOnlyList<string> Frames(string arm)
        {
            var dir = Path.Combine(root, arm, $"seed{config.Train.Seed}", "images");
            return Directory.Exists(dir) ? Directory.GetFiles(dir, pattern).OrderBy(p => p, StringComparer.Ordinal).ToList() : Array.Empty<string>();
        }
        var (left, right) = (Frames("baseline"), Frames("bre"));
        if (left.Count > 0 && right.Count > 0)
            Animation.SideBySide(left, right, Path.Combine(root, SideBySideName(config)), "baseline", "BRE",
                frameDelayMs: 400, vertical: toy, maxWidth: 1400);
        Reporting.HtmlReport.TryWriteComparison(root); // band plots over seeds and report.html
    }

    /// <summary>A run's training budget in words (SSL presets count epochs).</summary>
    public static string Budget(ExperimentConfig config) =>
        config.Ssl is { } ssl ? $"{ssl.Epochs} epochs" : $"{config.Train.Iterations} iterations";

    /// <summary>File name of a comparison's side-by-side animation.</summary>
    public static string SideBySideName(ExperimentConfig config) =>
        ExperimentRunner.IsToy(config) ? "mosaic-side-by-side.gif" : "samples-side-by-side.gif";

    static JsonNode? Number(double v) => double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>The metrics in table order: key metrics first, then the rest alphabetically.</summary>
    public static List<string> TableMetrics(ArmResult a, ArmResult b)
    {
        var all = a.Metrics.Union(b.Metrics).Where(m => m is not ("iterations")).ToList();
        return KeyMetrics.Where(all.Contains).Concat(all.Except(KeyMetrics).OrderBy(m => m, StringComparer.Ordinal)).ToList();
    }

    public static string Cell(ArmResult arm, string metric)
    {
        var values = arm.Values(metric);
        if (values.Length == 0) return "never";
        string text = Format(arm.Mean(metric)) + " ± " + Format(arm.StdErr(metric));
        return values.Length < arm.Runs.Count ? $"{text} ({values.Length}/{arm.Runs.Count} runs)" : text;
    }

    static string Format(double v) =>
        double.IsNaN(v) ? "–" : Math.Abs(v) >= 100 ? v.ToString("F0", CultureInfo.InvariantCulture)
        : Math.Abs(v) >= 1 ? v.ToString("F2", CultureInfo.InvariantCulture) : v.ToString("F3", CultureInfo.InvariantCulture);

    static string Markdown(ArmResult baseline, ArmResult bre, ExperimentConfig config)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"# BRE vs baseline: {config.Preset}");
        sb.AppendLine();
        sb.AppendLine($"{baseline.Runs.Count} seeds per arm (from {config.Train.Seed}), {Budget(config)}, batch {config.Train.BatchSize}, " +
                      $"loss {config.Loss.Kind}, BRE weight {Arms(config, 0).Bre.Bre.Weight} on {config.Bre.Placement}. Mean ± standard error over seeds.");
        sb.AppendLine();
        sb.AppendLine("| metric | baseline | BRE |");
        sb.AppendLine("|---|---|---|");
        foreach (var m in TableMetrics(baseline, bre)) sb.AppendLine($"| {m} | {Cell(baseline, m)} | {Cell(bre, m)} |");
        sb.AppendLine();
        sb.AppendLine($"Per-seed runs are in `baseline/seedN/` and `bre/seedN/`; the animation of the first seed of each arm is `{SideBySideName(config)}`.");
        sb.Append(PublishedAnchors.Markdown(baseline, bre, config));
        return sb.ToString();
    }
}
