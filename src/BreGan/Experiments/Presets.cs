using BreGan.Training;

namespace BreGan.Experiments;

/// <summary>Named starting configs; <c>--set</c> and config files refine them.</summary>
public static class Presets
{
    /// <summary>2D toys run on one intra-op thread: their ops are tiny, so a second thread only adds
    /// synchronisation (measured: 1,500 grid25 iterations took 15-23 s on 1 thread and 93-101 s on 2
    /// on a loaded 2-core machine; see docs/benchmarks.md).</summary>
    const int ToyThreads = 1;

    /// <summary>The paper's 2D toy networks: G 4 layers (ReLU, 10 units), D 5 layers (LeakyReLU 0.2,
    /// 10 units), Adam 2e-3 (0.5, 0.999), lr to 1e-6 and BRE weight to 0 linearly, BRE on D's second
    /// hidden layer.</summary>
    static ExperimentConfig PaperToy(string dataset) => new()
    {
        Preset = dataset,
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "mlp", NoiseDim = 2, GeneratorLayers = 3, GeneratorWidth = 10, DiscriminatorLayers = 4, DiscriminatorWidth = 10 },
        Bre = new BreConfig { Weight = 1, Placement = "layers:2", DecayToZero = true },
        Train = new TrainConfig { Iterations = 5000, BatchSize = 128, Lr = 2e-3, LrMin = 1e-6, Beta1 = 0.5, Beta2 = 0.999, Threads = ToyThreads },
        Eval = new EvalConfig { Every = 500 },
    };

    /// <summary>A wider toy: 128-unit MLPs, BRE on every rectified layer but the first and last.</summary>
    static ExperimentConfig WideToy(string dataset) => new()
    {
        Preset = dataset + "-wide",
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "mlp", NoiseDim = 2, GeneratorLayers = 3, GeneratorWidth = 128, DiscriminatorLayers = 4, DiscriminatorWidth = 128 },
        Bre = new BreConfig { Weight = 1, Placement = "all-but-first-and-last" },
        Train = new TrainConfig { Iterations = 5000, BatchSize = 128, Lr = 1e-3, LrMin = 1e-6, Beta1 = 0.5, Beta2 = 0.999, Threads = ToyThreads },
        Eval = new EvalConfig { Every = 500 },
    };

    /// <summary>The BRE reference's image defaults: batch 64, z 100, Adam 2e-4 (0.5, 0.999), weight
    /// decay 1e-4, lr annealed linearly to 1e-6, BRE weight 1 on every rectified D layer but the
    /// first and last.</summary>
    static ExperimentConfig Image(string name, string dataset, string architecture = "dcgan", double width = 2, int size = 0) => new()
    {
        Preset = name,
        Data = new DataConfig { Dataset = dataset, ImageSize = size },
        Model = new ModelConfig { Architecture = architecture, NoiseDim = 100, WidthFactor = width },
        Bre = new BreConfig { Weight = 1, Placement = "all-but-first-and-last" },
        Train = new TrainConfig { Iterations = 5000, BatchSize = 64, Lr = 2e-4, LrMin = 1e-6, Beta1 = 0.5, Beta2 = 0.999, WeightDecay = 1e-4 },
        Eval = new EvalConfig { Every = 500, MonitorBatch = 64, GridSamples = 64 },
    };

    /// <summary>WGAN-GP as published (Gulrajani et al.): Adam 1e-4 (0, 0.9), 5 critic steps, penalty 10,
    /// layer norm in the critic (a gradient penalty per point is incompatible with batch norm).</summary>
    static ExperimentConfig WganGp(string name, string dataset)
    {
        var c = Image(name, dataset, "dcgan", 4);
        return c with
        {
            Model = c.Model with { Normalization = "layer" },
            Loss = new LossConfig { Kind = "wgan-gp", GpWeight = 10, GpTarget = 1 },
            Train = c.Train with { Lr = 1e-4, Beta1 = 0, Beta2 = 0.9, DSteps = 5, WeightDecay = 0 },
        };
    }

    static readonly Dictionary<string, Func<ExperimentConfig>> All = new()
    {
        ["ring8"] = () => PaperToy("ring8"),
        ["grid25"] = () => PaperToy("grid25"),
        ["ring8-wide"] = () => WideToy("ring8"),
        ["grid25-wide"] = () => WideToy("grid25"),
        ["mnist-dcgan"] = () => Image("mnist-dcgan", "mnist"),
        ["fashion-dcgan"] = () => Image("fashion-dcgan", "fashion-mnist"),
        ["cifar10-dcgan"] = () => Image("cifar10-dcgan", "cifar10", width: 4),
        ["cifar10-dcgan-equal"] = () => Image("cifar10-dcgan-equal", "cifar10", "dcgan-equal", 1),
        ["cifar10-wgangp"] = () => WganGp("cifar10-wgangp", "cifar10"),
        ["stacked-mnist-dcgan"] = () => Image("stacked-mnist-dcgan", "stacked-mnist", width: 2),
        ["folder-dcgan-64"] = () => Image("folder-dcgan-64", "folder", width: 2, size: 64),
    };

    public static IReadOnlyList<string> Names => All.Keys.Concat(SslPresets.Names).ToList();

    /// <summary>The preset's config; an unknown name lists the valid ones.</summary>
    public static ExperimentConfig Get(string name) =>
        All.TryGetValue(name, out var make) ? make() : SslPresets.Contains(name) ? SslPresets.Get(name)
            : throw new BreGanInputException($"Unknown preset '{name}'; valid: {string.Join(", ", Names)}.");
}
