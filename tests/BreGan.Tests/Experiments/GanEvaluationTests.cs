using BreGan.Data;
using BreGan.Experiments;
using BreGan.Metrics;
using BreGan.Tests.Data;
using BreGan.Tests.Metrics;
using BreGan.Training;

namespace BreGan.Tests.Experiments;

public class GanEvaluationTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    /// <summary>An MNIST folder (28x28, 40 train, 20 test images) and a tiny untrained classifier (8 features).</summary>
    (string Data, string Classifier) Files(string dataset = "mnist", int channels = 1, int size = 28)
    {
        var data = dir["mnist"];
        if (!Directory.Exists(data)) TestData.WriteMnistDir(data, trainCount: 40, testCount: 20, side: 28);
        var path = dir[$"clf-{dataset}-{channels}-{size}.bin"];
        torch.random.manual_seed(1);
        using (var model = new DigitClassifier(DigitClassifierTests.TinyInfo(size, channels, dataset))) model.Save(path);
        return (data, path);
    }

    static ExperimentConfig Config(string dataset, string data, int samples, int iterations = 10, int every = 0) =>
        new ExperimentConfig
        {
            Data = new DataConfig { Dataset = dataset, Path = data },
            Model = new ModelConfig { Architecture = "dcgan", NoiseDim = 4 },
            Train = new TrainConfig { Iterations = iterations, Seed = 3 },
            Eval = new EvalConfig { MetricsSamples = samples, MetricsEvery = every },
        };

    /// <summary>A "generator" that ignores z and returns the next images of a fixed table, in order.</summary>
    sealed class Replay(Tensor images) : nn.Module<Tensor, Tensor>("Replay")
    {
        int next;
        public override Tensor forward(Tensor z)
        {
            long n = z.shape[0];
            var x = images.narrow(0, next, n);
            next += (int)n;
            return x.clone();
        }
    }

    /// <summary>A generator that always draws the same image.</summary>
    sealed class Constant(Tensor image) : nn.Module<Tensor, Tensor>("Constant")
    {
        public override Tensor forward(Tensor z) => image.unsqueeze(0).expand(z.shape[0], -1, -1, -1).clone();
    }

    [Fact]
    public void ACollapsedGeneratorHasOneModeAndTheLargestKl()
    {
        var (data, clf) = Files();
        var config = Config("stacked-mnist", data, samples: 700);
        using var evaluation = GanEvaluation.Create(config, clf);
        Assert.Equal(new[] { "modes", "kl" }, evaluation.Keys);
        using var g = new Constant(rand(3, 28, 28) * 2 - 1);
        var r = evaluation.Evaluate(g); // 700 samples: two batches of the classifier, one triple
        Assert.Equal(1, r["modes"]);
        Assert.Equal(Math.Log(1000), r["kl"], 1e-12);
    }

    [Fact]
    public void ReplayingTheTestSplitGivesZeroFidAndTheTestSplitsScore()
    {
        var (data, clf) = Files();
        using var test = ImageDatasets.LoadMnist(data, train: false);
        var (images, _) = test.Slice(0, test.Count);
        using var g = new Replay(images);
        g.train();
        var config = Config("mnist", data, samples: test.Count);
        using var evaluation = GanEvaluation.Create(config, clf);
        var r = evaluation.Evaluate(g);
        Assert.True(g.training, "G's mode is restored");
        Assert.InRange(r["fid"], 0, 1e-9);

        using var model = DigitClassifier.Load(clf);
        using var p = model.FeaturesAndProbabilities(images).Probabilities;
        Assert.Equal(ClassifierScore.Compute(p), r["classifier_score"], 1e-9);

        // Another set of images is far from the test split.
        using var g2 = new Constant(images[0]);
        Assert.True(evaluation.Evaluate(g2)["fid"] > 1e-3);
    }

    [Fact]
    public void DuringTrainingMetricsComeAtTheirIntervalAndAtTheEnd()
    {
        var (data, clf) = Files();
        using var evaluation = GanEvaluation.Create(Config("stacked-mnist", data, samples: 20, iterations: 10, every: 4), clf);
        using var g = new Constant(zeros(3, 28, 28));
        Assert.True(double.IsNaN(evaluation.Row(2, g)["modes"]));
        Assert.Equal(1, evaluation.Row(4, g)["modes"]);
        Assert.True(double.IsNaN(evaluation.Row(6, g)["kl"]));
        Assert.Equal(1, evaluation.Row(10, g)["modes"]);
    }

    [Fact]
    public void RefusesWhatCannotBeMeasured()
    {
        var (data, clf) = Files();
        string Error(ExperimentConfig c, string classifier) =>
            Assert.Throws<BreGanInputException>(() => GanEvaluation.Check(c, classifier)).Message;

        Assert.Contains("takes 1x32x32", Error(Config("mnist", data, 100), Files(size: 32).Classifier));
        Assert.Contains("each of its 3 channels is one digit", Error(Config("stacked-mnist", data, 100), Files(channels: 3).Classifier));
        Assert.Contains("trained on fashion-mnist", Error(Config("mnist", data, 100), Files("fashion-mnist").Classifier));
        Assert.Equal("too few samples for a covariance: 8 generated samples for 8 classifier features; FID needs more than 8 (eval.metrics_samples or --samples).",
            Error(Config("mnist", data, 8), clf));
        Assert.Contains("this run's dataset is 'cifar10'", Error(Config("cifar10", data, 100), clf));
        Assert.Contains("is not a folder", Error(Config("mnist", dir["nowhere"], 100), clf));
        Assert.Contains("does not exist", Error(Config("mnist", data, 100), dir["none.bin"]));

        // The test split (20 images) is checked when the real statistics are computed.
        using (var big = new DigitClassifier(DigitClassifierTests.TinyInfo(features: 32))) big.Save(dir["f32.bin"]);
        Assert.Contains("test split of", Assert.Throws<BreGanInputException>(() => GanEvaluation.Create(Config("mnist", data, 100), dir["f32.bin"])).Message);
        GanEvaluation.Check(Config("mnist", data, 9), clf); // enough: no exception
    }
}
