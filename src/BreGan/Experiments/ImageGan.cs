using BreGan.Data;
using BreGan.Models;
using BreGan.Training;
using BreGan.Visualization;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Experiments;

/// <summary>
/// Image GANs (the DCGAN family) on MNIST-format, CIFAR, image-folder, stacked-MNIST or random
/// data. Each evaluation logs D's monitors and writes a grid from a fixed set of z (comparable
/// across evaluations and runs) and a grid of fresh samples.
/// </summary>
public sealed class ImageGan : IExperiment
{
    /// <summary>The image datasets.</summary>
    public static readonly string[] Datasets = { "mnist", "fashion-mnist", "cifar10", "cifar100", "folder", "stacked-mnist", "idx", "random" };

    readonly ExperimentConfig config;
    readonly ImageDataset data;
    readonly nn.Module<Tensor, Tensor> g, d;
    readonly AdversarialGan variant;
    readonly DiscriminatorMonitors monitors;
    readonly Device device;
    readonly Tensor fixedNoise;
    readonly GanEvaluation? metrics; // eval.classifier: modes/kl or fid/classifier_score

    public ImageGan(ExperimentConfig config)
    {
        this.config = config;
        device = new Device(config.Train.Device);
        data = LoadData(config.Data, config.Train.Seed);
        (g, d) = BuildModels(config, data.Height, data.Channels, device);
        int nz = config.Model.NoiseDim;
        var (dev, dataset) = (device, data);
        variant = AdversarialGan.WithGaussianNoise(g, d, (n, gen) => dataset.SampleBatch(n, gen, dev), config, device);
        monitors = new DiscriminatorMonitors(d, config.Bre);
        using var fixedStream = new Generator((ulong)(config.Train.Seed * 7919 + 99), new Device("cpu"));
        fixedNoise = randn(new long[] { config.Eval.GridSamples, nz }, generator: fixedStream).to(device).DetachFromDisposeScope();
        if (!string.IsNullOrEmpty(config.Eval.Classifier)) metrics = GanEvaluation.Create(config, config.Eval.Classifier);
    }

    public IGanVariant Variant => variant;

    public TrainingSchedule Schedule => TrainingSchedule.Standard(config.Train, config.Eval.Every);

    /// <summary>The generator (for sampling from checkpoints).</summary>
    public nn.Module<Tensor, Tensor> Generator => g;

    /// <summary>Checks the image settings without reading data files (only that they exist).</summary>
    public static void Check(ExperimentConfig config)
    {
        var data = config.Data;
        if (!Datasets.Contains(data.Dataset))
            throw new BreGanInputException($"Unknown dataset '{data.Dataset}'; valid: {string.Join(", ", Toy2D.Datasets)}, {string.Join(", ", Datasets)}.");
        if (!ImageGanArchitecture.Names.Contains(config.Model.Architecture))
            throw new BreGanInputException($"Unknown architecture '{config.Model.Architecture}' for images; valid: {string.Join(", ", ImageGanArchitecture.Names)}.");
        if (data.Dataset != "random")
        {
            if (string.IsNullOrEmpty(data.Path))
                throw new BreGanInputException($"Dataset '{data.Dataset}' needs data.path (give --data PATH).");
            if (!File.Exists(data.Path) && !Directory.Exists(data.Path))
                throw new BreGanInputException($"Data path '{data.Path}' does not exist.");
        }
        var (size, channels) = Shape(data);
        ImageGanArchitecture.Resolve(config.Model.Architecture, Options(config, size, channels)); // validates the options
        if (!string.IsNullOrEmpty(config.Eval.Classifier)) GanEvaluation.Check(config, config.Eval.Classifier);
    }

    /// <summary>Image size and channels a data config produces.</summary>
    public static (int Size, int Channels) Shape(DataConfig data)
    {
        (int size, int channels) = data.Dataset switch
        {
            "mnist" or "fashion-mnist" or "idx" => (28, 1),
            "stacked-mnist" => (28, 3),
            "cifar10" or "cifar100" => (32, 3),
            "folder" => (data.ImageSize > 0 ? data.ImageSize : 64, data.Channels > 0 ? data.Channels : 3),
            _ => (data.ImageSize > 0 ? data.ImageSize : 32, data.Channels > 0 ? data.Channels : 3),
        };
        if (data.ImageSize > 0 && data.ImageSize != size)
            throw new BreGanInputException($"data.image_size {data.ImageSize} does not match dataset '{data.Dataset}' ({size}x{size}); leave it 0.");
        if (data.Channels > 0 && data.Channels != channels)
            throw new BreGanInputException($"data.channels {data.Channels} does not match dataset '{data.Dataset}' ({channels}); leave it 0.");
        return (size, channels);
    }

    static ImageNormalization Normalization(string text) => text switch
    {
        "none" => ImageNormalization.None,
        "layer" => ImageNormalization.Layer,
        _ => ImageNormalization.Batch,
    };

    /// <summary>The network options a config describes.</summary>
    public static ImageGanOptions Options(ExperimentConfig config, int size, int channels) => new()
    {
        ImageSize = size,
        Channels = channels,
        ZDim = config.Model.NoiseDim,
        WidthFactor = config.Model.WidthFactor,
        DiscriminatorWidthFactor = config.Model.DiscriminatorWidthFactor,
        Depth = config.Model.Depth > 0 ? config.Model.Depth : null,
        DiscriminatorNormalization = Normalization(config.Model.Normalization),
        GeneratorNormalization = Normalization(config.Model.GeneratorNormalization),
        DropoutProbability = config.Model.Dropout,
        Rectifier = config.Model.Rectifier switch { "relu" => ImageRectifier.Relu, "leaky-relu" => ImageRectifier.LeakyRelu, _ => null },
    };

    /// <summary>Builds G and D (parameters seeded by train.seed).</summary>
    public static (nn.Module<Tensor, Tensor> G, nn.Module<Tensor, Tensor> D) BuildModels(ExperimentConfig config, int size, int channels, Device device)
    {
        torch.random.manual_seed(config.Train.Seed);
        return ImageGanFactory.Create(config.Model.Architecture, Options(config, size, channels), device);
    }

    /// <summary>Loads the training images a data config names.</summary>
    public static ImageDataset LoadData(DataConfig data, long seed)
    {
        var (size, channels) = Shape(data);
        if (data.Dataset == "random")
        {
            // Noise images of the right shape: for benchmarks and tests, no files needed.
            using var gen = new Generator((ulong)seed, new Device("cpu"));
            int count = data.Count > 0 ? data.Count : 1024;
            var images = randint(0, 256, new long[] { count, channels, size, size }, generator: gen).to(ScalarType.Byte);
            return new ImageDataset(images, null, "random");
        }
        return ImageDatasets.Load(data.Dataset, data.Path!, train: true, size: size, channels: channels,
            count: data.Count, seed: (int)seed, warn: line => Console.Error.WriteLine("warning: " + line));
    }

    public Dictionary<string, double> Evaluate(int iteration, string imagesPath)
    {
        using var scope = NewDisposeScope();
        var row = new Dictionary<string, double>();
        using var streams = new Generator((ulong)(config.Train.Seed * 1_000_003 + iteration), new Device("cpu"));
        int b = config.Eval.MonitorBatch;
        var real = data.SampleBatch(b, streams, device);
        Tensor fake, fixedGrid;
        using (no_grad())
        {
            fake = g.call(randn(new long[] { b, config.Model.NoiseDim }, generator: streams).to(device));
            fixedGrid = g.call(fixedNoise);
        }
        monitors.Measure(real, fake, streams, row);
        WriteGrid(fixedGrid, Path.Combine(imagesPath, $"samples_{iteration:D7}.png"));
        WriteGrid(fake[TensorIndex.Slice(0, Math.Min(b, config.Eval.GridSamples))], Path.Combine(imagesPath, $"random_{iteration:D7}.png"));
        if (metrics is not null) foreach (var (k, v) in metrics.Row(iteration, g)) row[k] = v;
        return row;
    }

    /// <summary>Writes images in [-1, 1] as a grid PNG.</summary>
    public static void WriteGrid(Tensor images, string path)
    {
        var x = images.detach().to(ScalarType.Float32).cpu().contiguous();
        SampleGrid.Write(x.data<float>().ToArray(), (int)x.shape[0], (int)x.shape[1], (int)x.shape[2], (int)x.shape[3], path,
            scale: x.shape[2] < 48 ? 2 : 1);
    }

    /// <summary>The fixed-z grids as an animation of training progress.</summary>
    public void Finish(RunFolder run)
    {
        var frames = Directory.GetFiles(run.ImagesPath, "samples_*.png").OrderBy(p => p, StringComparer.Ordinal).ToList();
        if (frames.Count > 0) Animation.WriteGif(frames, Path.Combine(run.ImagesPath, "samples.gif"), frameDelayMs: 500);
    }

    public Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows) => ExperimentRunner.LastRow(rows);

    public void Dispose()
    {
        monitors.Dispose();
        variant.Dispose();
        g.Dispose();
        d.Dispose();
        data.Dispose();
        fixedNoise.Dispose();
        metrics?.Dispose();
    }
}
