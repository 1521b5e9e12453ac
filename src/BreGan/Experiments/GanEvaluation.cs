using BreGan.Data;
using BreGan.Metrics;
using BreGan.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Experiments;

/// <summary>
/// Sample-quality and mode metrics of an image G, on a trained <see cref="DigitClassifier"/>:
/// <list type="bullet">
/// <item>stacked-mnist runs: each of the three channels of every sample is classified as a digit;
/// <c>modes</c> = distinct digit triples among the samples (26,000 by default, of 1,000 possible) and
/// <c>kl</c> = KL(triple histogram || uniform 1/1000) (<see cref="ModeCoverage"/>).</item>
/// <item>single-channel runs (mnist, fashion-mnist): <c>fid</c> = Fréchet distance between the
/// classifier's penultimate features of the samples (10,000 by default) and of the real test split
/// (<see cref="FrechetDistance"/>, float64), and <c>classifier_score</c> = exp(mean KL(p(y|x) || p(y))),
/// the Inception-score formula on this classifier (<see cref="ClassifierScore"/>).</item>
/// </list>
/// G is sampled in eval mode (batch norm with its running statistics, so a sample does not depend
/// on the others in its batch, and G's state is untouched) from z drawn with a fixed seed derived
/// from train.seed: every evaluation of a run sees the same z, so the numbers during training and
/// from <c>bregan eval</c> on the final checkpoint agree.
/// </summary>
public sealed class GanEvaluation : IDisposable
{
    /// <summary>Samples for the mode count, as in the stacked-MNIST literature.</summary>
    public const int DefaultModeSamples = 26_000;
    /// <summary>Samples for FID and the classifier score (the size of the standard test splits).</summary>
    public const int DefaultFidSamples = 10_000;
    const int Batch = 500;

    readonly ExperimentConfig config;
    readonly DigitClassifier classifier;
    readonly Device device;
    readonly bool stacked;
    readonly string dataPath;
    Tensor? realMean, realCovariance;

    /// <summary>The metric keys this evaluation writes.</summary>
    public IReadOnlyList<string> Keys => stacked ? new[] { "modes", "kl" } : new[] { "fid", "classifier_score" };

    /// <summary>True for a stacked-MNIST run (modes and KL), false for FID and the classifier score.</summary>
    public bool Stacked => stacked;

    public DigitClassifierInfo ClassifierInfo => classifier.Info;

    GanEvaluation(ExperimentConfig config, DigitClassifier classifier, Device device, string dataPath)
    {
        this.config = config;
        this.classifier = classifier;
        this.device = device;
        this.dataPath = dataPath;
        stacked = config.Data.Dataset == "stacked-mnist";
    }

    /// <summary>
    /// Loads the classifier for a run's config after <see cref="Check"/>. <paramref name="dataPath"/>
    /// overrides data.path (the folder with the test split), e.g. for a run trained elsewhere.
    /// </summary>
    public static GanEvaluation Create(ExperimentConfig config, string classifierPath, string? dataPath = null)
    {
        dataPath ??= config.Data.Path;
        Check(config, classifierPath, dataPath);
        var device = new Device(config.Train.Device);
        var evaluation = new GanEvaluation(config, DigitClassifier.Load(classifierPath, device), device, dataPath!);
        try
        {
            if (!evaluation.stacked) evaluation.LoadRealMoments(); // a test split too small fails here, before training
            return evaluation;
        }
        catch
        {
            evaluation.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Everything that can be checked from the config and the classifier's header: a dataset the
    /// metrics know, a classifier of the right image size, channels and data set, an existing data
    /// path, and enough samples for a covariance of the classifier's features.
    /// </summary>
    public static void Check(ExperimentConfig config, string classifierPath, string? dataPath = null)
    {
        dataPath ??= config.Data.Path;
        var dataset = config.Data.Dataset;
        if (dataset is not ("stacked-mnist" or "mnist" or "fashion-mnist"))
            throw new BreGanInputException($"GAN metrics need a stacked-mnist (modes, kl), mnist or fashion-mnist (fid, classifier_score) run; this run's dataset is '{dataset}'.");
        var info = DigitClassifier.ReadInfo(classifierPath);
        var (size, channels) = ImageGan.Shape(config.Data);
        if (dataset == "stacked-mnist")
            DigitClassifier.CheckFits(info, size, 1, classifierPath, "a stacked-mnist run (each of its 3 channels is one digit)");
        else
            DigitClassifier.CheckFits(info, size, channels, classifierPath, $"a {dataset} run");
        string wanted = dataset == "fashion-mnist" ? "fashion-mnist" : "mnist";
        if (info.Dataset is "mnist" or "fashion-mnist" && info.Dataset != wanted)
            throw new BreGanInputException($"Classifier '{classifierPath}' was trained on {info.Dataset}; a {dataset} run needs one trained on {wanted}.");
        if (string.IsNullOrEmpty(dataPath) || !Directory.Exists(dataPath))
            throw new BreGanInputException($"GAN metrics need the {wanted} folder with its test split; '{dataPath}' is not a folder (give --data PATH).");
        int samples = SamplesFor(config);
        if (dataset == "stacked-mnist" ? samples < 1 : samples <= info.FeatureDim)
            throw new BreGanInputException(dataset == "stacked-mnist"
                ? $"Mode counting needs at least 1 sample, got {samples}."
                : $"too few samples for a covariance: {samples} generated samples for {info.FeatureDim} classifier features; FID needs more than {info.FeatureDim} (eval.metrics_samples or --samples).");
    }

    /// <summary>Samples an evaluation draws: eval.metrics_samples, or the default for the run's kind.</summary>
    public static int SamplesFor(ExperimentConfig config) =>
        config.Eval.MetricsSamples > 0 ? config.Eval.MetricsSamples
        : config.Data.Dataset == "stacked-mnist" ? DefaultModeSamples : DefaultFidSamples;

    /// <summary>Seed of the evaluation's z: fixed per run, different from the training streams.</summary>
    public static ulong NoiseSeed(ExperimentConfig config) => (ulong)(config.Train.Seed * 104_729 + 4_242);

    /// <summary>
    /// The metrics of <paramref name="generator"/> on <see cref="SamplesFor"/> samples. Restores G's
    /// train/eval mode afterwards.
    /// </summary>
    public Dictionary<string, double> Evaluate(nn.Module<Tensor, Tensor> generator)
    {
        int samples = SamplesFor(config);
        bool wasTraining = generator.training;
        generator.eval();
        try
        {
            using var gen = new Generator(NoiseSeed(config), new Device("cpu"));
            return stacked ? Modes(generator, samples, gen) : Fid(generator, samples, gen);
        }
        finally
        {
            if (wasTraining) generator.train();
        }
    }

    /// <summary>
    /// A metrics row for iteration <paramref name="iteration"/> during training: the metrics at
    /// multiples of eval.metrics_every and at the last iteration, NaN (an empty cell) otherwise, so
    /// metrics.csv has the columns from its first row on.
    /// </summary>
    public Dictionary<string, double> Row(int iteration, nn.Module<Tensor, Tensor> generator)
    {
        int every = config.Eval.MetricsEvery;
        bool due = iteration == config.Train.Iterations || every > 0 && iteration % every == 0;
        return due ? Evaluate(generator) : Keys.ToDictionary(k => k, _ => double.NaN);
    }

    /// <summary>
    /// The same metrics on real data, as the yardstick: stacked-mnist, 26,000 (or the sample count)
    /// stacks of test digits (<c>real_modes</c>, <c>real_kl</c>); otherwise the classifier score of
    /// the test split (<c>real_classifier_score</c>) and the FID of as many training images as
    /// samples (at most the training split) against the test split (<c>real_fid</c>).
    /// </summary>
    public Dictionary<string, double> Reference()
    {
        int samples = SamplesFor(config);
        using var scope = NewDisposeScope();
        using var testDigits = ImageDatasets.LoadMnist(dataPath, train: false, stacked ? "mnist" : config.Data.Dataset);
        if (stacked)
        {
            using var stacks = StackedMnist.Create(testDigits, samples, seed: 7);
            var labels = new List<Tensor>();
            using (no_grad())
                for (int start = 0; start < samples; start += Batch)
                {
                    var (x, _) = stacks.Slice(start, Math.Min(Batch, samples - start), device);
                    labels.Add(ClassifyChannels(x));
                }
            var r = ModeCoverage.Compute(cat(labels, 0));
            return new() { ["real_modes"] = r.Modes, ["real_kl"] = r.Kl };
        }
        var (testFeatures, testProbabilities) = Classify(testDigits, testDigits.Count);
        using var train = ImageDatasets.LoadMnist(dataPath, train: true, config.Data.Dataset);
        var (trainFeatures, _) = Classify(train, Math.Min(samples, train.Count));
        return new()
        {
            ["real_classifier_score"] = ClassifierScore.Compute(testProbabilities),
            ["real_fid"] = FrechetDistance.Compute(trainFeatures, testFeatures),
        };
    }

    // ---- the two kinds -----------------------------------------------------------------------------

    Dictionary<string, double> Modes(nn.Module<Tensor, Tensor> g, int samples, Generator gen)
    {
        using var scope = NewDisposeScope();
        var labels = new List<Tensor>();
        using (no_grad())
            for (int start = 0; start < samples; start += Batch)
            {
                using var step = NewDisposeScope();
                var x = Sample(g, Math.Min(Batch, samples - start), gen);
                labels.Add(ClassifyChannels(x).MoveToOuterDisposeScope());
            }
        var r = ModeCoverage.Compute(cat(labels, 0));
        return new() { ["modes"] = r.Modes, ["kl"] = r.Kl };
    }

    Dictionary<string, double> Fid(nn.Module<Tensor, Tensor> g, int samples, Generator gen)
    {
        using var scope = NewDisposeScope();
        var features = new List<Tensor>();
        var probabilities = new List<Tensor>();
        using (no_grad())
            for (int start = 0; start < samples; start += Batch)
            {
                using var step = NewDisposeScope();
                var (f, p) = classifier.FeaturesAndProbabilities(Sample(g, Math.Min(Batch, samples - start), gen));
                features.Add(f.to(ScalarType.Float64).MoveToOuterDisposeScope());
                probabilities.Add(p.to(ScalarType.Float64).MoveToOuterDisposeScope());
            }
        var (mean, covariance) = FrechetDistance.Moments(cat(features, 0));
        return new()
        {
            ["fid"] = FrechetDistance.FromMoments(mean, covariance, realMean!, realCovariance!),
            ["classifier_score"] = ClassifierScore.Compute(cat(probabilities, 0)),
        };
    }

    /// <summary>Mean and covariance of the classifier's features of the real test split (once).</summary>
    void LoadRealMoments()
    {
        using var scope = NewDisposeScope();
        using var test = ImageDatasets.LoadMnist(dataPath, train: false, config.Data.Dataset);
        if (test.Count <= classifier.Info.FeatureDim)
            throw new BreGanInputException($"too few samples for a covariance: the test split of '{dataPath}' has {test.Count} images for {classifier.Info.FeatureDim} classifier features; FID needs more than {classifier.Info.FeatureDim}.");
        var (features, _) = Classify(test, test.Count);
        var (m, c) = FrechetDistance.Moments(features);
        realMean = m.DetachFromDisposeScope();
        realCovariance = c.DetachFromDisposeScope();
    }

    Tensor Sample(nn.Module<Tensor, Tensor> g, int n, Generator gen) =>
        g.call(randn(new long[] { n, config.Model.NoiseDim }, generator: gen).to(device));

    /// <summary>Digits of each channel of [B, 3, S, S] images: [B, 3] int64.</summary>
    Tensor ClassifyChannels(Tensor x)
    {
        long b = x.shape[0];
        var digits = x.reshape(b * x.shape[1], 1, x.shape[2], x.shape[3]);
        return classifier.call(digits).argmax(1).view(b, x.shape[1]);
    }

    /// <summary>Features [n, F] and probabilities [n, K] (float64) of the first n images of a data set.</summary>
    (Tensor Features, Tensor Probabilities) Classify(ImageDataset data, int n)
    {
        var features = new List<Tensor>();
        var probabilities = new List<Tensor>();
        using (no_grad())
            for (int start = 0; start < n; start += Batch)
            {
                var (x, _) = data.Slice(start, Math.Min(Batch, n - start), device);
                var (f, p) = classifier.FeaturesAndProbabilities(x);
                features.Add(f.to(ScalarType.Float64));
                probabilities.Add(p.to(ScalarType.Float64));
            }
        return (cat(features, 0), cat(probabilities, 0));
    }

    public void Dispose()
    {
        classifier.Dispose();
        realMean?.Dispose();
        realCovariance?.Dispose();
    }
}
