using System.Text.RegularExpressions;
using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Reporting;
using BreGan.Tests.Experiments;
using BreGan.Training;
using SkiaSharp;

namespace BreGan.Tests.Reporting;

[Collection(TinyRunCollection.Name)]
public class HtmlReportTests(TinyRunFixture fixture)
{
    /// <summary>Every href and src of a page (data: URIs aside), as files relative to the page.</summary>
    public static List<string> LinkedFiles(string reportPath)
    {
        var html = File.ReadAllText(reportPath);
        var dir = Path.GetDirectoryName(reportPath)!;
        return Regex.Matches(html, "(?:href|src)=\"([^\"]*)\"").Select(m => m.Groups[1].Value)
            .Where(u => !u.StartsWith("data:", StringComparison.Ordinal))
            .Select(u =>
            {
                Assert.False(u.Contains("://") || u.StartsWith('/'), $"not a relative link: {u}");
                return Path.GetFullPath(Path.Combine(dir, Uri.UnescapeDataString(u)));
            }).ToList();
    }

    static void AssertPng(string path)
    {
        Assert.True(new FileInfo(path).Length > 1000, $"{path} is (nearly) empty");
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.True(bitmap.Width > 0 && bitmap.Height > 0);
    }

    [Fact]
    public void ShortRunHasItsPlotsAsNonEmptyPngs()
    {
        var plots = Path.Combine(fixture.Run.Path, "plots");
        foreach (var name in new[] { "losses", "bre", "monitor_ac", "monitor_me", "monitor_corr_mean", "monitor_sat099",
                                     "monitor_grad_norm", "patterns", "metric_modes", "metric_hq_fraction", "metric_reverse_kl" })
            AssertPng(Path.Combine(plots, name + ".png"));
        // Monitors and losses are not mistaken for experiment metrics.
        foreach (var column in new[] { "fake_ac", "real_grad_norm", "patterns_fake_L1", "d_loss", "bre", "lr", "seconds" })
            Assert.False(File.Exists(Path.Combine(plots, $"metric_{column}.png")), column);
    }

    [Fact]
    public void RunReportLinksOnlyToFilesThatExistAndShowsEveryPlot()
    {
        var report = Path.Combine(fixture.Run.Path, HtmlReport.FileName);
        var linked = LinkedFiles(report);
        foreach (var file in linked) Assert.True(File.Exists(file), $"report links to missing {file}");
        foreach (var plot in Directory.GetFiles(Path.Combine(fixture.Run.Path, "plots"), "*.png"))
            Assert.Contains(plot, linked);
        Assert.Contains(Path.Combine(fixture.Run.ImagesPath, "mosaic.gif"), linked);
        Assert.Contains(Path.Combine(fixture.Run.ImagesPath, "mosaic_0000060.png"), linked);
        var html = File.ReadAllText(report);
        Assert.Contains("&quot;train&quot;: {", html); // the config is on the page
        Assert.Contains("hq_fraction", html);
    }

    [Fact]
    public void LinksToFilesThatDoNotExistAreLeftOut()
    {
        var copy = Path.Combine(fixture.Root, "copy");
        CopyDirectory(fixture.Run.Path, copy);
        File.Delete(Path.Combine(copy, "samples.csv"));
        File.Delete(Path.Combine(copy, "images", "mosaic.gif"));
        var report = HtmlReport.Write(copy);
        var linked = LinkedFiles(report);
        foreach (var file in linked) Assert.True(File.Exists(file), $"report links to missing {file}");
        Assert.Contains(Path.Combine(copy, "metrics.csv"), linked);
        Assert.DoesNotContain(Path.Combine(copy, "samples.csv"), linked);
    }

    [Fact]
    public void ReportCommandRegeneratesPlotsAndPage()
    {
        var copy = Path.Combine(fixture.Root, "regenerate");
        CopyDirectory(fixture.Run.Path, copy);
        Directory.Delete(Path.Combine(copy, "plots"), recursive: true);
        File.Delete(Path.Combine(copy, HtmlReport.FileName));
        Assert.Equal(0, EntryPoint.Run(new[] { "report", copy }));
        Assert.True(File.Exists(Path.Combine(copy, HtmlReport.FileName)));
        AssertPng(Path.Combine(copy, "plots", "monitor_ac.png"));
    }

    [Fact]
    public void ReportOfAFolderThatIsNoRunIsExitTwoWithOneLine()
    {
        var empty = Directory.CreateDirectory(Path.Combine(fixture.Root, "not-a-run")).FullName;
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try
        {
            Assert.Equal(2, EntryPoint.Run(new[] { "report", empty }));
            Assert.Equal(2, EntryPoint.Run(new[] { "report", Path.Combine(fixture.Root, "missing") }));
            Assert.Equal(2, EntryPoint.Run(new[] { "report" }));
        }
        finally { Console.SetError(saved); }
        var lines = err.ToString().TrimEnd().Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.Contains("neither a BreGan run folder", lines[0]);
        Assert.Contains("does not exist", lines[1]);
        Assert.Contains("Missing DIR", lines[2]);
    }

    [Fact]
    public void ComparisonReportHasBandPlotsAndLinksToEachSeedRun()
    {
        var root = Path.Combine(fixture.Root, "compare");
        var config = Toy2DTests.Tiny(20).With(new[] { "eval.every=10" });
        Comparison.Run(config, seeds: 2, root, force: false);

        var report = Path.Combine(root, HtmlReport.FileName);
        var linked = LinkedFiles(report);
        foreach (var file in linked) Assert.True(File.Exists(file), $"report links to missing {file}");
        foreach (var arm in new[] { "baseline", "bre" })
            foreach (var seed in new[] { 1, 2 })
                Assert.Contains(Path.Combine(root, arm, $"seed{seed}", HtmlReport.FileName), linked);
        Assert.Contains(Path.Combine(root, "mosaic-side-by-side.gif"), linked);
        foreach (var name in new[] { "compare_modes", "compare_fake_ac", "compare_patterns_fake_L1" })
        {
            AssertPng(Path.Combine(root, "plots", name + ".png"));
            Assert.Contains(Path.Combine(root, "plots", name + ".png"), linked);
        }
        Assert.Contains("± ", File.ReadAllText(report)); // the side-by-side table
    }

    [Fact]
    public void AlignPutsEachSeedsValuesAtTheirIterations()
    {
        var rows = new List<Dictionary<string, double>>
        {
            new() { ["iteration"] = 10, ["modes"] = 1 },
            new() { ["iteration"] = 30, ["modes"] = 3 },
        };
        Assert.Equal(new[] { 1, double.NaN, 3, double.NaN }, ComparisonPlots.Align(rows, new double[] { 10, 20, 30, 40 }, "modes"));
    }

    [Theory]
    [InlineData("modes", "metrics/modes")]
    [InlineData("d_loss", "loss/d_loss")]
    [InlineData("fake_ac", "bre/fake_ac")]
    [InlineData("interp_sat099", "monitors/interp_sat099")]
    [InlineData("real_grad_norm", "slopes/real_grad_norm")]
    [InlineData("patterns_fake_L2", "patterns/patterns_fake_L2")]
    [InlineData("lr", "train/lr")]
    [InlineData("fid", "metrics/fid")]
    public void ColumnsAreGroupedByKind(string column, string tag) => Assert.Equal(tag, MetricColumns.TensorBoardTag(column));

    internal static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(dir.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, file.Replace(from, to));
    }
}
