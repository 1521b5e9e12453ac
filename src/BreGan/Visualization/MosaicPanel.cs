using System.Globalization;
using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>
/// Renders the "mosaic" picture of a 2D GAN: samples, D's input-space partition per layer (one
/// colour per activation pattern) and D's probability of real, in one row of square cells.
/// </summary>
public static class MosaicPanel
{
    /// <summary>Default side of one square cell, in pixels.</summary>
    public const int DefaultCellSize = 260;

    /// <summary>
    /// Colour (0xAARRGGBB, opaque) of an activation pattern. Depends only on the hash, so a pattern
    /// keeps its colour across frames; hue, saturation and value all come from different bits of a
    /// well-mixed hash so adjacent regions are rarely alike.
    /// </summary>
    public static uint PatternColor(long hash)
    {
        ulong z = Mix((ulong)hash);
        double hue = (z >> 40) / (double)(1UL << 24);
        // Saturation and value stay away from grey/white/black: fake samples are drawn white with
        // a dark rim and region edges are drawn darker, both must remain visible.
        double sat = 0.40 + 0.55 * ((z >> 20) & 0xFFFFF) / 1048575.0;
        double val = 0.60 + 0.40 * (z & 0xFFFFF) / 1048575.0;
        return HsvToArgb(hue, sat, val);
    }

    /// <summary>Renders <paramref name="frame"/> and writes it as a PNG file (creating its folder).</summary>
    /// <param name="frame">What to draw.</param>
    /// <param name="pngPath">Output file.</param>
    /// <param name="cellSize">Side of each square cell in pixels (text scales with it).</param>
    public static void Render(MosaicFrame frame, string pngPath, int cellSize = DefaultCellSize) =>
        SkiaImages.WriteFile(pngPath, RenderPng(frame, cellSize));

    /// <summary>Renders <paramref name="frame"/> and returns the PNG bytes.</summary>
    /// <param name="frame">What to draw.</param>
    /// <param name="cellSize">Side of each square cell in pixels (text scales with it).</param>
    public static byte[] RenderPng(MosaicFrame frame, int cellSize = DefaultCellSize)
    {
        using var bitmap = RenderBitmap(frame, cellSize);
        return SkiaImages.EncodePng(bitmap);
    }

    /// <summary>Pixel size of the picture for a frame with <paramref name="layerCount"/> layers.</summary>
    /// <param name="layerCount">Number of pattern columns.</param>
    /// <param name="cellSize">Side of each square cell in pixels.</param>
    public static (int Width, int Height) MeasureSize(int layerCount, int cellSize = DefaultCellSize)
    {
        var layout = new Layout(layerCount, cellSize);
        return (layout.Width, layout.Height);
    }

    /// <summary>
    /// Where everything goes; lengths scale with the cell size so thumbnails and large renders
    /// look alike. Column 0 is the scatter, then one per layer, then the probability.
    /// </summary>
    internal readonly struct Layout
    {
        internal readonly float U;
        internal readonly int CellSize, Columns, Left, Gap, TitleHeight, Top, BarGap, BarWidth, Width, Height;

        internal Layout(int layerCount, int cellSize)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(layerCount);
            if (cellSize < 32 || cellSize > 4096)
                throw new ArgumentOutOfRangeException(nameof(cellSize), cellSize, "Cell size must be between 32 and 4096 pixels.");
            // Margins, text and dots scale with the cell but not below 70 %: smaller text is unreadable.
            U = Math.Max(0.7f, cellSize / (float)DefaultCellSize);
            CellSize = cellSize;
            Columns = layerCount + 2;
            Left = (int)(40 * U);
            Gap = (int)(16 * U);
            TitleHeight = (int)(50 * U);
            Top = TitleHeight + (int)(48 * U);
            BarGap = (int)(10 * U);
            BarWidth = (int)(14 * U);
            int right = (int)(18 * U), barLabels = (int)(38 * U), foot = (int)(30 * U);
            Width = Left + Columns * cellSize + (Columns - 1) * Gap + BarGap + BarWidth + barLabels + right;
            Height = Top + cellSize + foot;
        }

        internal SKRect Cell(int column) => SKRect.Create(Left + column * (CellSize + Gap), Top, CellSize, CellSize);
    }

    internal static SKBitmap RenderBitmap(MosaicFrame frame, int cellSize)
    {
        Validate(frame);
        var layout = new Layout(frame.Layers.Count, cellSize);
        float u = layout.U;
        int cell = cellSize, columns = layout.Columns, width = layout.Width, height = layout.Height;
        int titleH = layout.TitleHeight, top = layout.Top, barGap = layout.BarGap, barW = layout.BarWidth;

        var bitmap = SkiaImages.NewBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        var ink = new SKColor(0x22, 0x22, 0x22);

        string title = string.IsNullOrWhiteSpace(frame.Title)
            ? $"iteration {frame.Iteration.ToString("N0", CultureInfo.InvariantCulture)}"
            : $"{frame.Title} \u2014 iteration {frame.Iteration.ToString("N0", CultureInfo.InvariantCulture)}";
        SkiaText.Draw(canvas, title, width / 2f, 33 * u, 22 * u, ink, SKTextAlign.Center, bold: true);

        SKRect CellRect(int col) => layout.Cell(col);
        void Head(int col, string name, string sub)
        {
            var r = CellRect(col);
            SkiaText.Draw(canvas, name, r.MidX, titleH + 17 * u, 15 * u, ink, SKTextAlign.Center, bold: true);
            SkiaText.Draw(canvas, sub, r.MidX, titleH + 36 * u, 13 * u, ScatterCell.LabelColor, SKTextAlign.Center);
        }

        // Column 0: samples in data space, with a small legend in the header.
        var scatter = CellRect(0);
        ScatterCell.Draw(canvas, scatter, frame.Extent, frame.DataXY, frame.FakeXY, u);
        ScatterCell.AxisLabels(canvas, scatter, frame.Extent, u);
        SkiaText.Draw(canvas, "samples", scatter.MidX, titleH + 17 * u, 15 * u, ink, SKTextAlign.Center, bold: true);
        // Sample counts only when the key still fits above the cell (small cells drop them).
        var key = new[] { ($"data ({frame.DataXY.Length / 2})", ScatterCell.DataColor), ($"fake ({frame.FakeXY.Length / 2})", ScatterCell.FakeColor) };
        if (ScatterCell.LegendWidth(u, key) > cell + layout.Gap) key = [("data", ScatterCell.DataColor), ("fake", ScatterCell.FakeColor)];
        ScatterCell.Legend(canvas, scatter.MidX, titleH + 36 * u, u, key);

        // Pattern columns: built as one pixel buffer each, then fake samples on top.
        for (int l = 0; l < frame.Layers.Count; l++)
        {
            var layer = frame.Layers[l];
            var r = CellRect(l + 1);
            using (var plane = SkiaImages.FromArgb(PatternPixels(layer.PatternHash, frame.Resolution, cell, layer.DistinctPatterns), cell, cell))
                canvas.DrawBitmap(plane, r.Left, r.Top);
            canvas.Save();
            canvas.ClipRect(r);
            ScatterCell.OverlayDots(canvas, ScatterCell.ToPixels(frame.FakeXY, frame.Extent, r), 2.6f * u);
            canvas.Restore();
            ScatterCell.Frame(canvas, r);
            string count = layer.DistinctPatterns.ToString("N0", CultureInfo.InvariantCulture);
            Head(l + 1, layer.Name, layer.DistinctPatterns == 1 ? "1 pattern" : $"{count} patterns");
        }

        // Last column: D's probability of real, with its colour bar.
        var prob = CellRect(columns - 1);
        using (var heat = SkiaImages.FromArgb(ProbabilityPixels(frame.ProbabilityReal, frame.Resolution, cell), cell, cell))
            canvas.DrawBitmap(heat, prob.Left, prob.Top);
        ScatterCell.Frame(canvas, prob);
        Head(columns - 1, "D(x)", "probability of real");
        ColorBar(canvas, SKRect.Create(prob.Right + barGap, prob.Top, barW, prob.Height), u);

        const string caption = "white dots: fake samples; thin dark lines: pattern region boundaries; white line: D(x) = 0.5";
        if (SkiaText.Measure(caption, 11 * u) < width - 2 * layout.Left)
            SkiaText.Draw(canvas, caption, width / 2f, top + cell + 26 * u, 11 * u, new SKColor(0x88, 0x88, 0x88), SKTextAlign.Center);
        canvas.Flush();
        return bitmap;
    }

    /// <summary>
    /// One ARGB pixel per output pixel; nearest grid cell, pixels where the pattern changes towards
    /// the right or downward neighbour darkened so regions read as separate "glass tiles".
    /// </summary>
    internal static int[] PatternPixels(long[] hashes, int resolution, int size, int distinctPatterns)
    {
        // Thousands of tiny regions would turn dark edges into a dark veil: fade edges as the
        // mean region area (in pixels) shrinks.
        double meanArea = size * (double)size / Math.Max(1, distinctPatterns);
        double edgeShade = 0.62 + 0.28 * Math.Clamp((400 - meanArea) / (400 - 60), 0, 1);
        var map = GridIndex(resolution, size);
        var pixels = new int[size * size];
        long lastHash = 0;
        uint lastColor = PatternColor(0);
        for (int py = 0; py < size; py++)
        {
            int row = map[py] * resolution;
            int below = map[Math.Min(py + 1, size - 1)] * resolution;
            for (int px = 0; px < size; px++)
            {
                long h = hashes[row + map[px]];
                // Neighbouring pixels mostly share a pattern: one-entry cache saves the hash mixing.
                if (h != lastHash) { lastHash = h; lastColor = PatternColor(h); }
                uint c = lastColor;
                bool edge = (px + 1 < size && hashes[row + map[px + 1]] != h) || hashes[below + map[px]] != h;
                pixels[py * size + px] = (int)(edge ? Scale(c, edgeShade) : c);
            }
        }
        return pixels;
    }

    /// <summary>
    /// Heat-map pixels. D's output is smooth, so grid values (taken at cell centres) are
    /// interpolated bilinearly; that also keeps the 0.5 contour from showing grid staircases.
    /// </summary>
    internal static int[] ProbabilityPixels(float[] probability, int resolution, int size)
    {
        var (i0, i1, t) = BilinearAxis(resolution, size);
        var values = new float[size * size];
        for (int py = 0; py < size; py++)
        {
            int r0 = i0[py] * resolution, r1 = i1[py] * resolution;
            float ty = t[py];
            for (int px = 0; px < size; px++)
            {
                float tx = t[px];
                float top = Lerp(probability[r0 + i0[px]], probability[r0 + i1[px]], tx);
                float bottom = Lerp(probability[r1 + i0[px]], probability[r1 + i1[px]], tx);
                values[py * size + px] = Lerp(top, bottom, ty);
            }
        }
        var pixels = new int[size * size];
        for (int py = 0; py < size; py++)
            for (int px = 0; px < size; px++)
            {
                int i = py * size + px;
                uint c = Colormaps.Lookup(Colormaps.Viridis, values[i]);
                // The 0.5 level set is D's decision boundary: mark it with a light line.
                bool side = values[i] >= 0.5f;
                bool edge = (px + 1 < size && values[i + 1] >= 0.5f != side)
                            || (py + 1 < size && values[i + size] >= 0.5f != side);
                pixels[i] = (int)(edge ? Blend(c, 0xFFFFFFFFu, 0.7) : c);
            }
        return pixels;
    }

    private static float Lerp(float a, float b, float t) => a + (b - a) * t;

    private static (int[] I0, int[] I1, float[] T) BilinearAxis(int resolution, int size)
    {
        var i0 = new int[size];
        var i1 = new int[size];
        var t = new float[size];
        for (int p = 0; p < size; p++)
        {
            double g = Math.Clamp((p + 0.5) * resolution / size - 0.5, 0, resolution - 1);
            i0[p] = (int)g;
            i1[p] = Math.Min(i0[p] + 1, resolution - 1);
            t[p] = (float)(g - i0[p]);
        }
        return (i0, i1, t);
    }

    private static int[] GridIndex(int resolution, int size)
    {
        var map = new int[size];
        for (int p = 0; p < size; p++) map[p] = (int)Math.Min(resolution - 1, (long)p * resolution / size);
        return map;
    }

    private static void ColorBar(SKCanvas canvas, SKRect bar, float u)
    {
        int h = Math.Max(1, (int)bar.Height), w = Math.Max(1, (int)bar.Width);
        var pixels = new int[w * h];
        for (int y = 0; y < h; y++)
        {
            int c = (int)Colormaps.Lookup(Colormaps.Viridis, 1f - y / (float)Math.Max(1, h - 1));
            Array.Fill(pixels, c, y * w, w);
        }
        using (var strip = SkiaImages.FromArgb(pixels, w, h)) canvas.DrawBitmap(strip, bar.Left, bar.Top);
        ScatterCell.Frame(canvas, SKRect.Create(bar.Left, bar.Top, w, h));
        using var tick = new SKPaint { Color = ScatterCell.FrameColor, StrokeWidth = 1 };
        foreach (var v in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            float y = bar.Top + (float)((1 - v) * (h - 1)) + 0.5f;
            canvas.DrawLine(bar.Left + w, y, bar.Left + w + 3 * u, y, tick);
            SkiaText.Draw(canvas, v.ToString("0.##", CultureInfo.InvariantCulture), bar.Left + w + 5 * u,
                y + 4 * u, 11 * u, ScatterCell.LabelColor);
        }
    }

    private static void Validate(MosaicFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        frame.Extent.Validate(nameof(frame));
        int r = frame.Resolution;
        if (r < 1 || r > 8192) throw new ArgumentException($"Resolution must be between 1 and 8192 (got {r}).", nameof(frame));
        long cells = (long)r * r;
        if (frame.DataXY is null || frame.DataXY.Length % 2 != 0)
            throw new ArgumentException("DataXY must hold interleaved x,y pairs.", nameof(frame));
        if (frame.FakeXY is null || frame.FakeXY.Length % 2 != 0)
            throw new ArgumentException("FakeXY must hold interleaved x,y pairs.", nameof(frame));
        if (frame.Layers is null) throw new ArgumentException("Layers must not be null.", nameof(frame));
        foreach (var layer in frame.Layers)
            if (layer?.PatternHash is null || layer.PatternHash.Length != cells)
                throw new ArgumentException(
                    $"Layer '{layer?.Name}' must have Resolution*Resolution = {cells} pattern hashes (got {layer?.PatternHash?.Length ?? 0}).",
                    nameof(frame));
        if (frame.ProbabilityReal is null || frame.ProbabilityReal.Length != cells)
            throw new ArgumentException(
                $"ProbabilityReal must have Resolution*Resolution = {cells} values (got {frame.ProbabilityReal?.Length ?? 0}).",
                nameof(frame));
    }

    // SplitMix64 finaliser: consecutive or structured hashes still map to unrelated colours.
    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static uint HsvToArgb(double h, double s, double v)
    {
        double hh = h * 6;
        int sector = (int)hh % 6;
        double f = hh - Math.Floor(hh);
        double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
        (double r, double g, double b) = sector switch
        {
            0 => (v, t, p),
            1 => (q, v, p),
            2 => (p, v, t),
            3 => (p, q, v),
            4 => (t, p, v),
            _ => (v, p, q),
        };
        return 0xFF000000u | (Byte(r) << 16) | (Byte(g) << 8) | Byte(b);
    }

    private static uint Byte(double x) => (uint)Math.Clamp((int)Math.Round(x * 255), 0, 255);

    private static uint Scale(uint argb, double k) =>
        0xFF000000u | (Byte(((argb >> 16) & 0xFF) * k / 255) << 16) | (Byte(((argb >> 8) & 0xFF) * k / 255) << 8)
        | Byte((argb & 0xFF) * k / 255);

    private static uint Blend(uint a, uint b, double t)
    {
        uint Ch(int shift) => Byte((((a >> shift) & 0xFF) * (1 - t) + ((b >> shift) & 0xFF) * t) / 255);
        return 0xFF000000u | (Ch(16) << 16) | (Ch(8) << 8) | Ch(0);
    }
}
