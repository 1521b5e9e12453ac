using System.Runtime.InteropServices;
using SkiaSharp;

namespace BreGan.Visualization;

/// <summary>Small SkiaSharp helpers shared by the renderers.</summary>
internal static class SkiaImages
{
    /// <summary>A white, opaque RGBA bitmap; opaque so PNG/GIF output needs no alpha handling.</summary>
    internal static SKBitmap NewBitmap(int width, int height)
    {
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bitmap.Erase(SKColors.White);
        return bitmap;
    }

    /// <summary>
    /// Wraps a managed buffer of 0xAARRGGBB pixels (row-major) as a BGRA bitmap: on little-endian
    /// machines that uint layout is exactly BGRA in memory, so one bulk copy suffices.
    /// </summary>
    internal static SKBitmap FromArgb(int[] argb, int width, int height)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Pixel buffers assume a little-endian machine.");
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Bgra8888, SKAlphaType.Premul));
        if (bitmap.RowBytes == width * 4)
            Marshal.Copy(argb, 0, bitmap.GetPixels(), argb.Length);
        else
            for (int y = 0; y < height; y++)
                Marshal.Copy(argb, y * width, bitmap.GetPixels() + y * bitmap.RowBytes, width);
        return bitmap;
    }

    internal static byte[] EncodePng(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    internal static void WriteFile(string path, byte[] bytes)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Decodes a PNG (or any format Skia reads) from disk, or explains which file failed.</summary>
    internal static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new BreGanInputException($"Image file not found: '{path}'.");
        return SKBitmap.Decode(path) ?? throw new BreGanInputException($"Cannot decode image '{path}'.");
    }

    internal static SKBitmap Decode(byte[] bytes, int index) =>
        SKBitmap.Decode(bytes) ?? throw new BreGanInputException($"Cannot decode image frame {index}.");

    internal static SKColor Argb(uint argb) => new(argb);
}
