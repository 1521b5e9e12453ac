using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using BreGan.Data;
using BreGan.Tests.Data;

namespace BreGan.Tests.SemiSupervised;

/// <summary>Writes small MATLAB level-5 MAT-files shaped like SVHN's.</summary>
internal static class MatWriter
{
    public static byte Pixel(int n, int ch, int r, int c) => (byte)((n * 31 + ch * 70 + r * 7 + c * 3) % 256);

    /// <summary>X uint8 [h, w, ch, n] (column-major) and y double [n, 1] holding labels 1..10.</summary>
    public static byte[] Svhn(int n, int h, int w, int channels, bool compress, Func<int, int>? label = null)
    {
        label ??= i => i % 10 + 1;
        var x = new byte[h * w * channels * n];
        for (int i = 0; i < n; i++)
            for (int ch = 0; ch < channels; ch++)
                for (int c = 0; c < w; c++)
                    for (int r = 0; r < h; r++)
                        x[r + h * (c + w * (ch + channels * i))] = Pixel(i, ch, r, c);
        var y = new byte[8 * n];
        for (int i = 0; i < n; i++) BinaryPrimitives.WriteDoubleLittleEndian(y.AsSpan(8 * i), label(i));
        using var ms = new MemoryStream();
        ms.Write(Header());
        // MATLAB's own writer stores a double array of small integers as uint8 data; do that for y when compressing.
        var yData = compress ? Enumerable.Range(0, n).Select(i => (byte)label(i)).ToArray() : y;
        foreach (var element in new[]
                 {
                     Matrix("X", 9, new[] { h, w, channels, n }, 2, x, smallName: compress),
                     Matrix("y", 6, new[] { n, 1 }, compress ? 2 : 9, yData, smallName: compress),
                 })
            ms.Write(compress ? Compressed(element) : element);
        return ms.ToArray();
    }

    public static byte[] Header(string text = "MATLAB 5.0 MAT-file, Platform: test")
    {
        var h = new byte[128];
        Encoding.ASCII.GetBytes(text.PadRight(116)).CopyTo(h, 0);
        h[124] = 0; h[125] = 1; h[126] = (byte)'I'; h[127] = (byte)'M';
        return h;
    }

    static byte[] Element(int type, byte[] data)
    {
        var e = new byte[8 + data.Length + (8 - data.Length % 8) % 8];
        BinaryPrimitives.WriteInt32LittleEndian(e, type);
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(4), data.Length);
        data.CopyTo(e, 8);
        return e;
    }

    static byte[] Small(int type, byte[] data)
    {
        var e = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(e, (data.Length << 16) | type);
        data.CopyTo(e, 4);
        return e;
    }

    static byte[] Matrix(string name, int cls, int[] dims, int dataType, byte[] data, bool smallName)
    {
        var flags = new byte[8];
        flags[0] = (byte)cls;
        var dimBytes = new byte[4 * dims.Length];
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(dimBytes.AsSpan(4 * i), dims[i]);
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var body = Element(6, flags).Concat(Element(5, dimBytes))
            .Concat(smallName ? Small(1, nameBytes) : Element(1, nameBytes)).Concat(Element(dataType, data)).ToArray();
        return Element(14, body);
    }

    static byte[] Compressed(byte[] element)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Fastest, leaveOpen: true)) z.Write(element);
        var packed = ms.ToArray();
        var e = new byte[8 + packed.Length];
        BinaryPrimitives.WriteInt32LittleEndian(e, 15);
        BinaryPrimitives.WriteInt32LittleEndian(e.AsSpan(4), packed.Length);
        packed.CopyTo(e, 8);
        return e;
    }

    public static void WriteSvhnDir(string dir, int train, int test, bool compress = true)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "train_32x32.mat"), Svhn(train, 32, 32, 3, compress));
        File.WriteAllBytes(Path.Combine(dir, "test_32x32.mat"), Svhn(test, 32, 32, 3, compress));
    }
}

public class SslSvhnLoaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsPixelsInImageOrderAndMapsLabelTenToZero(bool compress)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["train_32x32.mat"], MatWriter.Svhn(12, 3, 2, 3, compress));
        using var ds = ImageDatasets.LoadSvhn(dir.Path, train: true);
        Assert.Equal(new long[] { 12, 3, 3, 2 }, ds.Images.shape); // [N, C, H, W]
        for (int i = 0; i < 12; i++)
            for (int ch = 0; ch < 3; ch++)
                for (int r = 0; r < 3; r++)
                    for (int c = 0; c < 2; c++)
                        Assert.Equal(MatWriter.Pixel(i, ch, r, c), ds.Images[i, ch, r, c].item<byte>());
        // y = i % 10 + 1: 1..10, where 10 is the digit 0.
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)((i % 10 + 1) % 10)), ds.Labels!.data<long>().ToArray());
    }

    [Fact]
    public void BadFilesAreOneLineErrors()
    {
        using var dir = new TempDir();
        Assert.Contains("train_32x32.mat", Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadSvhn(dir.Path)).Message);
        File.WriteAllBytes(dir["v73.mat"], MatWriter.Header("MATLAB 7.3 MAT-file, Platform: GLNXA64, HDF5"));
        Assert.Contains("v7.3", Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadSvhn(dir["v73.mat"])).Message);
        var good = MatWriter.Svhn(4, 2, 2, 3, compress: false);
        File.WriteAllBytes(dir["cut.mat"], good[..(good.Length - 40)]);
        Assert.Contains("truncated", Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadSvhn(dir["cut.mat"])).Message);
        File.WriteAllBytes(dir["badlabel.mat"], MatWriter.Svhn(4, 2, 2, 3, compress: false, label: i => 11));
        Assert.Contains("label 11", Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadSvhn(dir["badlabel.mat"])).Message);
    }
}
