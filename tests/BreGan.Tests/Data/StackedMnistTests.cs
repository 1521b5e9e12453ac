using BreGan.Data;

namespace BreGan.Tests.Data;

public class StackedMnistTests
{
    // 200 "digits": image j is filled with j (so a pixel names its source), label (3 j + 1) mod 10.
    private static ImageDataset Source(bool withLabels = true)
    {
        using var scope = NewDisposeScope();
        var ids = arange(200, dtype: ScalarType.Int64);
        var images = ids.reshape(200, 1, 1, 1).expand(200, 1, 4, 4).to_type(ScalarType.Byte).contiguous();
        return new ImageDataset(images, withLabels ? (ids * 3 + 1) % 10 : null, "fake-mnist");
    }

    [Fact]
    public void EachChannelComesFromTheDigitItsLabelNames()
    {
        using var mnist = Source();
        using var stacked = StackedMnist.Create(mnist, count: 500, seed: 11);
        using var scope = NewDisposeScope();
        Assert.Equal(new long[] { 500, 3, 4, 4 }, stacked.Images.shape);
        Assert.Equal(new long[] { 500, 3 }, stacked.Labels!.shape);

        var source = stacked.Images[.., .., 0, 0].to_type(ScalarType.Int64); // [500, 3] source indices
        Assert.True(TestData.Same((source * 3 + 1).remainder(10), stacked.Labels!));
        // Every pixel of a channel is that one source image.
        Assert.True((stacked.Images == stacked.Images[.., .., 0..1, 0..1]).all().item<bool>());
        // The three channels are drawn independently: they differ for most samples.
        Assert.True((source[.., 0] != source[.., 1]).sum().item<long>() > 400);
    }

    [Fact]
    public void SameSeedSameDataAndModesCoverTheRange()
    {
        using var mnist = Source();
        using var a = StackedMnist.Create(mnist, 2000, seed: 4);
        using var b = StackedMnist.Create(mnist, 2000, seed: 4);
        using var c = StackedMnist.Create(mnist, 2000, seed: 5);
        using var scope = NewDisposeScope();
        Assert.True(TestData.Same(a.Images, b.Images));
        Assert.False(TestData.Same(a.Images, c.Images));

        var modes = StackedMnist.ModeIndex(a.Labels!);
        Assert.Equal(new long[] { 2000 }, modes.shape);
        Assert.True(modes.min().item<long>() >= 0 && modes.max().item<long>() < StackedMnist.ModeCount);
        Assert.Equal(100 * a.Labels![5, 0].item<long>() + 10 * a.Labels![5, 1].item<long>() + a.Labels![5, 2].item<long>(),
            modes[5].item<long>());
        Assert.True(modes.unique().Item1.shape[0] > 800); // 2000 draws over 1000 modes
    }

    [Fact]
    public void LoadBuildsStackedMnistFromAnMnistDirectory()
    {
        using var dir = new TempDir();
        TestData.WriteMnistDir(dir.Path, trainCount: 30, testCount: 10);
        using var ds = ImageDatasets.Load("stacked-mnist", dir.Path, count: 64, seed: 1);
        Assert.Equal((64, 3, 4, 4), (ds.Count, ds.Channels, ds.Height, ds.Width));
        using var all = ImageDatasets.Load("stacked-mnist", dir.Path, train: false);
        Assert.Equal(10, all.Count); // count 0: as many as the split
    }

    [Fact]
    public void SourceWithoutLabelsIsRejected()
    {
        using var mnist = Source(withLabels: false);
        var e = Assert.Throws<BreGanInputException>(() => StackedMnist.Create(mnist, 10, 0));
        Assert.Contains("needs digit labels", e.Message);
    }
}
