using System.Buffers.Binary;
using System.IO.Compression;
using static TorchSharp.torch;

namespace BreGan.Data;

public static partial class ImageDatasets
{
    private const int IdxImagesMagic = 0x00000803; // unsigned bytes, 3 dimensions (N, H, W)
    private const int IdxLabelsMagic = 0x00000801; // unsigned bytes, 1 dimension (N)
    private const int MaxIdxSide = 4096;           // larger "images" mean a corrupt header

    // Deflate cannot expand data more than about 1032:1, so a header that claims more than this
    // many bytes per compressed byte is corrupt, and we refuse before allocating for it.
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Loads an IDX images file (magic 0x00000803, dimensions N, H, W; raw or gzipped) and an
    /// optional IDX labels file (magic 0x00000801, dimension N). Images become [N, 1, H, W] uint8,
    /// labels [N] int64.
    /// </summary>
    /// <param name="imagesPath">The images file, raw or .gz (recognised by content).</param>
    /// <param name="labelsPath">The labels file, or null for an unlabelled data set.</param>
    /// <param name="name">Name for logs; the file name when null.</param>
    /// <exception cref="BreGanInputException">Missing file, wrong magic, bad dimensions, wrong length
    /// (truncated or trailing data), or image and label counts that differ.</exception>
    public static ImageDataset LoadIdx(string imagesPath, string? labelsPath = null, string? name = null)
    {
        var (pixels, dims) = ReadIdx(imagesPath, IdxImagesMagic, "images", "N, H, W");
        long n = dims[0], h = dims[1], w = dims[2];

        long[]? labels = null;
        if (labelsPath is not null)
        {
            var (labelBytes, labelDims) = ReadIdx(labelsPath, IdxLabelsMagic, "labels", "N");
            if (labelDims[0] != n)
                throw new BreGanInputException(
                    $"{labelsPath}: has {labelDims[0]} labels but {imagesPath} has {n} images");
            labels = Array.ConvertAll(labelBytes, b => (long)b);
        }

        using var scope = NewDisposeScope();
        var images = BytesToTensor(pixels, n, 1, h, w);
        var labelTensor = labels is null ? null : LabelsToTensor(labels, n);
        return new ImageDataset(images, labelTensor, name ?? Path.GetFileName(imagesPath));
    }

    /// <summary>
    /// Reads one IDX file of unsigned bytes and checks everything before trusting it: the magic
    /// number, the dimensions, and that the payload is exactly as long as the header says.
    /// </summary>
    private static (byte[] Data, long[] Dims) ReadIdx(string path, int magic, string what, string dimNames)
    {
        int rank = magic & 0xFF;
        if (!File.Exists(path))
            throw new BreGanInputException(
                Directory.Exists(path)
                    ? $"{path}: is a directory, expected an IDX {what} file"
                    : $"{path}: file not found (expected an IDX {what} file, raw or .gz)");

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        bool gz = IsGzip(file);
        using Stream stream = gz ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        try
        {
            long headerLength = 4 + 4L * rank;
            var header = new byte[headerLength];
            int got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (got < 4)
                throw new BreGanInputException(
                    $"{path}: too short for an IDX header ({got} bytes{(gz ? " after decompression" : "")})");
            int found = BinaryPrimitives.ReadInt32BigEndian(header);
            if (found != magic)
                throw new BreGanInputException(
                    $"{path}: wrong magic number 0x{found:X8} (expected 0x{magic:X8} for IDX {what})");
            if (got < header.Length)
                throw new BreGanInputException($"{path}: truncated IDX header ({got} of {headerLength} bytes)");

            var dims = new long[rank];
            long payload = 1;
            for (int i = 0; i < rank; i++)
            {
                dims[i] = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4 + 4 * i));
                payload *= dims[i]; // at most 4096 * 4096 * 2^32 for images: no long overflow
            }
            if (dims[0] < 1)
                throw new BreGanInputException($"{path}: the IDX header says it holds no {what}");
            if (rank == 3 && (dims[1] is < 1 or > MaxIdxSide || dims[2] is < 1 or > MaxIdxSide))
                throw new BreGanInputException(
                    $"{path}: implausible image size {dims[1]}x{dims[2]} in the IDX header (expected 1..{MaxIdxSide} per side)");
            string shape = $"{dimNames} = {string.Join(", ", dims)}";

            // Check the claimed size against what the file can hold before allocating anything.
            if (!gz && file.Length != headerLength + payload)
                throw new BreGanInputException(
                    $"{path}: file has {file.Length} bytes but its IDX header ({shape}) needs {headerLength + payload}" +
                    (file.Length < headerLength + payload ? " (truncated)" : " (trailing data)"));
            if (gz && payload > MaxDeflateRatio * file.Length + (1 << 16))
                throw new BreGanInputException(
                    $"{path}: IDX header claims {payload} bytes of {what} ({shape}), more than a {file.Length}-byte gzip file can hold (corrupt header)");
            if (payload > Array.MaxLength)
                throw new BreGanInputException(
                    $"{path}: {payload} bytes of {what} ({shape}) is more than one in-memory data set can hold ({Array.MaxLength} bytes)");

            var data = new byte[payload];
            int read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
            if (read < data.Length)
                throw new BreGanInputException(
                    $"{path}: truncated: {read} of {payload} data bytes after decompression (IDX header: {shape})");
            if (gz && stream.ReadByte() >= 0)
                throw new BreGanInputException(
                    $"{path}: decompressed data is longer than the {payload} bytes its IDX header ({shape}) describes");
            return (data, dims);
        }
        catch (InvalidDataException e)
        {
            // GZipStream's own complaints (bad block, CRC mismatch, truncated stream).
            throw new BreGanInputException($"{path}: corrupt gzip data ({e.Message})", e);
        }
    }

    private static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == 0x1F && head[1] == 0x8B;
    }
}
