using BreGan.Visualization;
using SkiaSharp;

namespace BreGan.Tests.Visualization;

public sealed class MosaicPanelTests : IDisposable
{
    private const long HashA = 0x1234_5678_9ABC_DEF0L, HashB = -42L;
    private const int Cell = 100;
    private readonly string _dir = Directory.CreateTempSubdirectory("bregan-viz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SKBitmap Decode(byte[] png) => SKBitmap.Decode(png) ?? throw new Xunit.Sdk.XunitException("PNG did not decode");

    [Fact]
    public void Render_WritesPngOfAdvertisedSize()
    {
        var frame = SyntheticFrames.TwoRegions(HashA, HashB);
        string path = Path.Combine(_dir, "sub", "mosaic.png");
        MosaicPanel.Render(frame, path, Cell);

        Assert.True(new FileInfo(path).Length > 1000);
        using var bitmap = SKBitmap.Decode(path);
        var (w, h) = MosaicPanel.MeasureSize(1, Cell);
        Assert.Equal(w, bitmap.Width);
        Assert.Equal(h, bitmap.Height);
        Assert.True(w >= 3 * Cell && h >= Cell); // scatter + one layer + probability
    }

    [Fact]
    public void PatternPlane_SameRegionSameColour_DifferentRegionsDiffer()
    {
        using var bitmap = Decode(MosaicPanel.RenderPng(SyntheticFrames.TwoRegions(HashA, HashB), Cell));
        var cell = new MosaicPanel.Layout(1, Cell).Cell(1);
        int y1 = (int)cell.Top + 10, y2 = (int)cell.Bottom - 10;
        var leftA = bitmap.GetPixel((int)cell.Left + 10, y1);
        var leftB = bitmap.GetPixel((int)cell.Left + 30, y2);
        var rightA = bitmap.GetPixel((int)cell.Right - 10, y1);
        var rightB = bitmap.GetPixel((int)cell.Right - 30, y2);

        Assert.Equal(leftA, leftB);
        Assert.Equal(rightA, rightB);
        Assert.NotEqual(leftA, rightA);
        // Colours come from the hash itself, not from the order regions were met.
        Assert.Equal(MosaicPanel.PatternColor(HashA), (uint)leftA);
        Assert.Equal(MosaicPanel.PatternColor(HashB), (uint)rightA);
    }

    [Fact]
    public void PatternPlane_RowZeroIsTop()
    {
        // Top half A, bottom half B: row-major with row 0 at y = YMax must draw A at the top.
        const int r = 10;
        var hashes = Enumerable.Range(0, r * r).Select(i => i / r < r / 2 ? HashA : HashB).ToArray();
        var frame = SyntheticFrames.TwoRegions(0, 0, r) with { Layers = [new MosaicLayer("l", hashes, 2)] };
        using var bitmap = Decode(MosaicPanel.RenderPng(frame, Cell));
        var cell = new MosaicPanel.Layout(1, Cell).Cell(1);
        Assert.Equal(MosaicPanel.PatternColor(HashA), (uint)bitmap.GetPixel((int)cell.MidX, (int)cell.Top + 5));
        Assert.Equal(MosaicPanel.PatternColor(HashB), (uint)bitmap.GetPixel((int)cell.MidX, (int)cell.Bottom - 5));
    }

    [Fact]
    public void FakeSamples_AreOverlaidOnPatternPlane()
    {
        // A fake sample at the centre of the plane paints a white dot over the pattern colour.
        var frame = SyntheticFrames.TwoRegions(HashA, HashA) with { FakeXY = [0f, 0f] };
        using var bitmap = Decode(MosaicPanel.RenderPng(frame));
        var cell = new MosaicPanel.Layout(1, MosaicPanel.DefaultCellSize).Cell(1);
        int brightest = 0;
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++)
            {
                var c = bitmap.GetPixel((int)cell.MidX + dx, (int)cell.MidY + dy);
                brightest = Math.Max(brightest, Math.Min(c.Red, Math.Min(c.Green, c.Blue)));
            }
        Assert.True(brightest > 240, $"brightest near centre {brightest}");
        Assert.Equal(MosaicPanel.PatternColor(HashA), (uint)bitmap.GetPixel((int)cell.Left + 5, (int)cell.Top + 5));
    }

    [Fact]
    public void Probability_ZeroAndOneGetDifferentColours()
    {
        SKColor ProbColour(float p)
        {
            using var bitmap = Decode(MosaicPanel.RenderPng(SyntheticFrames.TwoRegions(HashA, HashB, probability: p), Cell));
            var cell = new MosaicPanel.Layout(1, Cell).Cell(2);
            return bitmap.GetPixel((int)cell.MidX, (int)cell.MidY);
        }
        var zero = ProbColour(0f);
        var one = ProbColour(1f);
        Assert.NotEqual(zero, one);
        // Viridis: dark purple at 0, bright yellow at 1.
        Assert.True(one.Red + one.Green > zero.Red + zero.Green + 200, $"p=0 {zero}, p=1 {one}");
    }

    [Fact]
    public void PatternColor_IsDeterministicOpaqueAndSpread()
    {
        Assert.Equal(MosaicPanel.PatternColor(HashA), MosaicPanel.PatternColor(HashA));
        Assert.NotEqual(MosaicPanel.PatternColor(HashA), MosaicPanel.PatternColor(HashB));
        // Consecutive hashes (typical of structured patterns) must still get distinct colours.
        var colours = Enumerable.Range(0, 1000).Select(i => MosaicPanel.PatternColor(i)).ToList();
        Assert.All(colours, c => Assert.Equal(0xFFu, c >> 24));
        Assert.True(colours.Distinct().Count() >= 990);
        // Hues spread round the wheel: every 60-degree sector is used.
        var sectors = colours.Select(c => HueSector(new SKColor(c))).Distinct().Count();
        Assert.Equal(6, sectors);
    }

    private static int HueSector(SKColor c)
    {
        c.ToHsv(out float h, out _, out _);
        return (int)(h / 60) % 6;
    }

    [Fact]
    public void RandomReluNet_RendersManyRegionColours()
    {
        var frame = SyntheticFrames.RandomReluNet(resolution: 60, width: 12, layers: 2);
        using var bitmap = Decode(MosaicPanel.RenderPng(frame, Cell));
        var cell = new MosaicPanel.Layout(2, Cell).Cell(1);
        var colours = new HashSet<SKColor>();
        for (int y = (int)cell.Top; y < cell.Bottom; y += 2)
            for (int x = (int)cell.Left; x < cell.Right; x += 2)
                colours.Add(bitmap.GetPixel(x, y));
        Assert.True(frame.Layers[0].DistinctPatterns > 10);
        Assert.True(colours.Count > 10, $"{colours.Count} colours");
    }

    [Fact]
    public void Validation_RejectsWrongGridSize()
    {
        var frame = SyntheticFrames.TwoRegions(HashA, HashB, resolution: 20);
        Assert.Throws<ArgumentException>(() => MosaicPanel.RenderPng(frame with { Resolution = 21 }));
        Assert.Throws<ArgumentException>(() => MosaicPanel.RenderPng(frame with { ProbabilityReal = new float[5] }));
        Assert.Throws<ArgumentException>(() => MosaicPanel.RenderPng(frame with { FakeXY = [1f] }));
        Assert.Throws<ArgumentException>(() => MosaicPanel.RenderPng(frame with { Extent = new PlaneExtent(1, 1, 0, 1) }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TitleText_IsActuallyDrawn(bool bitmapFont)
    {
        // Headless machines may lack fonts; either path must leave ink in the title band.
        SkiaText.ForceBitmapFont = bitmapFont;
        try
        {
            Assert.Equal(!bitmapFont, SkiaText.HasTypeface);
            using var bitmap = Decode(MosaicPanel.RenderPng(SyntheticFrames.TwoRegions(HashA, HashB), Cell));
            var layout = new MosaicPanel.Layout(1, Cell);
            int dark = 0;
            for (int y = 0; y < layout.TitleHeight; y++)
                for (int x = 0; x < bitmap.Width; x++)
                    if (bitmap.GetPixel(x, y).Red < 100) dark++;
            Assert.True(dark > 100, $"{dark} dark pixels in the title band");
        }
        finally
        {
            SkiaText.ForceBitmapFont = false;
        }
    }

    [Fact]
    public void TrainedToyD_UsesWholeColormap()
    {
        // A briefly trained D is confident somewhere and doubtful elsewhere: the heat map must
        // then show both ends of the colormap. Set BREGAN_DOCS_DIR to regenerate the docs example
        // from the full-size frame instead.
        string? docs = Environment.GetEnvironmentVariable("BREGAN_DOCS_DIR");
        var frame = docs is null
            ? SyntheticFrames.TrainedToyDiscriminator(resolution: 60, width: 12, steps: 300)
            : SyntheticFrames.TrainedToyDiscriminator();
        var png = MosaicPanel.RenderPng(frame);
        if (docs is not null) File.WriteAllBytes(Path.Combine(docs, "mosaic-example.png"), png);

        using var bitmap = Decode(png);
        var cell = new MosaicPanel.Layout(frame.Layers.Count, MosaicPanel.DefaultCellSize).Cell(frame.Layers.Count + 1);
        int dark = 0, bright = 0;
        for (int y = (int)cell.Top + 2; y < cell.Bottom - 2; y += 3)
            for (int x = (int)cell.Left + 2; x < cell.Right - 2; x += 3)
            {
                var c = bitmap.GetPixel(x, y);
                int luma = c.Red + c.Green + c.Blue;
                if (luma < 250) dark++;
                if (luma > 450) bright++;
            }
        Assert.True(dark > 50 && bright > 50, $"dark {dark}, bright {bright}");
    }
}
