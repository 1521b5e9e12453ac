// The BRE regularizer: one short file to check line by line against docs/bre-spec.md.
//
//   s      = h / (|h| + eps * mean|h|)            scale-invariant soft sign; no gradient through eps*mean|h|
//   ME_l   = mean_k (mean_i s_ik)^2                marginal entropy term
//   C_l    = s s^T / d                             B x B correlation of soft activation patterns
//   A_l    = max(0, |C_l| - m / sqrt(d))           relaxation by thresholding (CLT margin)
//   ME, A  = averages over the L selected layers
//   AC     = mean of A over the B(B-1) pairs i != j
//   R_BRE  = ME + AC
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan;

/// <summary>How pre-activations are softly binarized.</summary>
public enum BreBinarizer
{
    /// <summary>The paper's scale-invariant soft sign <c>h / (|h| + eps * mean|h|)</c>.</summary>
    SoftSign,
    /// <summary><c>tanh(h)</c>, the reference code's alternative. Not scale-invariant.</summary>
    Tanh,
}

/// <summary>BRE's hyper-parameters of the math; defaults from the paper.</summary>
public sealed record BreOptions
{
    /// <summary>Soft-sign epsilon, relative to mean |h| over the batch and units. Must be >= 0.</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Threshold of the correlation, in standard deviations (1/sqrt(d) each). Must be >= 1.</summary>
    public double Margin { get; init; } = 3.0;

    /// <summary>The binarizer; <see cref="BreBinarizer.SoftSign"/> as in the paper.</summary>
    public BreBinarizer Binarizer { get; init; } = BreBinarizer.SoftSign;

    /// <summary>The paper's defaults.</summary>
    public static BreOptions Default { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid value.</summary>
    public void Validate()
    {
        if (double.IsNaN(Epsilon) || Epsilon < 0)
            throw new ArgumentException($"BRE epsilon must be >= 0, got {Epsilon}.", nameof(Epsilon));
        if (double.IsNaN(Margin) || Margin < 1)
            throw new ArgumentException($"BRE margin must be >= 1 (standard deviations), got {Margin}.", nameof(Margin));
    }
}

/// <summary>The BRE terms of one batch. Owns its three scalar tensors.</summary>
public sealed class BreTerms : IDisposable
{
    internal BreTerms(Tensor marginalEntropy, Tensor activationCorrelation, Tensor total)
    {
        MarginalEntropy = marginalEntropy;
        ActivationCorrelation = activationCorrelation;
        Total = total;
    }

    /// <summary><c>MarginalEntropy + ActivationCorrelation</c>: add <c>weight * Total</c> to D's loss.</summary>
    public Tensor Total { get; }

    /// <summary>R_ME, a scalar: mean over units of the squared batch mean of the soft signs.</summary>
    public Tensor MarginalEntropy { get; }

    /// <summary>R_AC, a scalar: thresholded |correlation| averaged over the pairs i != j.</summary>
    public Tensor ActivationCorrelation { get; }

    public void Dispose()
    {
        Total.Dispose();
        MarginalEntropy.Dispose();
        ActivationCorrelation.Dispose();
    }
}

/// <summary>The spec's logging monitors of one batch, read to the host once.</summary>
/// <param name="MarginalEntropy">R_ME.</param>
/// <param name="ActivationCorrelation">R_AC (thresholded, averaged over pairs).</param>
/// <param name="CorrelationMin">Min of the raw correlation matrix (layer-averaged) over pairs i != j.</param>
/// <param name="CorrelationMean">Mean of the raw correlation over pairs i != j.</param>
/// <param name="CorrelationMax">Max of the raw correlation over pairs i != j.</param>
/// <param name="MeanAbsSoftSign">Mean of |s| (layer-averaged): how binary the codes are.</param>
/// <param name="SaturationAbove09">Fraction of |s| &gt; 0.9 (layer-averaged).</param>
/// <param name="SaturationAbove099">Fraction of |s| &gt; 0.99 (layer-averaged).</param>
public sealed record BreMonitorValues(
    double MarginalEntropy, double ActivationCorrelation,
    double CorrelationMin, double CorrelationMean, double CorrelationMax,
    double MeanAbsSoftSign, double SaturationAbove09, double SaturationAbove099)
{
    /// <summary>Name/value pairs with stable names, for metrics files.</summary>
    public IEnumerable<KeyValuePair<string, double>> Named(string prefix) => new[]
    {
        KeyValuePair.Create(prefix + "me", MarginalEntropy),
        KeyValuePair.Create(prefix + "ac", ActivationCorrelation),
        KeyValuePair.Create(prefix + "corr_min", CorrelationMin),
        KeyValuePair.Create(prefix + "corr_mean", CorrelationMean),
        KeyValuePair.Create(prefix + "corr_max", CorrelationMax),
        KeyValuePair.Create(prefix + "abs_s", MeanAbsSoftSign),
        KeyValuePair.Create(prefix + "sat09", SaturationAbove09),
        KeyValuePair.Create(prefix + "sat099", SaturationAbove099),
    };
}

/// <summary>Binarized Representation Entropy: pure functions over pre-activations.</summary>
public static class Bre
{
    /// <summary>
    /// Computes R_BRE = ME + AC over the given layers of one batch. Differentiable with respect to
    /// the pre-activations. Every intermediate tensor is disposed; the caller owns the result.
    /// </summary>
    /// <param name="preactivations">One tensor per selected layer, each [B, ...] with the same B >= 2;
    /// a conv layer's [B, C, H, W] is flattened to [B, C*H*W].</param>
    /// <param name="options">Hyper-parameters; <see cref="BreOptions.Default"/> when null.</param>
    public static BreTerms Compute(IReadOnlyList<Tensor> preactivations, BreOptions? options = null)
    {
        options ??= BreOptions.Default;
        long batch = ValidateInputs(preactivations, options);
        using var scope = NewDisposeScope();
        Tensor meSum = null!, aSum = null!;
        foreach (var h in preactivations)
        {
            var s = SoftSigns(h, options);
            long d = s.shape[1];
            var me = s.mean([0]).square().mean();
            var a = nn.functional.relu(CorrelationMatrix(s).abs() - options.Margin / Math.Sqrt(d));
            meSum = meSum is null ? me : meSum + me;
            aSum = aSum is null ? a : aSum + a;
        }
        int layers = preactivations.Count;
        // Sum over i != j: the full sum less the diagonal, then averaged over pairs and layers.
        var ac = (aSum.sum() - aSum.diagonal().sum()) / (layers * batch * (batch - 1.0));
        var meanMe = meSum / layers;
        var total = meanMe + ac;
        return new BreTerms(meanMe.MoveToOuterDisposeScope(), ac.MoveToOuterDisposeScope(), total.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The soft binary code of one layer, flattened to [B, d]: the scale-invariant soft sign (no
    /// gradient through <c>eps * mean|h|</c>) or tanh. All-zero activations give all-zero codes.
    /// </summary>
    public static Tensor SoftSigns(Tensor preactivation, BreOptions? options = null)
    {
        options ??= BreOptions.Default;
        using var scope = NewDisposeScope();
        var h = preactivation.reshape(preactivation.shape[0], -1);
        if (options.Binarizer == BreBinarizer.Tanh) return h.tanh().MoveToOuterDisposeScope();
        var abs = h.abs();
        // The offset is a scalar: no gradient, and the smallest normal number keeps 0/0 out when
        // every activation is zero (s is then exactly 0, never NaN) at the cost of no extra pass.
        var offset = abs.mean().detach().mul(options.Epsilon).add(SmallestNormal(h.dtype));
        return h.div(abs.add_(offset)).MoveToOuterDisposeScope();
    }

    /// <summary>The B x B correlation <c>s s^T / d</c> of soft codes s [B, d]; entries in [-1, 1].</summary>
    public static Tensor CorrelationMatrix(Tensor softSigns) =>
        softSigns.matmul(softSigns.t()).div_(softSigns.shape[1]);

    /// <summary>
    /// The spec's monitors for one batch (un-thresholded correlation statistics, soft-sign
    /// saturation, ME and AC), computed without a graph and read to the host in one copy. For
    /// logging steps only.
    /// </summary>
    public static BreMonitorValues Monitor(IReadOnlyList<Tensor> preactivations, BreOptions? options = null)
    {
        options ??= BreOptions.Default;
        long batch = ValidateInputs(preactivations, options);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var terms = Compute(preactivations, options);
        Tensor corr = null!, absS = null!, sat09 = null!, sat099 = null!;
        foreach (var h in preactivations)
        {
            var s = SoftSigns(h, options);
            var a = s.abs();
            var c = CorrelationMatrix(s);
            corr = corr is null ? c : corr + c;
            var m = a.mean();
            var f9 = a.gt(0.9).to(h.dtype).mean();
            var f99 = a.gt(0.99).to(h.dtype).mean();
            absS = absS is null ? m : absS + m;
            sat09 = sat09 is null ? f9 : sat09 + f9;
            sat099 = sat099 is null ? f99 : sat099 + f99;
        }
        int layers = preactivations.Count;
        corr = corr / layers;
        var offDiagonal = corr.masked_select(eye(batch, dtype: ScalarType.Bool, device: corr.device).logical_not());
        var all = stack(new[]
        {
            terms.MarginalEntropy, terms.ActivationCorrelation,
            offDiagonal.min(), offDiagonal.mean(), offDiagonal.max(),
            absS / layers, sat09 / layers, sat099 / layers,
        }).to(ScalarType.Float64).cpu();
        var v = all.data<double>().ToArray();
        return new BreMonitorValues(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    static long ValidateInputs(IReadOnlyList<Tensor> preactivations, BreOptions options)
    {
        ArgumentNullException.ThrowIfNull(preactivations);
        options.Validate();
        if (preactivations.Count == 0)
            throw new ArgumentException("BRE needs at least one layer of pre-activations; the list is empty.", nameof(preactivations));
        long batch = -1;
        for (int l = 0; l < preactivations.Count; l++)
        {
            var h = preactivations[l] ?? throw new ArgumentException($"BRE layer {l} is null.", nameof(preactivations));
            if (h.dim() < 2)
                throw new ArgumentException($"BRE layer {l} has shape [{string.Join(", ", h.shape)}]; expected [B, ...] with at least 2 dimensions.", nameof(preactivations));
            if (!h.is_floating_point())
                throw new ArgumentException($"BRE layer {l} has dtype {h.dtype}; expected a floating-point tensor.", nameof(preactivations));
            long b = h.shape[0];
            if (b < 2)
                throw new ArgumentException($"BRE layer {l} has batch size {b}; BRE correlates pairs of points, so B must be >= 2.", nameof(preactivations));
            if (batch >= 0 && b != batch)
                throw new ArgumentException($"BRE layers have different batch sizes: layer 0 has {batch}, layer {l} has {b}.", nameof(preactivations));
            batch = b;
        }
        return batch;
    }

    static double SmallestNormal(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 => 2.2250738585072014e-308,
        ScalarType.Float16 => 6.103515625e-05,
        ScalarType.BFloat16 => 1.1754943508222875e-38,
        _ => 1.1754943508222875e-38,
    };
}
