namespace BreGan.Visualization;

/// <summary>Perceptual colormap lookup tables (0xAARRGGBB).</summary>
internal static class Colormaps
{
    /// <summary>Viridis in 256 steps, sampled once from ScottPlot's implementation.</summary>
    internal static readonly uint[] Viridis = Build(new ScottPlot.Colormaps.Viridis());

    private static uint[] Build(ScottPlot.IColormap map)
    {
        var lut = new uint[256];
        for (int i = 0; i < lut.Length; i++)
        {
            var c = map.GetColor(i / 255.0);
            lut[i] = 0xFF000000u | ((uint)c.R << 16) | ((uint)c.G << 8) | c.B;
        }
        return lut;
    }

    /// <summary>Colour for a value in [0,1]; out-of-range values clamp, NaN is mid grey.</summary>
    internal static uint Lookup(uint[] lut, float value)
    {
        if (float.IsNaN(value)) return 0xFF808080u;
        int i = (int)MathF.Round(Math.Clamp(value, 0f, 1f) * (lut.Length - 1));
        return lut[i];
    }
}
