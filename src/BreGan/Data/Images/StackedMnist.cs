using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Data;

/// <summary>
/// Stacked MNIST, the mode-collapse benchmark: each sample stacks three MNIST digits, drawn
/// independently at random, as its R, G and B channels, giving 10 x 10 x 10 = 1,000 modes.
/// Labels are the digit triple, [N, 3].
/// </summary>
public static class StackedMnist
{
    /// <summary>Number of modes (digit triples).</summary>
    public const int ModeCount = 1000;

    /// <summary>
    /// Builds <paramref name="count"/> stacked samples from <paramref name="mnist"/> (one channel,
    /// labels [N]): three source indices per sample from a generator seeded with
    /// <paramref name="seed"/>, so the same inputs give the same data set. Images are
    /// [count, 3, H, W] uint8; labels [count, 3] int64 hold the digits of channels 0, 1, 2.
    /// </summary>
    /// <exception cref="BreGanInputException">The source is not single-channel or has no [N] labels.</exception>
    public static ImageDataset Create(ImageDataset mnist, int count, int seed)
    {
        ArgumentNullException.ThrowIfNull(mnist);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (mnist.Channels != 1)
            throw new BreGanInputException(
                $"stacked MNIST needs a one-channel source; {mnist.Name} has {mnist.Channels} channels");
        if (mnist.Labels is null || mnist.Labels.dim() != 1)
            throw new BreGanInputException($"stacked MNIST needs digit labels [N]; {mnist.Name} has none");

        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed, CPU);
        var sources = randint(mnist.Count, [count, 3], dtype: ScalarType.Int64, generator: generator);
        var flat = sources.reshape(-1);
        // [count*3, 1, H, W] -> [count, 3, H, W]: consecutive triples become the channels.
        var images = mnist.Images.index_select(0, flat).reshape(count, 3, mnist.Height, mnist.Width);
        var labels = mnist.Labels.index_select(0, flat).reshape(count, 3);
        return new ImageDataset(images, labels, $"stacked-mnist from {mnist.Name}");
    }

    /// <summary>
    /// The mode (0..999) of each digit triple: 100 * first + 10 * second + third. Accepts int64
    /// labels [N, 3] (as stored) and returns [N] on the same device.
    /// </summary>
    public static Tensor ModeIndex(Tensor tripleLabels)
    {
        ArgumentNullException.ThrowIfNull(tripleLabels);
        if (tripleLabels.dim() != 2 || tripleLabels.shape[1] != 3)
            throw new ArgumentException(
                $"expected digit triples [N, 3]; got [{string.Join(", ", tripleLabels.shape)}]", nameof(tripleLabels));
        using var scope = NewDisposeScope();
        using var weights = tensor(new long[] { 100, 10, 1 }, device: tripleLabels.device);
        var modes = (tripleLabels.to_type(ScalarType.Int64) * weights).sum(1);
        return modes.MoveToOuterDisposeScope();
    }
}
