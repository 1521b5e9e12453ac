using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// The detached scalar losses of a variant's latest D and G steps, kept beyond each step's dispose
/// scope on the device (no host copy in a step); read only at logging steps.
/// </summary>
public sealed class LatestLosses(ScalarType? storeAs = null) : IDisposable
{
    private readonly Dictionary<string, Tensor> values = new();

    public IReadOnlyDictionary<string, Tensor> Values => values;

    /// <summary>Replaces (and frees) the previous value of <paramref name="name"/> with a detached copy of <paramref name="value"/>.</summary>
    public void Keep(string name, Tensor value)
    {
        if (values.TryGetValue(name, out var old)) old.Dispose();
        var kept = value.detach();
        if (storeAs is { } type && kept.dtype != type) kept = kept.to(type);
        values[name] = kept.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in values.Values) t.Dispose();
        values.Clear();
    }
}

/// <summary>G's and D's Adam optimisers from train.* (lr, betas, weight decay), annealed together.</summary>
public sealed class GanOptimizers : IDisposable
{
    public GanOptimizers(nn.Module generator, nn.Module discriminator, TrainConfig train)
    {
        Generator = optim.Adam(generator.parameters(), train.Lr, train.Beta1, train.Beta2, weight_decay: train.WeightDecay);
        Discriminator = optim.Adam(discriminator.parameters(), train.Lr, train.Beta1, train.Beta2, weight_decay: train.WeightDecay);
    }

    public TorchSharp.Modules.Adam Generator { get; }
    public TorchSharp.Modules.Adam Discriminator { get; }

    /// <summary>Named for checkpoints ("generator", "discriminator").</summary>
    public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Named =>
        new (string, TorchSharp.Modules.OptimizerHelper)[] { ("generator", Generator), ("discriminator", Discriminator) };

    /// <summary>One Adam update of D that minimises <paramref name="loss"/>.</summary>
    public void UpdateDiscriminator(Tensor loss) => Update(Discriminator, loss);

    /// <summary>One Adam update of G that minimises <paramref name="loss"/>.</summary>
    public void UpdateGenerator(Tensor loss) => Update(Generator, loss);

    static void Update(TorchSharp.Modules.Adam optimizer, Tensor loss)
    {
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
    }

    public void SetLearningRate(double lr)
    {
        foreach (var g in Generator.ParamGroups) g.LearningRate = lr;
        foreach (var g in Discriminator.ParamGroups) g.LearningRate = lr;
    }

    public void Dispose()
    {
        Generator.Dispose();
        Discriminator.Dispose();
    }
}
