using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Experiments;

public class Toy2DTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-toy-").FullName;
    public void Dispose() => Directory.Delete(root, true);

    public static ExperimentConfig Tiny(int iterations = 60) => Presets.Get("grid25").With(new[]
    {
        $"train.iterations={iterations}", "train.batch_size=32", "train.checkpoint_every=30",
        "eval.every=20", "eval.samples=200", "eval.monitor_batch=32", "eval.mosaic_resolution=16",
        "bre.placement=all-but-first-and-last", "bre.decay_to_zero=false",
    }).Validate();

    static RunFolder NewRun(string path, ExperimentConfig config)
    {
        var run = RunFolder.Create(path, force: false);
        run.WriteConfig(config);
        return run;
    }

    [Fact]
    public void TrainWritesEveryFileOfARunFolder()
    {
        var config = Tiny();
        var run = NewRun(Path.Combine(root, "run"), config);
        var summary = Toy2D.Train(config, run);

        Assert.Equal(config.ToJson(), File.ReadAllText(run.ConfigPath));
        var rows = MetricsLog.Read(run.MetricsPath);
        Assert.Equal(new[] { 20.0, 40.0, 60.0 }, rows.Select(r => r["iteration"]));
        foreach (var column in new[] { "d_loss", "g_loss", "bre", "modes", "hq_fraction", "reverse_kl", "fake_me", "fake_ac",
                                       "interp_ac", "real_ac", "fake_corr_mean", "fake_sat099", "real_grad_norm", "fake_grad_norm",
                                       "interp_grad_norm", "patterns_fake_L1", "patterns_fake_L4", "lr", "seconds" })
            Assert.True(rows[^1].ContainsKey(column), $"metrics.csv lacks {column}");
        Assert.True(rows[^1]["bre"] > 0, "BRE is in D's loss");

        var saved = RunFolder.ReadSummary(run.SummaryPath);
        foreach (var key in new[] { "modes", "hq_fraction", "reverse_kl", "first_all_modes_iteration", "iterations", "seconds" })
            Assert.True(saved.ContainsKey(key), $"summary.json lacks {key}");
        Assert.Equal(60, saved["iterations"]);
        Assert.Equal(rows[^1]["modes"], saved["modes"]);
        Assert.Equal(summary["modes"], saved["modes"]);

        var samples = File.ReadAllLines(run.SamplesPath);
        Assert.Equal("x,y", samples[0]);
        Assert.Equal(200, samples.Length - 1);
        Assert.NotEmpty(Checkpoint.List(run.CheckpointsPath));
        Assert.Equal(3, Directory.GetFiles(run.ImagesPath, "mosaic_*.png").Length);
        Assert.True(new FileInfo(Path.Combine(run.ImagesPath, "mosaic.gif")).Length > 0);
    }

    [Fact]
    public void ResumeContinuesWithTheSameNumbers()
    {
        var config = Tiny();
        var whole = NewRun(Path.Combine(root, "whole"), config);
        Toy2D.Train(config, whole);

        var parts = NewRun(Path.Combine(root, "parts"), config);
        using var stop = new CancellationTokenSource();
        var first = Toy2D.Train(config, parts, callbacks: new RunCallbacks { Step = it => { if (it == 30) stop.Cancel(); } }, stop: stop.Token);
        Assert.Equal(30, first["iterations"]);
        Assert.Equal(30, Checkpoint.List(parts.CheckpointsPath)[0].Iteration);
        Toy2D.Train(config, parts, resume: true);

        var a = MetricsLog.Read(whole.MetricsPath);
        var b = MetricsLog.Read(parts.MetricsPath);
        Assert.Equal(a.Count, b.Count);
        for (int i = 0; i < a.Count; i++)
            foreach (var key in a[i].Keys.Where(k => k != "seconds"))
                Assert.True(a[i][key].Equals(b[i][key]), $"row {i} {key}: {a[i][key]} vs {b[i][key]}");
    }

    [Fact]
    public void BaselineHasNoBreInTheLossButLogsItsMonitors()
    {
        var config = Tiny(20) with { Bre = Tiny().Bre with { Weight = 0 } };
        var run = NewRun(Path.Combine(root, "baseline"), config);
        Toy2D.Train(config, run);
        var row = MetricsLog.Read(run.MetricsPath)[^1];
        Assert.Equal(0, row["bre"]);
        Assert.True(row["fake_me"] > 0);
    }

    [Fact]
    public void WganGpAndHingeTrain()
    {
        foreach (var kind in new[] { "wgan-gp", "hinge", "minimax" })
        {
            var config = Tiny(20).With(new[] { $"loss.kind={kind}", "eval.mosaic=false" });
            var run = NewRun(Path.Combine(root, kind), config);
            var summary = Toy2D.Train(config, run);
            Assert.True(double.IsFinite(summary["hq_fraction"]!.Value));
        }
    }

    [Fact]
    public void SummaryFindsTheFirstEvaluationWithAllModes()
    {
        var rows = new List<Dictionary<string, double>>
        {
            new() { ["iteration"] = 10, ["modes"] = 3 },
            new() { ["iteration"] = 20, ["modes"] = 8 },
            new() { ["iteration"] = 30, ["modes"] = 7 },
        };
        Assert.Equal(20, Toy2D.Summarize(rows, 8)["first_all_modes_iteration"]);
        Assert.Null(Toy2D.Summarize(rows, 9)["first_all_modes_iteration"]);
        Assert.Equal(7, Toy2D.Summarize(rows, 8)["modes"]);
    }

    [Fact]
    public void GeneratorOfAMixtureAtTheOriginIsNotConstant()
    {
        var config = Tiny(10).With(new[] { "data.dataset=mixture", "data.means=[[0,0]]", "data.std=0.1" });
        var mixture = Toy2D.Mixture(config.Data);
        var (g, d) = Toy2D.BuildModels(config, mixture, new Device("cpu"));
        using var gd = g; using var dd = d;
        using var z = randn(8, 2);
        using var x = g.call(z);
        Assert.True(x.std().item<float>() > 0, "G's output scale must not be 0");
    }

    [Fact]
    public void TrainingStepsLeaveNoLiveTensors()
    {
        var config = Tiny(10);
        var mixture = Toy2D.Mixture(config.Data);
        var device = new Device("cpu");
        var (g, d) = Toy2D.BuildModels(config, mixture, device);
        using var variant = new AdversarialGan(g, d, (n, gen) => mixture.Sample(n, gen, device),
            (n, gen) => randn(new long[] { n, 2 }, generator: gen), config, device);
        for (int i = 0; i < 3; i++) { variant.DiscriminatorStep(); variant.GeneratorStep(); }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) { variant.DiscriminatorStep(); variant.GeneratorStep(); }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
