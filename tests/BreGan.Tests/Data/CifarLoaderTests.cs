using BreGan.Data;

namespace BreGan.Tests.Data;

public class CifarLoaderTests
{
    private static byte[] Cifar10Label(int r) => [(byte)(r % 10)];

    // Five train batches of 2 records each (records 0..9) and a test batch of 3, in cifar-10-batches-bin/.
    private static string WriteCifar10(TempDir dir)
    {
        var bin = Path.Combine(dir.Path, "cifar-10-batches-bin");
        Directory.CreateDirectory(bin);
        for (int b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(bin, $"data_batch_{b}.bin"), TestData.CifarRecords(2, Cifar10Label, firstRecord: 2 * (b - 1)));
        File.WriteAllBytes(Path.Combine(bin, "test_batch.bin"), TestData.CifarRecords(3, r => [(byte)(9 - r)]));
        return bin;
    }

    [Fact]
    public void Cifar10LoadsAllTrainBatchesFromTheParentFolder()
    {
        using var dir = new TempDir();
        WriteCifar10(dir);
        using var ds = ImageDatasets.Load("cifar10", dir.Path, train: true);
        Assert.Equal(new long[] { 10, 3, 32, 32 }, ds.Images.shape);
        Assert.Equal(Enumerable.Range(0, 10).Select(r => (long)(r % 10)), ds.Labels!.data<long>().ToArray());
        // Records keep file order across batches; pixels are CHW.
        var px = TestData.ImageBytes(ds, 7);
        Assert.Equal(TestData.CifarPixel(7, 0, 0, 0), px[0]);
        Assert.Equal(TestData.CifarPixel(7, 1, 5, 9), px[1024 + 5 * 32 + 9]);
        Assert.Equal(TestData.CifarPixel(7, 2, 31, 31), px[3071]);
    }

    [Fact]
    public void Cifar10TestSplitFromTheBatchesFolderItself()
    {
        using var dir = new TempDir();
        var bin = WriteCifar10(dir);
        using var ds = ImageDatasets.LoadCifar10(bin, train: false);
        Assert.Equal(new long[] { 9, 8, 7 }, ds.Labels!.data<long>().ToArray());
        Assert.Equal(TestData.CifarPixel(2, 2, 10, 3), TestData.ImageBytes(ds, 2)[2048 + 10 * 32 + 3]);
    }

    [Fact]
    public void Cifar100UsesTheFineLabel()
    {
        using var dir = new TempDir();
        var bin = Path.Combine(dir.Path, "cifar-100-binary");
        Directory.CreateDirectory(bin);
        // coarse = r, fine = 90 + r: a loader that kept the coarse byte would fail.
        File.WriteAllBytes(Path.Combine(bin, "train.bin"), TestData.CifarRecords(4, r => [(byte)r, (byte)(90 + r)]));
        using var ds = ImageDatasets.Load("cifar100", dir.Path);
        Assert.Equal(new long[] { 90, 91, 92, 93 }, ds.Labels!.data<long>().ToArray());
        Assert.Equal(TestData.CifarPixel(3, 1, 0, 4), TestData.ImageBytes(ds, 3)[1024 + 4]);
    }

    [Fact]
    public void LengthNotAMultipleOfTheRecordSizeIsReported()
    {
        using var dir = new TempDir();
        var bin = WriteCifar10(dir);
        var test = Path.Combine(bin, "test_batch.bin");
        File.WriteAllBytes(test, File.ReadAllBytes(test)[..^100]);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadCifar10(dir.Path, train: false));
        Assert.Equal(
            $"{test}: file length 9119 is not a multiple of the record size 3073 (1 label byte + 3072 pixel bytes): truncated or not this format",
            e.Message);
    }

    [Fact]
    public void MissingBatchIsNamed()
    {
        using var dir = new TempDir();
        var bin = WriteCifar10(dir);
        File.Delete(Path.Combine(bin, "data_batch_3.bin"));
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadCifar10(dir.Path));
        Assert.StartsWith($"{Path.Combine(bin, "data_batch_3.bin")}: file not found (expected CIFAR-10 binary batches", e.Message);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadCifar100(dir["missing"]));
        Assert.Contains("missing: not found (expected the folder cifar-100-binary", e.Message);
    }

    [Fact]
    public void OutOfRangeLabelIsReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["x.bin"], TestData.CifarRecords(2, r => [(byte)(r == 1 ? 10 : 0)]));
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadCifar10(dir["x.bin"]));
        Assert.Equal($"{dir["x.bin"]}: record 1 has label 10, expected 0..9 (wrong file or format?)", e.Message);
    }
}
