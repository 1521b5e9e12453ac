using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>A single square scatter plot of real (blue) and fake (red) 2D samples.</summary>
public static class Scatter2D
{
    /// <summary>Writes the scatter plot as a PNG file (creating its folder).</summary>
    /// <param name="dataXY">Real samples, interleaved x,y.</param>
    /// <param name="fakeXY">Generated samples, interleaved x,y.</param>
    /// <param name="extent">Plane shown; samples outside it are clipped.</param>
    /// <param name="pngPath">Output file.</param>
    /// <param name="size">Side of the plotting square in pixels (the image adds margins).</param>
    /// <param name="title">Optional title above the plot.</param>
    public static void Write(float[] dataXY, float[] fakeXY, PlaneExtent extent, string pngPath,
        int size = 400, string? title = null) =>
        SkiaImages.WriteFile(pngPath, RenderPng(dataXY, fakeXY, extent, size, title));

    /// <summary>Renders the scatter plot and returns the PNG bytes.</summary>
    /// <inheritdoc cref="Write" path="/param"/>
    public static byte[] RenderPng(float[] dataXY, float[] fakeXY, PlaneExtent extent, int size = 400,
        string? title = null)
    {
        ArgumentNullException.ThrowIfNull(dataXY);
        ArgumentNullException.ThrowIfNull(fakeXY);
        if (dataXY.Length % 2 != 0) throw new ArgumentException("Must hold interleaved x,y pairs.", nameof(dataXY));
        if (fakeXY.Length % 2 != 0) throw new ArgumentException("Must hold interleaved x,y pairs.", nameof(fakeXY));
        if (size < 32 || size > 4096) throw new ArgumentOutOfRangeException(nameof(size), size, "Size must be between 32 and 4096.");
        extent.Validate(nameof(extent));

        float u = Math.Max(0.8f, size / 400f); // floor keeps text and dots legible when small
        int left = (int)(40 * u), right = (int)(16 * u), bottom = (int)(30 * u);
        int top = (int)((string.IsNullOrWhiteSpace(title) ? 36 : 62) * u);
        using var bitmap = SkiaImages.NewBitmap(left + size + right, top + size + bottom);
        using var canvas = new SKCanvas(bitmap);
        var rect = SKRect.Create(left, top, size, size);
        if (!string.IsNullOrWhiteSpace(title))
            SkiaText.Draw(canvas, title, rect.MidX, 26 * u, 18 * u, new SKColor(0x22, 0x22, 0x22), SKTextAlign.Center, bold: true);
        float legendY = top - 12 * u;
        ScatterCell.Legend(canvas, rect.MidX, legendY, u,
            ($"data ({dataXY.Length / 2})", ScatterCell.DataColor), ($"fake ({fakeXY.Length / 2})", ScatterCell.FakeColor));
        ScatterCell.Draw(canvas, rect, extent, dataXY, fakeXY, u);
        ScatterCell.AxisLabels(canvas, rect, extent, u);
        canvas.Flush();
        return SkiaImages.EncodePng(bitmap);
    }
}
