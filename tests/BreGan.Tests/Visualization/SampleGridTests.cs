using BreGan.Visualization;
using SkiaSharp;

namespace BreGan.Tests.Visualization;

public sealed class SampleGridTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bregan-grid-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Greyscale_MapsMinusOneToBlackAndOneToWhite()
    {
        // Two 2x3 images, one channel. Image 0: top row -1, bottom row +1. Image 1: all 0.
        float[] pixels = [-1, -1, -1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
        string path = Path.Combine(_dir, "grid.png");
        SampleGrid.Write(pixels, count: 2, channels: 1, height: 2, width: 3, path, columns: 2, padding: 2, padValue: 200);

        using var bitmap = SKBitmap.Decode(path);
        Assert.Equal((2 + 2 * (3 + 2), 2 + 1 * (2 + 2)), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.Black, bitmap.GetPixel(2, 2));           // image 0, row 0
        Assert.Equal(SKColors.White, bitmap.GetPixel(4, 3));           // image 0, row 1
        var grey = bitmap.GetPixel(2 + 5, 2);                          // image 1 starts after 3 px + padding
        Assert.InRange(grey.Red, (byte)127, (byte)128);
        Assert.Equal(new SKColor(200, 200, 200), bitmap.GetPixel(0, 0)); // padding
    }

    [Fact]
    public void Rgb_UsesNchwPlanesAndNearestNeighbourScale()
    {
        // One 1x2 RGB image: pixel 0 red, pixel 1 blue. NCHW: R plane, G plane, B plane.
        float[] pixels = [1, -1, /* G */ -1, -1, /* B */ -1, 1];
        var png = SampleGrid.RenderPng(pixels, count: 1, channels: 3, height: 1, width: 2, padding: 0, scale: 4);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((8, 4), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.Red, bitmap.GetPixel(0, 0));
        Assert.Equal(SKColors.Red, bitmap.GetPixel(3, 3));
        Assert.Equal(SKColors.Blue, bitmap.GetPixel(4, 0));
        Assert.Equal(SKColors.Blue, bitmap.GetPixel(7, 3));
    }

    [Fact]
    public void DefaultColumns_IsSquareish_AndBadInputThrows()
    {
        var png = SampleGrid.RenderPng(new float[10 * 4], count: 10, channels: 1, height: 2, width: 2, padding: 1);
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((1 + 4 * 3, 1 + 3 * 3), (bitmap.Width, bitmap.Height)); // ceil(sqrt(10)) = 4 columns, 3 rows
        Assert.Throws<ArgumentException>(() => SampleGrid.RenderPng(new float[7], 2, 1, 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SampleGrid.RenderPng(new float[8], 1, 2, 2, 2));
    }
}
