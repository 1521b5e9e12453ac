using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Models;
using BreGan.Tests.Data;
using BreGan.Training;

namespace BreGan.Tests.SemiSupervised;

public class SslTrainingTests : SslSingleThreaded
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-ssl-").FullName;
    public override void Dispose() { Directory.Delete(root, true); base.Dispose(); }

    // 60 training images (6 per class), 20 test images; 2 labels per class -> 20 labelled,
    // 40 unlabelled -> 4 iterations per epoch at batch 10.
    string Data(string preset)
    {
        var dir = Path.Combine(root, "data-" + preset);
        if (Directory.Exists(dir)) return dir;
        switch (preset)
        {
            case "mnist-fm" or "fashion-fm":
                TestData.WriteMnistDir(dir, 60, 20, side: 8);
                break;
            case "cifar10-fm":
                Directory.CreateDirectory(dir);
                for (int b = 1; b <= 5; b++)
                    File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), TestData.CifarRecords(12, r => new[] { (byte)(r % 10) }, firstRecord: 12 * (b - 1)));
                File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), TestData.CifarRecords(20, r => new[] { (byte)(r % 10) }));
                break;
            case "svhn-fm":
                MatWriter.WriteSvhnDir(dir, 60, 20);
                break;
        }
        return dir;
    }

    ExperimentConfig Tiny(string preset, int epochs = 2, params string[] more)
    {
        bool conv = preset is "cifar10-fm" or "svhn-fm";
        var sets = new List<string>
        {
            "data.path=" + System.Text.Json.JsonSerializer.Serialize(Data(preset)),
            "train.batch_size=10", "train.threads=1", "ssl.labels_per_class=2", $"ssl.epochs={epochs}", "ssl.data_init=20",
            "model.noise_dim=16", conv ? "model.discriminator_width=4" : "model.discriminator_width=40", conv ? "model.generator_width=4" : "model.generator_width=20",
        };
        sets.AddRange(more);
        return SslPresets.Get(preset).With(sets);
    }

    RunFolder NewRun(string name, ExperimentConfig config)
    {
        var run = RunFolder.Create(Path.Combine(root, name), force: false);
        run.WriteConfig(config);
        return run;
    }

    [Theory]
    [InlineData("mnist-fm")]
    [InlineData("fashion-fm")]
    [InlineData("cifar10-fm")]
    [InlineData("svhn-fm")]
    public void EachPresetTrainsOnTinyDataAndWritesTheTestError(string preset)
    {
        var config = Tiny(preset);
        var run = NewRun(preset, config);
        var summary = ExperimentRunner.Train(config, run);

        var rows = MetricsLog.Read(run.MetricsPath);
        Assert.Equal(new[] { 1.0, 2.0 }, rows.Select(r => r["epoch"]));
        Assert.Equal(new[] { 4.0, 8.0 }, rows.Select(r => r["iteration"]));
        foreach (var column in new[] { "test_error", "test_error_count", "train_err", "loss_lab", "loss_unl", "g_loss", "bre", "real_ac", "fake_me", "lr", "seconds" })
            Assert.True(rows[^1].ContainsKey(column), $"metrics.csv lacks {column}");
        Assert.InRange(rows[^1]["test_error"], 0, 1);
        Assert.Equal(rows[^1]["test_error_count"] / 20, rows[^1]["test_error"], 12);
        Assert.True(rows[^1]["bre"] > 0, "BRE is in D's loss");
        Assert.True(rows.All(r => double.IsFinite(r["loss_unl"]) && double.IsFinite(r["g_loss"])));

        var saved = RunFolder.ReadSummary(run.SummaryPath);
        Assert.Equal(rows[^1]["test_error"], saved["test_error"]);
        Assert.Equal(summary["test_error"], saved["test_error"]);
        Assert.Equal(20, saved["labels"]);
        Assert.Equal(40, saved["unlabeled"]);
        Assert.Equal(20, saved["test_images"]);
        Assert.NotEmpty(Checkpoint.List(run.CheckpointsPath));
        Assert.True(File.Exists(Path.Combine(run.ImagesPath, "samples.png")));
        Assert.True(File.Exists(Path.Combine(run.ImagesPath, "test_error.png")));
    }

    [Fact]
    public void ResumeContinuesWithTheSameNumbers()
    {
        var config = Tiny("mnist-fm", epochs: 3);
        var whole = NewRun("whole", config);
        ExperimentRunner.Train(config, whole);

        var parts = NewRun("parts", config);
        using var stop = new CancellationTokenSource();
        var first = ExperimentRunner.Train(config, parts, callbacks: new RunCallbacks { Step = it => { if (it == 4) stop.Cancel(); } }, stop: stop.Token);
        Assert.Equal(4, first["iterations"]);
        ExperimentRunner.Train(config, parts, resume: true);

        var a = MetricsLog.Read(whole.MetricsPath);
        var b = MetricsLog.Read(parts.MetricsPath);
        Assert.Equal(3, a.Count);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (var key in a[i].Keys.Where(k => k != "seconds"))
                Assert.True(a[i][key].Equals(b[i][key]), $"row {i} {key}: {a[i][key]} vs {b[i][key]}");
    }

    [Fact]
    public void SslRunsTakeTheRunLockAndResumeFromTheNewestValidCheckpoint()
    {
        var config = Tiny("mnist-fm", epochs: 3, "ssl.checkpoint_every_epochs=1");
        var run = NewRun("locked", config);
        using (RunLock.Acquire(run.Path)) // another writer holds the folder
            Assert.Contains("in use", Assert.Throws<BreGanInputException>(() => ExperimentRunner.Train(config, run)).Message);
        Assert.False(File.Exists(run.MetricsPath), "a refused run writes nothing");

        using var stop = new CancellationTokenSource();
        ExperimentRunner.Train(config, run, callbacks: new RunCallbacks { Step = it => { if (it == 8) stop.Cancel(); } }, stop: stop.Token);
        var saved = Checkpoint.List(run.CheckpointsPath);
        Assert.Equal(new[] { 8, 4 }, saved.Select(c => c.Iteration));
        File.WriteAllBytes(saved[0].Path, new byte[] { 1, 2, 3 }); // the newest is damaged
        var log = new List<string>();
        var summary = ExperimentRunner.Train(config, run, resume: true, callbacks: new RunCallbacks { Log = log.Add });
        Assert.Equal(12, summary["iterations"]);
        Assert.Contains(log, line => line.Contains("iteration 4"));
        Assert.Equal(new[] { 1.0, 2.0, 3.0 }, MetricsLog.Read(run.MetricsPath).Select(r => r["epoch"]));
    }

    [Fact]
    public void BaselineHasNoBreInTheLossButLogsItsMonitors()
    {
        var config = Tiny("mnist-fm", 1, "bre.weight=0");
        var run = NewRun("baseline", config);
        ExperimentRunner.Train(config, run);
        var row = MetricsLog.Read(run.MetricsPath)[^1];
        Assert.Equal(0, row["bre"]);
        Assert.True(row["fake_me"] > 0);
    }

    [Fact]
    public void UnlabeledAllUsesEveryTrainingImage()
    {
        var config = Tiny("mnist-fm", 1, "ssl.unlabeled=all");
        var run = NewRun("all", config);
        var summary = ExperimentRunner.Train(config, run);
        Assert.Equal(60, summary["unlabeled"]);
        Assert.Equal(6, summary["iterations"]); // 60 / 10
    }

    [Fact]
    public void TrainImagesUsesAFixedSubset()
    {
        var config = Tiny("mnist-fm", 1, "ssl.train_images=40", "ssl.test_images=8");
        var summary = ExperimentRunner.Train(config, NewRun("subset", config));
        Assert.Equal(40, summary["train_images"]);
        Assert.Equal(20, summary["unlabeled"]);   // 40 - 20 labelled
        Assert.Equal(2, summary["iterations"]);   // 20 / 10
        Assert.Equal(8, summary["test_images"]);
    }

    [Fact]
    public void TrainingStepsLeaveNoLiveTensors()
    {
        var config = Tiny("mnist-fm");
        var device = new Device("cpu");
        var (g, d) = Ssl.BuildModels(config, 1, 8, 8, device);
        using var gd = g;
        using var dd = d;
        var source = new FixedBatches(10);
        using var variant = new FeatureMatchingGan(g, d, source, config, device);
        for (int i = 0; i < 2; i++) { variant.DiscriminatorStep(); variant.GeneratorStep(); }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 10; i++) { variant.DiscriminatorStep(); variant.GeneratorStep(); }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    sealed class FixedBatches(int n) : ISslBatchSource
    {
        public (Tensor Images, Tensor Labels) Labeled() => (rand(n, 1, 8, 8), arange(n, dtype: ScalarType.Int64) % 10);
        public Tensor Unlabeled() => rand(n, 1, 8, 8);
        public Tensor ForGenerator() => rand(n, 1, 8, 8);
    }

    [Fact]
    public void ConfigJsonHasTheSslSectionOnlyInSslPresets()
    {
        Assert.DoesNotContain("\"ssl\"", Presets.Get("grid25").ToJson());
        var config = Presets.Get("mnist-fm");
        Assert.Contains("\"labels_per_class\": 10", config.ToJson());
        Assert.Equal(config.ToJson(), ExperimentConfig.FromJson(config.ToJson()).ToJson());
        Assert.Equal(7, config.With(new[] { "ssl.epochs=7" }).Ssl!.Epochs);
        Assert.Contains("ssl.feature_matching", Assert.Throws<BreGanInputException>(() =>
            Ssl.Validate(config.With(new[] { "ssl.feature_matching=l3", "data.path=x" }))).Message);
    }

    [Fact]
    public void LearningRateScheduleIsFlatThenLinearToZero()
    {
        var ssl = new SslConfig();                                  // decay over the last third
        Assert.Equal(0.003, ssl.LearningRate(0.003, 0, 300), 12);
        Assert.Equal(0.003, ssl.LearningRate(0.003, 200, 300), 12);
        Assert.Equal(0.0015, ssl.LearningRate(0.003, 250, 300), 12);
        Assert.Equal(0.003 / 100, ssl.LearningRate(0.003, 299, 300), 10);
        Assert.Equal(0.003, (ssl with { LrDecayFraction = 0 }).LearningRate(0.003, 299, 300), 12);
    }

    (int Code, string Error, string Output) Cli(params string[] args)
    {
        var err = new StringWriter();
        var output = new StringWriter();
        var (savedErr, savedOut) = (Console.Error, Console.Out);
        Console.SetError(err);
        Console.SetOut(output);
        try { return (EntryPoint.Run(args), err.ToString(), output.ToString()); }
        finally { Console.SetError(savedErr); Console.SetOut(savedOut); }
    }

    [Fact]
    public void CliRunsOneSslRun()
    {
        var dir = Path.Combine(root, "cli");
        var (code, error, output) = Cli("ssl", "--preset", "mnist-fm", "--data", Data("mnist-fm"), "--labels", "2", "--seed", "5",
            "--bre-weight", "0.02", "--epochs", "1", "--out", dir, "--set", "train.batch_size=10", "--set", "train.threads=1", "--set", "model.discriminator_width=40",
            "--set", "model.generator_width=20", "--set", "ssl.data_init=20", "--plain");
        Assert.True(code == 0, error);
        Assert.Contains("test_error", output);
        var config = ExperimentConfig.Load(Path.Combine(dir, "config.json"));
        Assert.Equal(5, config.Train.Seed);
        Assert.Equal(0.02, config.Bre.Weight);
        Assert.Equal(2, config.Ssl!.LabelsPerClass);
        Assert.True(RunFolder.ReadSummary(Path.Combine(dir, "summary.json"))["test_error"] is double e && e >= 0 && e <= 1);
        Assert.Contains("--labels N", Cli("ssl", "--help").Output);
    }

    [Theory]
    [InlineData("ssl.labels_per_class must be >= 1", "--labels", "0")]
    [InlineData("Unknown SSL preset 'moons'", "--preset", "moons")]
    [InlineData("layer 6 does not exist", "--set", "bre.placement=layers:2,4,6")]
    [InlineData("class 0 has 6 training examples", "--labels", "7")]
    public void CliBadInputIsOneLineExitTwo(string expected, string option, string value)
    {
        var dir = Path.Combine(root, "bad");
        var args = new List<string> { "ssl", "--data", Data("mnist-fm"), "--out", dir, "--set", "model.discriminator_width=40", "--labels", "2" };
        if (option != "--preset") args.AddRange(new[] { "--preset", "mnist-fm" });
        args.AddRange(new[] { option, value });
        var (code, error, _) = Cli(args.ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(dir));
    }
}
