using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>Tiles a batch of generated images into one PNG.</summary>
public static class SampleGrid
{
    /// <summary>Writes the image grid as a PNG file (creating its folder).</summary>
    /// <param name="pixels">
    /// <paramref name="count"/> images in NCHW order with values in [-1,1] (what a generator's tanh
    /// output tensor's <c>data&lt;float&gt;()</c> gives); -1 is black, 1 white, out-of-range values clamp.
    /// </param>
    /// <param name="count">Number of images.</param>
    /// <param name="channels">1 (grey) or 3 (RGB).</param>
    /// <param name="height">Image height in pixels.</param>
    /// <param name="width">Image width in pixels.</param>
    /// <param name="pngPath">Output file.</param>
    /// <param name="columns">Images per row; default: ceil(sqrt(count)).</param>
    /// <param name="padding">Pixels between and around images (not scaled).</param>
    /// <param name="scale">Nearest-neighbour upscaling factor per image pixel.</param>
    /// <param name="padValue">Grey level of the padding (0 black .. 255 white).</param>
    public static void Write(float[] pixels, int count, int channels, int height, int width, string pngPath,
        int? columns = null, int padding = 2, int scale = 1, byte padValue = 255) =>
        SkiaImages.WriteFile(pngPath, RenderPng(pixels, count, channels, height, width, columns, padding, scale, padValue));

    /// <summary>Renders the image grid and returns the PNG bytes.</summary>
    /// <inheritdoc cref="Write" path="/param"/>
    public static byte[] RenderPng(float[] pixels, int count, int channels, int height, int width,
        int? columns = null, int padding = 2, int scale = 1, byte padValue = 255)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "Need at least one image.");
        if (channels is not (1 or 3)) throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 1 or 3.");
        if (height < 1 || width < 1) throw new ArgumentException($"Image size must be positive (got {height}x{width}).");
        if (padding < 0) throw new ArgumentOutOfRangeException(nameof(padding), padding, "Padding must be >= 0.");
        if (scale < 1 || scale > 64) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Scale must be between 1 and 64.");
        long plane = (long)height * width, expected = count * channels * plane;
        if (pixels.Length != expected)
            throw new ArgumentException(
                $"Expected count*channels*height*width = {expected} values, got {pixels.Length}.", nameof(pixels));
        int cols = Math.Clamp(columns ?? (int)Math.Ceiling(Math.Sqrt(count)), 1, count);
        int rows = (count + cols - 1) / cols;
        int tileW = width * scale, tileH = height * scale;
        long outW = padding + (long)cols * (tileW + padding), outH = padding + (long)rows * (tileH + padding);
        if (outW * outH > 200_000_000) throw new ArgumentException($"Grid of {outW}x{outH} pixels is too large.");

        int w = (int)outW, h = (int)outH;
        var argb = new int[w * h];
        Array.Fill(argb, unchecked((int)(0xFF000000u | (uint)padValue << 16 | (uint)padValue << 8 | padValue)));
        for (int n = 0; n < count; n++)
        {
            int ox = padding + (n % cols) * (tileW + padding), oy = padding + (n / cols) * (tileH + padding);
            long baseIndex = n * channels * plane;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    long i = baseIndex + (long)y * width + x;
                    uint r = Level(pixels[i]);
                    uint g = channels == 3 ? Level(pixels[i + plane]) : r;
                    uint b = channels == 3 ? Level(pixels[i + 2 * plane]) : r;
                    int c = unchecked((int)(0xFF000000u | r << 16 | g << 8 | b));
                    // Nearest-neighbour upscaling: fill the scale x scale block.
                    for (int sy = 0; sy < scale; sy++)
                        Array.Fill(argb, c, (oy + y * scale + sy) * w + ox + x * scale, scale);
                }
        }
        using var bitmap = SkiaImages.FromArgb(argb, w, h);
        return SkiaImages.EncodePng(bitmap);
    }

    // [-1,1] -> 0..255; NaN shows as black rather than failing a whole grid.
    private static uint Level(float v) =>
        float.IsNaN(v) ? 0u : (uint)Math.Clamp((int)MathF.Round((v + 1f) * 127.5f), 0, 255);
}
