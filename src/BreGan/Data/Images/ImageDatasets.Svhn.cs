using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using static TorchSharp.torch;

namespace BreGan.Data;

public static partial class ImageDatasets
{
    /// <summary>
    /// Loads SVHN in its "cropped digits" format: <c>train_32x32.mat</c> (73,257 images) or
    /// <c>test_32x32.mat</c> (26,032), MATLAB level-5 MAT-files (the format MATLAB writes with
    /// <c>-v6</c>/<c>-v7</c>, zlib-compressed or not) holding <c>X</c>, uint8 [H, W, C, N], and
    /// <c>y</c>, [N, 1] with labels 1..10 where 10 stands for the digit 0. Images become
    /// [N, C, H, W] uint8, labels [N] int64 in 0..9 (10 becomes 0). MATLAB v7.3 (HDF5) files
    /// are refused with a message.
    /// </summary>
    /// <param name="path">A folder holding the .mat files, or one .mat file (then
    /// <paramref name="train"/> is ignored).</param>
    /// <param name="train">train_32x32.mat (true) or test_32x32.mat (false).</param>
    public static ImageDataset LoadSvhn(string path, bool train = true)
    {
        string file = path;
        if (Directory.Exists(path))
        {
            file = Path.Combine(path, train ? "train_32x32.mat" : "test_32x32.mat");
            if (!File.Exists(file))
                throw new BreGanInputException($"{file}: file not found (expected SVHN's train_32x32.mat and test_32x32.mat)");
        }
        else if (!File.Exists(path))
            throw new BreGanInputException($"{path}: not found (expected a folder with SVHN's train_32x32.mat and test_32x32.mat, or one of them)");

        var arrays = MatFile.Read(file, new HashSet<string> { "X", "y" });
        if (!arrays.TryGetValue("X", out var x)) throw new BreGanInputException($"{file}: no variable 'X' (SVHN images)");
        if (!arrays.TryGetValue("y", out var y)) throw new BreGanInputException($"{file}: no variable 'y' (SVHN labels)");
        if (x.Dims.Length != 4)
            throw new BreGanInputException($"{file}: X has {x.Dims.Length} dimensions [{string.Join(", ", x.Dims)}]; expected [H, W, C, N]");
        long h = x.Dims[0], w = x.Dims[1], c = x.Dims[2], n = x.Dims[3];
        if (c is not (1 or 3)) throw new BreGanInputException($"{file}: X has {c} channels; expected 1 or 3");
        long count = y.Dims.Aggregate(1L, (a, b) => a * b);
        if (count != n) throw new BreGanInputException($"{file}: y has {count} labels but X has {n} images");

        byte[] pixels = x.DataType == MatFile.MiUInt8 ? x.Data : MatFile.ToDoubles(x).Select(v => (byte)Math.Clamp(Math.Round(v), 0, 255)).ToArray();
        var labels = MatFile.ToDoubles(y).Select(v =>
        {
            if (v != Math.Floor(v) || v < 0 || v > 10) throw new BreGanInputException($"{file}: label {v} is not an integer in 0..10");
            return (long)v % 10;
        }).ToArray();

        using var scope = NewDisposeScope();
        // MATLAB is column-major: element (row, col, ch, i) sits at row + H (col + W (ch + C i)),
        // i.e. the bytes read as [N, C, W, H] in row-major order.
        var images = BytesToTensor(pixels, n, c, w, h).permute(0, 1, 3, 2).contiguous();
        return new ImageDataset(images, LabelsToTensor(labels, n), $"svhn ({(train ? "train" : "test")})");
    }
}

/// <summary>
/// A minimal reader of MATLAB level-5 MAT-files: numeric, non-complex, non-sparse arrays at the
/// top level, plain or in zlib-compressed elements, little-endian. Enough for SVHN.
/// </summary>
internal static class MatFile
{
    public const int MiInt8 = 1, MiUInt8 = 2, MiInt16 = 3, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6,
        MiSingle = 7, MiDouble = 9, MiInt64 = 12, MiUInt64 = 13, MiMatrix = 14, MiCompressed = 15;

    public sealed record Array(string Name, int[] Dims, int Class, int DataType, byte[] Data);

    /// <summary>Reads the named top-level arrays (all when <paramref name="wanted"/> is null).</summary>
    public static Dictionary<string, Array> Read(string path, ISet<string>? wanted = null)
    {
        var result = new Dictionary<string, Array>();
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var header = new byte[128];
        if (file.ReadAtLeast(header, 128, throwOnEndOfStream: false) < 128)
            throw new BreGanInputException($"{path}: too short for a MAT-file header");
        var text = Encoding.ASCII.GetString(header, 0, 116);
        if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new BreGanInputException($"{path}: MATLAB v7.3 (HDF5) MAT-file; re-save it as -v7 (e.g. scipy.io.savemat) to load it here");
        if (!text.StartsWith("MATLAB 5.0", StringComparison.Ordinal))
            throw new BreGanInputException($"{path}: not a MATLAB level-5 MAT-file (header '{text[..Math.Min(20, text.Length)].TrimEnd()}')");
        if (header[126] == (byte)'M' && header[127] == (byte)'I')
            throw new BreGanInputException($"{path}: big-endian MAT-files are not supported");
        try
        {
            while (TryReadTag(file, out int type, out int size, out byte[]? small))
            {
                if (small is not null) continue; // a small element at the top level holds no array
                if (type == MiCompressed)
                {
                    var packed = ReadExactly(file, size, path);
                    using var inflated = new ZLibStream(new MemoryStream(packed), CompressionMode.Decompress);
                    if (!TryReadTag(inflated, out int innerType, out int innerSize, out _) || innerType != MiMatrix)
                        throw new BreGanInputException($"{path}: a compressed element does not hold a matrix");
                    AddMatrix(ReadExactly(inflated, innerSize, path), path, wanted, result);
                }
                else if (type == MiMatrix)
                {
                    AddMatrix(ReadExactly(file, size, path), path, wanted, result);
                    Skip(file, Padding(size), path);
                }
                else Skip(file, size + Padding(size), path);
            }
        }
        catch (InvalidDataException e)
        {
            throw new BreGanInputException($"{path}: corrupt compressed data ({e.Message})", e);
        }
        return result;
    }

    static void AddMatrix(byte[] body, string path, ISet<string>? wanted, Dictionary<string, Array> result)
    {
        using var s = new MemoryStream(body);
        var flags = ReadElement(s, path);
        int cls = BinaryPrimitives.ReadInt32LittleEndian(flags.Data) & 0xFF;
        bool complex = (BinaryPrimitives.ReadInt32LittleEndian(flags.Data) & 0x0800) != 0;
        var dimsElement = ReadElement(s, path);
        var dims = Enumerable.Range(0, dimsElement.Data.Length / 4)
            .Select(i => BinaryPrimitives.ReadInt32LittleEndian(dimsElement.Data.AsSpan(4 * i))).ToArray();
        var name = Encoding.ASCII.GetString(ReadElement(s, path).Data);
        if (wanted is not null && !wanted.Contains(name)) return;
        if (cls is < 6 or > 15 || complex)
            throw new BreGanInputException($"{path}: variable '{name}' is not a real numeric array (class {cls}{(complex ? ", complex" : "")})");
        var real = ReadElement(s, path);
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (real.Data.Length != count * Width(real.Type, path))
            throw new BreGanInputException($"{path}: variable '{name}' has {real.Data.Length} data bytes for [{string.Join(", ", dims)}]");
        result[name] = new Array(name, dims, cls, real.Type, real.Data);
    }

    static (int Type, byte[] Data) ReadElement(Stream s, string path)
    {
        if (!TryReadTag(s, out int type, out int size, out byte[]? small)) throw new BreGanInputException($"{path}: truncated matrix element");
        if (small is not null) return (type, small);
        var data = ReadExactly(s, size, path);
        Skip(s, Padding(size), path);
        return (type, data);
    }

    // A tag is (type, size); in the "small element" form the size sits in the upper 16 bits of
    // the first word and up to 4 data bytes fill the second.
    static bool TryReadTag(Stream s, out int type, out int size, out byte[]? small)
    {
        Span<byte> tag = stackalloc byte[8];
        int got = s.ReadAtLeast(tag, 8, throwOnEndOfStream: false);
        type = size = 0;
        small = null;
        if (got == 0) return false;
        if (got < 8) throw new BreGanInputException("truncated MAT-file element tag");
        uint first = BinaryPrimitives.ReadUInt32LittleEndian(tag);
        if ((first >> 16) != 0)
        {
            type = (int)(first & 0xFFFF);
            size = (int)(first >> 16);
            if (size > 4) throw new BreGanInputException("corrupt MAT-file small element");
            small = tag.Slice(4, size).ToArray();
            return true;
        }
        type = (int)first;
        uint n = BinaryPrimitives.ReadUInt32LittleEndian(tag[4..]);
        if (n > int.MaxValue - 64) throw new BreGanInputException($"MAT-file element of {n} bytes is too large");
        size = (int)n;
        return true;
    }

    static int Padding(int size) => (8 - size % 8) % 8;

    static byte[] ReadExactly(Stream s, int count, string path)
    {
        var data = new byte[count];
        if (s.ReadAtLeast(data, count, throwOnEndOfStream: false) < count)
            throw new BreGanInputException($"{path}: truncated MAT-file element ({count} bytes expected)");
        return data;
    }

    static void Skip(Stream s, int count, string path)
    {
        if (count > 0) ReadExactly(s, count, path);
    }

    static int Width(int type, string path) => type switch
    {
        MiInt8 or MiUInt8 => 1,
        MiInt16 or MiUInt16 => 2,
        MiInt32 or MiUInt32 or MiSingle => 4,
        MiDouble or MiInt64 or MiUInt64 => 8,
        _ => throw new BreGanInputException($"{path}: unsupported MAT-file data type {type}"),
    };

    /// <summary>The array's values as doubles, whatever type they are stored in.</summary>
    public static double[] ToDoubles(Array a)
    {
        var d = a.Data;
        int w = Width(a.DataType, a.Name);
        var v = new double[d.Length / w];
        for (int i = 0; i < v.Length; i++)
        {
            var span = d.AsSpan(i * w, w);
            v[i] = a.DataType switch
            {
                MiInt8 => (sbyte)span[0],
                MiUInt8 => span[0],
                MiInt16 => BinaryPrimitives.ReadInt16LittleEndian(span),
                MiUInt16 => BinaryPrimitives.ReadUInt16LittleEndian(span),
                MiInt32 => BinaryPrimitives.ReadInt32LittleEndian(span),
                MiUInt32 => BinaryPrimitives.ReadUInt32LittleEndian(span),
                MiSingle => BinaryPrimitives.ReadSingleLittleEndian(span),
                MiDouble => BinaryPrimitives.ReadDoubleLittleEndian(span),
                MiInt64 => BinaryPrimitives.ReadInt64LittleEndian(span),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(span),
            };
        }
        return v;
    }
}
