using BreGan.Models;
using TorchSharp.Modules;
using Xunit.Abstractions;

namespace BreGan.Tests.Models;

public class ImageGanTests(ITestOutputHelper output)
{
    // Tiny widths keep every test fast: dcgan 4-8-16(-32), dcgan-equal 8 everywhere.
    private static ImageGanOptions Tiny(string arch, int size = 28, int channels = 1) => new()
    {
        ImageSize = size, Channels = channels, ZDim = 8,
        WidthFactor = arch == "dcgan" ? 0.25 : 1.0 / 32,
    };

    private static (DcganGenerator g, DcganDiscriminator d) Create(string arch, ImageGanOptions o,
        ScalarType dtype = ScalarType.Float32)
    {
        var (g, d) = ImageGanFactory.Create(arch, o, CPU, dtype);
        return ((DcganGenerator)g, (DcganDiscriminator)d);
    }

    private static long Count(nn.Module m) => m.parameters().Sum(p => p.numel());

    // ---- shapes

    [Theory]
    [InlineData("dcgan", 28, 1)] [InlineData("dcgan", 28, 3)]
    [InlineData("dcgan", 32, 1)] [InlineData("dcgan", 32, 3)]
    [InlineData("dcgan", 64, 1)] [InlineData("dcgan", 64, 3)]
    [InlineData("dcgan-equal", 28, 1)] [InlineData("dcgan-equal", 28, 3)]
    [InlineData("dcgan-equal", 32, 1)] [InlineData("dcgan-equal", 32, 3)]
    [InlineData("dcgan-equal", 64, 1)] [InlineData("dcgan-equal", 64, 3)]
    public void ForwardShapes(string arch, int size, int channels)
    {
        using var scope = NewDisposeScope();
        var (g, d) = Create(arch, Tiny(arch, size, channels));
        var fake = g.call(randn(3, 8));
        Assert.Equal(new long[] { 3, channels, size, size }, fake.shape);
        Assert.True(fake.min().item<float>() >= -1f && fake.max().item<float>() <= 1f);
        Assert.Equal(new long[] { 3, 1 }, d.call(fake).shape);
        Assert.Equal(new long[] { 3, 1 }, d.call(rand(3, channels, size, size) * 2 - 1).shape);
        Assert.Equal(new long[] { 3, d.Architecture.FeatureSize }, d.Features(fake).shape);
    }

    [Fact]
    public void Float64_ParametersAndOutputsAreDouble()
    {
        using var scope = NewDisposeScope();
        var (g, d) = Create("dcgan", Tiny("dcgan"), ScalarType.Float64);
        Assert.All(g.parameters().Concat(d.parameters()), p => Assert.Equal(ScalarType.Float64, p.dtype));
        var logits = d.call(g.call(randn(2, 8, dtype: ScalarType.Float64)));
        Assert.Equal(ScalarType.Float64, logits.dtype);
    }

    // ---- parameters and gradients

    [Fact]
    public void ParameterCounts_MatchHandComputation()
    {
        // dcgan, 28x28x1, z 8, widths 4-8-16 on maps 14-7-4, batch norm; conv weight = in*out*5*5.
        var (g, d) = Create("dcgan", Tiny("dcgan"));
        long dExpected =
            (1 * 4 * 25 + 4)             // conv 1->4 (no norm on the first stage)
            + (4 * 8 * 25 + 8) + 2 * 8   // conv 4->8, batch norm
            + (8 * 16 * 25 + 16) + 2 * 16 // conv 8->16, batch norm
            + (16 * 4 * 4 + 1);          // linear 256->1
        long gExpected =
            (8 * 16 * 4 * 4 + 16 * 4 * 4) + 2 * 16 // linear 8->16x4x4, batch norm
            + (16 * 8 * 25 + 8) + 2 * 8             // 4x4 -> 7x7
            + (8 * 4 * 25 + 4) + 2 * 4              // 7 -> 14
            + (4 * 1 * 25 + 1);                     // 14 -> 28, tanh
        Assert.Equal(4433, dExpected);
        Assert.Equal(dExpected, Count(d));
        Assert.Equal(gExpected, Count(g));
    }

    [Fact]
    public void ParameterCounts_ReferenceConfigurations()
    {
        // Classic DCGAN widths 64-128-256 at 32x32x3 and dcgan-equal's 256 everywhere.
        var (g4, d4) = Create("dcgan", new ImageGanOptions { WidthFactor = 4 });
        var (ge, de) = Create("dcgan-equal", new ImageGanOptions());
        output.WriteLine($"dcgan w4: G {Count(g4)} D {Count(d4)}; dcgan-equal: G {Count(ge)} D {Count(de)}");
        Assert.Equal(new[] { 64, 128, 256 }, d4.Architecture.Widths);
        Assert.Equal(1_034_113, Count(d4));
        Assert.Equal(1_443_587, Count(g4));
        Assert.Equal(new[] { 256, 256, 256 }, de.Architecture.Widths);
        Assert.Equal(3_301_889, Count(de));
        Assert.Equal(3_711_747, Count(ge));
    }

    [Fact]
    public void DiscriminatorWidthFactorNarrowsOnlyD()
    {
        // The harder stacked-MNIST setting: D with a quarter of G's channels.
        var (g, d) = Create("dcgan", new ImageGanOptions { WidthFactor = 2, DiscriminatorWidthFactor = 0.25 });
        Assert.Equal(new[] { 32, 64, 128 }, g.Architecture.Widths);
        Assert.Equal(new[] { 8, 16, 32 }, d.Architecture.Widths);
        using var z = randn(2, 100);
        using var fake = g.call(z);
        using var logits = d.call(fake);
        Assert.Equal(new long[] { 2, 3, 32, 32 }, fake.shape);
        Assert.Equal(new long[] { 2, 1 }, logits.shape);
        Assert.Equal(new long[] { 2, d.Architecture.FeatureSize }, d.Features(fake).shape);
        Assert.Throws<BreGanInputException>(() => Create("dcgan", new ImageGanOptions { DiscriminatorWidthFactor = 0 }));
    }

    [Theory]
    [InlineData("dcgan", ImageNormalization.Batch, 0.0)]
    [InlineData("dcgan", ImageNormalization.Layer, 0.3)]
    [InlineData("dcgan-equal", ImageNormalization.None, 0.0)]
    public void EveryParameterGetsNonZeroGradient(string arch, ImageNormalization norm, double dropout)
    {
        using var scope = NewDisposeScope();
        var o = Tiny(arch, 32, 3) with
        {
            DiscriminatorNormalization = norm, GeneratorNormalization = norm, DropoutProbability = dropout,
        };
        var (g, d) = Create(arch, o);
        var fake = g.call(randn(4, 8));
        // Random weights on the outputs avoid gradients that cancel by symmetry.
        var loss = (fake * randn_like(fake)).sum() + (d.call(fake.detach()) * randn(4, 1)).sum();
        loss.backward();
        foreach (var (name, p) in g.named_parameters().Concat(d.named_parameters()))
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"no gradient for {name}");
    }

    // ---- rectifiers and hooks (what BRE relies on)

    [Theory]
    [InlineData("dcgan", 28, 0.0)]
    [InlineData("dcgan", 64, 0.2)]
    [InlineData("dcgan-equal", 32, 0.0)]
    public void RectifierPreHooks_FireOncePerCall_InCallOrder_OnConvOutputs(string arch, int size, double dropout)
    {
        using var scope = NewDisposeScope();
        var (_, d) = Create(arch, Tiny(arch, size, 3) with { DropoutProbability = dropout });
        var a = d.Architecture;
        var rectifiers = d.named_modules().Where(m => m.module is ReLU or LeakyReLU).ToList();

        Assert.Equal(rectifiers.Select(r => r.name), d.RectifierNames);
        Assert.Equal(a.Depth, rectifiers.Count);
        Assert.Equal(rectifiers.Count, rectifiers.Select(r => r.module).Distinct().Count()); // never reused
        if (arch == "dcgan")
            Assert.All(rectifiers, r => Assert.Equal(0.2, Assert.IsType<LeakyReLU>(r.module).negative_slope));
        else
            Assert.All(rectifiers, r => Assert.IsType<ReLU>(r.module));

        var seen = new List<(string name, Tensor input)>();
        var convOutputs = new List<Tensor>();
        var removers = rectifiers.Select(r => ((nn.Module<Tensor, Tensor>)r.module).register_forward_pre_hook(
            (m, input) => { seen.Add((r.name, input.alias())); return null!; })).ToList();
        // The rectifier's input must be the raw convolution output (pre-activation, before normalization).
        removers.AddRange(d.named_modules().Where(m => m.module is Conv2d).Select(c =>
            ((Conv2d)c.module).register_forward_hook((m, i, o) => { convOutputs.Add(o.alias()); return null!; })));

        d.call(randn(2, 3, size, size));
        Assert.Equal(d.RectifierNames, seen.Select(s => s.name));
        for (int i = 0; i < a.Depth; i++)
        {
            Assert.Equal(new long[] { 2, a.Widths[i], a.MapSizes[i], a.MapSizes[i] }, seen[i].input.shape);
            Assert.True(seen[i].input.eq(convOutputs[i]).all().item<bool>(), $"rectifier {i} input is not conv {i}'s output");
        }
        d.call(randn(2, 3, size, size));
        Assert.Equal(2 * a.Depth, seen.Count);

        removers.ForEach(r => r.remove());
        d.call(randn(2, 3, size, size));
        Assert.Equal(2 * a.Depth, seen.Count);
    }

    [Fact]
    public void RegistrationOrder_EqualsCallOrder_ForEveryLeafModule()
    {
        using var scope = NewDisposeScope();
        var (g, d) = Create("dcgan", Tiny("dcgan", 32, 3) with { DropoutProbability = 0.1 });
        foreach (var (net, input) in new (nn.Module<Tensor, Tensor>, Tensor)[] { (d, randn(2, 3, 32, 32)), (g, randn(2, 8)) })
        {
            var leaves = net.named_modules().Where(m => !m.module.children().Any()).ToList();
            var called = new List<string>();
            var removers = leaves.Select(l => ((nn.Module<Tensor, Tensor>)l.module)
                .register_forward_pre_hook((nn.Module _) => called.Add(l.name))).ToList();
            net.call(input);
            removers.ForEach(r => r.remove());
            Assert.Equal(leaves.Select(l => l.name), called);
        }
    }

    // ---- initialization

    [Fact]
    public void Initialization_DcganStatistics()
    {
        using var scope = NewDisposeScope();
        // Width 1 at 32x32x3: the first conv has 1,200 weights (TorchSharp's default would give std 0.067).
        var (g, d) = Create("dcgan", new ImageGanOptions());
        var modules = g.modules().Concat(d.modules()).ToList();
        var weighted = modules.Select(m => m switch
        {
            Conv2d c => (c.weight, c.bias),
            ConvTranspose2d c => (c.weight, c.bias),
            Linear l => (l.weight, l.bias),
            _ => ((Tensor?)null, (Tensor?)null),
        }).Where(t => t.Item1 is not null).ToList();
        Assert.Equal(3 + 1 + 1 + 3, weighted.Count); // D: 3 convs + head; G: linear + 3 transposed convs
        foreach (var (w, b) in weighted)
        {
            if (w!.numel() >= 1000)
            {
                double std = w.std().item<float>();
                Assert.InRange(std, 0.018, 0.022);
                Assert.InRange(w.mean().item<float>(), -0.003, 0.003);
            }
            Assert.Equal(0f, b!.abs().max().item<float>());
        }
        var bns = modules.OfType<BatchNorm2d>().ToList();
        Assert.Equal(2 + 3, bns.Count);
        var gammas = cat(bns.Select(b => (Tensor)b.weight).ToArray());
        Assert.InRange(gammas.mean().item<float>(), 0.99, 1.01);
        Assert.InRange(gammas.std().item<float>(), 0.012, 0.028);
        Assert.All(bns, b => Assert.Equal(0f, b.bias!.abs().max().item<float>()));
    }

    [Fact]
    public void Initialization_LayerNormIsIdentityAffine()
    {
        using var scope = NewDisposeScope();
        var o = Tiny("dcgan") with
        {
            DiscriminatorNormalization = ImageNormalization.Layer, GeneratorNormalization = ImageNormalization.Layer,
        };
        var (g, d) = Create("dcgan", o);
        var norms = g.modules().Concat(d.modules()).OfType<GroupNorm>().ToList();
        Assert.Equal(2 + 3, norms.Count);
        Assert.All(norms, n =>
        {
            Assert.True(n.weight.eq(1).all().item<bool>());
            Assert.True(n.bias!.eq(0).all().item<bool>());
        });
    }

    // ---- options

    [Theory]
    [InlineData(ImageNormalization.None)]
    [InlineData(ImageNormalization.Batch)]
    [InlineData(ImageNormalization.Layer)]
    public void Normalization_ProducesExpectedModules(ImageNormalization norm)
    {
        var o = Tiny("dcgan", 64, 3) with { DiscriminatorNormalization = norm, GeneratorNormalization = norm };
        var (g, d) = Create("dcgan", o);
        int depth = d.Architecture.Depth;
        Assert.Equal(4, depth);
        int expectedD = norm == ImageNormalization.None ? 0 : depth - 1; // none on D's first stage
        int expectedG = norm == ImageNormalization.None ? 0 : depth;     // after G's linear and each hidden stage
        var dNames = d.named_modules().Where(m => m.module is BatchNorm2d or GroupNorm).Select(m => m.name).ToList();
        Assert.Equal(expectedD, dNames.Count);
        Assert.DoesNotContain("norm0", dNames);
        Assert.Equal(expectedG, g.modules().Count(m => m is BatchNorm2d or GroupNorm));
        var all = g.modules().Concat(d.modules()).ToList();
        if (norm == ImageNormalization.Batch) Assert.DoesNotContain(all, m => m is GroupNorm);
        if (norm == ImageNormalization.Layer)
        {
            Assert.DoesNotContain(all, m => m is BatchNorm2d);
            Assert.All(all.OfType<GroupNorm>(), n => Assert.Equal(1, n.num_groups));
        }
        Assert.DoesNotContain(d.modules(), m => m is Dropout);
    }

    [Fact]
    public void Dropout_OnePerStage_WithTheProbability()
    {
        var (g, d) = Create("dcgan", Tiny("dcgan") with { DropoutProbability = 0.3 });
        var dropouts = d.modules().OfType<Dropout>().ToList();
        Assert.Equal(d.Architecture.Depth, dropouts.Count);
        Assert.All(dropouts, m => Assert.Equal(0.3, m.p));
        Assert.DoesNotContain(g.modules(), m => m is Dropout);
    }

    [Fact]
    public void Defaults_DepthWidthsMapsAndRectifier()
    {
        var a28 = ImageGanArchitecture.Resolve("dcgan", new ImageGanOptions { ImageSize = 28 });
        Assert.Equal(new[] { 16, 32, 64 }, a28.Widths);
        Assert.Equal(new[] { 14, 7, 4 }, a28.MapSizes);
        Assert.Equal(ImageRectifier.LeakyRelu, a28.Rectifier);
        var a64 = ImageGanArchitecture.Resolve("dcgan", new ImageGanOptions { ImageSize = 64, WidthFactor = 4 });
        Assert.Equal(new[] { 64, 128, 256, 512 }, a64.Widths);
        Assert.Equal(new[] { 32, 16, 8, 4 }, a64.MapSizes);
        var eq = ImageGanArchitecture.Resolve("dcgan-equal", new ImageGanOptions { WidthFactor = 0.5 });
        Assert.Equal(new[] { 128, 128, 128 }, eq.Widths);
        Assert.Equal(ImageRectifier.Relu, eq.Rectifier);
        var eqLeaky = ImageGanArchitecture.Resolve("dcgan-equal", new ImageGanOptions { Rectifier = ImageRectifier.LeakyRelu });
        Assert.Equal(ImageRectifier.LeakyRelu, eqLeaky.Rectifier);
    }

    public static TheoryData<ImageGanOptions, string> BadOptions => new()
    {
        { new ImageGanOptions { ImageSize = 30 }, "ImageSize must be 28, 32 or 64" },
        { new ImageGanOptions { Channels = 2 }, "Channels must be 1 or 3" },
        { new ImageGanOptions { ZDim = 0 }, "ZDim" },
        { new ImageGanOptions { WidthFactor = 0 }, "WidthFactor must be a finite number > 0" },
        { new ImageGanOptions { WidthFactor = double.NaN }, "WidthFactor" },
        { new ImageGanOptions { DropoutProbability = 1 }, "DropoutProbability must be in [0, 1)" },
        { new ImageGanOptions { DropoutProbability = -0.1 }, "DropoutProbability" },
        { new ImageGanOptions { Depth = 0 }, "Depth must be between 1 and 4 for ImageSize 32" },
        { new ImageGanOptions { ImageSize = 64, Depth = 6 }, "Depth must be between 1 and 5 for ImageSize 64" },
        { new ImageGanOptions { DiscriminatorNormalization = (ImageNormalization)7 }, "DiscriminatorNormalization must be one of None, Batch, Layer" },
        { new ImageGanOptions { Rectifier = (ImageRectifier)9 }, "Rectifier must be one of LeakyRelu, Relu" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void BadOptions_ThrowNamingTheField(ImageGanOptions options, string message)
    {
        var e = Assert.Throws<BreGanInputException>(() => ImageGanFactory.Create("dcgan", options, CPU));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UnknownArchitecture_Throws()
    {
        var e = Assert.Throws<BreGanInputException>(() => ImageGanFactory.Create("x", new ImageGanOptions(), CPU));
        Assert.Equal("Unknown architecture 'x'; valid: dcgan, dcgan-equal", e.Message);
    }
}
