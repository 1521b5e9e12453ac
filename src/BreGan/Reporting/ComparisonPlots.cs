using BreGan.Training;
using BreGan.Visualization;

namespace BreGan.Reporting;

/// <summary>
/// A comparison's curves: for each metric, both arms on one plot, the mean over seeds as a line
/// and the min-max over seeds as a band, read from every seed's metrics.csv (baseline/seedN/,
/// bre/seedN/).
/// </summary>
public static class ComparisonPlots
{
    /// <summary>The arms' folder names and legend labels.</summary>
    public static readonly (string Folder, string Label)[] Arms = { ("baseline", "baseline"), ("bre", "BRE") };

    /// <summary>Monitors compared besides the experiment metrics (when logged).</summary>
    static readonly string[] Compared = { "fake_ac", "interp_ac", "real_ac", "fake_me", "fake_grad_norm", "fake_corr_mean", "d_loss", "g_loss" };

    const int Width = 540, Height = 360;

    /// <summary>The seed run folders of an arm, by seed.</summary>
    public static IReadOnlyList<(long Seed, string Path)> SeedRuns(string root, string arm)
    {
        var dir = Path.Combine(root, arm);
        if (!Directory.Exists(dir)) return Array.Empty<(long, string)>();
        return Directory.GetDirectories(dir, "seed*")
            .Select(p => (Ok: long.TryParse(Path.GetFileName(p)["seed".Length..], out long s), Seed: s, Path: p))
            .Where(r => r.Ok).OrderBy(r => r.Seed).Select(r => (r.Seed, r.Path)).ToList();
    }

    /// <summary>Writes the band plots into <paramref name="root"/>/plots and returns them in report order.</summary>
    public static IReadOnlyList<PlotFile> Write(string root)
    {
        var runs = Arms.Select(a => (a.Label, Rows: SeedRuns(root, a.Folder).Select(r => MetricsLog.Read(Path.Combine(r.Path, "metrics.csv"))).Where(r => r.Count > 0).ToList())).ToList();
        if (runs.All(a => a.Rows.Count == 0)) return Array.Empty<PlotFile>();
        var columns = runs.SelectMany(a => a.Rows).SelectMany(rows => rows).SelectMany(r => r.Keys).Distinct().ToList();
        // One x axis for all seeds: the union of their evaluation iterations.
        var x = runs.SelectMany(a => a.Rows).SelectMany(rows => rows).Select(r => r.GetValueOrDefault("iteration", double.NaN))
            .Where(double.IsFinite).Distinct().Order().ToArray();

        var metrics = MetricColumns.ExperimentMetrics(columns)
            .Concat(Compared.Where(columns.Contains))
            .Concat(columns.Where(MetricColumns.IsPatterns).OrderBy(c => c.Length).ThenBy(c => c, StringComparer.Ordinal))
            .ToList();
        var plots = new List<PlotFile>();
        foreach (var metric in metrics)
        {
            var arms = runs.Select(a => new BandSeries(a.Label, x, a.Rows.Select(rows => Align(rows, x, metric)).ToList())).ToList();
            if (!arms.Any(a => a.YPerSeed.Any(s => s.Any(double.IsFinite)))) continue;
            var name = "compare_" + RunPlots.FileSafe(metric);
            var title = MetricColumns.Title(metric);
            Plots.Bands(Path.Combine(root, RunPlots.Folder, name + ".png"), title, "iteration", arms, BandKind.MinMax, width: Width, height: Height);
            string section = MetricColumns.ExperimentMetrics(new[] { metric }).Any() ? RunPlots.MetricSection
                : MetricColumns.IsPatterns(metric) || metric.EndsWith("grad_norm") ? RunPlots.SlopeSection
                : MetricColumns.IsLoss(metric) ? RunPlots.TrainingSection : RunPlots.BreSection;
            plots.Add(new PlotFile(section, $"{RunPlots.Folder}/{name}.png", title,
                $"'{metric}' per arm: mean over seeds (line) and min to max over seeds (band)."));
        }
        return plots.OrderBy(p => Array.IndexOf(RunPlots.Sections, p.Section)).ToList();
    }

    /// <summary>A run's values of a metric at the given iterations (NaN where it has none).</summary>
    internal static double[] Align(IReadOnlyList<Dictionary<string, double>> rows, double[] x, string metric)
    {
        var byIteration = new Dictionary<double, double>();
        foreach (var r in rows)
            if (r.TryGetValue("iteration", out var it) && double.IsFinite(it))
                byIteration[it] = r.GetValueOrDefault(metric, double.NaN);
        return x.Select(i => byIteration.GetValueOrDefault(i, double.NaN)).ToArray();
    }
}
