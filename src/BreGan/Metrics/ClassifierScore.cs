using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>
/// Inception-score formula on any classifier's class probabilities:
/// exp(mean_i KL(p(y|x_i) || p(y))) with p(y) = mean_i p(y|x_i). It lies in [1, K]: 1 when every
/// sample gets the same prediction, K when the predictions are confident and spread evenly.
/// </summary>
public static class ClassifierScore
{
    /// <summary>Tolerance on each row's sum, loose enough for float32 softmax output.</summary>
    public const double RowSumTolerance = 1e-3;

    /// <summary>Computes the score over all rows (one split), in float64, with 0 log 0 = 0.</summary>
    /// <param name="probabilities">[N, K] class probabilities (softmax output, not logits), N &gt;= 1.</param>
    /// <exception cref="BreGanInputException">Not [N, K], negative entries, or rows that do not sum to 1
    /// (within <see cref="RowSumTolerance"/>), which usually means logits were passed.</exception>
    public static double Compute(Tensor probabilities)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        if (probabilities.dim() != 2 || probabilities.shape[0] < 1 || probabilities.shape[1] < 1)
            throw new BreGanInputException($"Classifier score needs probabilities [N, K] with N, K >= 1, got [{string.Join(", ", probabilities.shape)}]");

        double score, minEntry, worstRowSum;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var p = probabilities.detach().to(ScalarType.Float64);
            var marginal = p.mean(new long[] { 0 }, keepdim: true); // p(y), [1, K]
            // xlogy gives 0 where p = 0, and p(y) > 0 wherever some p(y|x) > 0.
            var kl = (xlogy(p, p) - xlogy(p, marginal)).sum(1);
            var summary = stack(new[] { kl.mean().exp(), p.min(), (p.sum(1) - 1).abs().max() }).cpu().data<double>().ToArray();
            (score, minEntry, worstRowSum) = (summary[0], summary[1], summary[2]);
        }
        if (minEntry < 0 || !(worstRowSum <= RowSumTolerance))
            throw new BreGanInputException($"Classifier score needs probabilities: rows must be >= 0 and sum to 1 (min entry {minEntry}, worst row sum error {worstRowSum})");
        return score;
    }
}
