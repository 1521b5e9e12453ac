using BreGan.Models;

namespace BreGan.Tests.SemiSupervised;

public class SslNetworksTests : SslSingleThreaded
{
    static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());
    static long Buffers(nn.Module m) => m.buffers().Sum(b => b.numel());

    [Fact]
    public void MnistDiscriminatorHasThePublishedSizes()
    {
        using var d = new FmMlpDiscriminator(784, 1000);
        // v of 784-1000-500-250-250-250-10, biases of every layer, and g of the output only.
        long v = 784 * 1000 + 1000 * 500 + 500 * 250 + 250 * 250 + 250 * 250 + 250 * 10;
        long b = 1000 + 500 + 250 + 250 + 250 + 10;
        Assert.Equal(v + b + 10, Count(d));
        Assert.Equal(1000 + 500 + 250 + 250 + 250, Buffers(d)); // the hidden layers' fixed g
        Assert.Equal(5, BreCapture.FindRectifiers(d).Count);
    }

    [Fact]
    public void MnistGeneratorHasThePublishedSizes()
    {
        using var g = new FmMlpGenerator(new long[] { 1, 28, 28 }, 100, 500);
        long expected = 100 * 500 + 500 * 500 + 500 + 500 /* BN shifts */ + 500 * 784 + 784 + 784 /* v, g, b */;
        Assert.Equal(expected, Count(g));
    }

    [Fact]
    public void ConvNetworksHaveThePublishedSizes()
    {
        using var d = new FmConvDiscriminator(3, 96);
        long c = 96, c2 = 192;
        long convs = 3 * c * 9 + 2 * c * c * 9 + c * c2 * 9 + 2 * c2 * c2 * 9 + c2 * c2 * 9 + 2 * c2 * c2;
        long biases = 3 * c + 6 * c2;
        Assert.Equal(convs + biases + c2 * 10 + 10 + 10, Count(d));
        Assert.Equal(9, BreCapture.FindRectifiers(d).Count);

        using var g = new FmConvGenerator(3, 100, 128);
        long gExpected = 100 * 8192 + 8192 + 512 * 256 * 25 + 256 + 256 * 128 * 25 + 128 + 128 * 3 * 25 + 3 + 3;
        Assert.Equal(gExpected, Count(g));
    }

    [Fact]
    public void ShapesAndFeatures()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(1);
        using var d = new FmMlpDiscriminator(64, 40, classes: 10);
        using var g = new FmMlpGenerator(new long[] { 1, 8, 8 }, 12, 20);
        var x = g.call(rand(6, 12));
        Assert.Equal(new long[] { 6, 1, 8, 8 }, x.shape);
        Assert.True(x.min().item<float>() >= 0 && x.max().item<float>() <= 1, "sigmoid output in [0, 1]");
        Assert.Equal(new long[] { 6, 10 }, d.call(x).shape);
        Assert.Equal(new long[] { 6, 10 }, d.Features(x).shape); // last hidden width 40/4

        using var cd = new FmConvDiscriminator(3, 4);
        using var cg = new FmConvGenerator(3, 12, 4);
        var img = cg.call(rand(5, 12));
        Assert.Equal(new long[] { 5, 3, 32, 32 }, img.shape);
        Assert.True(img.abs().max().item<float>() <= 1, "tanh output in [-1, 1]");
        Assert.Equal(new long[] { 5, 8 }, cd.Features(img).shape);
        Assert.Equal(new long[] { 5, 10 }, cd.call(img).shape);
    }

    [Fact]
    public void NoiseAndDropoutOnlyInTrainMode()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(2);
        using var d = new FmMlpDiscriminator(64, 40);
        var x = rand(4, 64);
        d.train();
        Assert.False(d.call(x).allclose(d.call(x)));
        d.eval();
        Assert.True(d.call(x).allclose(d.call(x), 0, 0));

        using var cd = new FmConvDiscriminator(3, 4);
        var img = rand(2, 3, 32, 32);
        cd.train();
        Assert.False(cd.call(img).allclose(cd.call(img)));
        cd.eval();
        Assert.True(cd.call(img).allclose(cd.call(img), 0, 0));
    }

    [Fact]
    public void BreHooksTheRectifiedLayersTwoAndFour()
    {
        using var scope = NewDisposeScope();
        using var d = new FmMlpDiscriminator(64, 40);
        using var bre = BreCapture.Attach(d, BrePlacement.Parse("layers:2,4"));
        Assert.Equal(new[] { "rectifiers.1", "rectifiers.3" }, bre.LayerNames);
        d.call(rand(6, 64));
        var captured = bre.Captured;
        Assert.Equal(new long[] { 6, 20 }, captured[0].shape); // layer 2: width/2
        Assert.Equal(new long[] { 6, 10 }, captured[1].shape); // layer 4: width/4
        using var terms = bre.Compute();
        Assert.True(terms.Total.item<float>() > 0);
        // The MLP has 5 rectified layers: a 6th does not exist.
        Assert.Throws<ArgumentException>(() => BreCapture.Attach(d, BrePlacement.Parse("layers:2,4,6")));

        using var cd = new FmConvDiscriminator(3, 4);
        using var convBre = BreCapture.Attach(cd, BrePlacement.Parse("layers:2,4,6"));
        Assert.Equal(3, convBre.LayerNames.Count);
    }

    [Fact]
    public void DataDependentInitNormalisesTheFirstLayer()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(3);
        using var d = new FmMlpDiscriminator(64, 40, inputNoise: 0, hiddenNoise: 0);
        var x = rand(100, 64);
        d.InitializeFromData(x);
        using var bre = BreCapture.Attach(d, BrePlacement.Parse("all"));
        d.call(x);
        foreach (var h in bre.Captured)
        {
            Assert.True(h.mean(new long[] { 0 }).abs().max().item<float>() < 1e-3);
            Assert.True(h.square().mean(new long[] { 0 }).sqrt().allclose(ones(h.shape[1]), rtol: 1e-2, atol: 1e-3));
        }
    }
}
