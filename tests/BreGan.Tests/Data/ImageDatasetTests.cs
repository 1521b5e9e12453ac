using BreGan.Data;
using TorchSharp;

namespace BreGan.Tests.Data;

public class ImageDatasetTests
{
    // Image i is filled with the value 5 * i (0, 5, ..., 255 for i = 51), label i.
    private static ImageDataset Constant(int n = 52, int c = 2, int h = 3, int w = 4)
    {
        using var scope = NewDisposeScope();
        var values = arange(n, dtype: ScalarType.Int64) * 5;
        var images = values.reshape(n, 1, 1, 1).expand(n, c, h, w).to_type(ScalarType.Byte).contiguous();
        return new ImageDataset(images, arange(n, dtype: ScalarType.Int64), "constant");
    }

    [Fact]
    public void PropertiesDescribeTheTensor()
    {
        using var ds = Constant();
        Assert.Equal((52, 2, 3, 4), (ds.Count, ds.Channels, ds.Height, ds.Width));
        Assert.True(ds.HasLabels);
        Assert.Equal(ScalarType.Byte, ds.Images.dtype);
    }

    [Fact]
    public void SampleBatchIsFloatInSignedUnitRangeAndMatchesItsLabels()
    {
        using var ds = Constant();
        using var gen = new Generator(7, CPU);
        using var scope = NewDisposeScope();
        var (x, y) = ds.SampleLabeledBatch(200, gen);
        Assert.Equal(new long[] { 200, 2, 3, 4 }, x.shape);
        Assert.Equal(ScalarType.Float32, x.dtype);
        Assert.True(x.min().item<float>() >= -1f && x.max().item<float>() <= 1f);
        // With 200 draws from 52 images both ends of the range appear: 0 -> -1 and 255 -> 1.
        Assert.Equal(-1f, x.min().item<float>(), 6);
        Assert.Equal(1f, x.max().item<float>(), 6);
        // Each image is constant 5 * label, so (x + 1) * 127.5 recovers 5 * label exactly.
        var recovered = ((x + 1) * 127.5).round().to_type(ScalarType.Int64);
        var expected = (y! * 5).reshape(200, 1, 1, 1).expand(200, 2, 3, 4);
        Assert.True(TestData.Same(recovered, expected));
    }

    [Fact]
    public void SampleBatchRepeatsWithTheSameSeedAndDiffersWithAnother()
    {
        using var ds = Constant();
        using var scope = NewDisposeScope();
        using var g1 = new Generator(123, CPU);
        using var g2 = new Generator(123, CPU);
        using var g3 = new Generator(124, CPU);
        var a = ds.SampleBatch(32, g1, CPU);
        var b = ds.SampleBatch(32, g2, CPU);
        var c = ds.SampleBatch(32, g3, CPU);
        Assert.True(TestData.Same(a, b));
        Assert.False(TestData.Same(a, c));
    }

    [Fact]
    public void SampleBatchLeavesNoTensorsBehind()
    {
        using var ds = Constant();
        using var gen = new Generator(1, CPU);
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 5; i++)
        {
            using var x = ds.SampleBatch(8, gen);
            var (img, lab) = ds.Slice(0, 4);
            img.Dispose();
            lab!.Dispose();
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void SliceReturnsImagesInOrderWithLabels()
    {
        using var ds = Constant();
        using var scope = NewDisposeScope();
        var (x, y) = ds.Slice(10, 3);
        Assert.Equal(new long[] { 10, 11, 12 }, y!.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 2, 3, 4 }, x.shape);
        Assert.Equal(50 / 127.5 - 1, x[0, 0, 0, 0].item<float>(), 5);
        Assert.Equal(60 / 127.5 - 1, x[2, 1, 2, 3].item<float>(), 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => ds.Slice(50, 3));
    }

    [Fact]
    public void SubsetAndSplitCopyTheChosenImages()
    {
        using var ds = Constant();
        using var scope = NewDisposeScope();
        using var sub = ds.Subset(tensor(new long[] { 3, 0, 3 }));
        Assert.Equal(new long[] { 3, 0, 3 }, sub.Labels!.data<long>().ToArray());
        Assert.Equal(15, sub.Images[0, 1, 2, 3].item<byte>());

        using var gen = new Generator(5, CPU);
        var (first, second) = ds.Split(20, gen);
        using (first)
        using (second)
        {
            Assert.Equal((20, 32), (first.Count, second.Count));
            var all = cat([first.Labels!, second.Labels!]).sort().Values;
            Assert.True(TestData.Same(all, arange(52, dtype: ScalarType.Int64)));
            // Images still travel with their labels.
            Assert.True((first.Images[.., 0, 0, 0].to_type(ScalarType.Int64) == first.Labels! * 5).all().item<bool>());
        }
    }

    [Fact]
    public void OwnsItsTensorsBeyondTheCreatingScopeAndDisposesThem()
    {
        ImageDataset ds;
        using (var scope = NewDisposeScope())
            ds = new ImageDataset(ones(2, 1, 2, 2, dtype: ScalarType.Byte));
        Assert.Equal(8, ds.Images.sum().item<long>()); // still alive after the scope
        Assert.False(ds.HasLabels);
        var images = ds.Images;
        ds.Dispose();
        Assert.True(images.IsInvalid);
        Assert.Throws<ObjectDisposedException>(() => ds.Images);
    }

    [Fact]
    public void RejectsWrongDtypeAndLabelLength()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new ImageDataset(zeros(2, 1, 2, 2)));
        Assert.Throws<ArgumentException>(() =>
            new ImageDataset(zeros(2, 1, 2, 2, dtype: ScalarType.Byte), zeros(3, dtype: ScalarType.Int64)));
    }

    [Fact]
    public void ToBytesInvertsToSignedUnit()
    {
        using var scope = NewDisposeScope();
        var bytes = arange(256, dtype: ScalarType.Int64).to_type(ScalarType.Byte);
        Assert.True(TestData.Same(ImageDataset.ToBytes(ImageDataset.ToSignedUnit(bytes)), bytes));
    }
}
