using BreGan.Training;
using BreGan.Visualization;

namespace BreGan.Reporting;

/// <summary>A plot in a run or comparison folder and where the report shows it.</summary>
/// <param name="Section">Report section, e.g. "BRE terms".</param>
/// <param name="RelativePath">Path relative to the folder, with '/' separators (plots/losses.png).</param>
/// <param name="Title">Plot title.</param>
/// <param name="Caption">One sentence on what to look for.</param>
public sealed record PlotFile(string Section, string RelativePath, string Title, string Caption);

/// <summary>
/// The training curves of one run, drawn from its metrics.csv into plots/: losses, the BRE
/// term, BRE's ME and AC and the correlation and saturation monitors on real / fake /
/// interpolated batches, D's input-gradient norms, distinct activation patterns per layer, and
/// one plot per experiment metric (modes, HQ fraction, FID, test error, ...). Columns a run does
/// not have are simply not drawn.
/// </summary>
public static class RunPlots
{
    public const string Folder = "plots";

    public const string TrainingSection = "Training";
    public const string BreSection = "BRE terms on real, fake and interpolated batches";
    public const string MonitorSection = "Correlation and saturation monitors";
    public const string SlopeSection = "D's slopes and activation patterns";
    public const string MetricSection = "Experiment metrics";

    /// <summary>Sections in report order.</summary>
    public static readonly string[] Sections = { MetricSection, TrainingSection, BreSection, SlopeSection, MonitorSection };

    const int Width = 540, Height = 360;

    static readonly Dictionary<string, string> MonitorCaptions = new()
    {
        ["ac"] = "BRE's stability indicator: AC on fake points rising far above AC on real points means D codes the fake points alike and gives them one push (the paper's unstable runs).",
        ["me"] = "Marginal-entropy term: 0 when every unit is on for half the batch, 1 when a unit is always on or always off.",
        ["corr_mean"] = "Raw (unthresholded) correlation of the soft activation codes, averaged over pairs and layers.",
        ["corr_max"] = "The most alike pair of points in the batch; 1 means two points with identical codes.",
        ["corr_min"] = "The least alike pair of points in the batch.",
        ["abs_s"] = "How binary D's codes are: 1 when every pre-activation is far from 0.",
        ["sat09"] = "Fraction of soft signs beyond 0.9 in magnitude.",
        ["sat099"] = "Fraction of soft signs beyond 0.99 in magnitude.",
        ["grad_norm"] = "The slope of D that G learns from; near 0 on fake points means G gets no signal (a stall).",
    };

    /// <summary>Reads the run's metrics.csv and writes its plots; returns them in report order (none without rows).</summary>
    public static IReadOnlyList<PlotFile> Write(string runPath)
    {
        var rows = MetricsLog.Read(Path.Combine(runPath, "metrics.csv"));
        if (rows.Count == 0) return Array.Empty<PlotFile>();
        var columns = rows.SelectMany(r => r.Keys).Distinct().ToList();
        var x = rows.Select(r => r.GetValueOrDefault("iteration", double.NaN)).ToArray();
        double[] Column(string c) => rows.Select(r => r.GetValueOrDefault(c, double.NaN)).ToArray();
        bool Has(string c) => columns.Contains(c) && Column(c).Any(double.IsFinite);

        var plots = new List<PlotFile>();
        void Draw(string section, string name, string title, string caption, IEnumerable<Series> series, string? yLabel = null)
        {
            var list = series.Where(s => s.Y.Any(double.IsFinite)).ToList();
            if (list.Count == 0) return;
            var relative = $"{Folder}/{name}.png";
            Plots.Lines(Path.Combine(runPath, Folder, name + ".png"), title, "iteration", list, yLabel, Width, Height);
            plots.Add(new PlotFile(section, relative, title, caption));
        }

        foreach (var metric in MetricColumns.ExperimentMetrics(columns).Where(Has))
            Draw(MetricSection, "metric_" + FileSafe(metric), MetricColumns.Title(metric), $"Column '{metric}' of metrics.csv at each evaluation.",
                new[] { new Series(metric, x, Column(metric)) });

        Draw(TrainingSection, "losses", "Losses", "D's and G's adversarial losses at the evaluation steps (without the BRE term).",
            columns.Where(MetricColumns.IsLoss).Select(c => new Series(c, x, Column(c))));
        if (Has("bre") && Column("bre").Any(v => v != 0))
            Draw(TrainingSection, "bre", "BRE term in D's loss", "R_BRE summed over the regularized batches, and the weight it enters D's loss with.",
                new[] { new Series("bre (R_BRE)", x, Column("bre")), new Series("bre_weight", x, Column("bre_weight")) });

        foreach (var monitor in MetricColumns.Monitors)
        {
            var series = MetricColumns.Kinds.Where(k => Has($"{k}_{monitor}"))
                .Select(k => new Series(KindLabel(k), x, Column($"{k}_{monitor}"))).ToList();
            string section = monitor is "ac" or "me" ? BreSection : monitor == "grad_norm" ? SlopeSection : MonitorSection;
            Draw(section, "monitor_" + monitor, MetricColumns.MonitorTitle(monitor), MonitorCaptions[monitor], series);
        }

        var patternColumns = columns.Where(MetricColumns.IsPatterns).OrderBy(c => c.Length).ThenBy(c => c, StringComparer.Ordinal).ToList();
        Draw(SlopeSection, "patterns", "Distinct activation patterns of fake points",
            "How many linear regions of D the fake batch falls into, per rectified layer; few means the fake points share one gradient.",
            patternColumns.Select(c => new Series(c["patterns_".Length..].Replace("fake_", "").Replace('_', ' '), x, Column(c))), "distinct patterns");
        return plots.OrderBy(p => Array.IndexOf(Sections, p.Section)).ToList();
    }

    /// <summary>"real" → "real", "interp" → "interpolated".</summary>
    public static string KindLabel(string kind) => kind == "interp" ? "interpolated" : kind;

    /// <summary>A column name made safe as part of a file name.</summary>
    public static string FileSafe(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_').ToArray());
}
