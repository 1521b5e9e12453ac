using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace BreGan.Training;

/// <summary>
/// Adversarial losses as pure functions of D's logits (no sigmoid in D). Each pair returns the
/// loss that D minimises and the loss that G minimises.
/// </summary>
public static class Losses
{
    /// <summary>The valid loss names.</summary>
    public static readonly string[] Kinds = { "ns", "minimax", "wgan-gp", "hinge" };

    /// <summary>D's loss for the standard GAN: -log D(real) - log(1 - D(fake)), via softplus.</summary>
    public static Tensor StandardDiscriminator(Tensor realLogits, Tensor fakeLogits) =>
        F.softplus(-realLogits).mean() + F.softplus(fakeLogits).mean();

    /// <summary>G's non-saturating loss: -log D(G(z)) (the reference's default).</summary>
    public static Tensor NonSaturatingGenerator(Tensor fakeLogits) => F.softplus(-fakeLogits).mean();

    /// <summary>G's minimax loss: log(1 - D(G(z))) = -softplus(logit).</summary>
    public static Tensor MinimaxGenerator(Tensor fakeLogits) => -F.softplus(fakeLogits).mean();

    /// <summary>The WGAN critic's loss: E[D(fake)] - E[D(real)].</summary>
    public static Tensor WassersteinDiscriminator(Tensor realOut, Tensor fakeOut) => fakeOut.mean() - realOut.mean();

    /// <summary>The WGAN (and hinge) generator's loss: -E[D(fake)].</summary>
    public static Tensor WassersteinGenerator(Tensor fakeOut) => -fakeOut.mean();

    /// <summary>D's hinge loss: E[relu(1 - D(real))] + E[relu(1 + D(fake))].</summary>
    public static Tensor HingeDiscriminator(Tensor realOut, Tensor fakeOut) =>
        F.relu(1 - realOut).mean() + F.relu(1 + fakeOut).mean();

    /// <summary>D's loss by name.</summary>
    public static Tensor Discriminator(string kind, Tensor realOut, Tensor fakeOut) => kind switch
    {
        "ns" or "minimax" => StandardDiscriminator(realOut, fakeOut),
        "wgan-gp" => WassersteinDiscriminator(realOut, fakeOut),
        "hinge" => HingeDiscriminator(realOut, fakeOut),
        _ => throw Unknown(kind),
    };

    /// <summary>G's loss by name.</summary>
    public static Tensor Generator(string kind, Tensor fakeOut) => kind switch
    {
        "ns" => NonSaturatingGenerator(fakeOut),
        "minimax" => MinimaxGenerator(fakeOut),
        "wgan-gp" or "hinge" => WassersteinGenerator(fakeOut),
        _ => throw Unknown(kind),
    };

    static BreGanInputException Unknown(string kind) =>
        new($"Unknown loss '{kind}'; valid: {string.Join(", ", Kinds)}.");

    /// <summary>
    /// Per-point input-gradient norms |dD/dx| of D's outputs at <paramref name="inputs"/> (which must
    /// require grad and be the inputs of <paramref name="outputs"/>); differentiable when
    /// <paramref name="createGraph"/>.
    /// </summary>
    public static Tensor InputGradientNorms(Tensor outputs, Tensor inputs, bool createGraph)
    {
        var grad = torch.autograd.grad(new[] { outputs.sum() }, new[] { inputs },
            retain_graph: true, create_graph: createGraph)[0];
        return grad.reshape(grad.shape[0], -1).norm(1, keepdim: false, p: 2);
    }

    /// <summary>WGAN-GP's penalty: weight * E[(|dD/dx| at interpolates - target)^2].</summary>
    public static Tensor GradientPenalty(Tensor interpolatedOutputs, Tensor interpolates, double weight = 10, double target = 1) =>
        InputGradientNorms(interpolatedOutputs, interpolates, createGraph: true).sub(target).square().mean().mul(weight);

    /// <summary>
    /// Interpolated points between real and fake, one uniform a per point. The paper's form is
    /// x_real + a (x_fake - x_real); the reference code's is x_real + a (x_real - x_fake).
    /// </summary>
    public static Tensor Interpolate(Tensor real, Tensor fake, Tensor alpha, bool referenceVariant = false)
    {
        var shape = new long[real.dim()];
        shape[0] = real.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        var a = alpha.reshape(shape);
        return referenceVariant ? real + a * (real - fake) : real + a * (fake - real);
    }
}
