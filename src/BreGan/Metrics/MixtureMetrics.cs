using BreGan.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>Mode-collapse metrics of generated 2D samples against a known Gaussian mixture.</summary>
/// <param name="Modes">Number of modes with at least one high-quality sample.</param>
/// <param name="HqFraction">Share of samples that are high quality (within 3 std of their nearest mode).</param>
/// <param name="ReverseKl">KL(p || uniform) of the nearest-mode histogram p of the high-quality samples;
/// 0 for a perfectly even spread, log K when all of them (or none, see <see cref="MixtureMetrics.Compute"/>) sit on one mode.</param>
/// <param name="CountsPerMode">Number of high-quality samples per mode, length K.</param>
public sealed record MixtureMetricValues(int Modes, double HqFraction, double ReverseKl, int[] CountsPerMode);

/// <summary>The PacGAN toy metrics: modes captured, high-quality fraction and reverse KL.</summary>
public static class MixtureMetrics
{
    /// <summary>Number of standard deviations within which a sample counts as high quality.</summary>
    public const double HighQualityStds = 3.0;

    /// <summary>
    /// Assigns each sample to its nearest mode (Euclidean), keeps the high-quality ones (distance
    /// &lt;= 3 std), and summarises them. Works on any device in float64; the only host copy is the
    /// K per-mode counts at the end. When no sample is high quality, <c>ReverseKl</c> is log K:
    /// as bad as all mass on one mode, so that the metric never rewards producing garbage.
    /// </summary>
    /// <param name="samples">Generated samples, [N, 2] with N &gt;= 1.</param>
    /// <param name="mixture">The target mixture.</param>
    /// <exception cref="BreGanInputException">Samples are not [N, 2] with N &gt;= 1.</exception>
    public static MixtureMetricValues Compute(Tensor samples, GaussianMixture2D mixture)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(mixture);
        if (samples.dim() != 2 || samples.shape[1] != 2 || samples.shape[0] < 1)
            throw new BreGanInputException($"Mixture metrics need samples of shape [N, 2] with N >= 1, got [{string.Join(", ", samples.shape)}]");

        int k = mixture.Count;
        long n = samples.shape[0];
        long[] counts;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var x = samples.detach().to(ScalarType.Float64);
            var means = mixture.MeansTensor(x.device, ScalarType.Float64);
            // Direct differences, not the |x|²+|m|²-2x·m shortcut, so tiny distances stay exact.
            var dist = cdist(x, means, compute_mode: compute_mode.donot_use_mm_for_euclid_dist);
            var (nearestDist, nearest) = dist.min(1);
            var hq = nearestDist.le(HighQualityStds * mixture.Std);
            counts = nearest.masked_select(hq).bincount(null, k).cpu().data<long>().ToArray();
        }

        long hqTotal = counts.Sum();
        int modes = counts.Count(c => c > 0);
        double kl = Math.Log(k);
        if (hqTotal > 0)
        {
            kl = 0;
            foreach (var c in counts)
            {
                if (c == 0) continue; // 0 log 0 = 0
                double p = (double)c / hqTotal;
                kl += p * Math.Log(p * k);
            }
        }
        return new MixtureMetricValues(modes, (double)hqTotal / n, kl, counts.Select(c => (int)c).ToArray());
    }
}
