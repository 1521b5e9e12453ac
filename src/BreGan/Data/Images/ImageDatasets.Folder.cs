using SkiaSharp;
using static TorchSharp.torch;

namespace BreGan.Data;

public static partial class ImageDatasets
{
    private static readonly string[] FolderExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>
    /// Loads every PNG and JPEG file under <paramref name="directory"/> (recursively; extensions
    /// matched case-insensitively; files in ordinal path order). Each image is decoded with
    /// SkiaSharp, centre-cropped to a square, resized to <paramref name="size"/> x
    /// <paramref name="size"/> (mipmapped linear filtering when shrinking, Mitchell cubic when
    /// enlarging), composited over black where it has transparency, and converted to
    /// <paramref name="channels"/> channels (1: luma 0.299 R + 0.587 G + 0.114 B; 3: RGB).
    /// EXIF orientation is not applied. The data set has no labels.
    /// </summary>
    /// <param name="directory">The folder to search.</param>
    /// <param name="size">Output side in pixels, 1..1024.</param>
    /// <param name="channels">1 or 3.</param>
    /// <param name="warn">Receives "path: cannot decode ..., skipped" for each file that fails to
    /// decode, in path order; null writes those lines to stderr.</param>
    /// <exception cref="BreGanInputException">Missing or empty folder, or no file decodes.</exception>
    public static ImageDataset LoadImageFolder(string directory, int size = 32, int channels = 3, Action<string>? warn = null)
    {
        if (size is < 1 or > 1024)
            throw new BreGanInputException($"image size {size} is out of range (expected 1..1024)");
        if (channels is not (1 or 3))
            throw new BreGanInputException($"channels {channels} is not supported (expected 1 or 3)");
        if (!Directory.Exists(directory))
            throw new BreGanInputException(
                File.Exists(directory)
                    ? $"{directory}: is a file, expected a directory of PNG/JPEG images"
                    : $"{directory}: directory not found (expected a directory of PNG/JPEG images)");

        var files = Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(f => FolderExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (files.Length == 0)
            throw new BreGanInputException($"{directory}: no PNG or JPEG files found (searched subfolders too)");

        int imageBytes = channels * size * size;
        if ((long)files.Length * imageBytes > Array.MaxLength)
            throw new BreGanInputException(
                $"{directory}: {files.Length} images of {channels}x{size}x{size} are more than one in-memory data set can hold; use a smaller size");

        // Decode into per-file slots so the order stays that of the sorted paths.
        var pixels = new byte[(long)files.Length * imageBytes];
        var failures = new string?[files.Length];
        Parallel.For(0, files.Length, i =>
            failures[i] = DecodeSquare(files[i], size, channels, pixels.AsSpan(i * imageBytes, imageBytes)));

        var bad = Enumerable.Range(0, files.Length).Where(i => failures[i] is not null).ToArray();
        if (bad.Length == files.Length)
            throw new BreGanInputException(
                $"{directory}: none of the {files.Length} PNG/JPEG files could be decoded (first: {files[0]}: {failures[0]})");
        warn ??= Console.Error.WriteLine;
        foreach (var i in bad)
            warn($"{files[i]}: {failures[i]}, skipped");

        int n = files.Length - bad.Length;
        if (bad.Length > 0)
        {
            // Close the gaps left by skipped files, keeping the order.
            var kept = new byte[(long)n * imageBytes];
            int k = 0;
            for (int i = 0; i < files.Length; i++)
                if (failures[i] is null)
                    pixels.AsSpan(i * imageBytes, imageBytes).CopyTo(kept.AsSpan(k++ * imageBytes, imageBytes));
            pixels = kept;
        }

        using var scope = NewDisposeScope();
        var images = BytesToTensor(pixels, n, channels, size, size);
        return new ImageDataset(images, null, $"folder {Path.GetFileName(Path.TrimEndingDirectorySeparator(directory))}");
    }

    /// <summary>Decodes one file into <paramref name="destination"/> (CHW bytes); returns null or why it failed.</summary>
    private static string? DecodeSquare(string path, int size, int channels, Span<byte> destination)
    {
        SKBitmap? decoded;
        try { decoded = SKBitmap.Decode(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        { return $"cannot read ({e.Message})"; }
        if (decoded is null || decoded.Width < 1 || decoded.Height < 1)
        {
            decoded?.Dispose();
            return "cannot decode as PNG or JPEG";
        }

        using (decoded)
        {
            int side = Math.Min(decoded.Width, decoded.Height);
            // Crop to its own bitmap first: filtering (and mipmaps) then never reach outside the square.
            using var square = new SKBitmap();
            if (!decoded.ExtractSubset(square, SKRectI.Create((decoded.Width - side) / 2, (decoded.Height - side) / 2, side, side)))
                return "cannot crop the decoded image";
            // Skia's former "high quality": mipmaps when shrinking (no aliasing), cubic when enlarging.
            var sampling = side > size
                ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
                : new SKSamplingOptions(SKCubicResampler.Mitchell);

            using var target = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
            using (var canvas = new SKCanvas(target))
            using (var image = SKImage.FromBitmap(square))
            {
                canvas.Clear(SKColors.Black); // transparency composites over black
                canvas.DrawImage(image, SKRect.Create(0, 0, size, size), sampling, null);
            }

            // RGBA interleaved -> planar CHW; a byte loop at load time only.
            ReadOnlySpan<byte> rgba = target.GetPixelSpan();
            int plane = size * size;
            if (channels == 3)
            {
                for (int p = 0; p < plane; p++)
                {
                    destination[p] = rgba[4 * p];
                    destination[plane + p] = rgba[4 * p + 1];
                    destination[2 * plane + p] = rgba[4 * p + 2];
                }
            }
            else
            {
                for (int p = 0; p < plane; p++)
                    destination[p] = (byte)((299 * rgba[4 * p] + 587 * rgba[4 * p + 1] + 114 * rgba[4 * p + 2] + 500) / 1000);
            }
        }
        return null;
    }
}
