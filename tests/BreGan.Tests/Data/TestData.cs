using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;

namespace BreGan.Tests.Data;

/// <summary>A temporary directory removed at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "bregan-data-" + Guid.NewGuid().ToString("N"));
    public string this[string name] => System.IO.Path.Combine(Path, name);
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Writers for small data files with known contents.</summary>
internal static class TestData
{
    /// <summary>The known pixel of image i at (y, x): distinct across images, rows and columns.</summary>
    public static byte Pixel(int i, int y, int x) => (byte)((i * 37 + y * 5 + x * 3) % 256);

    public static byte[] IdxImages(int n, int h, int w, int magic = 0x00000803)
    {
        var data = new byte[16 + n * h * w];
        BinaryPrimitives.WriteInt32BigEndian(data, magic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), h);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), w);
        for (int i = 0; i < n; i++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    data[16 + (i * h + y) * w + x] = Pixel(i, y, x);
        return data;
    }

    public static byte[] IdxLabels(byte[] labels, int magic = 0x00000801)
    {
        var data = new byte[8 + labels.Length];
        BinaryPrimitives.WriteInt32BigEndian(data, magic);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(4), labels.Length);
        labels.CopyTo(data, 8);
        return data;
    }

    public static byte[] Gzip(byte[] data)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(data);
        return ms.ToArray();
    }

    /// <summary>Writes the four MNIST files; the train ones gzipped, the test ones raw.</summary>
    public static void WriteMnistDir(string dir, int trainCount, int testCount, int side = 4)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte.gz"), Gzip(IdxImages(trainCount, side, side)));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte.gz"), Gzip(IdxLabels(Digits(trainCount))));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte"), IdxImages(testCount, side, side));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), IdxLabels(Digits(testCount)));
    }

    /// <summary>Label of item i: (3 i + 1) mod 10.</summary>
    public static byte[] Digits(int n) => Enumerable.Range(0, n).Select(i => (byte)((3 * i + 1) % 10)).ToArray();

    /// <summary>
    /// CIFAR records: record r has labels <paramref name="labelOf"/>(r) (one byte or coarse+fine)
    /// and pixel (c, y, x) = (r * 11 + c * 50 + y * 3 + x) mod 256.
    /// </summary>
    public static byte[] CifarRecords(int count, Func<int, byte[]> labelOf, int firstRecord = 0)
    {
        var ms = new MemoryStream();
        for (int r = 0; r < count; r++)
        {
            ms.Write(labelOf(firstRecord + r));
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < 32; y++)
                    for (int x = 0; x < 32; x++)
                        ms.WriteByte(CifarPixel(firstRecord + r, c, y, x));
        }
        return ms.ToArray();
    }

    public static byte CifarPixel(int r, int c, int y, int x) => (byte)((r * 11 + c * 50 + y * 3 + x) % 256);

    /// <summary>Writes an image file of <paramref name="width"/> x <paramref name="height"/> painted by <paramref name="paint"/>.</summary>
    public static void WriteImage(string path, int width, int height, SKEncodedImageFormat format, Func<int, int, SKColor> paint)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                bitmap.SetPixel(x, y, paint(x, y));
        using var data = bitmap.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Same shape and the same values everywhere.</summary>
    public static bool Same(torch.Tensor a, torch.Tensor b)
    {
        using var scope = torch.NewDisposeScope();
        return a.shape.SequenceEqual(b.shape) && (a == b).all().item<bool>();
    }

    /// <summary>The dataset's image i as [C, H, W] bytes.</summary>
    public static byte[] ImageBytes(BreGan.Data.ImageDataset ds, int i)
    {
        using var scope = torch.NewDisposeScope();
        return ds.Images[i].contiguous().data<byte>().ToArray();
    }
}
