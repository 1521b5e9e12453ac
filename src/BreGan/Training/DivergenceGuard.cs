using System.Globalization;
using BreGan.Experiments;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// Notices non-finite losses and BRE terms without a host copy per step: after every step
/// <see cref="Observe"/> adds <c>0 * value</c> of each latest loss into one accumulator on the
/// losses' device (one in-place op per loss, queued like the step's own ops). The accumulator stays
/// 0 while everything is finite and becomes NaN for good once any value is NaN or infinite.
/// <see cref="Check"/> reads it (one host copy) at evaluations and before checkpoints.
/// </summary>
public sealed class DivergenceGuard : IDisposable
{
    Tensor? flag, zero;
    readonly Scalar one = 1.0.ToScalar();
    int lastGoodIteration;

    /// <summary>The last iteration at which a <see cref="Check"/> found everything finite.</summary>
    public int LastGoodIteration => lastGoodIteration;

    public DivergenceGuard(int startIteration = 0) => lastGoodIteration = startIteration;

    /// <summary>Folds the latest values into the flag (device ops only).</summary>
    public void Observe(IReadOnlyDictionary<string, Tensor> values)
    {
        using var noGrad = no_grad();
        foreach (var t in values.Values)
        {
            if (flag is null)
            {
                flag = zeros(Array.Empty<long>(), dtype: ScalarType.Float32, device: t.device).DetachFromDisposeScope();
                zero = zeros(Array.Empty<long>(), dtype: ScalarType.Float32, device: t.device).DetachFromDisposeScope();
            }
            if (t.numel() == 1 && t.dim() == 0) flag.addcmul_(t, zero!, one);
            else
            {
                using var scope = NewDisposeScope();
                flag.addcmul_(t.sum(), zero!, one);
            }
        }
    }

    /// <summary>True when every value observed so far was finite (one host copy).</summary>
    public bool AllFinite => flag is null || float.IsFinite(flag.item<float>());

    /// <summary>
    /// Throws <see cref="TrainingDivergedException"/> when a non-finite value was observed (or,
    /// with <paramref name="modules"/>, when a parameter or buffer is not finite); otherwise records
    /// <paramref name="iteration"/> as the last good one.
    /// </summary>
    /// <param name="iteration">The iteration just completed.</param>
    /// <param name="latest">The latest values, named in the message.</param>
    /// <param name="modules">Modules whose parameters and buffers must be finite too (before checkpoints).</param>
    /// <param name="lastGoodCheckpoint">Named in the message as the place to continue from.</param>
    /// <param name="resumeHint">How to continue (e.g. the resume command), appended to the message.</param>
    public void Check(int iteration, IReadOnlyDictionary<string, Tensor> latest, IEnumerable<(string Name, nn.Module Module)>? modules = null,
        string? lastGoodCheckpoint = null, string? resumeHint = null)
    {
        string? what = null;
        if (!AllFinite)
        {
            var bad = latest.Where(p => !double.IsFinite(Value(p.Value))).Select(p => $"{p.Key}={Value(p.Value).ToString(CultureInfo.InvariantCulture)}").ToList();
            what = "non-finite " + (bad.Count > 0 ? string.Join(", ", bad) : "loss or BRE term");
        }
        else if (modules is not null && NonFiniteTensor(modules) is string name) what = $"non-finite values in {name}";
        if (what is null)
        {
            lastGoodIteration = iteration;
            return;
        }
        var window = lastGoodIteration == iteration ? $"at iteration {iteration}" : $"between iterations {lastGoodIteration} and {iteration}";
        throw new TrainingDivergedException(
            $"Training diverged {window}: {what}. " +
            (lastGoodCheckpoint is null ? "No checkpoint was written before it." : $"Last good checkpoint: {lastGoodCheckpoint}.") +
            (resumeHint is null ? "" : " " + resumeHint));
    }

    static double Value(Tensor t)
    {
        using var scope = NewDisposeScope();
        return t.detach().to(ScalarType.Float64).sum().cpu().item<double>();
    }

    /// <summary>The first parameter or buffer (as module.name) holding NaN or infinity, or null.</summary>
    public static string? NonFiniteTensor(IEnumerable<(string Name, nn.Module Module)> modules)
    {
        using var scope = NewDisposeScope();
        foreach (var (moduleName, module) in modules)
            foreach (var (name, t) in module.state_dict())
                if (t.is_floating_point() && !t.isfinite().all().cpu().item<bool>())
                    return $"{moduleName}.{name}";
        return null;
    }

    public void Dispose()
    {
        flag?.Dispose();
        zero?.Dispose();
        one.Dispose();
    }
}
