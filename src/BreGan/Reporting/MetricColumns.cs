namespace BreGan.Reporting;

/// <summary>
/// What the columns of metrics.csv are, by name: losses, D's monitors on real / fake /
/// interpolated batches, activation-pattern counts, bookkeeping, and everything else, which is an
/// experiment's own metric (modes, hq_fraction, FID, test error, ...). Plots, the HTML report and
/// TensorBoard tags all group columns the same way, so a metric a new experiment adds shows up
/// everywhere without being listed here.
/// </summary>
public static class MetricColumns
{
    /// <summary>The batches D's monitors are measured on, as column prefixes.</summary>
    public static readonly string[] Kinds = { "real", "fake", "interp" };

    /// <summary>The monitors measured per batch (column suffixes), in display order.</summary>
    public static readonly string[] Monitors = { "ac", "me", "corr_mean", "corr_max", "corr_min", "abs_s", "sat09", "sat099", "grad_norm" };

    /// <summary>Columns that describe the run rather than measure it.</summary>
    static readonly string[] Bookkeeping = { "iteration", "lr", "bre_weight", "seconds", "iterations", "interrupted" };

    /// <summary>Readable names of the metrics the built-in experiments log.</summary>
    static readonly Dictionary<string, string> Titles = new()
    {
        ["modes"] = "Modes covered",
        ["hq_fraction"] = "High-quality fraction",
        ["reverse_kl"] = "Reverse KL over modes",
        ["first_all_modes_iteration"] = "First iteration with all modes",
        ["fid"] = "FID",
        ["test_error"] = "Test error",
        ["d_loss"] = "D loss",
        ["g_loss"] = "G loss",
        ["bre"] = "BRE term in D's loss",
        ["bre_weight"] = "BRE weight",
        ["lr"] = "Learning rate",
        ["seconds"] = "Seconds",
    };

    static readonly Dictionary<string, string> MonitorTitles = new()
    {
        ["ac"] = "AC: thresholded activation correlation",
        ["me"] = "ME: marginal entropy term",
        ["corr_mean"] = "Mean pairwise correlation of soft signs",
        ["corr_max"] = "Max pairwise correlation of soft signs",
        ["corr_min"] = "Min pairwise correlation of soft signs",
        ["abs_s"] = "Mean |s| of soft signs",
        ["sat09"] = "Saturation: fraction |s| > 0.9",
        ["sat099"] = "Saturation: fraction |s| > 0.99",
        ["grad_norm"] = "Input-gradient norm |dD/dx|",
    };

    /// <summary>"fake_ac" → ("fake", "ac"); null when the column is not a monitor.</summary>
    public static (string Kind, string Monitor)? SplitMonitor(string column)
    {
        foreach (var kind in Kinds)
            if (column.StartsWith(kind + "_", StringComparison.Ordinal) && Monitors.Contains(column[(kind.Length + 1)..]))
                return (kind, column[(kind.Length + 1)..]);
        return null;
    }

    public static bool IsMonitor(string column) => SplitMonitor(column) is not null;

    /// <summary>Distinct activation patterns per layer, e.g. patterns_fake_L1.</summary>
    public static bool IsPatterns(string column) => column.StartsWith("patterns_", StringComparison.Ordinal);

    public static bool IsLoss(string column) => column == "loss" || column.EndsWith("_loss", StringComparison.Ordinal) || column.StartsWith("loss_", StringComparison.Ordinal);

    public static bool IsBookkeeping(string column) => Bookkeeping.Contains(column);

    /// <summary>An experiment's own metrics: every column that is not a loss, BRE term, monitor, pattern count or bookkeeping.</summary>
    public static IEnumerable<string> ExperimentMetrics(IEnumerable<string> columns) =>
        columns.Where(c => !IsMonitor(c) && !IsPatterns(c) && !IsLoss(c) && !IsBookkeeping(c) && c != "bre");

    /// <summary>Readable title of a column.</summary>
    public static string Title(string column)
    {
        if (Titles.TryGetValue(column, out var t)) return t;
        if (SplitMonitor(column) is (string kind, string monitor)) return $"{MonitorTitles[monitor]} ({kind})";
        if (IsPatterns(column)) return "Distinct activation patterns, " + column["patterns_".Length..].Replace('_', ' ');
        return column;
    }

    /// <summary>Title of a monitor shown for all batches at once.</summary>
    public static string MonitorTitle(string monitor) => MonitorTitles.TryGetValue(monitor, out var t) ? t : monitor;

    /// <summary>TensorBoard tag of a column: a group name, a slash, the column.</summary>
    public static string TensorBoardTag(string column)
    {
        if (IsLoss(column)) return "loss/" + column;
        if (column is "bre" or "bre_weight") return "bre/" + column;
        if (SplitMonitor(column) is (_, string monitor))
            return (monitor is "ac" or "me" ? "bre/" : monitor == "grad_norm" ? "slopes/" : "monitors/") + column;
        if (IsPatterns(column)) return "patterns/" + column;
        if (IsBookkeeping(column)) return "train/" + column;
        return "metrics/" + column;
    }
}
