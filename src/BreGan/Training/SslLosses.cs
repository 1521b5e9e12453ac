using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace BreGan.Training;

/// <summary>
/// The losses of the semi-supervised feature-matching GAN (Salimans et al. 2016), as pure
/// functions of D's K logits l. The K+1-th class ("fake") has its logit fixed at 0, so with
/// Z(x) = sum_k exp(l_k): p(real | x) = Z / (Z + 1) = sigmoid(lse(l)), where lse = log sum exp.
/// <code>
///   supervised   = -mean_i l_i[y_i] + mean_i lse(l_i)                       (cross-entropy over K)
///   unsupervised = 0.5 * ( -mean lse(l_unl) + mean softplus(lse(l_unl))     (-log p(real) on real)
///                          + mean softplus(lse(l_fake)) )                   (-log p(fake) on fake)
///   feature matching (G) = mean_f ( mean_i f(x_real)_i - mean_i f(G(z))_i )^2      (l2; l1: |.|)
/// </code>
/// The 0.5 is the reference code's (the average of the real and the fake halves).
/// </summary>
public static class SslLosses
{
    /// <summary>log sum_k exp(l_k) per row, [B].</summary>
    public static Tensor LogSumExp(Tensor logits) => logits.logsumexp(1);

    /// <summary>p(real | x) = sigmoid(lse(l)) per row: the K+1-class softmax with the fake logit at 0.</summary>
    public static Tensor RealProbability(Tensor logits) => LogSumExp(logits).sigmoid();

    /// <summary>Cross-entropy over the K classes on the labelled batch: -mean l[y] + mean lse(l).</summary>
    public static Tensor Supervised(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var picked = logits.gather(1, labels.to(ScalarType.Int64).unsqueeze(1)).squeeze(1);
        return (LogSumExp(logits).mean() - picked.mean()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The unsupervised GAN loss of D: 0.5 (-mean lse(unl) + mean softplus(lse(unl)) + mean softplus(lse(fake))),
    /// i.e. 0.5 (-mean log p(real | unlabelled) - mean log p(fake | generated)).
    /// </summary>
    public static Tensor Unsupervised(Tensor unlabeledLogits, Tensor fakeLogits)
    {
        using var scope = NewDisposeScope();
        var lseUnl = LogSumExp(unlabeledLogits);
        var lseFake = LogSumExp(fakeLogits);
        var loss = 0.5 * (-lseUnl.mean() + F.softplus(lseUnl).mean() + F.softplus(lseFake).mean());
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The valid feature-matching kinds.</summary>
    public static readonly string[] FeatureMatchingKinds = { "l2", "l1" };

    /// <summary>
    /// G's feature-matching loss: the mean over features of the squared (l2) or absolute (l1)
    /// difference between the batch means of D's features on real and on generated points.
    /// </summary>
    public static Tensor FeatureMatching(Tensor realFeatures, Tensor fakeFeatures, string kind = "l2")
    {
        using var scope = NewDisposeScope();
        var diff = realFeatures.reshape(realFeatures.shape[0], -1).mean(new long[] { 0 })
                 - fakeFeatures.reshape(fakeFeatures.shape[0], -1).mean(new long[] { 0 });
        var loss = kind switch
        {
            "l2" => diff.square().mean(),
            "l1" => diff.abs().mean(),
            _ => throw new BreGanInputException($"Unknown feature matching '{kind}'; valid: {string.Join(", ", FeatureMatchingKinds)}."),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>Fraction of rows whose arg-max logit is not the label (a scalar tensor).</summary>
    public static Tensor ErrorRate(Tensor logits, Tensor labels) =>
        logits.argmax(1).ne(labels.to(ScalarType.Int64)).to(ScalarType.Float32).mean();
}
