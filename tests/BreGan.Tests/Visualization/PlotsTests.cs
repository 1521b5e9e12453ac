using BreGan.Visualization;
using SkiaSharp;

namespace BreGan.Tests.Visualization;

public sealed class PlotsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bregan-plot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertPng(string path, int width, int height)
    {
        Assert.True(new FileInfo(path).Length > 1000);
        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal((width, height), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void Lines_WithNaN_WritesPng()
    {
        double[] x = [0, 1, 2, 3, 4];
        string path = Path.Combine(_dir, "lines.png");
        Plots.Lines(path, "loss", "iteration",
        [
            new Series("d", x, [1, double.NaN, 0.5, 0.4, double.PositiveInfinity]),
            new Series("all nan", x, [double.NaN, double.NaN, double.NaN, double.NaN, double.NaN]),
            new Series("empty", [], []),
        ], yLabel: "value");
        AssertPng(path, 800, 500);
    }

    [Fact]
    public void Finite_DropsNaNAndInfinitePoints()
    {
        var (xs, ys) = Plots.Finite([0, 1, 2, double.NaN, 4], [1, double.NaN, 2, 3, double.NegativeInfinity]);
        Assert.Equal([0.0, 2], xs);
        Assert.Equal([1.0, 2], ys);
    }

    [Fact]
    public void Bands_WithNaNAndRaggedSeeds_WritesPng()
    {
        double[] x = [0, 100, 200, 300];
        string path = Path.Combine(_dir, "bands.png");
        Plots.Bands(path, "modes", "iteration",
        [
            new BandSeries("baseline", x, [[1, 2, double.NaN, 3], [2, 3, 4]]),
            new BandSeries("BRE", x, [[double.NaN, double.NaN, double.NaN, double.NaN]]),
        ], BandKind.StdErr, width: 640, height: 400);
        AssertPng(path, 640, 400);
    }

    [Fact]
    public void Summarise_ComputesMeanAndBands()
    {
        var arm = new BandSeries("a", [0, 1, 2], [[1, 2, double.NaN], [3, 6], [5, 4, 7]]);
        var (xs, mean, lo, hi, seeds) = Plots.Summarise(arm, BandKind.MinMax);
        Assert.Equal([0.0, 1, 2], xs);
        Assert.Equal([3.0, 4, 7], mean);
        Assert.Equal([1.0, 2, 7], lo);
        Assert.Equal([5.0, 6, 7], hi);
        Assert.Equal(3, seeds);

        var (_, _, seLo, seHi, _) = Plots.Summarise(arm, BandKind.StdErr);
        // x=0: values 1,3,5: sd 2, stderr 2/sqrt(3).
        Assert.Equal(3 - 2 / Math.Sqrt(3), seLo[0], 12);
        Assert.Equal(3 + 2 / Math.Sqrt(3), seHi[0], 12);
        Assert.Equal(7.0, seLo[2]); // one seed: no spread
    }
}
