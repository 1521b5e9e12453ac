using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>
/// Binary activation patterns (which units are on, h &gt; 0) of a layer over a batch: how many
/// distinct linear regions of a ReLU network the batch falls into, as in the BRE toy experiments.
/// </summary>
/// <remarks>
/// A row's pattern is its flattened sign bits. They are packed exactly into 30-bit words (tensor
/// ops, no host copy). <see cref="Hash"/> maps the words to one int64 with two independent linear
/// hashes modulo the prime p = 2³¹ − 1, whose weights come from a fixed SplitMix64 stream (never
/// the global RNG), so hashes are the same across calls, devices and processes. Two distinct
/// patterns collide with probability about 1/p² ≈ 2⁻⁶². <see cref="CountDistinct"/> compares the
/// packed words themselves and is exact.
/// </remarks>
public static class ActivationPatterns
{
    private const int BitsPerWord = 30; // < 31, so a word is below p and distinct words stay distinct mod p
    private const long Prime = int.MaxValue; // 2^31 - 1; word * weight < 2^61 fits in int64

    /// <summary>Per-row hash of the pattern (h &gt; 0) of a [B, ...] pre-activation tensor: int64 [B],
    /// each in [0, p²). Rows with the same pattern get the same hash whatever their magnitudes.</summary>
    /// <exception cref="BreGanInputException">A scalar (no batch dimension).</exception>
    public static Tensor Hash(Tensor preactivation)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var words = PackedBits(preactivation);
        long m = words.shape[1];
        var device = words.device;
        var w1 = tensor(Weights(m, 0x5EED_0001UL), ScalarType.Int64, device);
        var w2 = tensor(Weights(m, 0x5EED_0002UL), ScalarType.Int64, device);
        // Each product stays below 2^61 and each reduced term below 2^31, so nothing overflows
        // and the integer sums are exact whatever the reduction order.
        var h1 = words.mul(w1).remainder(Prime).sum(1).remainder(Prime);
        var h2 = words.mul(w2).remainder(Prime).sum(1).remainder(Prime);
        return h1.mul_(Prime).add_(h2).MoveToOuterDisposeScope();
    }

    /// <summary>Number of distinct patterns (h &gt; 0) among the rows of a [B, ...] pre-activation
    /// tensor; exact (compares the packed bits, not hashes). 0 for an empty batch.</summary>
    /// <exception cref="BreGanInputException">A scalar (no batch dimension).</exception>
    public static int CountDistinct(Tensor preactivation)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var words = PackedBits(preactivation);
        if (words.shape[0] == 0) return 0;
        var (distinct, _, _) = words.unique(sorted: false, dim: 0);
        return (int)distinct.shape[0];
    }

    /// <summary>[B, ...] → [B, ceil(d / 30)] int64 words holding the row's bits (h &gt; 0), zero-padded.</summary>
    private static Tensor PackedBits(Tensor preactivation)
    {
        ArgumentNullException.ThrowIfNull(preactivation);
        if (preactivation.dim() < 1)
            throw new BreGanInputException("Activation patterns need a batch dimension: [B, ...]");
        long b = preactivation.shape[0];
        long d = preactivation.shape.Skip(1).Aggregate(1L, (x, y) => x * y);
        long m = Math.Max(1, (d + BitsPerWord - 1) / BitsPerWord);
        var bits = preactivation.detach().reshape(b, d).gt(0).to(ScalarType.Int64);
        bits = nn.functional.pad(bits, new long[] { 0, m * BitsPerWord - d });
        var powers = tensor(Enumerable.Range(0, BitsPerWord).Select(i => 1L << i).ToArray(), ScalarType.Int64, bits.device);
        return bits.view(b, m, BitsPerWord).mul(powers).sum(2);
    }

    /// <summary>m fixed pseudo-random weights in [1, p) from SplitMix64, reproducible everywhere.</summary>
    private static long[] Weights(long m, ulong seed)
    {
        var weights = new long[m];
        ulong state = seed;
        for (long i = 0; i < m; i++)
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            weights[i] = 1 + (long)(z % (ulong)(Prime - 1));
        }
        return weights;
    }
}
