using BreGan.Visualization;
using SkiaSharp;

namespace BreGan.Tests.Visualization;

public sealed class Scatter2DTests
{
    private static (int Blue, int Red) CountColours(byte[] png)
    {
        using var bitmap = SKBitmap.Decode(png);
        int blue = 0, red = 0;
        for (int y = 0; y < bitmap.Height; y++)
            for (int x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (c.Blue > c.Red + 50) blue++;
                if (c.Red > c.Blue + 60 && c.Red > c.Green + 60) red++;
            }
        return (blue, red);
    }

    [Fact]
    public void Write_WritesPng()
    {
        string path = Path.Combine(Path.GetTempPath(), $"bregan-scatter-{Guid.NewGuid():N}.png");
        try
        {
            Scatter2D.Write([0f, 0f], [1f, 1f], PlaneExtent.Square(2), path, size: 200, title: "t");
            using var bitmap = SKBitmap.Decode(path);
            Assert.True(bitmap.Width > 200 && bitmap.Height > 200);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Samples_AddBlueAndRedInk()
    {
        var extent = PlaneExtent.Square(2);
        // The legend has a blue and a red dot either way; samples must add more of each.
        var empty = CountColours(Scatter2D.RenderPng([], [], extent, size: 200));
        var full = CountColours(Scatter2D.RenderPng([-1f, -1f, -1.5f, -1f, 1.5f, 1.5f], [1f, 1f, float.NaN, 0f, 0.5f, 0f],
            extent, size: 200));
        Assert.True(full.Blue > empty.Blue + 4, $"blue {empty.Blue} -> {full.Blue}");
        Assert.True(full.Red > empty.Red + 4, $"red {empty.Red} -> {full.Red}");
    }
}
