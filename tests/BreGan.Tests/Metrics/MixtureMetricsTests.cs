using BreGan.Data;
using BreGan.Metrics;

namespace BreGan.Tests.Metrics;

public class MixtureMetricsTests
{
    // Three modes far apart, std 1: high quality means within distance 3 of the nearest mode.
    private static readonly GaussianMixture2D Three = new([(0, 0), (10, 0), (0, 10)], 1.0);

    private static MixtureMetricValues Run(double[,] points, GaussianMixture2D mix)
    {
        using var x = tensor(points, ScalarType.Float32);
        return MixtureMetrics.Compute(x, mix);
    }

    [Fact]
    public void HandMadeSamples()
    {
        var r = Run(new double[,]
        {
            { 0, 0 },      // mode 0, d = 0
            { 2, 0 },      // mode 0, d = 2
            { -2, -2 },    // mode 0, d = 2.83
            { 10, 2.9 },   // mode 1, d = 2.9
            { 5, 0.1 },    // nearest mode 0 at d = 5: not HQ
            { 0, 13.5 },   // nearest mode 2 at d = 3.5: not HQ
        }, Three);
        Assert.Equal(new[] { 3, 1, 0 }, r.CountsPerMode);
        Assert.Equal(2, r.Modes);
        Assert.Equal(4.0 / 6, r.HqFraction, 1e-12);
        double expected = 0.75 * Math.Log(0.75 * 3) + 0.25 * Math.Log(0.25 * 3);
        Assert.Equal(expected, r.ReverseKl, 1e-12);
    }

    [Fact]
    public void EvenSpreadHasZeroKlAndOneModeHasLogK()
    {
        var even = Run(new double[,] { { 0.5, 0 }, { 10, -1 }, { 1, 10 }, { 0, 1 }, { 9, 0 }, { 0, 9.5 } }, Three);
        Assert.Equal(3, even.Modes);
        Assert.Equal(1.0, even.HqFraction);
        Assert.Equal(0.0, even.ReverseKl, 1e-12);

        var one = Run(new double[,] { { 10, 0 }, { 11, 1 }, { 9, 0 } }, Three);
        Assert.Equal(1, one.Modes);
        Assert.Equal(Math.Log(3), one.ReverseKl, 1e-12);
    }

    [Fact]
    public void NoHighQualitySampleCountsAsAllMassOnOneMode()
    {
        var r = Run(new double[,] { { 5, 5 }, { -20, 0 } }, Three);
        Assert.Equal(0, r.Modes);
        Assert.Equal(0.0, r.HqFraction);
        Assert.Equal(Math.Log(3), r.ReverseKl, 1e-12);
        Assert.Equal(new[] { 0, 0, 0 }, r.CountsPerMode);
    }

    [Fact]
    public void SamplesOfTheTargetItselfScorePerfectly()
    {
        var ring = GaussianMixture2D.Ring8();
        using var x = ring.Sample(8000, new Generator(5, CPU));
        var r = MixtureMetrics.Compute(x, ring);
        Assert.Equal(8, r.Modes);
        // P(|z| <= 3) for a 2D standard normal is 1 - exp(-4.5) = 0.98889; se 0.0012.
        Assert.InRange(r.HqFraction, 0.9889 - 0.006, 0.9889 + 0.006);
        Assert.InRange(r.ReverseKl, 0, 0.005); // sampling noise only: about (K-1)/(2N)
        Assert.Equal(8000 * r.HqFraction, r.CountsPerMode.Sum(), 1e-6);
    }

    [Fact]
    public void RejectsBadShapes()
    {
        using var wrong = zeros(4, 3);
        using var empty = zeros(0, 2);
        Assert.Throws<BreGanInputException>(() => MixtureMetrics.Compute(wrong, Three));
        Assert.Throws<BreGanInputException>(() => MixtureMetrics.Compute(empty, Three));
    }
}
