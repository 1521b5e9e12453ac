namespace BreGan.Data;

/// <summary>
/// The labelled / unlabelled split of semi-supervised learning and the reference's epoch order of
/// mini-batches. Pure index arithmetic on the host with a small seeded generator (SplitMix64 and
/// Fisher-Yates), so a seed gives the same split and batches on every machine.
/// </summary>
public static class SslSplit
{
    /// <summary>
    /// A balanced labelled subset: <paramref name="perClass"/> indices of each class 0..K-1, chosen
    /// by <paramref name="seed"/> (the first ones of each class in a seeded permutation, as the
    /// reference does), and every other index as unlabelled. Both lists come out sorted.
    /// </summary>
    /// <exception cref="BreGanInputException">A label outside 0..K-1, or a class with fewer than
    /// <paramref name="perClass"/> examples.</exception>
    public static (long[] Labeled, long[] Unlabeled) SelectBalanced(IReadOnlyList<long> labels, int perClass, int classes, long seed)
    {
        if (perClass < 1) throw new BreGanInputException($"labels per class must be >= 1, got {perClass}.");
        var counts = new int[classes];
        foreach (var y in labels)
        {
            if (y < 0 || y >= classes) throw new BreGanInputException($"label {y} is outside 0..{classes - 1}.");
            counts[y]++;
        }
        for (int k = 0; k < classes; k++)
            if (counts[k] < perClass)
                throw new BreGanInputException($"class {k} has {counts[k]} training examples, fewer than the {perClass} labels per class asked for.");

        var order = Permutation(labels.Count, new SplitMix64(Mix(seed, 0x5EED_1AB)));
        var taken = new int[classes];
        var isLabeled = new bool[labels.Count];
        foreach (var i in order)
        {
            var y = labels[(int)i];
            if (taken[y] < perClass) { taken[y]++; isLabeled[i] = true; }
        }
        var labeled = Enumerable.Range(0, labels.Count).Where(i => isLabeled[i]).Select(i => (long)i).ToArray();
        var unlabeled = Enumerable.Range(0, labels.Count).Where(i => !isLabeled[i]).Select(i => (long)i).ToArray();
        return (labeled, unlabeled);
    }

    /// <summary>A seeded permutation of 0..n-1.</summary>
    public static long[] Permutation(int n, SplitMix64 rng)
    {
        var a = new long[n];
        for (int i = 0; i < n; i++) a[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (a[i], a[j]) = (a[j], a[i]);
        }
        return a;
    }

    internal static ulong Mix(long a, long b) => unchecked((ulong)a * 0x9E3779B97F4A7C15UL ^ (ulong)b * 0xBF58476D1CE4E5B9UL);
}

/// <summary>SplitMix64: a tiny, well-mixed 64-bit generator with a fixed definition.</summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong state = seed;

    public ulong Next()
    {
        unchecked
        {
            ulong z = state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in 0..n-1 (n >= 1), by rejection so there is no modulo bias.</summary>
    public int NextInt(int n)
    {
        ulong bound = (ulong)n, limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong x;
        do x = Next(); while (x >= limit);
        return (int)(x % bound);
    }
}

/// <summary>
/// The reference's epoch of mini-batches: each epoch has floor(unlabelled / B) iterations; the
/// unlabelled set is permuted twice (one order for D's unlabelled batches, one for the real
/// batches of G's feature matching) and the labelled set is repeated in fresh permutations until
/// it covers the epoch. Every epoch's order is a function of (seed, epoch) only, so a run resumed
/// at any iteration sees the same batches as an uninterrupted one.
/// </summary>
public sealed class SslBatches
{
    private readonly long[] labeled, unlabeled;
    private readonly long seed;
    private int cachedEpoch = -1;
    private long[] epochLabeled = Array.Empty<long>(), epochUnlabeled = Array.Empty<long>(), epochForG = Array.Empty<long>();

    public SslBatches(long[] labeled, long[] unlabeled, int batchSize, long seed)
    {
        if (batchSize < 1) throw new BreGanInputException($"batch size must be >= 1, got {batchSize}.");
        if (labeled.Length == 0) throw new BreGanInputException("the labelled set is empty.");
        if (unlabeled.Length < batchSize)
            throw new BreGanInputException($"the unlabelled set has {unlabeled.Length} images, fewer than one batch of {batchSize}.");
        this.labeled = labeled;
        this.unlabeled = unlabeled;
        this.seed = seed;
        BatchSize = batchSize;
    }

    public int BatchSize { get; }
    public int LabeledCount => labeled.Length;
    public int UnlabeledCount => unlabeled.Length;

    /// <summary>D and G updates per epoch: floor(unlabelled / B).</summary>
    public int IterationsPerEpoch => unlabeled.Length / BatchSize;

    /// <summary>Dataset indices of the labelled batch, D's unlabelled batch and G's real batch at a 0-based iteration.</summary>
    public (long[] Labeled, long[] Unlabeled, long[] ForGenerator) At(int iteration)
    {
        if (iteration < 0) throw new ArgumentOutOfRangeException(nameof(iteration));
        int epoch = iteration / IterationsPerEpoch, t = iteration % IterationsPerEpoch;
        Prepare(epoch);
        var range = new Range(t * BatchSize, (t + 1) * BatchSize);
        return (epochLabeled[range], epochUnlabeled[range], epochForG[range]);
    }

    /// <summary>The order of D's unlabelled batches in an epoch (dataset indices).</summary>
    public long[] UnlabeledOrder(int epoch)
    {
        Prepare(epoch);
        return epochUnlabeled;
    }

    void Prepare(int epoch)
    {
        if (epoch == cachedEpoch) return;
        var rng = new SplitMix64(SslSplit.Mix(seed, 1_000_003L + epoch));
        int need = IterationsPerEpoch * BatchSize;
        var lab = new List<long>(need + labeled.Length);
        while (lab.Count < need) lab.AddRange(SslSplit.Permutation(labeled.Length, rng).Select(i => labeled[i]));
        epochLabeled = lab.ToArray();
        epochUnlabeled = SslSplit.Permutation(unlabeled.Length, rng).Select(i => unlabeled[i]).ToArray();
        epochForG = SslSplit.Permutation(unlabeled.Length, rng).Select(i => unlabeled[i]).ToArray();
        cachedEpoch = epoch;
    }
}
