using BreGan.Metrics;

namespace BreGan.Tests.Metrics;

public class FrechetDistanceTests
{
    private static Tensor Randn(long n, long d, ulong seed) =>
        randn(new[] { n, d }, ScalarType.Float64, generator: new Generator(seed, CPU));

    private static double Trace(Tensor features)
    {
        using var scope = NewDisposeScope();
        var (_, cov) = FrechetDistance.Moments(features);
        return cov.trace().item<double>();
    }

    [Theory]
    [InlineData(200, 5)]  // full rank
    [InlineData(8, 20)]   // rank deficient: D > N
    public void ASetAgainstItselfIsZero(int n, int d)
    {
        using var scope = NewDisposeScope();
        var a = Randn(n, d, 1) * 3 + 1;
        double fd = FrechetDistance.Compute(a, a);
        Assert.InRange(fd, 0, 1e-8 * 2 * Trace(a));
    }

    [Fact]
    public void HandMadeSamplesUseTheUnbiasedCovariance()
    {
        // Corners of a square: mean (1, 1), covariance diag(4/3, 4/3) with the N - 1 normalisation.
        var a = new double[,] { { 0, 0 }, { 2, 0 }, { 0, 2 }, { 2, 2 } };
        var shifted = new double[,] { { 1, 1 }, { 3, 1 }, { 1, 3 }, { 3, 3 } };
        var scaled = new double[,] { { 0, 0 }, { 4, 0 }, { 0, 4 }, { 4, 4 } };
        Assert.Equal(2.0, FrechetDistance.Compute(a, shifted), 1e-12);
        // ||(1,1)||² + 2 (sqrt(4/3) - sqrt(16/3))² = 2 + 8/3
        Assert.Equal(2 + 8.0 / 3, FrechetDistance.Compute(a, scaled), 1e-12);

        using var t = tensor(a);
        var (mean, cov) = FrechetDistance.Moments(t);
        Assert.Equal(new[] { 1.0, 1.0 }, mean.data<double>().ToArray());
        var c = cov.data<double>().ToArray();
        Assert.Equal(4.0 / 3, c[0], 1e-12); Assert.Equal(0.0, c[1], 1e-12);
        Assert.Equal(0.0, c[2], 1e-12); Assert.Equal(4.0 / 3, c[3], 1e-12);
    }

    [Fact]
    public void DiagonalGaussiansMatchTheClosedForm()
    {
        // Σ2 is singular (a zero variance): the clamp must keep the square root real.
        double fd = FrechetDistance.FromMoments(
            [0, 1, 2], new double[,] { { 1, 0, 0 }, { 0, 4, 0 }, { 0, 0, 9 } },
            [1, 1, 0], new double[,] { { 4, 0, 0 }, { 0, 1, 0 }, { 0, 0, 0 } });
        // ||Δμ||² = 1 + 0 + 4; Σ (√a - √b)² = 1 + 1 + 9
        Assert.Equal(16.0, fd, 1e-10);
    }

    [Fact]
    public void CommutingRotatedCovariancesMatchTheClosedForm()
    {
        // Σ1 = Q diag(a) Qᵀ, Σ2 = Q diag(b) Qᵀ commute, so tr sqrt(Σ1 Σ2) = Σ sqrt(a_i b_i).
        double[] a = [5, 0.5, 1e-9, 2], b = [1, 3, 7, 0];
        var q = Rotation(4, 0.3, 1.1, -0.7, 2.0, 0.4, -1.3);
        double[] mu1 = [1, 2, 3, 4], mu2 = [0, 2, 3.5, 4];
        double expected = 1 + 0.25 + a.Zip(b, (x, y) => Math.Pow(Math.Sqrt(x) - Math.Sqrt(y), 2)).Sum();
        double fd = FrechetDistance.FromMoments(mu1, Conjugate(q, a), mu2, Conjugate(q, b));
        Assert.Equal(expected, fd, 1e-8);
    }

    [Fact]
    public void NonCommuting2x2MatchesTheTraceDeterminantFormula()
    {
        // For 2x2, tr sqrt(P) = sqrt(tr P + 2 sqrt(det P)); P = Σ1Σ2 = [[2,3],[1,6]]: tr 8, det 9.
        double fd = FrechetDistance.FromMoments(
            [0, 0], new double[,] { { 2, 1 }, { 1, 2 } },
            [0, 0], new double[,] { { 1, 0 }, { 0, 3 } });
        Assert.Equal(8 - 2 * Math.Sqrt(14), fd, 1e-12);
    }

    [Fact]
    public void NonCommutingGeneralCaseMatchesCholeskyAndSvd()
    {
        // Independent route: with Σ = L Lᵀ, tr sqrt(Σ1 Σ2) is the nuclear norm of L1ᵀ L2.
        using var scope = NewDisposeScope();
        var g = new Generator(11, CPU);
        var a = randn(new long[] { 5, 5 }, ScalarType.Float64, generator: g);
        var b = randn(new long[] { 5, 5 }, ScalarType.Float64, generator: g);
        var s1 = a.matmul(a.t()) + 0.1 * eye(5, dtype: ScalarType.Float64);
        var s2 = b.matmul(b.t()) + 0.1 * eye(5, dtype: ScalarType.Float64);
        var mu1 = randn(new long[] { 5 }, ScalarType.Float64, generator: g);
        var mu2 = randn(new long[] { 5 }, ScalarType.Float64, generator: g);
        var nuclear = linalg.svdvals(linalg.cholesky(s1).t().matmul(linalg.cholesky(s2))).sum();
        double expected = ((mu1 - mu2).square().sum() + s1.trace() + s2.trace() - 2 * nuclear).item<double>();
        Assert.Equal(expected, FrechetDistance.FromMoments(mu1, s1, mu2, s2), 1e-9);
    }

    [Fact]
    public void RankDeficientCovariancesStayFiniteAndMatchTheSampleFactorForm()
    {
        // D = 30 > N, M: both covariances are singular. Independently, with Σ1 = AᵀA and Σ2 = BᵀB
        // (A, B the centred samples over sqrt(N-1)), tr sqrt(Σ1 Σ2) = ||A Bᵀ||_* (an N x M SVD).
        using var scope = NewDisposeScope();
        var x = Randn(6, 30, 21);
        var y = Randn(9, 30, 22) * 2 + 0.5;
        double fd = FrechetDistance.Compute(x, y);
        Assert.True(double.IsFinite(fd) && fd >= 0);

        var a = (x - x.mean(new long[] { 0 })) / Math.Sqrt(5);
        var b = (y - y.mean(new long[] { 0 })) / Math.Sqrt(8);
        var expected = (x.mean(new long[] { 0 }) - y.mean(new long[] { 0 })).square().sum()
            + a.square().sum() + b.square().sum() - 2 * linalg.svdvals(a.matmul(b.t())).sum();
        Assert.Equal(expected.item<double>(), fd, 1e-8);
    }

    [Fact]
    public void IsSymmetricAndIgnoresSampleOrder()
    {
        using var scope = NewDisposeScope();
        var a = Randn(50, 6, 3);
        var b = Randn(40, 6, 4) * 1.5 + 0.3;
        double ab = FrechetDistance.Compute(a, b);
        Assert.True(ab > 0.5);
        Assert.Equal(ab, FrechetDistance.Compute(b, a), 1e-10);
        var permuted = a.index_select(0, randperm(50, generator: new Generator(9, CPU)));
        Assert.False(permuted.allclose(a, 0, 0));
        Assert.Equal(ab, FrechetDistance.Compute(permuted, b), 1e-10);
    }

    [Fact]
    public void RejectsTooFewSamplesAndMismatchedDimensions()
    {
        var one = new double[,] { { 1, 2 } };
        var two = new double[,] { { 1, 2 }, { 3, 4 } };
        var wide = new double[,] { { 1, 2, 3 }, { 3, 4, 5 } };
        Assert.Equal("too few samples for a covariance: N=1",
            Assert.Throws<BreGanInputException>(() => FrechetDistance.Compute(one, two)).Message);
        Assert.Equal("too few samples for a covariance: M=1",
            Assert.Throws<BreGanInputException>(() => FrechetDistance.Compute(two, one)).Message);
        Assert.Throws<BreGanInputException>(() => FrechetDistance.Compute(two, wide));
        Assert.Throws<BreGanInputException>(() => FrechetDistance.FromMoments(
            [0, 0], new double[,] { { 1, 0 }, { 0, 1 } }, [0, 0, 0], new double[,] { { 1, 0 }, { 0, 1 } }));
    }

    // ------------------------------------------------------------------ host helpers

    /// <summary>Orthogonal d x d matrix: a product of Givens rotations in successive planes.</summary>
    private static double[,] Rotation(int d, params double[] angles)
    {
        var q = new double[d, d];
        for (int i = 0; i < d; i++) q[i, i] = 1;
        int plane = 0;
        foreach (var t in angles)
        {
            int i = plane % d, j = (plane + 1 + plane / d) % d;
            if (i == j) j = (j + 1) % d;
            plane++;
            double c = Math.Cos(t), s = Math.Sin(t);
            for (int r = 0; r < d; r++)
            {
                double qi = q[r, i], qj = q[r, j];
                q[r, i] = c * qi - s * qj;
                q[r, j] = s * qi + c * qj;
            }
        }
        return q;
    }

    /// <summary>Q diag(values) Qᵀ.</summary>
    private static double[,] Conjugate(double[,] q, double[] values)
    {
        int d = values.Length;
        var m = new double[d, d];
        for (int r = 0; r < d; r++)
            for (int c = 0; c < d; c++)
                for (int k = 0; k < d; k++)
                    m[r, c] += q[r, k] * values[k] * q[c, k];
        return m;
    }
}
