using BreGan.Data;

namespace BreGan.Tests.Data;

public class IdxLoaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadsImagesAndLabelsWithKnownPixels(bool gzip)
    {
        using var dir = new TempDir();
        var images = TestData.IdxImages(5, 3, 4);
        var labels = TestData.IdxLabels([9, 0, 4, 7, 2]);
        File.WriteAllBytes(dir["img"], gzip ? TestData.Gzip(images) : images);
        File.WriteAllBytes(dir["lab"], gzip ? TestData.Gzip(labels) : labels);

        using var ds = ImageDatasets.LoadIdx(dir["img"], dir["lab"]);
        Assert.Equal(new long[] { 5, 1, 3, 4 }, ds.Images.shape);
        Assert.Equal(new long[] { 9, 0, 4, 7, 2 }, ds.Labels!.data<long>().ToArray());
        for (int i = 0; i < 5; i++)
        {
            var px = TestData.ImageBytes(ds, i);
            for (int y = 0; y < 3; y++)
                for (int x = 0; x < 4; x++)
                    Assert.Equal(TestData.Pixel(i, y, x), px[y * 4 + x]);
        }
    }

    [Fact]
    public void LoadsMnistDirectoryBothSplitsThroughLoad()
    {
        using var dir = new TempDir();
        TestData.WriteMnistDir(dir.Path, trainCount: 12, testCount: 5);
        using var train = ImageDatasets.Load("mnist", dir.Path, train: true);
        using var test = ImageDatasets.Load("Fashion_MNIST", dir.Path, train: false);
        Assert.Equal((12, 1, 4, 4), (train.Count, train.Channels, train.Height, train.Width));
        Assert.Equal(5, test.Count);
        Assert.Equal(TestData.Digits(5).Select(b => (long)b), test.Labels!.data<long>().ToArray());
        Assert.Equal(TestData.Pixel(11, 3, 2), TestData.ImageBytes(train, 11)[3 * 4 + 2]);
    }

    [Fact]
    public void MissingFileNamesThePathAndWhatWasExpected()
    {
        using var dir = new TempDir();
        TestData.WriteMnistDir(dir.Path, 3, 3);
        File.Delete(dir["t10k-labels-idx1-ubyte"]);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadMnist(dir.Path, train: false));
        Assert.Contains(dir["t10k-labels-idx1-ubyte"], e.Message);
        Assert.Contains("not found", e.Message);

        var e2 = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["nope.gz"]));
        Assert.Contains("nope.gz: file not found (expected an IDX images file", e2.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicIsReported(bool gzip)
    {
        using var dir = new TempDir();
        var labelsAsImages = TestData.IdxLabels([1, 2, 3]);
        File.WriteAllBytes(dir["train-images-idx3-ubyte.gz"], gzip ? TestData.Gzip(labelsAsImages) : labelsAsImages);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["train-images-idx3-ubyte.gz"]));
        Assert.Equal(
            $"{dir["train-images-idx3-ubyte.gz"]}: wrong magic number 0x00000801 (expected 0x00000803 for IDX images)",
            e.Message);
    }

    [Fact]
    public void TruncatedAndOverlongRawFilesAreReported()
    {
        using var dir = new TempDir();
        var images = TestData.IdxImages(4, 3, 3);
        File.WriteAllBytes(dir["short"], images[..^5]);
        File.WriteAllBytes(dir["long"], [.. images, 0]);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["short"]));
        Assert.Contains("file has 47 bytes but its IDX header (N, H, W = 4, 3, 3) needs 52 (truncated)", e.Message);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["long"]));
        Assert.Contains("(trailing data)", e.Message);
        File.WriteAllBytes(dir["stub"], images[..10]);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["stub"]));
        Assert.Contains("truncated IDX header", e.Message);
    }

    [Fact]
    public void TruncatedGzipIsReported()
    {
        using var dir = new TempDir();
        // Payload cut before compressing: a valid gzip stream that is too short.
        File.WriteAllBytes(dir["a.gz"], TestData.Gzip(TestData.IdxImages(4, 3, 3)[..^5]));
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["a.gz"]));
        Assert.Contains("truncated: 31 of 36 data bytes", e.Message);
        // Compressed stream cut: gzip itself is broken or ends early.
        var gz = TestData.Gzip(TestData.IdxImages(40, 8, 8));
        File.WriteAllBytes(dir["b.gz"], gz[..(gz.Length / 2)]);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["b.gz"]));
        Assert.StartsWith(dir["b.gz"] + ":", e.Message);
        Assert.Matches("truncated|corrupt gzip", e.Message);
    }

    [Fact]
    public void HugeCountInHeaderIsRefusedBeforeAllocating()
    {
        using var dir = new TempDir();
        var images = TestData.IdxImages(2, 28, 28);
        images[4] = images[5] = images[6] = images[7] = 0xFF; // N = 4,294,967,295
        File.WriteAllBytes(dir["raw"], images);
        File.WriteAllBytes(dir["gz"], TestData.Gzip(images));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["raw"]));
        Assert.Contains("needs 3367254359296", e.Message);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["gz"]));
        Assert.Contains("corrupt header", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000);
    }

    [Fact]
    public void MismatchedImageAndLabelCountsAreReported()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["img"], TestData.IdxImages(5, 2, 2));
        File.WriteAllBytes(dir["lab"], TestData.IdxLabels([1, 2, 3, 4]));
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["img"], dir["lab"]));
        Assert.Equal($"{dir["lab"]}: has 4 labels but {dir["img"]} has 5 images", e.Message);
    }

    [Fact]
    public void ImplausibleImageSizeIsReported()
    {
        using var dir = new TempDir();
        var images = TestData.IdxImages(1, 2, 2);
        images[12] = 0x01; // W = 16,777,218
        File.WriteAllBytes(dir["img"], images);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadIdx(dir["img"]));
        Assert.Contains("implausible image size 2x16777218", e.Message);
    }

    [Fact]
    public void UnknownKindListsTheValidOnes()
    {
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.Load("svhn", "."));
        Assert.Equal("unknown dataset kind 'svhn' (valid: idx, mnist, fashion-mnist, cifar10, cifar100, folder, stacked-mnist)", e.Message);
    }
}
