using static TorchSharp.torch;

namespace BreGan.Data;

public static partial class ImageDatasets
{
    private const int CifarPixels = 3 * 32 * 32; // one record's image: CHW, R then G then B planes

    /// <summary>
    /// Loads CIFAR-10 in its binary version: <c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>
    /// (train, 50,000) or <c>test_batch.bin</c> (10,000); each record is 1 label byte and 3,072 pixel
    /// bytes. Images are [N, 3, 32, 32] uint8, labels [N] int64 in 0..9.
    /// </summary>
    /// <param name="path">The folder <c>cifar-10-batches-bin</c>, its parent, or one .bin file
    /// (then <paramref name="train"/> is ignored).</param>
    /// <param name="train">Training batches (true) or the test batch (false).</param>
    public static ImageDataset LoadCifar10(string path, bool train = true)
    {
        string[] names = train
            ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"]
            : ["test_batch.bin"];
        var files = ResolveCifarFiles(path, "cifar-10-batches-bin", names,
            "CIFAR-10 binary batches data_batch_1.bin .. data_batch_5.bin and test_batch.bin");
        return LoadCifar(files, labelBytes: 1, classes: 10, $"cifar10 ({(train ? "train" : "test")})");
    }

    /// <summary>
    /// Loads CIFAR-100 in its binary version: <c>train.bin</c> (50,000) or <c>test.bin</c> (10,000);
    /// each record is 2 label bytes (coarse, fine) and 3,072 pixel bytes. Images are [N, 3, 32, 32]
    /// uint8, labels [N] int64: the fine label, 0..99.
    /// </summary>
    /// <param name="path">The folder <c>cifar-100-binary</c>, its parent, or one .bin file
    /// (then <paramref name="train"/> is ignored).</param>
    /// <param name="train">train.bin (true) or test.bin (false).</param>
    public static ImageDataset LoadCifar100(string path, bool train = true)
    {
        var files = ResolveCifarFiles(path, "cifar-100-binary", [train ? "train.bin" : "test.bin"],
            "CIFAR-100 binary files train.bin and test.bin");
        return LoadCifar(files, labelBytes: 2, classes: 100, $"cifar100 ({(train ? "train" : "test")})");
    }

    private static string[] ResolveCifarFiles(string path, string folderName, string[] names, string expected)
    {
        if (File.Exists(path)) return [path];
        if (!Directory.Exists(path))
            throw new BreGanInputException(
                $"{path}: not found (expected the folder {folderName} with {expected}, its parent, or one .bin file)");

        // Accept the unpacked folder itself or the directory it was unpacked into.
        string dir = path;
        var nested = Path.Combine(path, folderName);
        if (!names.Any(n => File.Exists(Path.Combine(path, n))) && Directory.Exists(nested))
            dir = nested;
        foreach (var name in names)
        {
            var file = Path.Combine(dir, name);
            if (!File.Exists(file))
                throw new BreGanInputException($"{file}: file not found (expected {expected})");
        }
        return names.Select(n => Path.Combine(dir, n)).ToArray();
    }

    // Reads fixed-size records: labelBytes label bytes (the last one is the label we keep), then CHW pixels.
    private static ImageDataset LoadCifar(string[] files, int labelBytes, int classes, string name)
    {
        int recordSize = labelBytes + CifarPixels;
        long total = 0;
        foreach (var file in files)
        {
            long length = new FileInfo(file).Length;
            if (length == 0)
                throw new BreGanInputException($"{file}: file is empty (expected records of {recordSize} bytes)");
            if (length % recordSize != 0)
                throw new BreGanInputException(
                    $"{file}: file length {length} is not a multiple of the record size {recordSize} " +
                    $"({labelBytes} label byte{(labelBytes > 1 ? "s" : "")} + {CifarPixels} pixel bytes): truncated or not this format");
            total += length / recordSize;
        }
        if (total * CifarPixels > Array.MaxLength)
            throw new BreGanInputException(
                $"{files[0]}: {total} records are more than one in-memory data set can hold");

        var pixels = new byte[total * CifarPixels];
        var labels = new long[total];
        const int chunkRecords = 1024;
        var buffer = new byte[chunkRecords * recordSize];
        long index = 0;
        foreach (var file in files)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            long records = stream.Length / recordSize;
            for (long start = 0; start < records; start += chunkRecords)
            {
                int count = (int)Math.Min(chunkRecords, records - start);
                try { stream.ReadExactly(buffer, 0, count * recordSize); }
                catch (EndOfStreamException e)
                { throw new BreGanInputException($"{file}: file ended early while reading (changed during load?)", e); }
                for (int r = 0; r < count; r++, index++)
                {
                    var record = buffer.AsSpan(r * recordSize, recordSize);
                    byte label = record[labelBytes - 1];
                    if (label >= classes)
                        throw new BreGanInputException(
                            $"{file}: record {start + r} has label {label}, expected 0..{classes - 1} (wrong file or format?)");
                    labels[index] = label;
                    record[labelBytes..].CopyTo(pixels.AsSpan(checked((int)(index * CifarPixels)), CifarPixels));
                }
            }
        }

        using var scope = NewDisposeScope();
        var images = BytesToTensor(pixels, total, 3, 32, 32);
        return new ImageDataset(images, LabelsToTensor(labels, total), name);
    }
}
