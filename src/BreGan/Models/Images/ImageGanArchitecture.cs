namespace BreGan.Models;

/// <summary>Normalization layer used inside a network's hidden stages.</summary>
public enum ImageNormalization
{
    /// <summary>No normalization layer.</summary>
    None,
    /// <summary><c>BatchNorm2d</c> (statistics over batch and space, per channel).</summary>
    Batch,
    /// <summary>Layer normalization over (C, H, W) of each sample with a per-channel scale and shift,
    /// implemented as <c>GroupNorm(1, C)</c> (the WGAN-GP convention).</summary>
    Layer,
}

/// <summary>The discriminator's rectifier, the nonlinearity whose inputs BRE reads.</summary>
public enum ImageRectifier
{
    /// <summary><c>LeakyReLU(0.2)</c>.</summary>
    LeakyRelu,
    /// <summary><c>ReLU</c>.</summary>
    Relu,
}

/// <summary>
/// What the user chooses for an image GAN. Only scalars, so two options compare by value (a run can
/// refuse to resume with different ones). <see cref="ImageGanArchitecture.Resolve"/> checks them and
/// fills in the architecture's defaults.
/// </summary>
public sealed record ImageGanOptions
{
    /// <summary>Height and width of the images: 28, 32 or 64. Default 32.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Image channels: 1 (grey) or 3 (colour). Default 3.</summary>
    public int Channels { get; init; } = 3;

    /// <summary>Dimension of G's latent input z. Default 100.</summary>
    public int ZDim { get; init; } = 100;

    /// <summary>Multiplies every hidden width. Default 1 (dcgan: 16-32-64...; 4 gives the classic
    /// 64-128-256; dcgan-equal: 256 everywhere).</summary>
    public double WidthFactor { get; init; } = 1;

    /// <summary>D's widths relative to G's. Default 1 (D mirrors G); 0.25 is the harder stacked-MNIST
    /// setting of Metz et al. (2017), a D with a quarter of G's channels.</summary>
    public double DiscriminatorWidthFactor { get; init; } = 1;

    /// <summary>Number of stride-2 convolution stages in D (and transposed ones in G). Default (null):
    /// 3 for 28 and 32 pixels, 4 for 64, so the smallest map is 4x4.</summary>
    public int? Depth { get; init; }

    /// <summary>Normalization in D, after the rectifier, on every stage but the first. Default batch
    /// (the BRE reference's <c>d_bn: bn</c>).</summary>
    public ImageNormalization DiscriminatorNormalization { get; init; } = ImageNormalization.Batch;

    /// <summary>Normalization in G, after each hidden ReLU. Default batch.</summary>
    public ImageNormalization GeneratorNormalization { get; init; } = ImageNormalization.Batch;

    /// <summary>Dropout probability in D after every stage, in [0, 1). Default 0 (no dropout module).</summary>
    public double DropoutProbability { get; init; }

    /// <summary>D's rectifier. Default (null): the architecture's own (dcgan: LeakyReLU(0.2),
    /// dcgan-equal: ReLU).</summary>
    public ImageRectifier? Rectifier { get; init; }
}

/// <summary>
/// A fully resolved image GAN architecture: every size and width the two networks are built from.
/// D's stage <c>i</c> is a 5x5 stride-2 convolution to <c>Widths[i]</c> channels on a
/// <c>MapSizes[i]</c> square map; G mirrors D (its hidden maps are D's in reverse order).
/// </summary>
public sealed record ImageGanArchitecture
{
    /// <summary>The valid architecture names.</summary>
    public static readonly IReadOnlyList<string> Names = ["dcgan", "dcgan-equal"];

    /// <summary>Slope of the LeakyReLU on negative inputs.</summary>
    public const double LeakySlope = 0.2;

    /// <summary>Architecture name (one of <see cref="Names"/>).</summary>
    public required string Name { get; init; }
    /// <summary>Image height and width.</summary>
    public required int ImageSize { get; init; }
    /// <summary>Image channels.</summary>
    public required int Channels { get; init; }
    /// <summary>Latent dimension.</summary>
    public required int ZDim { get; init; }
    /// <summary>Output channels of D's stages, in order (G uses them in reverse).</summary>
    public required IReadOnlyList<int> Widths { get; init; }
    /// <summary>Spatial size after each of D's stages (<c>ceil(previous / 2)</c>).</summary>
    public required IReadOnlyList<int> MapSizes { get; init; }
    /// <summary>D's normalization (not on the first stage).</summary>
    public required ImageNormalization DiscriminatorNormalization { get; init; }
    /// <summary>G's normalization.</summary>
    public required ImageNormalization GeneratorNormalization { get; init; }
    /// <summary>D's dropout probability (0: no dropout module).</summary>
    public required double DropoutProbability { get; init; }
    /// <summary>D's rectifier.</summary>
    public required ImageRectifier Rectifier { get; init; }

    /// <summary>Number of strided stages.</summary>
    public int Depth => Widths.Count;

    /// <summary>Length of D's penultimate feature vector (input of its final linear layer).</summary>
    public int FeatureSize => Widths[^1] * MapSizes[^1] * MapSizes[^1];

    /// <summary>
    /// Checks <paramref name="options"/> and resolves architecture <paramref name="name"/>.
    /// Throws <see cref="BreGanInputException"/> naming the bad field and its valid values.
    /// </summary>
    public static ImageGanArchitecture Resolve(string name, ImageGanOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (name is null || !Names.Contains(name))
            throw new BreGanInputException($"Unknown architecture '{name}'; valid: {string.Join(", ", Names)}");
        if (options.ImageSize is not (28 or 32 or 64))
            throw new BreGanInputException($"ImageSize must be 28, 32 or 64; got {options.ImageSize}");
        if (options.Channels is not (1 or 3))
            throw new BreGanInputException($"Channels must be 1 or 3; got {options.Channels}");
        if (options.ZDim < 1)
            throw new BreGanInputException($"ZDim must be at least 1; got {options.ZDim}");
        if (!(options.WidthFactor > 0) || double.IsInfinity(options.WidthFactor))
            throw new BreGanInputException($"WidthFactor must be a finite number > 0; got {options.WidthFactor}");
        if (!(options.DiscriminatorWidthFactor > 0) || double.IsInfinity(options.DiscriminatorWidthFactor))
            throw new BreGanInputException($"DiscriminatorWidthFactor must be a finite number > 0; got {options.DiscriminatorWidthFactor}");
        if (!(options.DropoutProbability >= 0 && options.DropoutProbability < 1))
            throw new BreGanInputException($"DropoutProbability must be in [0, 1); got {options.DropoutProbability}");
        CheckEnum(options.DiscriminatorNormalization, nameof(options.DiscriminatorNormalization));
        CheckEnum(options.GeneratorNormalization, nameof(options.GeneratorNormalization));
        if (options.Rectifier is { } r) CheckEnum(r, nameof(options.Rectifier));

        // Halve (rounding up, as a 5x5 stride-2 pad-2 convolution does) while the map is at least 2x2.
        var allSizes = new List<int>();
        for (int s = options.ImageSize; s > 2;) { s = (s + 1) / 2; allSizes.Add(s); }
        int maxDepth = allSizes.Count;
        int depth = options.Depth ?? (options.ImageSize == 64 ? 4 : 3);
        if (depth < 1 || depth > maxDepth)
            throw new BreGanInputException(
                $"Depth must be between 1 and {maxDepth} for ImageSize {options.ImageSize}; got {depth}");

        bool equal = name == "dcgan-equal";
        var widths = new int[depth];
        for (int i = 0; i < depth; i++)
        {
            double w = equal ? 256 * options.WidthFactor : 16 * options.WidthFactor * Math.Pow(2, i);
            widths[i] = Math.Max(1, (int)Math.Round(w));
        }

        return new ImageGanArchitecture
        {
            Name = name,
            ImageSize = options.ImageSize,
            Channels = options.Channels,
            ZDim = options.ZDim,
            Widths = widths,
            MapSizes = allSizes.Take(depth).ToArray(),
            DiscriminatorNormalization = options.DiscriminatorNormalization,
            GeneratorNormalization = options.GeneratorNormalization,
            DropoutProbability = options.DropoutProbability,
            Rectifier = options.Rectifier ?? (equal ? ImageRectifier.Relu : ImageRectifier.LeakyRelu),
        };
    }

    private static void CheckEnum<T>(T value, string field) where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
            throw new BreGanInputException(
                $"{field} must be one of {string.Join(", ", Enum.GetNames<T>())}; got {value}");
    }
}
