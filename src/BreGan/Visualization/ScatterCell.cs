using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>Draws real (blue) and fake (red) 2D samples into one square of a picture.</summary>
internal static class ScatterCell
{
    internal static readonly SKColor DataColor = new(0x1F, 0x77, 0xB4);
    internal static readonly SKColor FakeColor = new(0xD6, 0x27, 0x28);
    internal static readonly SKColor FrameColor = new(0x70, 0x70, 0x70);
    private static readonly SKColor GridColor = new(0xE4, 0xE4, 0xE4);
    private static readonly SKColor AxisColor = new(0xC0, 0xC0, 0xC0);
    internal static readonly SKColor LabelColor = new(0x55, 0x55, 0x55);

    /// <summary>Samples to pixel positions inside <paramref name="rect"/>; NaN samples are dropped.</summary>
    internal static SKPoint[] ToPixels(float[] xy, PlaneExtent e, SKRect rect)
    {
        var points = new List<SKPoint>(xy.Length / 2);
        double sx = rect.Width / (e.XMax - e.XMin), sy = rect.Height / (e.YMax - e.YMin);
        for (int i = 0; i + 1 < xy.Length; i += 2)
        {
            float x = xy[i], y = xy[i + 1];
            if (!float.IsFinite(x) || !float.IsFinite(y)) continue;
            points.Add(new SKPoint(rect.Left + (float)((x - e.XMin) * sx), rect.Top + (float)((e.YMax - y) * sy)));
        }
        return points.ToArray();
    }

    /// <summary>Round dots in one draw call (DrawPoints with round caps) so thousands stay cheap.</summary>
    internal static void Dots(SKCanvas canvas, SKPoint[] points, SKColor color, float diameter)
    {
        if (points.Length == 0) return;
        using var paint = new SKPaint
        {
            Color = color, IsAntialias = true, StrokeWidth = diameter,
            StrokeCap = SKStrokeCap.Round, Style = SKPaintStyle.Stroke,
        };
        canvas.DrawPoints(SKPointMode.Points, points, paint);
    }

    /// <summary>White dots with a dark rim: visible on any pattern colour.</summary>
    internal static void OverlayDots(SKCanvas canvas, SKPoint[] points, float diameter)
    {
        Dots(canvas, points, new SKColor(0x10, 0x10, 0x10, 0xE0), diameter + 1.6f);
        Dots(canvas, points, SKColors.White, diameter);
    }

    internal static void Draw(SKCanvas canvas, SKRect rect, PlaneExtent e, float[] data, float[] fake, float u)
    {
        canvas.Save();
        canvas.ClipRect(rect);
        canvas.Clear(SKColors.White);
        using (var grid = new SKPaint { Color = GridColor, StrokeWidth = 1, IsAntialias = false })
        using (var axis = new SKPaint { Color = AxisColor, StrokeWidth = 1, IsAntialias = false })
        {
            foreach (var t in NiceTicks(e.XMin, e.XMax))
            {
                float px = MathF.Round(rect.Left + (float)((t - e.XMin) / (e.XMax - e.XMin) * rect.Width)) + 0.5f;
                canvas.DrawLine(px, rect.Top, px, rect.Bottom, t == 0 ? axis : grid);
            }
            foreach (var t in NiceTicks(e.YMin, e.YMax))
            {
                float py = MathF.Round(rect.Top + (float)((e.YMax - t) / (e.YMax - e.YMin) * rect.Height)) + 0.5f;
                canvas.DrawLine(rect.Left, py, rect.Right, py, t == 0 ? axis : grid);
            }
        }
        Dots(canvas, ToPixels(data, e, rect), DataColor.WithAlpha(150), 3.4f * u);
        Dots(canvas, ToPixels(fake, e, rect), FakeColor.WithAlpha(200), 3.8f * u);
        canvas.Restore();
        Frame(canvas, rect);
    }

    internal static void Frame(SKCanvas canvas, SKRect rect)
    {
        using var paint = new SKPaint { Color = FrameColor, Style = SKPaintStyle.Stroke, StrokeWidth = 1, IsAntialias = false };
        canvas.DrawRect(new SKRect(rect.Left - 0.5f, rect.Top - 0.5f, rect.Right + 0.5f, rect.Bottom + 0.5f), paint);
    }

    /// <summary>Tick labels below and left of <paramref name="rect"/> at the grid-line positions.</summary>
    internal static void AxisLabels(SKCanvas canvas, SKRect rect, PlaneExtent e, float u)
    {
        float size = 11f * u;
        foreach (var t in NiceTicks(e.XMin, e.XMax))
        {
            float px = rect.Left + (float)((t - e.XMin) / (e.XMax - e.XMin) * rect.Width);
            SkiaText.Draw(canvas, Format(t), px, rect.Bottom + 4 * u + size, size, LabelColor, SKTextAlign.Center);
        }
        foreach (var t in NiceTicks(e.YMin, e.YMax))
        {
            float py = rect.Top + (float)((e.YMax - t) / (e.YMax - e.YMin) * rect.Height);
            SkiaText.Draw(canvas, Format(t), rect.Left - 5 * u, py + size * 0.36f, size, LabelColor, SKTextAlign.Right);
        }
    }

    internal static string Format(double v) =>
        Math.Abs(v) < 1e-12 ? "0" : v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>About four to seven round tick values (steps of 1, 2 or 5 times a power of ten).</summary>
    internal static List<double> NiceTicks(double min, double max, int target = 5)
    {
        double raw = (max - min) / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        double step = mag * (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10);
        var ticks = new List<double>();
        // Integer multiples of the step: no drift from repeated addition.
        for (long k = (long)Math.Ceiling(min / step - 1e-9); k * step <= max + step * 1e-9 && ticks.Count < 50; k++)
            ticks.Add(k * step);
        return ticks;
    }

    internal static float LegendWidth(float u, params (string Text, SKColor Color)[] items) =>
        items.Sum(i => 8 * u + 4 * u + SkiaText.Measure(i.Text, 13 * u)) + 14 * u * (items.Length - 1);

    /// <summary>A centred row of coloured dots with labels, e.g. the data/fake key.</summary>
    internal static void Legend(SKCanvas canvas, float centerX, float baseline, float u,
        params (string Text, SKColor Color)[] items)
    {
        float size = 13 * u, dot = 8 * u, spacing = 14 * u, pad = 4 * u;
        float x = centerX - LegendWidth(u, items) / 2;
        using var paint = new SKPaint { IsAntialias = true };
        foreach (var (text, color) in items)
        {
            paint.Color = color;
            canvas.DrawCircle(x + dot / 2, baseline - size * 0.35f, dot / 2, paint);
            x += dot + pad;
            SkiaText.Draw(canvas, text, x, baseline, size, LabelColor);
            x += SkiaText.Measure(text, size) + spacing;
        }
    }
}
