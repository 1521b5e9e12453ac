using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Reporting;
using BreGan.Training;

namespace BreGan.Tests.Reporting;

[Collection(TinyRunCollection.Name)]
public class DiagnosisTests(TinyRunFixture fixture)
{
    static (int Code, string Output, string Error) Cli(params string[] args)
    {
        var (out_, err) = (new StringWriter(), new StringWriter());
        var (savedOut, savedErr) = (Console.Out, Console.Error);
        Console.SetOut(out_);
        Console.SetError(err);
        try { return (EntryPoint.Run(args), out_.ToString(), err.ToString()); }
        finally { Console.SetOut(savedOut); Console.SetError(savedErr); }
    }

    /// <summary>A run folder whose checkpoint is the tiny run's, with G's output layer set to zero: G(z) is one point for every z.</summary>
    string ConstantGeneratorRun()
    {
        var config = fixture.Config;
        var run = RunFolder.Create(Path.Combine(fixture.Root, "constant-g"), force: true);
        run.WriteConfig(config);
        var cpu = new Device("cpu");
        var (g, d) = Toy2D.BuildModels(config, Toy2D.Mixture(config.Data), cpu);
        using (g)
        using (d)
        using (var variant = new AdversarialGan(g, d, (_, _) => throw new InvalidOperationException(), (_, _) => throw new InvalidOperationException(), config, cpu))
        {
            var (iteration, path) = Checkpoint.List(fixture.Run.CheckpointsPath)[0];
            Checkpoint.Load(path, variant);
            var weight = g.named_parameters().Single(p => p.name.EndsWith("out.weight")).parameter;
            using (no_grad()) weight.zero_();
            Checkpoint.Save(run.CheckpointsPath, iteration, config, variant);
        }
        return run.Path;
    }

    [Fact]
    public void ConstantGeneratorIsDiagnosedAsCollapse()
    {
        var (code, output, error) = Cli("diagnose", "--run", ConstantGeneratorRun());
        Assert.True(code == 0, error);
        Assert.Contains("Verdict: collapse", output);
        Assert.Contains("fake points share few activation patterns", output);
        // The numbers behind it: one pattern per layer for the fake batch.
        Assert.Matches(@"distinct patterns L1\s+\d+\s+1\s", output);
    }

    [Fact]
    public void ConstantGeneratorNumbersAreThoseOfIdenticalPoints()
    {
        var diagnosis = Diagnoser.Run(ConstantGeneratorRun());
        var n = diagnosis.Numbers;
        Assert.Equal(DiagnosisVerdict.Collapse, diagnosis.Verdict);
        Assert.All(n.FakePatterns, p => Assert.Equal(1, p));
        Assert.All(n.RealPatterns, p => Assert.True(p > 1));
        Assert.Equal(0, n.SpreadRatio, 6);
        Assert.True(n.Get("fake_corr_mean") > 0.95, $"identical codes, got mean correlation {n.Get("fake_corr_mean")}");
        Assert.True(n.FakeGradSpread < 1e-3, $"one gradient for all fake points, got spread {n.FakeGradSpread}");
    }

    [Fact]
    public void HealthyToyRunIsNotDiagnosedAsCollapse()
    {
        // One wide Gaussian, which a small GAN (32-unit MLPs) learns in a few hundred steps. Its
        // 500-step checkpoint measured: fake points in about half as many patterns as real
        // ones, mean code correlation 0.33 vs 0.10, samples 0.54x as spread as the data.
        var config = Presets.Get("ring8-wide").With(new[]
        {
            "data.dataset=mixture", "data.means=[[0,0]]", "data.std=1", "model.output_scale=3",
            "model.generator_width=32", "model.discriminator_width=32", "train.iterations=500", "train.batch_size=64",
            "train.lr_min=0.001", "train.checkpoint_every=0", "eval.every=0", "eval.samples=500", "eval.monitor_batch=128", "eval.mosaic=false",
        }).Validate();
        var run = RunFolder.Create(Path.Combine(fixture.Root, "healthy"), force: true);
        run.WriteConfig(config);
        ExperimentRunner.Train(config, run);

        var (code, output, error) = Cli("diagnose", "--run", run.Path);
        Assert.True(code == 0, error);
        Assert.Contains("Verdict: ", output);
        Assert.DoesNotContain("Verdict: collapse", output);
        Assert.True(Diagnoser.Run(run.Path).Numbers.SpreadRatio > 0.3, "the run's G spreads its samples");
    }

    [Fact]
    public void DiagnoseNamesBadInputOnOneLine()
    {
        var (code, _, error) = Cli("diagnose");
        Assert.Equal(2, code);
        Assert.Contains("Missing --run", error);
        (code, _, error) = Cli("diagnose", "--run", fixture.Run.Path, "--checkpoint", "7");
        Assert.Equal(2, code);
        Assert.Contains("No checkpoint at iteration 7", error);
        Assert.Contains("available: 60", error);
        (code, _, error) = Cli("diagnose", "--run", fixture.Run.Path, "--batch", "1");
        Assert.Equal(2, code);
        Assert.Contains("--batch must be in [2, 8192]", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    // ---- the verdict on given numbers --------------------------------------------------------------

    static DiagnosisNumbers Numbers(int[] real, int[] fake, double realCorr, double fakeCorr, double realSpread = 0.6, double fakeSpread = 0.5,
        double realAc = 0.004, double fakeAc = 0.004) =>
        new(0, 256, new Dictionary<string, double>
        {
            ["real_ac"] = realAc, ["fake_ac"] = fakeAc, ["real_corr_mean"] = realCorr, ["fake_corr_mean"] = fakeCorr,
        }, real, fake, realSpread, fakeSpread, SpreadRatio: 1);

    [Fact]
    public void VerdictNeedsFewPatternsAndOneMoreSignForCollapse()
    {
        int[] real = { 40, 40, 30 }, spread = { 38, 41, 25 }, few = { 3, 3, 2 };
        DiagnosisVerdict Verdict(DiagnosisNumbers n) => Diagnosis.Judge(n).Verdict;
        Assert.Equal(DiagnosisVerdict.Healthy, Verdict(Numbers(real, spread, 0.05, 0.07)));
        // Few patterns with codes alike, with one gradient for all, or with high AC: collapse.
        Assert.Equal(DiagnosisVerdict.Collapse, Verdict(Numbers(real, few, 0.05, 0.9)));
        Assert.Equal(DiagnosisVerdict.Collapse, Verdict(Numbers(real, few, 0.05, 0.1, fakeSpread: 0.01)));
        Assert.Equal(DiagnosisVerdict.Collapse, Verdict(Numbers(real, few, 0.05, 0.1, fakeAc: 0.05)));
        // One sign alone is a warning.
        Assert.Equal(DiagnosisVerdict.Warning, Verdict(Numbers(real, few, 0.05, 0.07)));
        Assert.Equal(DiagnosisVerdict.Warning, Verdict(Numbers(real, spread, 0.05, 0.9)));
        Assert.Equal(DiagnosisVerdict.Warning, Verdict(Numbers(real, spread, 0.05, 0.07, fakeSpread: 0.01)));
        // Codes as alike as the real ones', and AC ratios of values that are both noise, are no signs.
        Assert.Equal(DiagnosisVerdict.Healthy, Verdict(Numbers(real, spread, 0.5, 0.7)));
        Assert.Equal(DiagnosisVerdict.Warning, Verdict(Numbers(real, few, 0.05, 0.07, realAc: 0.001, fakeAc: 0.005)));
    }
}
