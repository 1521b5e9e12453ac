using BreGan.Models;

namespace BreGan.Tests.SemiSupervised;

public class SslWeightNormTests
{
    static Tensor RowNorms(Tensor w, long[] dims) => w.square().sum(dims).sqrt();

    [Fact]
    public void LinearWeightRowsHaveNormG()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(3);
        using var layer = new WeightNormLinear(7, 5, trainScale: true);
        using (no_grad())
        {
            layer.Scale.copy_(tensor(new float[] { 0.5f, 1f, 2f, 3f, 0.1f }));
            layer.Direction.mul_(rand(5, 1) * 10 + 0.1); // rows of very different lengths
        }
        var norms = RowNorms(layer.Weight(), new long[] { 1 });
        Assert.True(norms.allclose(layer.Scale, rtol: 1e-5, atol: 1e-6), norms.ToString(TorchSharp.TensorStringStyle.Julia));
    }

    [Fact]
    public void OutputDoesNotDependOnTheLengthOfV()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(4);
        using var layer = new WeightNormLinear(6, 4, trainScale: false);
        var x = randn(3, 6);
        var before = layer.call(x);
        using (no_grad()) layer.Direction.mul_(17);
        Assert.True(layer.call(x).allclose(before, rtol: 1e-5, atol: 1e-5));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ConvFiltersHaveNormGPerOutputChannel(bool transposed)
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(5);
        using var conv = new WeightNormConv2d(3, 4, 3, stride: 1, padding: 1, trainScale: true, transposed: transposed);
        using (no_grad()) conv.Scale.copy_(tensor(new float[] { 0.3f, 1f, 2f, 4f }));
        var w = conv.Weight();
        // Conv weights are [out, in, k, k]; transposed ones [in, out, k, k].
        var norms = transposed ? RowNorms(w, new long[] { 0, 2, 3 }) : RowNorms(w, new long[] { 1, 2, 3 });
        Assert.True(norms.allclose(conv.Scale, rtol: 1e-5, atol: 1e-6));
        Assert.Equal(new long[] { 2, 4, 5, 5 }, conv.call(randn(2, 3, 5, 5)).shape);
    }

    [Fact]
    public void FixedScaleIsABufferAndTrainedScaleAParameter()
    {
        using var fixedG = new WeightNormLinear(3, 2, trainScale: false);
        using var trainedG = new WeightNormLinear(3, 2, trainScale: true);
        Assert.Equal(3 * 2 + 2, fixedG.parameters().Sum(p => p.numel()));
        Assert.Equal(3 * 2 + 2 + 2, trainedG.parameters().Sum(p => p.numel()));
        Assert.Single(fixedG.buffers());
        Assert.Empty(trainedG.buffers());
    }

    [Fact]
    public void DataDependentInitGivesZeroMeanAndTheAskedStd()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(6);
        using var layer = new WeightNormLinear(10, 8, trainScale: false);
        var x = randn(200, 10) * 3 + 1;
        var returned = layer.InitializeFromData(x, initScale: 0.5);
        var y = layer.call(x);
        Assert.True(y.allclose(returned, rtol: 1e-4, atol: 1e-5));
        Assert.True(y.mean(new long[] { 0 }).abs().max().item<float>() < 1e-4);
        var std = y.square().mean(new long[] { 0 }).sqrt();
        Assert.True(std.allclose(full(8, 0.5f), rtol: 1e-3, atol: 1e-4), std.ToString(TorchSharp.TensorStringStyle.Julia));
        // The weight rows still have norm g (the init rescaled g, not v).
        Assert.True(RowNorms(layer.Weight(), new long[] { 1 }).allclose(layer.Scale, rtol: 1e-5, atol: 1e-6));
    }

    [Fact]
    public void ConvDataDependentInitNormalisesEachChannel()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(7);
        using var conv = new WeightNormConv2d(2, 3, 3, padding: 1);
        var x = randn(16, 2, 6, 6) * 2;
        conv.InitializeFromData(x);
        var y = conv.call(x);
        Assert.True(y.mean(new long[] { 0, 2, 3 }).abs().max().item<float>() < 1e-4);
        Assert.True(y.square().mean(new long[] { 0, 2, 3 }).sqrt().allclose(ones(3), rtol: 1e-3, atol: 1e-4));
    }

    [Fact]
    public void GaussianNoiseOnlyWhileTraining()
    {
        using var scope = NewDisposeScope();
        using var noise = new GaussianNoise(0.5);
        var x = zeros(2000);
        noise.train();
        var std = noise.call(x).std().item<float>();
        Assert.InRange(std, 0.45f, 0.55f);
        noise.eval();
        Assert.True(noise.call(x).allclose(x, 0, 0));
    }
}
