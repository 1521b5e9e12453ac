using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Data;

/// <summary>Axis-aligned rectangle in the plane: where a plot of a 2D mixture should look.</summary>
/// <param name="MinX">Left edge.</param>
/// <param name="MaxX">Right edge.</param>
/// <param name="MinY">Bottom edge.</param>
/// <param name="MaxY">Top edge.</param>
public readonly record struct Extent2D(double MinX, double MaxX, double MinY, double MaxY);

/// <summary>
/// A mixture of K isotropic 2D Gaussians with equal weights and one shared standard deviation:
/// the toy data of the PacGAN protocol (presets <c>ring8</c> and <c>grid25</c>).
/// </summary>
public sealed class GaussianMixture2D
{
    /// <summary>Names accepted by <see cref="FromName"/>, in the order they are listed to users.</summary>
    public static IReadOnlyList<string> PresetNames { get; } = ["ring8", "grid25"];

    private readonly double[,] _means;

    /// <summary>Creates a mixture from a [K, 2] table of means.</summary>
    /// <param name="means">Component means, one row (x, y) per component; at least one row.</param>
    /// <param name="std">Standard deviation of every component along each axis; finite and &gt; 0.</param>
    /// <param name="name">Name used in logs and plots.</param>
    /// <exception cref="BreGanInputException">No means, a row that is not (x, y), a non-finite mean, or std not &gt; 0.</exception>
    public GaussianMixture2D(double[,] means, double std, string name = "custom")
    {
        ArgumentNullException.ThrowIfNull(means);
        if (means.GetLength(0) < 1)
            throw new BreGanInputException("A Gaussian mixture needs at least one mean");
        if (means.GetLength(1) != 2)
            throw new BreGanInputException($"Gaussian mixture means must be [K, 2], got [{means.GetLength(0)}, {means.GetLength(1)}]");
        if (!double.IsFinite(std) || std <= 0)
            throw new BreGanInputException($"Gaussian mixture std must be > 0, got {std}");
        foreach (var v in means)
            if (!double.IsFinite(v))
                throw new BreGanInputException($"Gaussian mixture means must be finite, got {v}");
        _means = (double[,])means.Clone();
        Std = std;
        Name = name;
    }

    /// <summary>Creates a mixture from a list of (x, y) means.</summary>
    /// <inheritdoc cref="GaussianMixture2D(double[,], double, string)"/>
    public GaussianMixture2D(IReadOnlyList<(double X, double Y)> means, double std, string name = "custom")
        : this(ToTable(means), std, name) { }

    /// <summary>Name used in logs and plots (the preset name for presets).</summary>
    public string Name { get; }

    /// <summary>Number of components K.</summary>
    public int Count => _means.GetLength(0);

    /// <summary>Standard deviation of every component along each axis.</summary>
    public double Std { get; }

    /// <summary>A copy of the [K, 2] table of means.</summary>
    public double[,] Means => (double[,])_means.Clone();

    /// <summary>Largest absolute coordinate of any mean (1 for ring8, 4 for grid25), used to size
    /// the generator's output. Samples reach a few <see cref="Std"/> beyond it, so an output squashed
    /// into [-Scale, Scale] needs some headroom.</summary>
    public double Scale
    {
        get
        {
            double s = 0;
            foreach (var v in _means) s = Math.Max(s, Math.Abs(v));
            return s;
        }
    }

    /// <summary>Bounding box of the means, padded on every side by <c>0.25 * Scale + 4 * Std</c>:
    /// a plotting plane that shows every mode with room for near misses
    /// (ring8: ±1.29, grid25: ±5.2).</summary>
    public Extent2D Extent
    {
        get
        {
            double minX = double.PositiveInfinity, maxX = double.NegativeInfinity;
            double minY = double.PositiveInfinity, maxY = double.NegativeInfinity;
            for (int k = 0; k < Count; k++)
            {
                minX = Math.Min(minX, _means[k, 0]); maxX = Math.Max(maxX, _means[k, 0]);
                minY = Math.Min(minY, _means[k, 1]); maxY = Math.Max(maxY, _means[k, 1]);
            }
            double pad = 0.25 * Scale + 4 * Std;
            return new Extent2D(minX - pad, maxX + pad, minY - pad, maxY + pad);
        }
    }

    // ------------------------------------------------------------------ presets

    /// <summary>PacGAN's ring: 8 Gaussians at (cos 2πk/8, sin 2πk/8), std 0.01.</summary>
    public static GaussianMixture2D Ring8()
    {
        var means = new double[8, 2];
        for (int k = 0; k < 8; k++)
        {
            means[k, 0] = Math.Cos(2 * Math.PI * k / 8);
            means[k, 1] = Math.Sin(2 * Math.PI * k / 8);
        }
        return new GaussianMixture2D(means, 0.01, "ring8");
    }

    /// <summary>PacGAN's grid: 25 Gaussians at {-4, -2, 0, 2, 4}², std 0.05 (row-major in x, then y).</summary>
    public static GaussianMixture2D Grid25()
    {
        var means = new double[25, 2];
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++)
            {
                means[5 * i + j, 0] = -4 + 2 * i;
                means[5 * i + j, 1] = -4 + 2 * j;
            }
        return new GaussianMixture2D(means, 0.05, "grid25");
    }

    /// <summary>The preset with this name (case-insensitive): <c>ring8</c> or <c>grid25</c>.</summary>
    /// <exception cref="BreGanInputException">Unknown name; the message lists the valid ones.</exception>
    public static GaussianMixture2D FromName(string name) => name?.ToLowerInvariant() switch
    {
        "ring8" => Ring8(),
        "grid25" => Grid25(),
        _ => throw new BreGanInputException($"Unknown dataset '{name}'; valid: {string.Join(", ", PresetNames)}"),
    };

    // ------------------------------------------------------------------ tensors

    /// <summary>The means as a [K, 2] tensor.</summary>
    public Tensor MeansTensor(Device? device = null, ScalarType dtype = ScalarType.Float32) =>
        tensor(_means, dtype, device);

    /// <summary>
    /// Draws <paramref name="n"/> samples as an [n, 2] tensor: a component chosen uniformly per
    /// sample plus <see cref="Std"/> times standard normal noise. Only <paramref name="gen"/> is
    /// used (never the global RNG), and everything stays on <paramref name="device"/> (no host sync).
    /// </summary>
    /// <param name="n">Number of samples, &gt;= 0.</param>
    /// <param name="gen">Random generator; it must belong to <paramref name="device"/>'s type (a CUDA generator for CUDA).</param>
    /// <param name="device">Where the samples live; CPU when null.</param>
    /// <param name="dtype">Floating-point type of the samples.</param>
    public Tensor Sample(int n, Generator gen, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(gen);
        using var scope = NewDisposeScope();
        var component = randint(Count, new long[] { n }, ScalarType.Int64, device, generator: gen);
        var noise = randn(new long[] { n, 2 }, dtype, device, generator: gen);
        var x = MeansTensor(device, dtype).index_select(0, component).add_(noise.mul_(Std));
        return x.MoveToOuterDisposeScope();
    }

    private static double[,] ToTable(IReadOnlyList<(double X, double Y)> means)
    {
        ArgumentNullException.ThrowIfNull(means);
        var table = new double[means.Count, 2];
        for (int k = 0; k < means.Count; k++) (table[k, 0], table[k, 1]) = means[k];
        return table;
    }
}
