using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace BreGan.Models;

// ---------------------------------------------------------------------------------------------
// Weight normalization (Salimans & Kingma 2016) as modules: the effective weight of output unit k
// is w_k = g_k * v_k / ||v_k||, so ||w_k|| = g_k whatever v is. Data-dependent initialisation
// (optional) sets g and b so that a batch's pre-activations have mean 0 and std init_scale per
// unit, as in the reference code of "Improved Techniques for Training GANs".
// ---------------------------------------------------------------------------------------------

/// <summary>
/// A dense layer with weight normalization: <c>y = x W^T + b</c>, <c>W[k] = g[k] v[k] / ||v[k]||</c>.
/// With <c>trainScale</c> false, g is a buffer (saved, set by data-dependent init, never trained),
/// as in the reference's hidden layers; with true, a parameter.
/// </summary>
public sealed class WeightNormLinear : nn.Module<Tensor, Tensor>
{
    private readonly Parameter v;
    private readonly Tensor g;
    private readonly Parameter? b;

    /// <param name="inputs">Input features.</param>
    /// <param name="outputs">Output units.</param>
    /// <param name="trainScale">Whether g is trained (a parameter) or fixed (a buffer).</param>
    /// <param name="directionStd">Std of the normal initialisation of v; 0 for Glorot uniform.</param>
    /// <param name="bias">Whether the layer has a bias b (initialised to 0).</param>
    public WeightNormLinear(long inputs, long outputs, bool trainScale, double directionStd = 0.05, bool bias = true)
        : base(nameof(WeightNormLinear))
    {
        if (inputs < 1 || outputs < 1) throw new ArgumentException($"WeightNormLinear needs inputs, outputs >= 1, got {inputs}, {outputs}.");
        v = new Parameter(empty(outputs, inputs));
        using (no_grad())
        {
            if (directionStd > 0) nn.init.normal_(v, 0, directionStd);
            else nn.init.xavier_uniform_(v);
        }
        g = trainScale ? new Parameter(ones(outputs)) : ones(outputs);
        b = bias ? new Parameter(zeros(outputs)) : null;
        TrainScale = trainScale;
        RegisterComponents();
    }

    /// <summary>Whether g is trained.</summary>
    public bool TrainScale { get; }

    /// <summary>The scale g, one per output unit (a parameter or a buffer).</summary>
    public Tensor Scale => g;

    /// <summary>The direction parameter v [outputs, inputs].</summary>
    public Tensor Direction => v;

    /// <summary>The bias, or null.</summary>
    public Tensor? Bias => b;

    /// <summary>The effective weight <c>g v / ||v||</c> row by row, [outputs, inputs].</summary>
    public Tensor Weight() => v * (g / RowNorms(v)).unsqueeze(1);

    public override Tensor forward(Tensor x) => F.linear(x, Weight(), b);

    /// <summary>
    /// Data-dependent initialisation from one batch: with t = x W^T (no bias), sets
    /// <c>g *= s / std(t)</c> and <c>b = -mean(t) s / std(t)</c> per unit (s = <paramref name="initScale"/>)
    /// and returns the new pre-activations, <c>(t - mean) s / std</c>. No gradient.
    /// </summary>
    public Tensor InitializeFromData(Tensor x, double initScale = 1)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var t = F.linear(x, Weight());
        var (mean, factor) = WeightNorm.InitStatistics(t, new long[] { 0 }, initScale);
        g.mul_(factor);
        b?.copy_(-mean * factor);
        return ((t - mean) * factor).MoveToOuterDisposeScope();
    }

    internal static Tensor RowNorms(Tensor weight) =>
        weight.reshape(weight.shape[0], -1).square().sum(1).add(1e-12).sqrt();
}

/// <summary>
/// A 2D convolution (or transposed convolution) with weight normalization per output channel.
/// Convolution weights are [out, in, k, k] (norm over in, k, k); transposed ones [in, out, k, k]
/// (norm over in, k, k of each output channel), as in the reference.
/// </summary>
public sealed class WeightNormConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Parameter v;
    private readonly Tensor g;
    private readonly Parameter? b;
    private readonly long stride, padding, outputPadding;
    private readonly bool transposed;

    public WeightNormConv2d(long inputs, long outputs, long kernel, long stride = 1, long padding = 0,
        bool trainScale = false, bool transposed = false, long outputPadding = 0, double directionStd = 0.05, bool bias = true)
        : base(nameof(WeightNormConv2d))
    {
        if (inputs < 1 || outputs < 1 || kernel < 1) throw new ArgumentException("WeightNormConv2d needs inputs, outputs, kernel >= 1.");
        v = new Parameter(transposed ? empty(inputs, outputs, kernel, kernel) : empty(outputs, inputs, kernel, kernel));
        using (no_grad()) nn.init.normal_(v, 0, directionStd);
        g = trainScale ? new Parameter(ones(outputs)) : ones(outputs);
        b = bias ? new Parameter(zeros(outputs)) : null;
        this.stride = stride;
        this.padding = padding;
        this.outputPadding = outputPadding;
        this.transposed = transposed;
        TrainScale = trainScale;
        RegisterComponents();
    }

    public bool TrainScale { get; }
    public Tensor Scale => g;

    /// <summary>The effective weight: each output channel's filter has norm g.</summary>
    public Tensor Weight()
    {
        if (!transposed) return v * (g / WeightNormLinear.RowNorms(v)).reshape(-1, 1, 1, 1);
        var norms = v.square().sum(new long[] { 0, 2, 3 }).add(1e-12).sqrt();
        return v * (g / norms).reshape(1, -1, 1, 1);
    }

    public override Tensor forward(Tensor x) => Apply(x, Weight(), b);

    Tensor Apply(Tensor x, Tensor w, Tensor? bias) => transposed
        ? F.conv_transpose2d(x, w, bias, new[] { stride, stride }, new[] { padding, padding }, new[] { outputPadding, outputPadding })
        : F.conv2d(x, w, bias, new[] { stride, stride }, new[] { padding, padding });

    /// <summary>As <see cref="WeightNormLinear.InitializeFromData"/>, statistics per channel over batch and space.</summary>
    public Tensor InitializeFromData(Tensor x, double initScale = 1)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var t = Apply(x, Weight(), null);
        var (mean, factor) = WeightNorm.InitStatistics(t, new long[] { 0, 2, 3 }, initScale);
        g.mul_(factor);
        b?.copy_(-mean * factor);
        var shape = new long[] { 1, -1, 1, 1 };
        return ((t - mean.reshape(shape)) * factor.reshape(shape)).MoveToOuterDisposeScope();
    }
}

/// <summary>Shared arithmetic of the data-dependent initialisation.</summary>
public static class WeightNorm
{
    /// <summary>Per-unit mean of <paramref name="t"/> over <paramref name="dims"/> and the factor
    /// <c>scale / std</c> (std the root mean square deviation, floored at 1e-8).</summary>
    public static (Tensor Mean, Tensor Factor) InitStatistics(Tensor t, long[] dims, double scale)
    {
        var mean = t.mean(dims);
        var shape = Enumerable.Repeat(1L, (int)t.dim()).ToArray();
        shape[1] = -1;
        var std = (t - mean.reshape(shape)).square().mean(dims).sqrt().clamp_min(1e-8);
        return (mean, scale / std);
    }
}

/// <summary>Adds N(0, std^2) noise while training; the identity in eval mode or with std 0.</summary>
public sealed class GaussianNoise : nn.Module<Tensor, Tensor>
{
    private readonly double std;

    public GaussianNoise(double std) : base(nameof(GaussianNoise))
    {
        if (!(std >= 0)) throw new ArgumentException($"GaussianNoise std must be >= 0, got {std}.");
        this.std = std;
    }

    public double Std => std;

    public override Tensor forward(Tensor x) => training && std > 0 ? x + randn_like(x).mul_(std) : x.alias();
}
