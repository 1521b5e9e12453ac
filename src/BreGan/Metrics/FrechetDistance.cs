using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>
/// Fréchet distance between Gaussians fitted to two feature sets (FID when the features come from
/// a classifier): <c>||μ1 − μ2||² + tr(Σ1) + tr(Σ2) − 2 tr((Σ1 Σ2)^{1/2})</c>.
/// </summary>
/// <remarks>
/// Everything runs in float64. Σ1 Σ2 is not symmetric, so a general matrix square root of it can
/// come out complex or inaccurate when the covariances are near singular (as they are whenever
/// there are fewer samples than feature dimensions). Instead this uses the similar symmetric PSD
/// matrix M = Σ1^{1/2} Σ2 Σ1^{1/2}, which has the same eigenvalues as Σ1 Σ2:
/// <list type="number">
/// <item>Σ1 = Q diag(λ) Qᵀ by <c>torch.linalg.eigh</c>; eigenvalues below D·ε·max λ are rounding
/// noise (including tiny negative ones) and set to 0; Σ1^{1/2} = Q diag(√λ) Qᵀ.</item>
/// <item>M = Σ1^{1/2} Σ2 Σ1^{1/2}, symmetrised against rounding; its eigenvalues μ by
/// <c>torch.linalg.eigvalsh</c>, again with noise below D·ε·max μ set to 0.</item>
/// <item>tr((Σ1 Σ2)^{1/2}) = Σ √μ.</item>
/// </list>
/// The result is real by construction; a tiny negative total from rounding is returned as 0.
/// Covariances use the unbiased (N − 1) normalisation, like the reference FID code.
/// </remarks>
public static class FrechetDistance
{
    /// <summary>Fréchet distance between the Gaussians fitted to two [N, D] and [M, D] feature tables.</summary>
    /// <exception cref="BreGanInputException">N &lt; 2 or M &lt; 2, or the feature dimensions differ.</exception>
    public static double Compute(double[,] featuresA, double[,] featuresB)
    {
        ArgumentNullException.ThrowIfNull(featuresA);
        ArgumentNullException.ThrowIfNull(featuresB);
        using var scope = NewDisposeScope();
        return Compute(tensor(featuresA, ScalarType.Float64), tensor(featuresB, ScalarType.Float64));
    }

    /// <summary>Fréchet distance between the Gaussians fitted to two [N, D] and [M, D] feature tensors
    /// (any floating type and device; computed in float64 on that device).</summary>
    /// <exception cref="BreGanInputException">N &lt; 2 or M &lt; 2, or the feature dimensions differ.</exception>
    public static double Compute(Tensor featuresA, Tensor featuresB)
    {
        ArgumentNullException.ThrowIfNull(featuresA);
        ArgumentNullException.ThrowIfNull(featuresB);
        CheckFeatures(featuresA, "N");
        CheckFeatures(featuresB, "M");
        if (featuresA.shape[1] != featuresB.shape[1])
            throw new BreGanInputException($"Feature dimensions differ: {featuresA.shape[1]} vs {featuresB.shape[1]}");
        using var scope = NewDisposeScope();
        var (mu1, sigma1) = Moments(featuresA);
        var (mu2, sigma2) = Moments(featuresB);
        return FromMoments(mu1, sigma1, mu2, sigma2);
    }

    /// <summary>Mean [D] and unbiased covariance [D, D] of an [N, D] feature table, in float64:
    /// what reference statistics of real data are stored as.</summary>
    /// <exception cref="BreGanInputException">Not [N, D] with N &gt;= 2.</exception>
    public static (Tensor Mean, Tensor Covariance) Moments(Tensor features)
    {
        ArgumentNullException.ThrowIfNull(features);
        CheckFeatures(features, "N");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = features.detach().to(ScalarType.Float64);
        var mean = x.mean(new long[] { 0 });
        var centered = x - mean;
        var cov = centered.t().matmul(centered).div_(x.shape[0] - 1);
        return (mean.MoveToOuterDisposeScope(), cov.MoveToOuterDisposeScope());
    }

    /// <summary>Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2); see the class remarks for the method.</summary>
    /// <param name="mu1">Mean, [D].</param>
    /// <param name="sigma1">Symmetric PSD covariance, [D, D].</param>
    /// <param name="mu2">Mean, [D].</param>
    /// <param name="sigma2">Symmetric PSD covariance, [D, D].</param>
    /// <exception cref="BreGanInputException">Shapes that do not fit one D.</exception>
    public static double FromMoments(Tensor mu1, Tensor sigma1, Tensor mu2, Tensor sigma2)
    {
        ArgumentNullException.ThrowIfNull(mu1);
        ArgumentNullException.ThrowIfNull(sigma1);
        ArgumentNullException.ThrowIfNull(mu2);
        ArgumentNullException.ThrowIfNull(sigma2);
        long d = mu1.numel();
        bool fits = mu1.dim() == 1 && mu2.dim() == 1 && mu2.shape[0] == d
            && sigma1.dim() == 2 && sigma1.shape[0] == d && sigma1.shape[1] == d
            && sigma2.dim() == 2 && sigma2.shape[0] == d && sigma2.shape[1] == d;
        if (!fits)
            throw new BreGanInputException(
                $"Moments do not fit one dimension: mu1 [{string.Join(", ", mu1.shape)}], sigma1 [{string.Join(", ", sigma1.shape)}], " +
                $"mu2 [{string.Join(", ", mu2.shape)}], sigma2 [{string.Join(", ", sigma2.shape)}]");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var device = mu1.device;
        var m1 = mu1.detach().to(ScalarType.Float64, device);
        var m2 = mu2.detach().to(ScalarType.Float64, device);
        var s1 = Symmetrize(sigma1.detach().to(ScalarType.Float64, device));
        var s2 = Symmetrize(sigma2.detach().to(ScalarType.Float64, device));

        var (lambda, q) = linalg.eigh(s1);
        var sqrtS1 = (q * DropNoise(lambda, d).sqrt()).matmul(q.t()); // Q diag(√λ) Qᵀ
        var inner = Symmetrize(sqrtS1.matmul(s2).matmul(sqrtS1));
        var traceSqrt = DropNoise(linalg.eigvalsh(inner), d).sqrt().sum();

        var fd = (m1 - m2).square().sum() + s1.trace() + s2.trace() - 2 * traceSqrt;
        return Math.Max(0.0, fd.item<double>()); // rounding may leave -1e-15 for identical inputs
    }

    /// <summary>Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2) given as host arrays.</summary>
    /// <inheritdoc cref="FromMoments(Tensor, Tensor, Tensor, Tensor)"/>
    public static double FromMoments(double[] mu1, double[,] sigma1, double[] mu2, double[,] sigma2)
    {
        using var scope = NewDisposeScope();
        return FromMoments(tensor(mu1, ScalarType.Float64), tensor(sigma1, ScalarType.Float64),
            tensor(mu2, ScalarType.Float64), tensor(sigma2, ScalarType.Float64));
    }

    private static void CheckFeatures(Tensor features, string countName)
    {
        if (features.dim() != 2)
            throw new BreGanInputException($"Features must be [{countName}, D], got [{string.Join(", ", features.shape)}]");
        if (features.shape[0] < 2)
            throw new BreGanInputException($"too few samples for a covariance: {countName}={features.shape[0]}");
    }

    private static Tensor Symmetrize(Tensor a) => (a + a.t()).mul_(0.5);

    /// <summary>Eigenvalues of a PSD matrix below D·ε·max are rounding noise (some negative): set to 0.</summary>
    private static Tensor DropNoise(Tensor eigenvalues, long d)
    {
        var tol = eigenvalues.abs().max() * (d * Math.Pow(2, -52));
        return where(eigenvalues > tol, eigenvalues, zeros_like(eigenvalues));
    }
}
