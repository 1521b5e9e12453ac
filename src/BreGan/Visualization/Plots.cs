using ScottPlot;

namespace BreGan.Visualization;

/// <summary>One line of a line plot.</summary>
/// <param name="Label">Legend entry.</param>
/// <param name="X">X values.</param>
/// <param name="Y">Y values, same length as <paramref name="X"/>; NaN and infinite points are skipped.</param>
public sealed record Series(string Label, double[] X, double[] Y);

/// <summary>One arm of a comparison: the same metric from several seeds.</summary>
/// <param name="Label">Legend entry, e.g. "BRE".</param>
/// <param name="X">X values shared by the seeds.</param>
/// <param name="YPerSeed">
/// One array per seed, aligned with <paramref name="X"/>; shorter arrays (runs that stopped early)
/// and NaN entries simply contribute nothing at those x.
/// </param>
public sealed record BandSeries(string Label, double[] X, IReadOnlyList<double[]> YPerSeed);

/// <summary>What the shaded band around the mean shows.</summary>
public enum BandKind
{
    /// <summary>Minimum to maximum over seeds.</summary>
    MinMax,

    /// <summary>Mean plus and minus the standard error of the mean.</summary>
    StdErr,
}

/// <summary>Line and band plots (ScottPlot) for training curves and arm comparisons.</summary>
public static class Plots
{
    /// <summary>Writes a line plot as a PNG file (creating its folder).</summary>
    /// <param name="pngPath">Output file.</param>
    /// <param name="title">Plot title.</param>
    /// <param name="xLabel">X axis label.</param>
    /// <param name="series">Lines to draw; empty series or series of only NaN are left out.</param>
    /// <param name="yLabel">Optional Y axis label.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    public static void Lines(string pngPath, string title, string xLabel, IReadOnlyList<Series> series,
        string? yLabel = null, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(series);
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            if (s.X.Length != s.Y.Length)
                throw new ArgumentException($"Series '{s.Label}': X has {s.X.Length} values, Y has {s.Y.Length}.", nameof(series));
            var (xs, ys) = Finite(s.X, s.Y);
            if (xs.Length == 0) continue;
            AddLine(plot, xs, ys, palette.GetColor(i), s.Label);
        }
        Save(plot, pngPath, width, height);
    }

    /// <summary>
    /// Writes a comparison plot: per arm, the mean over seeds as a line with a shaded band
    /// (<paramref name="band"/>) around it.
    /// </summary>
    /// <param name="pngPath">Output file.</param>
    /// <param name="title">Plot title.</param>
    /// <param name="xLabel">X axis label.</param>
    /// <param name="arms">One entry per arm (e.g. baseline, BRE).</param>
    /// <param name="band">Min..max or mean ± standard error.</param>
    /// <param name="yLabel">Optional Y axis label.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="height">Image height in pixels.</param>
    public static void Bands(string pngPath, string title, string xLabel, IReadOnlyList<BandSeries> arms,
        BandKind band = BandKind.MinMax, string? yLabel = null, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(arms);
        var plot = NewPlot(title, xLabel, yLabel);
        var palette = new ScottPlot.Palettes.Category10();
        for (int a = 0; a < arms.Count; a++)
        {
            var arm = arms[a];
            var (xs, mean, lo, hi, seeds) = Summarise(arm, band);
            if (xs.Length == 0) continue;
            var color = palette.GetColor(a);
            // Bands first so every mean line stays on top of every band.
            if (seeds > 1)
            {
                var fill = plot.Add.FillY(xs, lo, hi);
                fill.FillColor = color.WithAlpha(0.22);
                fill.LineWidth = 0;
                fill.LegendText = "";
            }
            string what = band == BandKind.MinMax ? "min-max" : "\u00b1 s.e.";
            AddLine(plot, xs, mean, color, seeds > 1 ? $"{arm.Label} (mean of {seeds} seeds, {what})" : arm.Label);
        }
        Save(plot, pngPath, width, height);
    }

    /// <summary>Mean and band per x over the seeds with a finite value there.</summary>
    internal static (double[] X, double[] Mean, double[] Lo, double[] Hi, int Seeds) Summarise(BandSeries arm, BandKind band)
    {
        if (arm.YPerSeed is null) throw new ArgumentException($"Arm '{arm.Label}' has no seeds.");
        var xs = new List<double>();
        var mean = new List<double>();
        var lo = new List<double>();
        var hi = new List<double>();
        var values = new List<double>();
        for (int i = 0; i < arm.X.Length; i++)
        {
            if (!double.IsFinite(arm.X[i])) continue;
            values.Clear();
            foreach (var seed in arm.YPerSeed)
                if (seed is not null && i < seed.Length && double.IsFinite(seed[i])) values.Add(seed[i]);
            if (values.Count == 0) continue;
            double m = values.Average();
            xs.Add(arm.X[i]);
            mean.Add(m);
            if (band == BandKind.MinMax)
            {
                lo.Add(values.Min());
                hi.Add(values.Max());
            }
            else
            {
                double se = values.Count > 1
                    ? Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1) / values.Count)
                    : 0;
                lo.Add(m - se);
                hi.Add(m + se);
            }
        }
        int seeds = arm.YPerSeed.Count(s => s is not null && s.Any(double.IsFinite));
        return (xs.ToArray(), mean.ToArray(), lo.ToArray(), hi.ToArray(), seeds);
    }

    private static Plot NewPlot(string title, string xLabel, string? yLabel)
    {
        var plot = new Plot();
        // ScottPlot's default family may be missing on headless Linux and fall back to a serif
        // face; use the sans family our own renderers found.
        if (SkiaText.FamilyName is { } family) plot.Font.Set(family);
        plot.Title(title ?? "");
        plot.XLabel(xLabel ?? "");
        if (!string.IsNullOrEmpty(yLabel)) plot.YLabel(yLabel);
        return plot;
    }

    private static void AddLine(Plot plot, double[] xs, double[] ys, Color color, string label)
    {
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.LegendText = label ?? "";
        // Single points would be invisible as a line: give them a marker.
        if (xs.Length == 1) { line.MarkerSize = 7; line.MarkerShape = MarkerShape.FilledCircle; }
    }

    private static void Save(Plot plot, string pngPath, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(pngPath);
        if (width < 100 || height < 100 || width > 8000 || height > 8000)
            throw new ArgumentException($"Plot size must be between 100 and 8000 pixels (got {width}x{height}).");
        if (plot.GetPlottables().Any(p => p.LegendItems.Any(i => !string.IsNullOrEmpty(i.LabelText))))
            plot.ShowLegend(Edge.Bottom); // outside the data area: never hides a curve
        var dir = Path.GetDirectoryName(Path.GetFullPath(pngPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        plot.SavePng(pngPath, width, height);
    }

    internal static (double[] X, double[] Y) Finite(double[] x, double[] y)
    {
        var xs = new List<double>(x.Length);
        var ys = new List<double>(y.Length);
        for (int i = 0; i < x.Length; i++)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i])) { xs.Add(x[i]); ys.Add(y[i]); }
        return (xs.ToArray(), ys.ToArray());
    }
}
