using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BreGan.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>What a classifier file says about itself (its header, and the JSON file beside it).</summary>
public sealed record DigitClassifierInfo
{
    /// <summary>Side of the square input images in pixels.</summary>
    public int ImageSize { get; init; } = 28;
    /// <summary>Input channels (1 for MNIST and Fashion-MNIST).</summary>
    public int Channels { get; init; } = 1;
    /// <summary>Number of classes.</summary>
    public int Classes { get; init; } = 10;
    /// <summary>Channels of the first convolution; the second has twice as many.</summary>
    public int Width { get; init; } = 16;
    /// <summary>Dimension of the penultimate features (what FID is computed on).</summary>
    public int FeatureDim { get; init; } = 128;
    /// <summary>Data set it was trained on (mnist, fashion-mnist, ...); what eval checks a run against.</summary>
    public string Dataset { get; init; } = "";
    /// <summary>Accuracy on the held-out test split, in [0, 1]; NaN before training.</summary>
    public double TestAccuracy { get; init; } = double.NaN;
    /// <summary>Images in that test split.</summary>
    public int TestCount { get; init; }
    /// <summary>Training images, epochs and seconds (informational).</summary>
    public int TrainCount { get; init; }
    public int Epochs { get; init; }
    public double Seconds { get; init; }
    public long Seed { get; init; }
}

/// <summary>Settings of <see cref="DigitClassifier.Train"/>.</summary>
public sealed record DigitClassifierTraining
{
    /// <summary>Passes over the training set.</summary>
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 128;
    /// <summary>Adam learning rate, annealed linearly to 0 over the run.</summary>
    public double Lr { get; init; } = 2e-3;
    public long Seed { get; init; } = 1;
    /// <summary>Random rotation (±10°), scaling (0.9 to 1.1) and shift (±2 px at 28) of each training image.</summary>
    public bool Augment { get; init; } = true;
    public string Device { get; init; } = "cpu";
}

/// <summary>
/// A small CNN classifier for the GAN metrics: conv 5x5 (w) → ReLU → max-pool 2 → conv 5x5 (2w) → ReLU
/// → max-pool 2 → linear (F) → ReLU = the penultimate features → dropout 0.3 → linear (K) logits.
/// Input: images [B, C, S, S] in [-1, 1] (as <see cref="ImageDataset"/> batches and G's tanh output).
/// Saved self-describing: the file holds its <see cref="DigitClassifierInfo"/> (image size, channels,
/// classes, widths, data set, test accuracy) before the weights, so a classifier that does not fit a
/// run is refused before anything is computed.
/// </summary>
public sealed class DigitClassifier : nn.Module<Tensor, Tensor>
{
    const string Magic = "BREGAN-CLASSIFIER";
    const int Version = 1;

    private readonly Conv2d conv1, conv2;
    private readonly MaxPool2d pool;
    private readonly Linear fc, head;
    private readonly Dropout dropout;

    public DigitClassifier(DigitClassifierInfo info) : base("DigitClassifier")
    {
        Info = info ?? throw new ArgumentNullException(nameof(info));
        if (info.ImageSize < 8 || info.Channels < 1 || info.Classes < 2 || info.Width < 1 || info.FeatureDim < 1)
            throw new BreGanInputException($"Classifier needs image size >= 8, channels >= 1, classes >= 2, width and features >= 1; got {Describe(info)}.");
        int map = info.ImageSize / 4;
        conv1 = nn.Conv2d(info.Channels, info.Width, kernel_size: 5, padding: 2);
        conv2 = nn.Conv2d(info.Width, 2 * info.Width, kernel_size: 5, padding: 2);
        pool = nn.MaxPool2d(2);
        fc = nn.Linear(2L * info.Width * map * map, info.FeatureDim);
        dropout = nn.Dropout(0.3);
        head = nn.Linear(info.FeatureDim, info.Classes);
        RegisterComponents();
    }

    /// <summary>The header: shapes, data set and test accuracy.</summary>
    public DigitClassifierInfo Info { get; private set; }

    /// <summary>Logits [B, K].</summary>
    public override Tensor forward(Tensor x) => head.call(dropout.call(Features(x)));

    /// <summary>Penultimate features [B, F] (after the ReLU), what FID is computed on.</summary>
    public Tensor Features(Tensor x)
    {
        CheckInput(x);
        var h = pool.call(nn.functional.relu(conv1.call(x)));
        h = pool.call(nn.functional.relu(conv2.call(h)));
        return nn.functional.relu(fc.call(h.flatten(1)));
    }

    /// <summary>Features [B, F] and class probabilities [B, K] in one pass (call in eval mode).</summary>
    public (Tensor Features, Tensor Probabilities) FeaturesAndProbabilities(Tensor x)
    {
        var f = Features(x);
        return (f, nn.functional.softmax(head.call(f), 1));
    }

    void CheckInput(Tensor x)
    {
        if (x.dim() != 4 || x.shape[1] != Info.Channels || x.shape[2] != Info.ImageSize || x.shape[3] != Info.ImageSize)
            throw new BreGanInputException($"Classifier expects images [B, {Info.Channels}, {Info.ImageSize}, {Info.ImageSize}], got [{string.Join(", ", x.shape)}].");
    }

    static string Describe(DigitClassifierInfo i) => $"{i.Channels}x{i.ImageSize}x{i.ImageSize}, {i.Classes} classes, width {i.Width}, {i.FeatureDim} features";

    /// <summary>Refuses (BreGanInputException) when this classifier cannot classify C x S x S images.</summary>
    public static void CheckFits(DigitClassifierInfo info, int size, int channels, string classifierName, string what)
    {
        if (info.ImageSize != size || info.Channels != channels)
            throw new BreGanInputException(
                $"Classifier '{classifierName}' takes {info.Channels}x{info.ImageSize}x{info.ImageSize} images ({info.Dataset}); {what} needs {channels}x{size}x{size}.");
    }

    // ---- training --------------------------------------------------------------------------------

    /// <summary>
    /// Trains a classifier on <paramref name="train"/> (labels [N]) and measures its accuracy on the
    /// held-out <paramref name="test"/>. Adam, cross-entropy, learning rate annealed linearly to 0,
    /// random affine augmentation; one dispose scope per step.
    /// </summary>
    public static DigitClassifier Train(ImageDataset train, ImageDataset test, string dataset, DigitClassifierTraining options,
        int width = 16, int featureDim = 128, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        foreach (var (ds, which) in new[] { (train, "training"), (test, "test") })
            if (ds.Labels is null || ds.Labels.dim() != 1)
                throw new BreGanInputException($"Classifier {which} data '{ds.Name}' needs one class label per image.");
        if (train.Channels != test.Channels || train.Height != test.Height || train.Height != train.Width)
            throw new BreGanInputException($"Classifier data must be square images of one shape: train {train}, test {test}.");
        if (options.Epochs < 1 || options.BatchSize < 1 || options.Lr <= 0)
            throw new BreGanInputException($"Classifier training needs epochs >= 1, batch size >= 1 and lr > 0; got {options.Epochs}, {options.BatchSize}, {options.Lr}.");

        int classes;
        using (var max = train.Labels!.max()) classes = Math.Max(10, (int)max.item<long>() + 1);
        var device = new Device(options.Device);
        torch.random.manual_seed(options.Seed);
        var model = new DigitClassifier(new DigitClassifierInfo
        {
            ImageSize = train.Height, Channels = train.Channels, Classes = classes, Width = width, FeatureDim = featureDim, Dataset = dataset,
        });
        model.to(device);
        using var optimizer = optim.Adam(model.parameters(), options.Lr);
        using var gen = new Generator((ulong)options.Seed, new Device("cpu"));
        var clock = Stopwatch.StartNew();
        int stepsPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        int totalSteps = stepsPerEpoch * options.Epochs, step = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            model.train();
            using var perm = randperm(train.Count, dtype: ScalarType.Int64, generator: gen);
            double lossSum = 0;
            for (int b = 0; b < stepsPerEpoch; b++, step++)
            {
                using var scope = NewDisposeScope();
                foreach (var group in optimizer.ParamGroups) group.LearningRate = options.Lr * (1 - (double)step / totalSteps);
                int start = b * options.BatchSize, n = Math.Min(options.BatchSize, train.Count - start);
                var (x, y) = train.Gather(perm.narrow(0, start, n), device);
                if (options.Augment) x = Augment(x, gen);
                var loss = nn.functional.cross_entropy(model.call(x), y!);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                if (b == stepsPerEpoch - 1) lossSum = loss.item<float>(); // one host copy per epoch
            }
            if (log is not null)
                log($"epoch {epoch}/{options.Epochs}: last batch loss {lossSum:F4}, test accuracy {100 * Accuracy(model, test, device):F2}% ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        double accuracy = Accuracy(model, test, device);
        model.Info = model.Info with
        {
            TestAccuracy = accuracy, TestCount = test.Count, TrainCount = train.Count, Epochs = options.Epochs,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 1), Seed = options.Seed,
        };
        model.eval();
        return model;
    }

    /// <summary>Random rotation ±10°, scale 0.9 to 1.1 and shift ±7% of the side, per image; the
    /// background (-1) fills what comes in from outside.</summary>
    static Tensor Augment(Tensor x, Generator gen)
    {
        long n = x.shape[0];
        var u = rand(new long[] { n, 4 }, generator: gen).to(x.device) * 2 - 1; // U(-1, 1)
        var angle = u[.., 0] * (10 * Math.PI / 180);
        var scale = 1 + 0.1 * u[.., 1];
        var (cos, sin) = (angle.cos() / scale, angle.sin() / scale);
        var theta = stack(new[] { cos, -sin, 0.14 * u[.., 2], sin, cos, 0.14 * u[.., 3] }, 1).view(n, 2, 3).to(x.dtype);
        var grid = nn.functional.affine_grid(theta, x.shape, align_corners: false);
        return nn.functional.grid_sample(x + 1, grid, align_corners: false) - 1;
    }

    /// <summary>Fraction of <paramref name="data"/> classified correctly (eval mode, batches of 500).</summary>
    public static double Accuracy(DigitClassifier model, ImageDataset data, Device? device = null)
    {
        bool wasTraining = model.training;
        model.eval();
        long correct = 0;
        using (no_grad())
            for (int start = 0; start < data.Count; start += 500)
            {
                using var scope = NewDisposeScope();
                var (x, y) = data.Slice(start, Math.Min(500, data.Count - start), device);
                correct += model.call(x).argmax(1).eq(y!).sum().item<long>();
            }
        if (wasTraining) model.train();
        return (double)correct / data.Count;
    }

    // ---- files -----------------------------------------------------------------------------------

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The JSON file written beside a classifier file (its header, readable).</summary>
    public static string InfoPath(string path) => path + ".json";

    /// <summary>Writes the classifier (header, then weights) atomically, and its header as JSON beside it.</summary>
    public void Save(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var header = JsonSerializer.Serialize(Info, Json);
        var tmp = full + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(header);
            save(w);
            w.Write(Magic); // trailer: a file cut short is detected
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, full, overwrite: true);
        File.WriteAllText(InfoPath(full), header + "\n");
    }

    /// <summary>Reads only the header of a classifier file.</summary>
    /// <exception cref="BreGanInputException">Missing, not a classifier file, or unreadable.</exception>
    public static DigitClassifierInfo ReadInfo(string path) => Read(path, null);

    /// <summary>Loads a classifier file onto <paramref name="device"/>, in eval mode.</summary>
    /// <exception cref="BreGanInputException">Missing, not a classifier file, truncated or unreadable.</exception>
    public static DigitClassifier Load(string path, Device? device = null)
    {
        DigitClassifier? model = null;
        Read(path, (info, r) =>
        {
            model = new DigitClassifier(info);
            model.load(r);
        });
        var loaded = model!;
        loaded.to(device ?? CPU);
        loaded.eval();
        return loaded;
    }

    static DigitClassifierInfo Read(string path, Action<DigitClassifierInfo, BinaryReader>? body)
    {
        if (!File.Exists(path))
            throw new BreGanInputException($"Classifier file '{path}' does not exist (train one with 'bregan classifier train').");
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            var magic = new[] { (byte)Magic.Length }.Concat(Encoding.UTF8.GetBytes(Magic)).ToArray(); // as BinaryWriter.Write(string) puts it
            if (!r.ReadBytes(magic.Length).AsSpan().SequenceEqual(magic))
                throw new BreGanInputException($"'{path}' is not a BreGan classifier file (train one with 'bregan classifier train').");
            int version = r.ReadInt32();
            if (version != Version) throw new BreGanInputException($"'{path}': classifier file version {version}; this BreGan reads version {Version}.");
            var info = JsonSerializer.Deserialize<DigitClassifierInfo>(r.ReadString(), Json)
                ?? throw new BreGanInputException($"'{path}': empty classifier header.");
            if (body is not null)
            {
                body(info, r);
                if (r.ReadString() != Magic) throw new BreGanInputException($"'{path}': classifier file is truncated.");
            }
            return info;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or JsonException or ArgumentException or InvalidOperationException)
        {
            throw new BreGanInputException($"'{path}': unreadable classifier file ({e.Message.Split('\n')[0]}).");
        }
    }
}
