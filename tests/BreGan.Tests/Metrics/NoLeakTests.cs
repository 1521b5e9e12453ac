using BreGan.Data;
using BreGan.Metrics;

namespace BreGan.Tests.Metrics;

public class NoLeakTests
{
    [Fact]
    public void MetricsLeaveNoLiveTensorsBehind()
    {
        var ring = GaussianMixture2D.Ring8();
        using var samples = ring.Sample(64, new Generator(1, CPU));
        using var features = randn(32, 4);
        using var otherFeatures = randn(20, 4);
        using var probs = softmax(randn(16, 5), 1);
        using var triples = randint(10, new long[] { 16, 3 });
        using var pre = randn(8, 3, 4, 4);

        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        MixtureMetrics.Compute(samples, ring);
        FrechetDistance.Compute(features, otherFeatures);
        FrechetDistance.Compute(new double[,] { { 0, 1 }, { 2, 3 }, { 1, 1 } }, new double[,] { { 0, 0 }, { 1, 2 } });
        var (mean, cov) = FrechetDistance.Moments(features);
        mean.Dispose(); cov.Dispose();
        ClassifierScore.Compute(probs);
        ModeCoverage.Compute(triples);
        ActivationPatterns.CountDistinct(pre);
        ActivationPatterns.Hash(pre).Dispose();
        ring.Sample(10, new Generator(2, CPU)).Dispose();
        ring.MeansTensor().Dispose();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
