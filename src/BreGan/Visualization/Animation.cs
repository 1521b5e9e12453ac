using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing.Processors.Quantization;
using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>
/// Animated GIFs from rendered frames (e.g. one mosaic per logged iteration).
/// </summary>
/// <remarks>
/// Frames are streamed: each one is decoded, quantised and compressed by ImageSharp's GIF encoder
/// on its own, and its image block is appended to the output file, so memory holds one frame at a
/// time however long the animation. Every frame takes the first frame's size (smaller ones are
/// placed top-left on white, larger ones cropped).
/// </remarks>
public static class Animation
{
    /// <summary>Writes PNG files, in order, as an animated GIF.</summary>
    /// <param name="pngPaths">Frame images (any format SkiaSharp decodes).</param>
    /// <param name="gifPath">Output file.</param>
    /// <param name="frameDelayMs">Time each frame shows (GIF stores hundredths of a second).</param>
    /// <param name="loop">Times to repeat; 0 loops forever.</param>
    /// <param name="maxWidth">If set, frames wider than this are scaled down (keeps files small).</param>
    public static void WriteGif(IReadOnlyList<string> pngPaths, string gifPath, int frameDelayMs = 300, int loop = 0,
        int? maxWidth = null)
    {
        ArgumentNullException.ThrowIfNull(pngPaths);
        Write(pngPaths.Count, i => SkiaImages.Decode(pngPaths[i]), gifPath, frameDelayMs, loop, maxWidth);
    }

    /// <summary>Writes encoded images (e.g. from <see cref="MosaicPanel.RenderPng"/>) as an animated GIF.</summary>
    /// <param name="frames">Encoded frame images (PNG or any format SkiaSharp decodes).</param>
    /// <param name="gifPath">Output file.</param>
    /// <param name="frameDelayMs">Time each frame shows (GIF stores hundredths of a second).</param>
    /// <param name="loop">Times to repeat; 0 loops forever.</param>
    /// <param name="maxWidth">If set, frames wider than this are scaled down (keeps files small).</param>
    public static void WriteGif(IReadOnlyList<byte[]> frames, string gifPath, int frameDelayMs = 300, int loop = 0,
        int? maxWidth = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Write(frames.Count, i => SkiaImages.Decode(frames[i], i), gifPath, frameDelayMs, loop, maxWidth);
    }

    /// <summary>
    /// Combines two frame sequences (e.g. the baseline and BRE arms) into one GIF, each half with a
    /// label above it. The shorter sequence holds its last frame.
    /// </summary>
    /// <param name="left">First sequence (left, or top when <paramref name="vertical"/>).</param>
    /// <param name="right">Second sequence (right, or bottom).</param>
    /// <param name="gifPath">Output file.</param>
    /// <param name="leftLabel">Label above the first sequence.</param>
    /// <param name="rightLabel">Label above the second sequence.</param>
    /// <param name="frameDelayMs">Time each frame shows.</param>
    /// <param name="loop">Times to repeat; 0 loops forever.</param>
    /// <param name="vertical">Stack the halves top and bottom (better for wide mosaics).</param>
    /// <param name="maxWidth">If set, combined frames wider than this are scaled down.</param>
    public static void SideBySide(IReadOnlyList<string> left, IReadOnlyList<string> right, string gifPath,
        string leftLabel = "baseline", string rightLabel = "BRE", int frameDelayMs = 300, int loop = 0,
        bool vertical = false, int? maxWidth = null)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        if (left.Count == 0 || right.Count == 0)
            throw new ArgumentException("Both sequences need at least one frame.");
        int count = Math.Max(left.Count, right.Count);
        Write(count, i =>
        {
            using var a = SkiaImages.Decode(left[Math.Min(i, left.Count - 1)]);
            using var b = SkiaImages.Decode(right[Math.Min(i, right.Count - 1)]);
            return Combine(a, b, leftLabel, rightLabel, vertical);
        }, gifPath, frameDelayMs, loop, maxWidth);
    }

    /// <summary>Two images side by side (or stacked), each under a label band.</summary>
    internal static SKBitmap Combine(SKBitmap a, SKBitmap b, string labelA, string labelB, bool vertical)
    {
        const int band = 34, gap = 12;
        int w = vertical ? Math.Max(a.Width, b.Width) : a.Width + gap + b.Width;
        int h = vertical ? band + a.Height + gap + band + b.Height : band + Math.Max(a.Height, b.Height);
        var result = SkiaImages.NewBitmap(w, h);
        using var canvas = new SKCanvas(result);
        var ink = new SKColor(0x22, 0x22, 0x22);
        void Half(SKBitmap image, string label, float x, float y)
        {
            SkiaText.Draw(canvas, label, x + image.Width / 2f, y + 24, 20, ink, SKTextAlign.Center, bold: true);
            canvas.DrawBitmap(image, x, y + band);
        }
        Half(a, labelA, 0, 0);
        if (vertical) Half(b, labelB, 0, band + a.Height + gap);
        else
        {
            Half(b, labelB, a.Width + gap, 0);
            using var rule = new SKPaint { Color = new SKColor(0xCC, 0xCC, 0xCC), StrokeWidth = 1 };
            canvas.DrawLine(a.Width + gap / 2f, 6, a.Width + gap / 2f, h - 6, rule);
        }
        canvas.Flush();
        return result;
    }

    private static void Write(int count, Func<int, SKBitmap> frame, string gifPath, int frameDelayMs, int loop,
        int? maxWidth)
    {
        ArgumentException.ThrowIfNullOrEmpty(gifPath);
        if (count == 0) throw new ArgumentException("An animation needs at least one frame.");
        if (frameDelayMs < 0) throw new ArgumentOutOfRangeException(nameof(frameDelayMs), frameDelayMs, "Delay must be >= 0.");
        if (loop is < 0 or > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(loop), loop, "Loop count must be 0 (forever) to 65535.");
        if (maxWidth is < 16) throw new ArgumentOutOfRangeException(nameof(maxWidth), maxWidth, "Max width must be >= 16.");

        var dir = Path.GetDirectoryName(Path.GetFullPath(gifPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        // Flat-colour mosaics quantise well without dithering; dithering would speckle the tiles.
        var encoder = new GifEncoder
        {
            ColorTableMode = GifColorTableMode.Global,
            Quantizer = new WuQuantizer(new QuantizerOptions { Dither = null, MaxColors = 256 }),
        };
        ushort delay = (ushort)Math.Clamp((frameDelayMs + 5) / 10, 0, ushort.MaxValue);

        string tmp = gifPath + ".tmp";
        try
        {
            using (var output = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                int width = 0, height = 0;
                var single = new MemoryStream();
                for (int i = 0; i < count; i++)
                {
                    using var source = frame(i);
                    using var fitted = Fit(source, i == 0 ? null : (width, height), maxWidth);
                    if (i == 0)
                    {
                        (width, height) = (fitted.Width, fitted.Height);
                        GifStream.WriteHeader(output, width, height, loop);
                    }
                    single.SetLength(0);
                    using (var image = ToImageSharp(fitted)) image.SaveAsGif(single, encoder);
                    GifStream.AppendFrame(output, single.GetBuffer().AsSpan(0, (int)single.Length), delay);
                }
                output.WriteByte(0x3B); // trailer
            }
            File.Move(tmp, gifPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>First frame: optional downscale. Later frames: forced onto the first frame's size.</summary>
    private static SKBitmap Fit(SKBitmap source, (int W, int H)? canvasSize, int? maxWidth)
    {
        int w, h;
        if (canvasSize is { } size) (w, h) = size;
        else if (maxWidth is { } mw && source.Width > mw) (w, h) = (mw, Math.Max(1, (int)Math.Round(source.Height * (double)mw / source.Width)));
        else (w, h) = (source.Width, source.Height);

        var result = SkiaImages.NewBitmap(w, h);
        using var canvas = new SKCanvas(result);
        // Scale by the same factor for every frame so a sequence rendered at one size stays
        // consistent; at factor 1 copy pixels untouched (no resampling blur).
        float k = maxWidth is { } m && source.Width > m ? m / (float)source.Width : 1f;
        if (k < 1f)
        {
            using var image = SKImage.FromBitmap(source);
            canvas.DrawImage(image, SKRect.Create(0, 0, source.Width * k, source.Height * k),
                new SKSamplingOptions(SKCubicResampler.Mitchell));
        }
        else canvas.DrawBitmap(source, 0, 0);
        canvas.Flush();
        return result;
    }

    private static Image<Rgba32> ToImageSharp(SKBitmap bitmap)
    {
        // NewBitmap is RGBA8888 opaque, the byte layout Rgba32 expects.
        var bytes = bitmap.GetPixelSpan();
        int stride = bitmap.Width * 4;
        if (bitmap.RowBytes == stride) return Image.LoadPixelData<Rgba32>(bytes, bitmap.Width, bitmap.Height);
        var packed = new byte[stride * bitmap.Height];
        for (int y = 0; y < bitmap.Height; y++) bytes.Slice(y * bitmap.RowBytes, stride).CopyTo(packed.AsSpan(y * stride));
        return Image.LoadPixelData<Rgba32>(packed, bitmap.Width, bitmap.Height);
    }
}

/// <summary>
/// Minimal GIF89a container writer: splices the image blocks of single-frame GIFs (as ImageSharp
/// encodes them) into one animated stream with our own delay and loop settings.
/// </summary>
internal static class GifStream
{
    internal static void WriteHeader(Stream s, int width, int height, int loop)
    {
        if (width > ushort.MaxValue || height > ushort.MaxValue) throw new ArgumentException("Frame too large for GIF.");
        s.Write("GIF89a"u8);
        WriteU16(s, width);
        WriteU16(s, height);
        s.WriteByte(0x70); // no global colour table (each frame carries its own), 8-bit colour resolution
        s.WriteByte(0);    // background colour index
        s.WriteByte(0);    // pixel aspect ratio
        // NETSCAPE2.0 application extension: loop count (0 = forever).
        s.Write([0x21, 0xFF, 0x0B]);
        s.Write("NETSCAPE2.0"u8);
        s.Write([0x03, 0x01]);
        WriteU16(s, loop);
        s.WriteByte(0);
    }

    /// <summary>Copies the first image of <paramref name="gif"/> as one frame with the given delay.</summary>
    internal static void AppendFrame(Stream s, ReadOnlySpan<byte> gif, ushort delayCs)
    {
        if (gif.Length < 13 || !gif[..3].SequenceEqual("GIF"u8)) throw new InvalidDataException("Not a GIF stream.");
        int pos = 13;
        byte screenFlags = gif[10];
        ReadOnlySpan<byte> globalTable = default;
        if ((screenFlags & 0x80) != 0)
        {
            int size = 3 << ((screenFlags & 7) + 1);
            globalTable = gif.Slice(pos, size);
            pos += size;
        }
        bool transparent = false;
        byte transparentIndex = 0;
        while (pos < gif.Length)
        {
            byte block = gif[pos++];
            if (block == 0x21)
            {
                byte label = gif[pos++];
                if (label == 0xF9 && gif[pos] >= 4)
                {
                    transparent = (gif[pos + 1] & 1) != 0;
                    transparentIndex = gif[pos + 4];
                }
                pos = SkipSubBlocks(gif, pos);
            }
            else if (block == 0x2C)
            {
                var descriptor = gif.Slice(pos, 9);
                pos += 9;
                byte flags = descriptor[8];
                ReadOnlySpan<byte> table = globalTable;
                if ((flags & 0x80) != 0)
                {
                    int size = 3 << ((flags & 7) + 1);
                    table = gif.Slice(pos, size);
                    pos += size;
                }
                if (table.IsEmpty) throw new InvalidDataException("GIF frame has no colour table.");
                int dataStart = pos;
                pos = SkipSubBlocks(gif, pos + 1); // LZW minimum code size, then data sub-blocks

                // Graphic control extension: disposal "leave in place", our delay, their transparency.
                s.Write([0x21, 0xF9, 0x04, (byte)(0x04 | (transparent ? 1 : 0))]);
                WriteU16(s, delayCs);
                s.Write([transparentIndex, 0x00]);
                // Image descriptor with the table moved to a local colour table.
                s.WriteByte(0x2C);
                s.Write(descriptor[..8]);
                int bits = TableBits(table.Length);
                s.WriteByte((byte)(0x80 | (flags & 0x40) | (bits - 1)));
                s.Write(table);
                s.Write(gif[dataStart..pos]);
                return;
            }
            else if (block == 0x3B) break;
            else throw new InvalidDataException($"Unexpected GIF block 0x{block:X2}.");
        }
        throw new InvalidDataException("GIF stream has no image.");
    }

    private static int SkipSubBlocks(ReadOnlySpan<byte> gif, int pos)
    {
        while (true)
        {
            int size = gif[pos++];
            if (size == 0) return pos;
            pos += size;
        }
    }

    private static int TableBits(int bytes)
    {
        int entries = bytes / 3, bits = 1;
        while ((1 << bits) < entries) bits++;
        return bits;
    }

    private static void WriteU16(Stream s, int v)
    {
        s.WriteByte((byte)(v & 0xFF));
        s.WriteByte((byte)(v >> 8));
    }
}
