using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Data;

/// <summary>
/// Loaders for the image data sets BreGan trains on. Every loader returns an
/// <see cref="ImageDataset"/> of uint8 pixels and reports bad input as a
/// <see cref="BreGanInputException"/> whose one-line message names the file and the problem.
/// </summary>
public static partial class ImageDatasets
{
    /// <summary>The dataset kinds <see cref="Load"/> accepts.</summary>
    public static IReadOnlyList<string> Kinds { get; } =
        ["idx", "mnist", "fashion-mnist", "cifar10", "cifar100", "folder", "stacked-mnist"];

    /// <summary>
    /// Loads a data set by kind, for the command line and configs.
    /// <list type="bullet">
    /// <item><c>idx</c>: <paramref name="path"/> is an IDX images file (raw or .gz);
    /// <paramref name="labelsPath"/> an optional IDX labels file.</item>
    /// <item><c>mnist</c>, <c>fashion-mnist</c>: <paramref name="path"/> is a directory with the four
    /// standard IDX files (raw or .gz); <paramref name="train"/> picks train-* or t10k-*.</item>
    /// <item><c>cifar10</c>, <c>cifar100</c>: the binary version's folder, its parent, or one .bin file.</item>
    /// <item><c>folder</c>: PNG/JPEG files under <paramref name="path"/>, centre-cropped and resized
    /// to <paramref name="size"/>, with <paramref name="channels"/> 1 or 3; no labels.</item>
    /// <item><c>stacked-mnist</c>: an MNIST directory as for <c>mnist</c>; <paramref name="count"/>
    /// samples (0: as many as the MNIST split has) built with <paramref name="seed"/>.</item>
    /// </list>
    /// </summary>
    /// <param name="kind">One of <see cref="Kinds"/> (case-insensitive; '_' reads as '-').</param>
    /// <param name="path">File or directory, as described per kind.</param>
    /// <param name="train">Training split (true) or test split (false), where the kind has both.</param>
    /// <param name="size">Side of the square output images for <c>folder</c>.</param>
    /// <param name="channels">1 (grey) or 3 (RGB) for <c>folder</c>.</param>
    /// <param name="labelsPath">Labels file for <c>idx</c>.</param>
    /// <param name="count">Number of stacked-MNIST samples; 0 means the size of the MNIST split.</param>
    /// <param name="seed">Seed of the stacked-MNIST digit draw.</param>
    /// <param name="warn">Receives one line per skipped file (folder); null writes to stderr.</param>
    /// <exception cref="BreGanInputException">Unknown kind or bad input.</exception>
    public static ImageDataset Load(string kind, string path, bool train = true, int size = 32, int channels = 3,
        string? labelsPath = null, int count = 0, int seed = 0, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(path);
        switch (kind.Trim().ToLowerInvariant().Replace('_', '-'))
        {
            case "idx":
                return LoadIdx(path, labelsPath);
            case "mnist":
                return LoadMnist(path, train, "mnist");
            case "fashion-mnist":
                return LoadMnist(path, train, "fashion-mnist");
            case "cifar10" or "cifar-10":
                return LoadCifar10(path, train);
            case "cifar100" or "cifar-100":
                return LoadCifar100(path, train);
            case "folder":
                return LoadImageFolder(path, size, channels, warn);
            case "stacked-mnist":
                using (var mnist = LoadMnist(path, train, "mnist"))
                    return StackedMnist.Create(mnist, count > 0 ? count : mnist.Count, seed);
            default:
                throw new BreGanInputException(
                    $"unknown dataset kind '{kind}' (valid: {string.Join(", ", Kinds)})");
        }
    }

    /// <summary>
    /// Loads one split of MNIST or an MNIST-format data set (Fashion-MNIST) from a directory holding
    /// <c>train-images-idx3-ubyte</c>, <c>train-labels-idx1-ubyte</c>, <c>t10k-images-idx3-ubyte</c>
    /// and <c>t10k-labels-idx1-ubyte</c>, each raw or gzipped (<c>.gz</c>). Images are [N, 1, 28, 28].
    /// </summary>
    /// <param name="directory">The directory with the IDX files.</param>
    /// <param name="train">true: train-*; false: t10k-*.</param>
    /// <param name="name">Name for logs, e.g. "fashion-mnist".</param>
    public static ImageDataset LoadMnist(string directory, bool train = true, string name = "mnist")
    {
        const string expected = "the four MNIST IDX files train-images-idx3-ubyte, train-labels-idx1-ubyte, " +
                                "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte (raw or .gz)";
        if (!Directory.Exists(directory))
            throw new BreGanInputException(
                File.Exists(directory)
                    ? $"{directory}: is a file, expected a directory with {expected}"
                    : $"{directory}: directory not found (expected {expected})");
        string prefix = train ? "train" : "t10k";
        string images = FindMnistFile(directory, prefix, "images", "idx3", expected);
        string labels = FindMnistFile(directory, prefix, "labels", "idx1", expected);
        return LoadIdx(images, labels, $"{name} ({(train ? "train" : "test")})");
    }

    // Standard names, plus the dotted variant some mirrors use (train-images.idx3-ubyte).
    private static string FindMnistFile(string directory, string prefix, string what, string idx, string expected)
    {
        foreach (var baseName in new[] { $"{prefix}-{what}-{idx}-ubyte", $"{prefix}-{what}.{idx}-ubyte" })
            foreach (var candidate in new[] { baseName, baseName + ".gz" })
            {
                var full = Path.Combine(directory, candidate);
                if (File.Exists(full)) return full;
            }
        throw new BreGanInputException(
            $"{Path.Combine(directory, $"{prefix}-{what}-{idx}-ubyte")}[.gz]: file not found (expected {expected})");
    }

    // One managed buffer becomes one tensor; callers have already checked the sizes.
    private static Tensor BytesToTensor(byte[] data, params long[] shape) =>
        torch.tensor(data, shape, dtype: ScalarType.Byte);

    private static Tensor LabelsToTensor(long[] labels, params long[] shape) =>
        torch.tensor(labels, shape, dtype: ScalarType.Int64);
}
