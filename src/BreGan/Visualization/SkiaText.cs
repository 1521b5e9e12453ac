using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>
/// Text for the SkiaSharp-drawn pictures. SkiaSharp's Linux "NoDependencies" native library has no
/// fontconfig, so a machine without font files would draw every label as nothing at all. We look
/// for a sans typeface first and fall back to a built-in bitmap font, so labels always appear.
/// </summary>
internal static class SkiaText
{
    private static readonly string[] SansFamilies =
        ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Noto Sans", "Segoe UI", "Roboto", "FreeSans"];

    private static readonly Lazy<SKTypeface?> RegularFace = new(() => Resolve(SKFontStyle.Normal));
    private static readonly Lazy<SKTypeface?> BoldFace = new(() => Resolve(SKFontStyle.Bold));

    /// <summary>Tests set this to exercise the bitmap font on machines that do have fonts.</summary>
    internal static bool ForceBitmapFont { get; set; }

    /// <summary>True when labels are drawn with a real typeface (false: built-in bitmap font).</summary>
    internal static bool HasTypeface => !ForceBitmapFont && RegularFace.Value is not null;

    /// <summary>Family name of the typeface in use, or null when only the bitmap font is available.</summary>
    internal static string? FamilyName => RegularFace.Value?.FamilyName;

    private static SKTypeface? Resolve(SKFontStyle style)
    {
        var manager = SKFontManager.Default;
        foreach (var family in SansFamilies)
        {
            var face = manager.MatchFamily(family, style);
            if (Usable(face)) return face;
        }
        if (Usable(SKTypeface.Default)) return SKTypeface.Default;
        foreach (var family in manager.FontFamilies)
        {
            var face = manager.MatchFamily(family, style);
            if (Usable(face)) return face;
        }
        return null;
    }

    // An "empty" typeface exists even when no font file was found; it has no glyphs.
    private static bool Usable(SKTypeface? face) =>
        face is not null && face.GlyphCount > 0 && face.ContainsGlyphs("Aa0");

    private static SKFont MakeFont(float size, bool bold) =>
        new((bold ? BoldFace.Value : RegularFace.Value) ?? SKTypeface.Default, size)
        {
            Edging = SKFontEdging.Antialias,
            Subpixel = true,
        };

    /// <summary>Width in pixels of <paramref name="text"/> at <paramref name="size"/>.</summary>
    internal static float Measure(string text, float size, bool bold = false)
    {
        if (!HasTypeface) return text.Length * BitmapAdvance * BitmapScale(size);
        using var font = MakeFont(size, bold);
        return font.MeasureText(text);
    }

    /// <summary>Draws one line of text with its baseline at <paramref name="y"/>.</summary>
    internal static void Draw(SKCanvas canvas, string text, float x, float y, float size, SKColor color,
        SKTextAlign align = SKTextAlign.Left, bool bold = false)
    {
        if (string.IsNullOrEmpty(text)) return;
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        if (HasTypeface)
        {
            using var font = MakeFont(size, bold);
            canvas.DrawText(text, x, y, align, font, paint);
            return;
        }
        DrawBitmapText(canvas, text, x, y, size, align, paint);
    }

    // ---- built-in bitmap font --------------------------------------------------------------

    // Glyph cells are 8x14 pixels, baseline at row 11, rendered for a 13 px em.
    private const int BitmapWidth = 8, BitmapHeight = 14, BitmapBaseline = 11;
    private const float BitmapAdvance = 8f, BitmapEm = 13f;

    private static void DrawBitmapText(SKCanvas canvas, string text, float x, float y, float size,
        SKTextAlign align, SKPaint paint)
    {
        float k = BitmapScale(size);
        float width = text.Length * BitmapAdvance * k;
        float left = align switch
        {
            SKTextAlign.Center => x - width / 2,
            SKTextAlign.Right => x - width,
            _ => x,
        };
        // Whole-pixel origin and scale keep the bitmap glyphs crisp.
        left = MathF.Round(left);
        float top = MathF.Round(y - BitmapBaseline * k);
        float cell = k;
        for (int i = 0; i < text.Length; i++)
        {
            int glyph = GlyphIndex(text[i]);
            if (glyph < 0) continue;
            float gx = left + i * BitmapAdvance * k;
            for (int row = 0; row < BitmapHeight; row++)
            {
                byte bits = GlyphRows[glyph * BitmapHeight + row];
                if (bits == 0) continue;
                for (int col = 0; col < BitmapWidth; col++)
                    if ((bits & (0x80 >> col)) != 0)
                        canvas.DrawRect(gx + col * k, top + row * k, cell, cell, paint);
            }
        }
    }

    // Integer magnification only (at least 1): fractional scales blur 1-pixel strokes away.
    private static float BitmapScale(float size) => Math.Max(1f, MathF.Round(size / BitmapEm));

    private static int GlyphIndex(char c)
    {
        c = c switch
        {
            '\u2014' or '\u2013' or '\u2212' => '-',
            '\u00B7' or '\u2022' => '.',
            _ => c,
        };
        if (c == ' ') return -1;
        return c is >= (char)33 and <= (char)126 ? c - 32 : '?' - 32;
    }

    // ASCII 32..126, 14 bytes per glyph (one byte per row, most significant bit = left column),
    // thresholded from DejaVu Sans Mono Bold at 13 px (Bitstream Vera / DejaVu licence).
    private static readonly byte[] GlyphRows = Convert.FromHexString(
        "0000000000000000000000000000000018181818181800181800000000006E6E6E6E00000000000000000000001E36FF3C7CFE6C78000000" +
        "0018187E7E787C1E5E7E7C1818000000F0F8F8F73CEE1B1B0E00000000003C747078FBDFCFEE7F0000000000181818180000000000000000" +
        "0C1C18383838383838181C0C0000303818181C1C1C1C1818383000000000187E7E7E7E18000000000000000000181818FFFF181818000000" +
        "00000000000000000018183830000000000000003C3C0000000000000000000000000000003838000000000006060C0C1818383070606000" +
        "00003C7E66FEFEE6667E3C000000000078181818181818187F00000000007C6E0E0E1C3C3870FE00000000007C6E0E3C0E0606EE7C000000" +
        "00001E1E3E7EEEFF0E0E0E00000000007E60607C6E06066E7C00000000003C76607EFE66667E3C0000000000FE0E0E1C1C18383830000000" +
        "00007C6E6E3C7E66667E7C00000000007C6EE6E66E7E066E7C00000000000000383800000038380000000000000038380000003838383000" +
        "00000000071FFCE0FC1F070000000000000000FFFF00FFFF0000000000000000E0F83E0F3EF8E000000000003E6E0E1C1838003838000000" +
        "00003E77DFFFF3F3F3FFFF763E0000003C3C3C7C7E7E66E7E70000000000FEEEE6EEFEE6E7E7FE00000000003E767060606070723E000000" +
        "00007C6E66676767666E7C00000000007E6060607E6060607E00000000007E6060607E6060606000000000003E7660E0EF6767773E000000" +
        "0000666666667E6666666600000000007E181818181818187E00000000003E0E0E0E0E0E0ECE7C0000000000E7EEFCF8FCFCEEEEE7000000" +
        "000070707070707070707F0000000000E7FFFFFFFFFFE7E7E70000000000E6F6F6FEFEFEEEEEEE00000000003C7EE6E7E7E7E67E3C000000" +
        "00007E6E67676E7E60606000000000003C7EE6E7E7E7E67E3C0E06000000FCEEE6E6EEFCEEEEE700000000007C66E0787E1E06EE7E000000" +
        "0000FF18181818181818180000000000E7E7E7E7E7E7E66E7E0000000000E7E6666E7E7C3C3C3C0000000000C3C3DBFFFFFFFE7E66000000" +
        "0000E76E7C3C383C7E6EE70000000000E7E67E3C3C1818181800000000007F0F0E1C3C3870F0FF0000003C383838383838383838383C0000" +
        "0000606070303818180C0C0606003C1C1C1C1C1C1C1C1C1C1C3C00000000383C7EE7000000000000000000000000000000000000000000FF" +
        "0070380000000000000000000000000000007E6E067EE6EE7E000000606060607E7E6767677E7E000000000000003E76606060763E000000" +
        "060606067E6EE6E6E66E7E000000000000003C7EE7FFE0763E0000001E1838387E383838383838000000000000007E7EE6E6E67E7E066E7C" +
        "606060607E7E6666666666000000181800007818181818187F0000001C1C00007C1C1C1C1C1C1C1C1C78606060606E7C787C6C6E67000000" +
        "F83838383838383838381E00000000000000FEFFDFDFDFDFDF000000000000007E7E6666666666000000000000003C7EE6E7E67E3C000000" +
        "000000007E7E6767677E7E606060000000007E6EE6E6E66E7E060606000000007F7B7070707070000000000000007C66787E0E6E7C000000" +
        "00003838FE38383838381E00000000000000666666666E7E7E00000000000000E7666E7E3C3C3C00000000000000C3C3DBFFFE7E7E000000" +
        "00000000EE7E3C383C7EE700000000000000E7667E7E3C3C1C1838F0000000007E0E1E3C78707E0000001E181818183878381818181E0000" +
        "181818181818181818181818180078381818181C1E1C1818387800000000000000007BDE000000000000");
}
