using BreGan.Training;

namespace BreGan.Tests.SemiSupervised;

public class SslLossesTests
{
    static Tensor T(double[,] v) => tensor(v, dtype: ScalarType.Float64);
    static double Lse(params double[] l) => Math.Log(l.Sum(Math.Exp));
    static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    static readonly double[,] Unl = { { 2.0, -1.0, 0.5 }, { -3.0, -2.5, -4.0 } };
    static readonly double[,] Fake = { { 0.1, 0.2, -0.3 }, { 5.0, 1.0, 0.0 }, { -6.0, -7.0, -5.5 } };

    [Fact]
    public void SupervisedIsCrossEntropyOverTheKLogits()
    {
        using var scope = NewDisposeScope();
        var logits = T(new[,] { { 2.0, 0.0, -1.0 }, { 0.5, 1.5, 0.0 } });
        var labels = tensor(new long[] { 0, 2 });
        double expected = ((Lse(2, 0, -1) - 2.0) + (Lse(0.5, 1.5, 0) - 0.0)) / 2;
        Assert.Equal(expected, SslLosses.Supervised(logits, labels).item<double>(), 12);
    }

    [Fact]
    public void UnsupervisedMatchesTheFormulaOnHandMadeLogits()
    {
        using var scope = NewDisposeScope();
        // 0.5 * ( -mean lse(unl) + mean softplus(lse(unl)) + mean softplus(lse(fake)) ), by hand.
        double[] lseUnl = { Lse(2.0, -1.0, 0.5), Lse(-3.0, -2.5, -4.0) };
        double[] lseFake = { Lse(0.1, 0.2, -0.3), Lse(5.0, 1.0, 0.0), Lse(-6.0, -7.0, -5.5) };
        double expected = 0.5 * (-lseUnl.Average() + lseUnl.Select(Softplus).Average() + lseFake.Select(Softplus).Average());
        Assert.Equal(expected, SslLosses.Unsupervised(T(Unl), T(Fake)).item<double>(), 12);
    }

    [Fact]
    public void UnsupervisedIsTheGanLossOfTheKPlusOneSoftmaxWithTheFakeLogitAtZero()
    {
        using var scope = NewDisposeScope();
        // p(fake | x) is the K+1-th entry of softmax([l, 0]); p(real) = 1 - p(fake).
        Tensor PFake(Tensor l) => cat(new[] { l, zeros(l.shape[0], 1, dtype: l.dtype) }, 1).softmax(1).select(1, -1);
        var unl = T(Unl);
        var fake = T(Fake);
        var expected = 0.5 * (-(1 - PFake(unl)).log().mean() - PFake(fake).log().mean());
        Assert.Equal(expected.item<double>(), SslLosses.Unsupervised(unl, fake).item<double>(), 10);
        Assert.True(SslLosses.RealProbability(unl).allclose(1 - PFake(unl), rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void UnsupervisedStaysFiniteForLargeLogits()
    {
        using var scope = NewDisposeScope();
        var big = T(new[,] { { 1000.0, 999.0 }, { -1000.0, -998.0 } });
        Assert.True(double.IsFinite(SslLosses.Unsupervised(big, big).item<double>()));
        Assert.True(double.IsFinite(SslLosses.Supervised(big, tensor(new long[] { 1, 0 })).item<double>()));
    }

    [Fact]
    public void FeatureMatchingComparesBatchMeansOfFeatures()
    {
        using var scope = NewDisposeScope();
        var real = T(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } });        // mean [2, 3]
        var fake = T(new[,] { { 0.0, 0.0 }, { 2.0, 2.0 }, { 1.0, 1.0 } }); // mean [1, 1]
        Assert.Equal((1.0 + 4.0) / 2, SslLosses.FeatureMatching(real, fake, "l2").item<double>(), 12);
        Assert.Equal((1.0 + 2.0) / 2, SslLosses.FeatureMatching(real, fake, "l1").item<double>(), 12);
        // Same means, different points: no loss (it matches first moments only).
        var shuffled = T(new[,] { { 3.0, 2.0 }, { 1.0, 4.0 } });
        Assert.Equal(0.0, SslLosses.FeatureMatching(real, shuffled, "l2").item<double>(), 12);
        Assert.Throws<BreGanInputException>(() => SslLosses.FeatureMatching(real, fake, "l3"));
    }

    [Fact]
    public void FeatureMatchingGradientPullsFakeMeanTowardsRealMean()
    {
        using var scope = NewDisposeScope();
        var real = T(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 } });
        var fake = T(new[,] { { 0.0, 0.0 }, { 2.0, 2.0 } }).requires_grad_(true);
        SslLosses.FeatureMatching(real, fake, "l2").backward();
        // d/dfake_ij of mean_f (m_real - m_fake)^2 = -2 (m_real - m_fake)_j / (F * B) = -(diff_j) / 2.
        var expected = T(new[,] { { -0.5, -1.0 }, { -0.5, -1.0 } });
        Assert.True(fake.grad!.allclose(expected, rtol: 1e-12, atol: 1e-12));
    }

    [Fact]
    public void ErrorRateCountsWrongArgMax()
    {
        using var scope = NewDisposeScope();
        var logits = T(new[,] { { 1.0, 0.0 }, { 0.0, 1.0 }, { 2.0, 3.0 }, { 5.0, 4.0 } });
        Assert.Equal(0.5, SslLosses.ErrorRate(logits, tensor(new long[] { 0, 0, 1, 1 })).item<float>(), 6);
    }
}
