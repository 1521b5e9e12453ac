using BreGan.Cli;
using BreGan.Reporting;
using SkiaSharp;

namespace BreGan.Tests.Reporting;

/// <summary>
/// The report of a real (short) <c>bregan demo</c> opened in headless Chromium: every image
/// renders (natural width > 0) and the console stays free of errors, on the comparison page and
/// on a seed run's page. Skipped with a message where Chromium is not installed.
/// </summary>
public class ReportBrowserTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-browser-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    [ChromiumFact]
    public async Task DemoReportRendersEveryImageWithoutConsoleErrors()
    {
        var dir = Path.Combine(root, "demo");
        var saved = Console.Out;
        Console.SetOut(TextWriter.Null);
        try { Assert.Equal(0, EntryPoint.Run(new[] { "demo", "--out", dir, "--seeds", "1", "--iterations", "60", "--plain" })); }
        finally { Console.SetOut(saved); }

        await using var browser = await HeadlessChromium.StartAsync(1400, 3000);
        foreach (var page in new[] { Path.Combine(dir, HtmlReport.FileName), Path.Combine(dir, "bre", "seed1", HtmlReport.FileName) })
        {
            var check = await browser.LoadAsync(new Uri(page).AbsoluteUri);
            Assert.True(check.Images.Count >= 5, $"{page}: only {check.Images.Count} images");
            foreach (var (src, width) in check.Images) Assert.True(width > 0, $"{page}: image {src} did not render");
            Assert.True(check.Errors.Count == 0, $"{page}: {string.Join("; ", check.Errors)}");
        }
        // A screenshot of the page shows more than a blank background.
        var png = await browser.ScreenshotAsync();
        using var shot = SKBitmap.Decode(png);
        Assert.Equal(1400, shot.Width);
        var colours = new HashSet<SKColor>();
        for (int y = 0; y < shot.Height; y += 7) for (int x = 0; x < shot.Width; x += 7) colours.Add(shot.GetPixel(x, y));
        Assert.True(colours.Count > 50, $"screenshot has only {colours.Count} colours");
    }

    [ChromiumFact]
    public async Task BrowserReportsAMissingImage()
    {
        // The check itself can fail: a page with a broken image is caught.
        var page = Path.Combine(root, "broken.html");
        File.WriteAllText(page, "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body><img src=\"missing.png\"></body></html>");
        await using var browser = await HeadlessChromium.StartAsync(400, 300);
        var check = await browser.LoadAsync(new Uri(page).AbsoluteUri);
        Assert.Equal(0, Assert.Single(check.Images).NaturalWidth);
        Assert.Contains(check.Errors, e => e.Contains("missing.png"));
    }
}
