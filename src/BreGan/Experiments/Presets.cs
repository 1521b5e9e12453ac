using BreGan.Training;

namespace BreGan.Experiments;

/// <summary>Named starting configs; <c>--set</c> and config files refine them.</summary>
public static class Presets
{
    /// <summary>The paper's 2D toy networks: G 4 layers (ReLU, 10 units), D 5 layers (LeakyReLU 0.2,
    /// 10 units), Adam 2e-3 (0.5, 0.999), lr to 1e-6 and BRE weight to 0 linearly, BRE on D's second
    /// hidden layer.</summary>
    static ExperimentConfig PaperToy(string dataset) => new()
    {
        Preset = dataset,
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "mlp", NoiseDim = 2, GeneratorLayers = 3, GeneratorWidth = 10, DiscriminatorLayers = 4, DiscriminatorWidth = 10 },
        Bre = new BreConfig { Weight = 1, Placement = "layers:2", DecayToZero = true },
        Train = new TrainConfig { Iterations = 5000, BatchSize = 128, Lr = 2e-3, LrMin = 1e-6, Beta1 = 0.5, Beta2 = 0.999 },
        Eval = new EvalConfig { Every = 500 },
    };

    /// <summary>A wider toy: 128-unit MLPs, BRE on every rectified layer but the first and last.</summary>
    static ExperimentConfig WideToy(string dataset) => new()
    {
        Preset = dataset + "-wide",
        Data = new DataConfig { Dataset = dataset },
        Model = new ModelConfig { Architecture = "mlp", NoiseDim = 2, GeneratorLayers = 3, GeneratorWidth = 128, DiscriminatorLayers = 4, DiscriminatorWidth = 128 },
        Bre = new BreConfig { Weight = 1, Placement = "all-but-first-and-last" },
        Train = new TrainConfig { Iterations = 5000, BatchSize = 128, Lr = 1e-3, LrMin = 1e-6, Beta1 = 0.5, Beta2 = 0.999 },
        Eval = new EvalConfig { Every = 500 },
    };

    static readonly Dictionary<string, Func<ExperimentConfig>> All = new()
    {
        ["ring8"] = () => PaperToy("ring8"),
        ["grid25"] = () => PaperToy("grid25"),
        ["ring8-wide"] = () => WideToy("ring8"),
        ["grid25-wide"] = () => WideToy("grid25"),
    };

    public static IReadOnlyList<string> Names => All.Keys.Concat(SslPresets.Names).ToList();

    /// <summary>The preset's config; an unknown name lists the valid ones.</summary>
    public static ExperimentConfig Get(string name) =>
        All.TryGetValue(name, out var make) ? make() : SslPresets.Contains(name) ? SslPresets.Get(name)
            : throw new BreGanInputException($"Unknown preset '{name}'; valid: {string.Join(", ", Names)}.");
}
