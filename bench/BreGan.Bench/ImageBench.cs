using System.Diagnostics;
using BreGan.Experiments;
using BreGan.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>
/// DCGAN 32x32x3 (width 4: D convs 64-128-256, batch 64) training iterations with BRE on and off,
/// their achieved GFLOP/s, and this process's fp32 2048^3 matrix-product rate as the ceiling.
/// </summary>
static class ImageBench
{
    public static void Run(int repeats)
    {
        Console.WriteLine();
        Console.WriteLine("## DCGAN image iteration on random data of the presets' shapes (cifar10: 32x32x3, width 4; fashion: 28x28x1, width 2; batch 64; one iteration = d_steps D updates + one G update)");
        double matmul = MatmulGflops(Math.Max(5, repeats));
        Console.WriteLine($"fp32 matrix product 2048x2048x2048: {matmul:F1} GFLOP/s (median, same process)");

        static ExperimentConfig Arm(string preset, double weight, bool onInterpolated = true, bool onFake = true)
        {
            var sets = new List<string>
            {
                "data.dataset=random", "data.path=null", "data.count=512", $"bre.weight={weight}",
                $"bre.on_interpolated={(onInterpolated ? "true" : "false")}", $"bre.on_fake={(onFake ? "true" : "false")}", "eval.grid_samples=16",
            };
            // Random images of the preset's own shape.
            if (preset.StartsWith("fashion")) sets.AddRange(new[] { "data.image_size=28", "data.channels=1" });
            return Presets.Get(preset).With(sets).Validate();
        }
        var arms = new (string Name, ExperimentConfig Config, int BaseIndex)[]
        {
            ("cifar10-dcgan ns, BRE off", Arm("cifar10-dcgan", 0), 0),
            ("cifar10-dcgan ns, BRE on fake", Arm("cifar10-dcgan", 1, onInterpolated: false), 0),
            ("cifar10-dcgan ns, BRE on fake + interpolated (default)", Arm("cifar10-dcgan", 1), 0),
            ("cifar10-wgangp (5 critic steps), BRE off", Arm("cifar10-wgangp", 0), 3),
            ("cifar10-wgangp (5 critic steps), BRE on fake + interpolated (default)", Arm("cifar10-wgangp", 1), 3),
            ("cifar10-wgangp (5 critic steps), BRE on fake", Arm("cifar10-wgangp", 1, onInterpolated: false), 3),
            ("cifar10-wgangp (5 critic steps), BRE on interpolated", Arm("cifar10-wgangp", 1, onFake: false), 3),
            ("fashion-dcgan ns, BRE off", Arm("fashion-dcgan", 0), 7),
            ("fashion-dcgan ns, BRE on fake + interpolated (default)", Arm("fashion-dcgan", 1), 7),
        };
        var experiments = arms.Select(a => new ImageGan(a.Config)).ToArray();
        try
        {
            // Forward FLOPs of G and D (conv / transposed conv / linear shapes of one pass at batch 64).
            var (fG, fD) = ForwardFlops(experiments[0], arms[0].Config);
            var (fashionG, fashionD) = ForwardFlops(experiments[7], arms[7].Config);
            Console.WriteLine($"forward FLOPs at batch 64: cifar10-dcgan G {fG / 1e9:F3} GFLOP, D {fD / 1e9:F3} GFLOP; fashion-dcgan G {fashionG / 1e9:F3}, D {fashionD / 1e9:F3}");

            void Iteration(IExperiment e, ExperimentConfig c)
            {
                for (int k = 0; k < c.Train.DSteps; k++) e.Variant.DiscriminatorStep();
                e.Variant.GeneratorStep();
            }
            for (int i = 0; i < experiments.Length; i++) { Iteration(experiments[i], arms[i].Config); Iteration(experiments[i], arms[i].Config); }
            var times = arms.Select(_ => new List<double>()).ToArray();
            int n = Math.Max(3, repeats / 2);
            for (int r = 0; r < n; r++)
                for (int i = 0; i < experiments.Length; i++)
                {
                    var sw = Stopwatch.StartNew();
                    Iteration(experiments[i], arms[i].Config);
                    times[i].Add(sw.Elapsed.TotalMilliseconds);
                }

            Console.WriteLine($"| arm ({n} repeats, median) | ms / iteration | vs its BRE-off arm | GFLOP / iteration | GFLOP/s | of matmul rate |");
            Console.WriteLine("|---|---|---|---|---|---|");
            for (int i = 0; i < arms.Length; i++)
            {
                double ms = Median(times[i]);
                double baseMs = Median(times[arms[i].BaseIndex]);
                var (g, d) = arms[i].Config.Preset.StartsWith("fashion") ? (fashionG, fashionD) : (fG, fD);
                // ns, per iteration: D update = G fwd + D fwd on real and fake + their backward (2x fwd each)
                // = F_G + 6 F_D; G update = G fwd + D fwd + backward through both = 3 F_G + 3 F_D.
                // BRE on the interpolated batch adds one D pass with backward: + 3 F_D. (WGAN-GP's
                // double backward is not counted: no GFLOP/s for it.)
                string flops = "", rate = "", share = "";
                if (arms[i].Config.Loss.Kind == "ns")
                {
                    double f = 4 * g + 9 * d + (arms[i].Config.Bre.Weight > 0 && arms[i].Config.Bre.OnInterpolated ? 3 * d : 0);
                    double gflops = f / 1e9 / (ms / 1e3);
                    (flops, rate, share) = ($"{f / 1e9:F2}", $"{gflops:F1}", $"{gflops / matmul:P0}");
                }
                Console.WriteLine($"| {arms[i].Name} | {ms:F0} | {ms / baseMs:F3}x | {flops} | {rate} | {share} |");
            }
        }
        finally
        {
            foreach (var e in experiments) e.Dispose();
        }
    }

    static double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }

    /// <summary>Median GFLOP/s of a 2048^3 fp32 matrix product.</summary>
    public static double MatmulGflops(int repeats)
    {
        using var a = randn(2048, 2048);
        using var b = randn(2048, 2048);
        for (int i = 0; i < 2; i++) a.mm(b).Dispose();
        var t = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            a.mm(b).Dispose();
            t.Add(sw.Elapsed.TotalSeconds);
        }
        return 2.0 * 2048 * 2048 * 2048 / Median(t) / 1e9;
    }

    /// <summary>
    /// Multiply-adds x 2 of every convolution, transposed convolution and linear layer in one
    /// forward pass of G and of D at the config's batch size, from the shapes seen by hooks.
    /// </summary>
    static (double G, double D) ForwardFlops(ImageGan experiment, ExperimentConfig config)
    {
        var (g, d) = (experiment.Generator, (nn.Module<Tensor, Tensor>)experiment.Variant.Modules[1].Module);
        double Count(nn.Module<Tensor, Tensor> model, Tensor input)
        {
            double flops = 0;
            var removers = new List<Action>();
            foreach (var m in model.modules())
            {
                switch (m)
                {
                    case Conv2d c: // 2 * (Cin/groups * k * k) per output element
                        removers.Add(c.register_forward_hook((_, _, o) => { flops += 2.0 * c.weight.numel() / c.weight.shape[0] * o.numel(); return null!; }).remove);
                        break;
                    case ConvTranspose2d c: // every input element meets (Cout/groups * k * k) weights
                        removers.Add(c.register_forward_hook((_, x, _) => { flops += 2.0 * c.weight.numel() / c.weight.shape[0] * x.numel(); return null!; }).remove);
                        break;
                    case Linear l:
                        removers.Add(l.register_forward_hook((_, x, _) => { flops += 2.0 * l.weight.numel() * (x.numel() / x.shape[^1]); return null!; }).remove);
                        break;
                }
            }
            using (no_grad()) model.call(input).Dispose();
            foreach (var r in removers) r();
            return flops;
        }
        int batch = config.Train.BatchSize;
        using var scope = NewDisposeScope();
        var z = randn(batch, config.Model.NoiseDim);
        double fG = Count(g, z);
        var (size, channels) = ImageGan.Shape(config.Data);
        double fD = Count(d, randn(batch, channels, size, size));
        return (fG, fD);
    }
}
