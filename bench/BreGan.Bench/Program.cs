// Benchmarks that print ratios measured in one process (never timed assertions in tests).
//   dotnet run --project bench/BreGan.Bench -c Release -- [bre|toy|image|memory|all] [--repeats N] [--memory-iterations N]
using System.Diagnostics;
using BreGan;
using BreGan.Data;
using BreGan.Experiments;
using BreGan.Models;
using BreGan.Training;
using TorchSharp;
using static TorchSharp.torch;

var what = args.FirstOrDefault(a => !a.StartsWith("--")) ?? "all";
int repeats = args.SkipWhile(a => a != "--repeats").Skip(1).Select(int.Parse).FirstOrDefault(15);
int memoryIterations = args.SkipWhile(a => a != "--memory-iterations").Skip(1).Select(int.Parse).FirstOrDefault(20_000);
Console.WriteLine($"BreGan benchmarks: {Environment.ProcessorCount} cores, {torch.get_num_threads()} intra-op threads, TorchSharp {typeof(torch).Assembly.GetName().Version}");
Console.WriteLine($"machine: {Machine.Describe()}");
if (what is "bre" or "all") BreVersusDiscriminatorPass(repeats);
if (what is "toy" or "all") { ToyIterationRate(repeats); GuardBench.Run(); }
if (what is "image" or "all") ImageBench.Run(repeats);
if (what is "memory" or "all") MemoryBench.Run(memoryIterations);
Console.WriteLine();
Console.WriteLine($"load average at the end: {Machine.LoadAverage()}");
return 0;

// Median wall time (ms) of an action, with warm-up; interleaving is done by the caller.
static double Time(Action action, int inner = 1)
{
    var sw = Stopwatch.StartNew();
    for (int i = 0; i < inner; i++) action();
    return sw.Elapsed.TotalMilliseconds / inner;
}

static double Median(List<double> v) { v.Sort(); return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2; }

static void BreVersusDiscriminatorPass(int repeats)
{
    Console.WriteLine();
    Console.WriteLine("## BRE term vs a DCGAN D pass (32x32x3, convs 64-128-256, batch 64, forward + backward)");
    var (_, dModule) = ImageGanFactory.Create("dcgan", new ImageGanOptions { ImageSize = 32, Channels = 3, WidthFactor = 4 }, new Device("cpu"));
    using var d = dModule;
    using var x = randn(64, 3, 32, 32);
    using var capture = BreCapture.Attach(d);
    Console.WriteLine($"BRE layers (default placement): {string.Join(", ", capture.LayerNames)}");

    void PlainPass()
    {
        using var scope = NewDisposeScope();
        capture.Enabled = false;
        d.zero_grad();
        d.call(x).mean().backward();
    }
    void BrePass()
    {
        using var scope = NewDisposeScope();
        capture.Enabled = true;
        d.zero_grad();
        var y = d.call(x);
        using var terms = capture.Compute();
        (y.mean() + terms.Total).backward();
    }
    // BRE's own arithmetic on captured pre-activations (forward + backward into them).
    capture.Enabled = true;
    using (no_grad()) d.call(x);
    var captured = capture.Take().Select(t => t.detach().clone().requires_grad_(true)).ToList();
    void BreOnly()
    {
        using var scope = NewDisposeScope();
        foreach (var t in captured) t.grad?.zero_();
        using var terms = Bre.Compute(captured);
        terms.Total.backward();
    }
    for (int i = 0; i < 3; i++) { PlainPass(); BrePass(); BreOnly(); }
    var plain = new List<double>(); var withBre = new List<double>(); var breOnly = new List<double>();
    for (int r = 0; r < repeats; r++) { plain.Add(Time(PlainPass)); withBre.Add(Time(BrePass)); breOnly.Add(Time(BreOnly, 5)); }
    double p = Median(plain), b = Median(withBre), o = Median(breOnly);
    Console.WriteLine($"| measurement ({repeats} repeats, median) | ms |");
    Console.WriteLine("|---|---|");
    Console.WriteLine($"| D forward + backward | {p:F2} |");
    Console.WriteLine($"| D forward + backward with BRE (hooks + term) | {b:F2} |");
    Console.WriteLine($"| BRE term alone (forward + backward on captured pre-activations) | {o:F3} |");
    Console.WriteLine($"BRE arithmetic / D pass = {o / p:P1}; whole pass with BRE / without = {b / p:F3}x");
    foreach (var t in captured) t.Dispose();
}

static void ToyIterationRate(int repeats)
{
    Console.WriteLine();
    Console.WriteLine("## 2D toy iteration rate (one D and one G update per iteration), BRE on vs off");
    Console.WriteLine("| preset | BRE off it/s | BRE on it/s | on/off time ratio |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var preset in new[] { "grid25", "grid25-wide" })
    {
        var baseConfig = Presets.Get(preset);
        var arms = new[] { baseConfig with { Bre = baseConfig.Bre with { Weight = 0 } }, baseConfig };
        var device = new Device("cpu");
        var mixture = Toy2D.Mixture(baseConfig.Data);
        var variants = arms.Select(c =>
        {
            var (g, d) = Toy2D.BuildModels(c, mixture, device);
            return (IGanVariant)new AdversarialGan(g, d, (n, gen) => mixture.Sample(n, gen, device),
                (n, gen) => randn(new long[] { n, c.Model.NoiseDim }, generator: gen), c, device);
        }).ToArray();
        const int steps = 200;
        void Run(IGanVariant v) { for (int i = 0; i < steps; i++) { v.DiscriminatorStep(); v.GeneratorStep(); } }
        foreach (var v in variants) Run(v);
        var off = new List<double>(); var on = new List<double>();
        for (int r = 0; r < Math.Max(3, repeats / 3); r++) { off.Add(Time(() => Run(variants[0]))); on.Add(Time(() => Run(variants[1]))); }
        double mOff = Median(off), mOn = Median(on);
        Console.WriteLine($"| {preset} ({baseConfig.Bre.Placement}) | {steps * 1000 / mOff:F0} | {steps * 1000 / mOn:F0} | {mOn / mOff:F2} |");
        foreach (var v in variants) v.Dispose();
    }
}
