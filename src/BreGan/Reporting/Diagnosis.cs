using System.Globalization;
using System.Text;
using BreGan.Experiments;
using BreGan.Metrics;
using BreGan.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Reporting;

/// <summary>What a diagnosis concludes.</summary>
public enum DiagnosisVerdict
{
    /// <summary>Nothing in D's monitors points at a failure.</summary>
    Healthy,
    /// <summary>Some signs of (partial) mode collapse, not all of them.</summary>
    Warning,
    /// <summary>Fake points share few activation patterns and are coded alike: G has collapsed.</summary>
    Collapse,
}

/// <summary>The numbers behind a diagnosis, from one real, one fake and one interpolated batch.</summary>
/// <param name="Iteration">The checkpoint's iteration (0 when measured in-process).</param>
/// <param name="Batch">Points per batch.</param>
/// <param name="Monitors">D's monitors as in metrics.csv: {real,fake,interp}_{me,ac,corr_*,abs_s,sat09,sat099,grad_norm}.</param>
/// <param name="RealPatterns">Distinct activation patterns of the real batch per rectified layer of D.</param>
/// <param name="FakePatterns">The same for the fake batch.</param>
/// <param name="RealGradSpread">Coefficient of variation (std / mean) of D's per-point input-gradient norms on real points.</param>
/// <param name="FakeGradSpread">The same on fake points: 0 when every fake point gets the same push.</param>
/// <param name="SpreadRatio">Mean pairwise distance among fake points over that among real points (0 for a constant G).</param>
public sealed record DiagnosisNumbers(
    int Iteration, int Batch, IReadOnlyDictionary<string, double> Monitors,
    IReadOnlyList<int> RealPatterns, IReadOnlyList<int> FakePatterns,
    double RealGradSpread, double FakeGradSpread, double SpreadRatio)
{
    /// <summary>Per layer, distinct fake patterns over distinct real patterns.</summary>
    public IReadOnlyList<double> PatternRatios => FakePatterns.Zip(RealPatterns, (f, r) => r > 0 ? (double)f / r : double.NaN).ToList();

    /// <summary>Distinct fake patterns over distinct real patterns, both summed over D's layers (NaN without layers).</summary>
    public double PatternRatio => RealPatterns.Sum() > 0 ? (double)FakePatterns.Sum() / RealPatterns.Sum() : double.NaN;

    public double Get(string key) => Monitors.TryGetValue(key, out var v) ? v : double.NaN;
}

/// <summary>A verdict with one line per finding.</summary>
public sealed record Diagnosis(DiagnosisVerdict Verdict, IReadOnlyList<string> Findings, DiagnosisNumbers Numbers)
{
    // ---- thresholds -------------------------------------------------------------------------------
    // Calibrated on grid25 and ring8 runs of the paper's toy networks (baseline and BRE, 400 to
    // 2,000 iterations, collapsed and spread), of the 128-unit toys, and on the same checkpoints
    // with G's output layer zeroed (constant G) or scaled by 0.02 (G squeezed into one blob), at
    // 256 points per batch. The measurements are listed in docs/diagnose.md.

    /// <summary>Fake points fall into at most this fraction of the real batch's distinct patterns (summed over D's layers).</summary>
    public const double FewPatterns = 0.25;
    /// <summary>Mean pairwise correlation of D's codes for fake points at least this high ...</summary>
    public const double AlikeCorrelation = 0.5;
    /// <summary>... and at least this much above that of real points: D codes the fake points alike.</summary>
    public const double AlikeMargin = 0.3;
    /// <summary>AC on fake at least this many times AC on real ...</summary>
    public const double AcRatioHigh = 3.0;
    /// <summary>... and at least this high (below it both are noise around 0).</summary>
    public const double AcFloor = 0.01;
    /// <summary>Fake input-gradient norms vary less than this fraction of the real ones' variation: one push for all.</summary>
    public const double LowGradSpread = 0.25;

    /// <summary>Judges measured numbers: collapse needs few patterns and one more sign; any sign alone is a warning.</summary>
    public static Diagnosis Judge(DiagnosisNumbers n)
    {
        var findings = new List<string>();
        double patternRatio = n.PatternRatio;
        double fakeCorr = n.Get("fake_corr_mean"), realCorr = n.Get("real_corr_mean");
        double fakeAc = n.Get("fake_ac"), realAc = n.Get("real_ac");
        double acRatio = fakeAc / Math.Max(realAc, 1e-6);
        double gradRatio = n.FakeGradSpread / Math.Max(n.RealGradSpread, 1e-9);

        bool fewPatterns = patternRatio <= FewPatterns;
        bool alike = fakeCorr >= AlikeCorrelation && fakeCorr - realCorr >= AlikeMargin;
        bool acHigh = fakeAc >= AcFloor && acRatio >= AcRatioHigh;
        bool oneGradient = gradRatio <= LowGradSpread;

        string layers = string.Join(", ", n.FakePatterns.Select((f, i) => $"L{i + 1} {f} vs {n.RealPatterns[i]}"));
        findings.Add(fewPatterns
            ? $"fake points share few activation patterns: {n.FakePatterns.Sum()} distinct vs {n.RealPatterns.Sum()} for real ({layers}); ratio {F(patternRatio)} <= {F(FewPatterns)}"
            : $"fake points show {n.FakePatterns.Sum()} distinct activation patterns vs {n.RealPatterns.Sum()} for real ({layers}); ratio {F(patternRatio)}");
        findings.Add(alike
            ? $"D codes fake points alike: mean correlation {F(fakeCorr)} vs {F(realCorr)} on real"
            : $"D's codes of fake points are not unusually alike: mean correlation {F(fakeCorr)} vs {F(realCorr)} on real");
        findings.Add(acHigh
            ? $"AC on fake is high: {F(fakeAc)} vs {F(realAc)} on real ({F(acRatio)}x)"
            : $"AC on fake {F(fakeAc)} vs {F(realAc)} on real");
        findings.Add(oneGradient
            ? $"D's slope is nearly the same at every fake point: spread {F(n.FakeGradSpread)} vs {F(n.RealGradSpread)} on real"
            : $"D's slope varies across fake points: spread {F(n.FakeGradSpread)} vs {F(n.RealGradSpread)} on real");
        findings.Add($"fake points are {F(n.SpreadRatio)}x as spread out as real ones (mean pairwise distance)");

        var verdict = fewPatterns && (alike || acHigh || oneGradient) ? DiagnosisVerdict.Collapse
            : fewPatterns || alike || acHigh || oneGradient ? DiagnosisVerdict.Warning
            : DiagnosisVerdict.Healthy;
        return new Diagnosis(verdict, findings, n);
    }

    /// <summary>One line: the verdict in words.</summary>
    public string Headline => Verdict switch
    {
        DiagnosisVerdict.Collapse => "G's samples fall into few of D's linear regions, which code them alike and push them the same way.",
        DiagnosisVerdict.Warning => "some signs of collapse; compare with earlier checkpoints or a BRE run.",
        _ => "no signs of collapse: D sees the fake points about as diverse as the real ones.",
    };

    /// <summary>The verdict and the numbers behind it, as plain text.</summary>
    public string ToText()
    {
        var n = Numbers;
        var sb = new StringBuilder();
        sb.AppendLine($"{"",-24}{"real",10}{"fake",10}{"interp",10}");
        foreach (var (label, monitor) in new[] { ("AC (thresholded)", "ac"), ("ME", "me"), ("correlation mean", "corr_mean"),
                                                 ("correlation max", "corr_max"), ("saturation |s|>0.99", "sat099"), ("|dD/dx| mean", "grad_norm") })
            sb.AppendLine($"{label,-24}{F(n.Get("real_" + monitor)),10}{F(n.Get("fake_" + monitor)),10}{F(n.Get("interp_" + monitor)),10}");
        sb.AppendLine($"{"|dD/dx| spread (cv)",-24}{F(n.RealGradSpread),10}{F(n.FakeGradSpread),10}");
        for (int l = 0; l < n.RealPatterns.Count; l++)
            sb.AppendLine($"{$"distinct patterns L{l + 1}",-24}{n.RealPatterns[l],10}{n.FakePatterns[l],10}");
        sb.AppendLine();
        sb.AppendLine($"Verdict: {Verdict.ToString().ToLowerInvariant()}: {Headline}");
        foreach (var f in Findings) sb.AppendLine("  - " + f);
        return sb.ToString();
    }

    static string F(double v) => double.IsNaN(v) ? "–" : Math.Abs(v) >= 100 ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);
}

/// <summary>
/// <c>bregan diagnose</c>: loads G and D from a run's checkpoint, measures BRE's monitors on fresh
/// real, fake and interpolated batches and D's activation-pattern counts, and judges whether G
/// has collapsed.
/// </summary>
public static class Diagnoser
{
    /// <summary>Diagnoses the run at <paramref name="runDir"/> from its newest checkpoint, or the one at <paramref name="iteration"/>.</summary>
    public static Diagnosis Run(string runDir, int? iteration = null, int? batch = null)
    {
        var run = RunFolder.Open(runDir);
        var checkpoints = Checkpoint.List(run.CheckpointsPath);
        if (checkpoints.Count == 0) throw new BreGanInputException($"'{runDir}' has no checkpoint to diagnose.");
        var chosen = iteration is null ? checkpoints[0]
            : checkpoints.FirstOrDefault(c => c.Iteration == iteration) is var c && c.Path is not null ? c
            : throw new BreGanInputException($"No checkpoint at iteration {iteration} in '{runDir}'; available: {string.Join(", ", checkpoints.Select(x => x.Iteration))}.");
        var config = Checkpoint.ReadHeader(chosen.Path).Config;
        int b = batch ?? config.Eval.MonitorBatch;
        if (b < 2 || b > 8192) throw new BreGanInputException($"--batch must be in [2, 8192], got {b}.");

        var device = new Device(config.Train.Device);
        using var streams = new Generator((ulong)config.Train.Seed * 31 + 5, new Device("cpu"));
        // Models are built outside any dispose scope: their parameters must outlive it.
        nn.Module<Tensor, Tensor> g, d;
        Tensor real;
        if (ExperimentRunner.IsToy(config))
        {
            var mixture = Toy2D.Mixture(config.Data);
            (g, d) = Toy2D.BuildModels(config, mixture, device);
            real = mixture.Sample(b, streams, device);
        }
        else
        {
            ImageGan.Check(config);
            var (size, channels) = ImageGan.Shape(config.Data);
            (g, d) = ImageGan.BuildModels(config, size, channels, device);
            using var data = ImageGan.LoadData(config.Data, config.Train.Seed);
            real = data.SampleBatch(b, streams, device);
        }
        using var gDispose = g;
        using var dDispose = d;
        using var realDispose = real;
        int loaded = LoadModels(chosen.Path, config, g, d, device);
        g.eval();
        using var scope = NewDisposeScope();
        Tensor fake;
        using (no_grad()) fake = g.call(randn(new long[] { b, config.Model.NoiseDim }, generator: streams).to(device));
        return Diagnosis.Judge(Measure(config.Bre, d, real, fake, streams, loaded));
    }

    /// <summary>Restores G and D from a full checkpoint through the variant that wrote it.</summary>
    static int LoadModels(string path, ExperimentConfig config, nn.Module<Tensor, Tensor> g, nn.Module<Tensor, Tensor> d, Device device)
    {
        // The samplers are never called: the variant only names the modules and optimizers the
        // checkpoint holds, in its order.
        using var variant = new AdversarialGan(g, d,
            (_, _) => throw new InvalidOperationException("not sampling"),
            (_, _) => throw new InvalidOperationException("not sampling"), config, device);
        return Checkpoint.Load(path, variant);
    }

    /// <summary>Measures the numbers of a diagnosis for D on a real and a fake batch of the same size.</summary>
    public static DiagnosisNumbers Measure(BreConfig bre, nn.Module<Tensor, Tensor> d, Tensor real, Tensor fake, Generator streams, int iteration = 0)
    {
        using var scope = NewDisposeScope();
        long b = Math.Min(real.shape[0], fake.shape[0]);
        if (b < 2) throw new BreGanInputException($"A diagnosis needs batches of at least 2 points, got {b}.");
        real = real[TensorIndex.Slice(0, b)];
        fake = fake[TensorIndex.Slice(0, b)];
        var row = new Dictionary<string, double>();
        using var monitors = new DiscriminatorMonitors(d, bre);
        monitors.Measure(real, fake, streams, row);
        var realPatterns = monitors.Patterns(real, out _).Select(ActivationPatterns.CountDistinct).ToList();
        var fakePatterns = monitors.Patterns(fake, out _).Select(ActivationPatterns.CountDistinct).ToList();

        bool wasTraining = d.training;
        d.eval();
        double GradSpread(Tensor x)
        {
            var xg = x.detach().requires_grad_(true);
            var norms = Losses.InputGradientNorms(d.call(xg), xg, createGraph: false).to(ScalarType.Float64);
            double mean = norms.mean().item<double>();
            return mean > 0 ? norms.std().item<double>() / mean : 0;
        }
        double realSpread, fakeSpread;
        try { (realSpread, fakeSpread) = (GradSpread(real), GradSpread(fake)); }
        finally { if (wasTraining) d.train(); }

        double Spread(Tensor x)
        {
            var flat = x.detach().reshape(b, -1).to(ScalarType.Float64);
            return cdist(flat, flat).sum().item<double>() / (b * (b - 1.0));
        }
        double realDistance = Spread(real);
        double spreadRatio = realDistance > 0 ? Spread(fake) / realDistance : double.NaN;
        return new DiagnosisNumbers(iteration, (int)b, row.Where(p => !MetricColumns.IsPatterns(p.Key)).ToDictionary(),
            realPatterns, fakePatterns, realSpread, fakeSpread, spreadRatio);
    }
}
