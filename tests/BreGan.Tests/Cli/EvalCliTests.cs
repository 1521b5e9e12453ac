using BreGan.Cli;
using BreGan.Metrics;
using BreGan.Tests.Data;
using BreGan.Tests.Metrics;
using BreGan.Training;

namespace BreGan.Tests.Cli;

public class EvalCliTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    (int Code, string Out, string Error) Run(params string[] args)
    {
        var (err, output) = (new StringWriter(), new StringWriter());
        var (savedErr, savedOut) = (Console.Error, Console.Out);
        Console.SetError(err);
        Console.SetOut(output);
        try { return (EntryPoint.Run(args), output.ToString(), err.ToString()); }
        finally { Console.SetError(savedErr); Console.SetOut(savedOut); }
    }

    string Mnist()
    {
        var data = dir["mnist"];
        if (!Directory.Exists(data)) TestData.WriteMnistDir(data, trainCount: 40, testCount: 20, side: 28);
        return data;
    }

    string Classifier(int size = 28, string name = "clf.bin")
    {
        torch.random.manual_seed(2);
        using var model = new DigitClassifier(DigitClassifierTests.TinyInfo(size));
        model.Save(dir[name]);
        return dir[name];
    }

    static readonly string[] TinyRun =
    {
        "--set", "train.iterations=2", "--set", "train.batch_size=4", "--set", "train.checkpoint_every=0", "--set", "eval.every=2",
        "--set", "eval.monitor_batch=4", "--set", "eval.grid_samples=4", "--set", "model.noise_dim=8", "--set", "model.width_factor=0.25",
        "--set", "data.count=12", "--plain",
    };

    [Fact]
    public void ClassifierTrainWritesTheFileAndItsAccuracy()
    {
        var (code, output, error) = Run("classifier", "train", "--data", Mnist(), "--out", dir["c.bin"], "--epochs", "1", "--width", "2");
        Assert.True(code == 0, error);
        Assert.Contains("test accuracy", output);
        Assert.Contains("/20 held-out mnist test images", output);
        var info = DigitClassifier.ReadInfo(dir["c.bin"]);
        Assert.Equal((28, 1, 2, "mnist", 20, 40), (info.ImageSize, info.Channels, info.Width, info.Dataset, info.TestCount, info.TrainCount));
        Assert.InRange(info.TestAccuracy, 0, 1);
        Assert.True(File.Exists(dir["c.bin.json"]));

        var again = Run("classifier", "train", "--data", Mnist(), "--out", dir["c.bin"], "--epochs", "1");
        Assert.Equal(2, again.Code);
        Assert.Contains("--force", again.Error);
    }

    [Fact]
    public void MetricsDuringTrainingAndFromEvalAgreeAndLandInTheSummary()
    {
        var clf = Classifier();
        var runDir = dir["run"];
        var train = Run(new[] { "train", "--preset", "stacked-mnist-dcgan", "--data", Mnist(), "--out", runDir,
            "--set", $"eval.classifier={clf}", "--set", "eval.metrics_samples=300" }.Concat(TinyRun).ToArray());
        Assert.True(train.Code == 0, train.Error);
        var during = RunFolder.ReadSummary(Path.Combine(runDir, "summary.json"));
        Assert.InRange(during["modes"]!.Value, 1, 300);
        Assert.True(during["kl"] > 0);
        Assert.Contains("modes", File.ReadLines(Path.Combine(runDir, "metrics.csv")).First());

        File.Delete(Path.Combine(runDir, "summary.json"));
        var eval = Run("eval", "--run", runDir, "--classifier", clf, "--samples", "300");
        Assert.True(eval.Code == 0, eval.Error);
        var after = RunFolder.ReadSummary(Path.Combine(runDir, "summary.json"));
        Assert.Equal(during["modes"], after["modes"]);
        Assert.Equal(during["kl"]!.Value, after["kl"]!.Value, 1e-12);
        Assert.Equal(2, after["eval_iteration"]);
        Assert.Equal(300, after["eval_samples"]);
    }

    [Fact]
    public void BadInputIsOneLineAndExitTwo()
    {
        var clf = Classifier();
        var runDir = dir["fid-run"];
        Assert.Equal(0, Run(new[] { "train", "--preset", "mnist-dcgan", "--data", Mnist(), "--out", runDir }.Concat(TinyRun).ToArray()).Code);
        var noCheckpoint = dir["empty-run"];
        RunFolder.Create(noCheckpoint, force: false).WriteConfig(RunFolder.Open(runDir).ReadConfig());

        void Refused(string expected, params string[] args)
        {
            var (code, _, error) = Run(args);
            Assert.Equal(2, code);
            Assert.Contains(expected, error);
            Assert.Single(error.TrimEnd().Split('\n'));
        }
        Refused("takes 1x32x32 images", "eval", "--run", runDir, "--classifier", Classifier(32, "c32.bin"));
        Refused("has no G checkpoint", "eval", "--run", noCheckpoint, "--classifier", clf);
        Refused("too few samples for a covariance", "eval", "--run", runDir, "--classifier", clf, "--samples", "5");
        Refused("not a BreGan classifier file", "eval", "--run", runDir, "--classifier", Path.Combine(runDir, "config.json"));
        Refused("No checkpoint at iteration 7", "eval", "--run", runDir, "--classifier", clf, "--checkpoint", "7");
        Refused("Missing --classifier", "eval", "--run", runDir);
        Refused("takes no --set", "eval", "--run", runDir, "--set", "train.seed=2");
        Refused("Missing subcommand", "classifier");
        Refused("Unknown command 'classifier fly'", "classifier", "fly");
        Refused("Unknown option '--run'", "classifier", "train", "--run", runDir);

        // During training: a wrong classifier is refused before anything is trained, leaving no folder.
        var bad = dir["bad-run"];
        Refused("takes 1x32x32 images", new[] { "train", "--preset", "mnist-dcgan", "--data", Mnist(), "--out", bad,
            "--set", $"eval.classifier={dir["c32.bin"]}" }.Concat(TinyRun).ToArray());
        Assert.False(Directory.Exists(bad));
        Refused("eval.classifier is for image runs", "train", "--preset", "ring8", "--out", bad, "--set", $"eval.classifier={clf}");

        Assert.Equal(0, Run("classifier", "--help").Code);
        Assert.Equal(0, Run("eval", "--help").Code);
    }
}
