using BreGan.Data;

namespace BreGan.Tests.SemiSupervised;

public class SslSplitTests
{
    // 7 classes of uneven sizes (class k has 5 + k examples), interleaved.
    static readonly long[] Labels = Enumerable.Range(0, 7).SelectMany(k => Enumerable.Repeat((long)k, 5 + k))
        .Select((y, i) => (y, key: (i * 37) % 101)).OrderBy(p => p.key).Select(p => p.y).ToArray();

    [Fact]
    public void LabelledSubsetIsBalancedAndTheRestIsUnlabelled()
    {
        var (labeled, unlabeled) = SslSplit.SelectBalanced(Labels, 3, 7, seed: 1);
        Assert.Equal(21, labeled.Length);
        foreach (var k in Enumerable.Range(0, 7))
            Assert.Equal(3, labeled.Count(i => Labels[i] == k));
        Assert.Empty(labeled.Intersect(unlabeled));
        Assert.Equal(Enumerable.Range(0, Labels.Length).Select(i => (long)i), labeled.Concat(unlabeled).OrderBy(i => i));
        Assert.Equal(labeled.OrderBy(i => i), labeled);
    }

    [Fact]
    public void TheSeedChoosesTheSubset()
    {
        var a = SslSplit.SelectBalanced(Labels, 3, 7, seed: 1).Labeled;
        Assert.Equal(a, SslSplit.SelectBalanced(Labels, 3, 7, seed: 1).Labeled);
        Assert.NotEqual(a, SslSplit.SelectBalanced(Labels, 3, 7, seed: 2).Labeled);
    }

    [Fact]
    public void TooFewExamplesOfAClassIsRefused()
    {
        var e = Assert.Throws<BreGanInputException>(() => SslSplit.SelectBalanced(Labels, 6, 7, seed: 1));
        Assert.Contains("class 0 has 5", e.Message);
        Assert.Throws<BreGanInputException>(() => SslSplit.SelectBalanced(new long[] { 0, 9 }, 1, 3, seed: 1));
    }

    [Fact]
    public void EpochBatchesFollowTheReference()
    {
        long[] labeled = { 100, 101, 102 };
        long[] unlabeled = Enumerable.Range(0, 23).Select(i => (long)i).ToArray();
        var plan = new SslBatches(labeled, unlabeled, batchSize: 5, seed: 3);
        Assert.Equal(4, plan.IterationsPerEpoch); // floor(23 / 5)

        var epoch = Enumerable.Range(0, 4).Select(plan.At).ToList();
        var seenUnl = epoch.SelectMany(b => b.Unlabeled).ToList();
        Assert.Equal(20, seenUnl.Distinct().Count());                 // a permutation, no repeats
        Assert.All(epoch, b => Assert.Equal(5, b.Labeled.Length));
        Assert.All(epoch.SelectMany(b => b.Labeled), i => Assert.Contains(i, labeled));
        // The labelled set is repeated in whole permutations: each block of 3 holds all of it.
        var lab = epoch.SelectMany(b => b.Labeled).ToArray();
        for (int s = 0; s + 3 <= lab.Length; s += 3) Assert.Equal(labeled, lab[s..(s + 3)].OrderBy(i => i));
        Assert.NotEqual(epoch[0].Unlabeled, epoch[0].ForGenerator);

        // Deterministic per (seed, epoch), whatever was asked before; epochs differ.
        var again = new SslBatches(labeled, unlabeled, 5, 3);
        Assert.Equal(plan.At(6).Unlabeled, again.At(6).Unlabeled);
        Assert.Equal(epoch[1].Labeled, again.At(1).Labeled);
        Assert.NotEqual(plan.At(0).Unlabeled, plan.At(4).Unlabeled);
        Assert.Throws<BreGanInputException>(() => new SslBatches(labeled, unlabeled[..4], 5, 3));
    }
}
