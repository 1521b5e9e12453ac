using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Data;

/// <summary>
/// An image data set held in memory as bytes: images as a uint8 tensor [N, C, H, W] on the CPU and
/// optional int64 labels, [N] for ordinary class labels or [N, K] for several labels per sample
/// (stacked MNIST keeps its digit triple as [N, 3]). Batches come out as float32 in [-1, 1]
/// (x / 127.5 - 1) on the device asked for. Owns its tensors: dispose it when done.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    private readonly Tensor _images;
    private readonly Tensor? _labels;
    private bool _disposed;

    /// <summary>
    /// Wraps <paramref name="images"/> (uint8 [N, C, H, W], N ≥ 1) and optional
    /// <paramref name="labels"/> (int64 [N] or [N, K]) and takes ownership of both: they are detached
    /// from any dispose scope and disposed with this data set. Both are moved to the CPU if needed.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong dtype, rank or mismatched lengths.</exception>
    public ImageDataset(Tensor images, Tensor? labels = null, string name = "images")
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dtype != ScalarType.Byte || images.dim() != 4)
            throw new ArgumentException(
                $"images must be a uint8 tensor [N, C, H, W]; got {images.dtype} [{string.Join(", ", images.shape)}]",
                nameof(images));
        if (images.shape[0] < 1)
            throw new ArgumentException("images must hold at least one image", nameof(images));
        if (labels is not null)
        {
            if (labels.dtype != ScalarType.Int64 || labels.dim() is < 1 or > 2 || labels.shape[0] != images.shape[0])
                throw new ArgumentException(
                    $"labels must be an int64 tensor [N] or [N, K] with N = {images.shape[0]}; " +
                    $"got {labels.dtype} [{string.Join(", ", labels.shape)}]", nameof(labels));
        }

        // The data set outlives whatever scope the caller built it in.
        _images = MoveToCpu(images).DetachFromDisposeScope();
        _labels = labels is null ? null : MoveToCpu(labels).DetachFromDisposeScope();
        Name = name;
    }

    /// <summary>A short description for logs, e.g. "mnist (train)".</summary>
    public string Name { get; }

    /// <summary>The images, uint8 [N, C, H, W] on the CPU. Owned by this data set: do not dispose.</summary>
    public Tensor Images { get { ThrowIfDisposed(); return _images; } }

    /// <summary>The labels, int64 [N] or [N, K] on the CPU, or null. Owned by this data set.</summary>
    public Tensor? Labels { get { ThrowIfDisposed(); return _labels; } }

    /// <summary>Whether the data set has labels.</summary>
    public bool HasLabels => _labels is not null;

    /// <summary>Number of images N.</summary>
    public int Count => checked((int)_images.shape[0]);

    /// <summary>Channels per image C (1 for grey, 3 for RGB).</summary>
    public int Channels => (int)_images.shape[1];

    /// <summary>Image height H in pixels.</summary>
    public int Height => (int)_images.shape[2];

    /// <summary>Image width W in pixels.</summary>
    public int Width => (int)_images.shape[3];

    /// <summary>
    /// A training batch: <paramref name="batchSize"/> images drawn uniformly with replacement using
    /// <paramref name="generator"/> (a CPU generator, so runs repeat exactly), as float32
    /// [B, C, H, W] in [-1, 1] on <paramref name="device"/> (CPU when null).
    /// </summary>
    public Tensor SampleBatch(int batchSize, Generator generator, Device? device = null)
        => SampleLabeledBatch(batchSize, generator, device, withLabels: false).Images;

    /// <summary>
    /// Like <see cref="SampleBatch"/> but also returns the labels of the drawn images (int64, on
    /// <paramref name="device"/>); Labels is null when the data set has none.
    /// </summary>
    public (Tensor Images, Tensor? Labels) SampleLabeledBatch(int batchSize, Generator generator, Device? device = null)
        => SampleLabeledBatch(batchSize, generator, device, withLabels: true);

    private (Tensor Images, Tensor? Labels) SampleLabeledBatch(int batchSize, Generator generator, Device? device, bool withLabels)
    {
        ThrowIfDisposed();
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentNullException.ThrowIfNull(generator);
        using var scope = NewDisposeScope();
        var index = randint(Count, [batchSize], dtype: ScalarType.Int64, generator: generator);
        var (images, labels) = GatherCore(index, device, withLabels);
        return (images.MoveToOuterDisposeScope(), labels?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The images (float32 [B, C, H, W] in [-1, 1]) and labels (or null) at the given int64 indices,
    /// on <paramref name="device"/> (CPU when null).
    /// </summary>
    public (Tensor Images, Tensor? Labels) Gather(Tensor indices, Device? device = null)
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        var (images, labels) = GatherCore(CheckIndices(indices), device, withLabels: true);
        return (images.MoveToOuterDisposeScope(), labels?.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Images start .. start + count - 1 in order, for evaluation passes: float32 [count, C, H, W] in
    /// [-1, 1] and labels (or null), on <paramref name="device"/> (CPU when null).
    /// </summary>
    public (Tensor Images, Tensor? Labels) Slice(int start, int count, Device? device = null)
    {
        ThrowIfDisposed();
        if (start < 0 || count < 1 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count),
                $"slice [{start}, {start}+{count}) is outside the data set of {Count} images");
        using var scope = NewDisposeScope();
        var images = ToSignedUnit(_images.narrow(0, start, count).to(device ?? CPU));
        // clone: a CPU "to" would hand out a view that writes through to our labels.
        var labels = _labels?.narrow(0, start, count).to(device ?? CPU).clone();
        return (images.MoveToOuterDisposeScope(), labels?.MoveToOuterDisposeScope());
    }

    /// <summary>A new data set holding copies of the images (and labels) at the given int64 indices.</summary>
    public ImageDataset Subset(Tensor indices, string? name = null)
    {
        ThrowIfDisposed();
        using var scope = NewDisposeScope();
        var index = CheckIndices(indices);
        var images = _images.index_select(0, index);
        var labels = _labels?.index_select(0, index);
        return new ImageDataset(images, labels, name ?? Name);
    }

    /// <summary>
    /// Splits into two disjoint data sets by a random permutation drawn with
    /// <paramref name="generator"/>: the first holds <paramref name="firstCount"/> images, the second
    /// the rest (e.g. a labelled subset for semi-supervised training and the unlabelled remainder).
    /// </summary>
    public (ImageDataset First, ImageDataset Second) Split(int firstCount, Generator generator)
    {
        ThrowIfDisposed();
        if (firstCount < 1 || firstCount >= Count)
            throw new ArgumentOutOfRangeException(nameof(firstCount),
                $"split size {firstCount} must be between 1 and {Count - 1}");
        using var scope = NewDisposeScope();
        var perm = randperm(Count, dtype: ScalarType.Int64, generator: generator);
        var first = Subset(perm.narrow(0, 0, firstCount), $"{Name} [first {firstCount}]");
        var second = Subset(perm.narrow(0, firstCount, Count - firstCount), $"{Name} [other {Count - firstCount}]");
        return (first, second);
    }

    /// <summary>Maps uint8 pixels to float32 in [-1, 1]: x / 127.5 - 1 (on the input's device).</summary>
    public static Tensor ToSignedUnit(Tensor bytes) => bytes.to_type(ScalarType.Float32) / 127.5 - 1;

    /// <summary>The inverse of <see cref="ToSignedUnit"/> for viewing: clamps to [-1, 1] and rounds to uint8.</summary>
    public static Tensor ToBytes(Tensor signed)
    {
        using var scope = NewDisposeScope();
        var bytes = ((signed.clamp(-1, 1) + 1) * 127.5).round().to_type(ScalarType.Byte);
        return bytes.MoveToOuterDisposeScope();
    }

    /// <summary>Disposes the image and label tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _images.Dispose();
        _labels?.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Count} x {Channels}x{Height}x{Width}" + (HasLabels ? $", labels [{string.Join(", ", _labels!.shape)}]" : "");

    // Selects on the CPU (the bytes live there) and moves uint8, four times less than float32.
    private (Tensor Images, Tensor? Labels) GatherCore(Tensor index, Device? device, bool withLabels)
    {
        var target = device ?? CPU;
        var images = ToSignedUnit(_images.index_select(0, index).to(target));
        var labels = withLabels ? _labels?.index_select(0, index).to(target) : null;
        return (images, labels);
    }

    private static Tensor CheckIndices(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.dim() != 1 || (indices.dtype != ScalarType.Int64 && indices.dtype != ScalarType.Int32))
            throw new ArgumentException(
                $"indices must be a 1-D int64 or int32 tensor; got {indices.dtype} [{string.Join(", ", indices.shape)}]",
                nameof(indices));
        return indices.to(CPU).to_type(ScalarType.Int64);
    }

    // Ownership was handed to us, so a device copy replaces (and frees) the original.
    private static Tensor MoveToCpu(Tensor t)
    {
        if (t.device_type == DeviceType.CPU) return t;
        var cpu = t.to(CPU);
        t.Dispose();
        return cpu;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
