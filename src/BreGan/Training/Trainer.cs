using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// The one model-agnostic training loop: D steps per G step, linear learning-rate annealing,
/// optional linear BRE-weight decay, and callbacks for evaluation, checkpoints and progress. It
/// knows nothing about models, data or pictures (those live in the variant and the callbacks).
/// </summary>
public sealed class Trainer
{
    private readonly IGanVariant variant;
    private readonly TrainConfig train;
    private readonly BreConfig bre;

    public Trainer(IGanVariant variant, TrainConfig train, BreConfig bre)
    {
        this.variant = variant;
        this.train = train;
        this.bre = bre;
    }

    /// <summary>After every G update (cheap: no tensors, no host copies).</summary>
    public Action<int>? StepCompleted { get; set; }

    /// <summary>At iterations that are multiples of <see cref="EvaluateEvery"/> and at the last one.</summary>
    public Action<int>? Evaluate { get; set; }
    public int EvaluateEvery { get; set; }

    /// <summary>At multiples of train.checkpoint_every and at the last iteration (after Evaluate).</summary>
    public Action<int>? Checkpoint { get; set; }

    /// <summary>The learning rate at 0-based iteration <paramref name="t"/> of <paramref name="total"/>.</summary>
    public static double LearningRate(TrainConfig train, int t, int total) =>
        total <= 1 ? train.Lr : train.Lr + (train.LrMin - train.Lr) * t / (total - 1.0);

    /// <summary>The BRE weight at 0-based iteration <paramref name="t"/> (linear decay to 0 when asked).</summary>
    public static double BreWeight(BreConfig bre, int t, int total) =>
        bre.DecayToZero ? bre.Weight * (1 - (double)t / total) : bre.Weight;

    /// <summary>
    /// Runs G updates <paramref name="start"/>+1 .. train.iterations. Iteration numbers count
    /// completed G updates; a resume passes the checkpoint's iteration as <paramref name="start"/>.
    /// Stops early, after a whole step, when <paramref name="stop"/> is cancelled.
    /// </summary>
    /// <returns>The last completed iteration.</returns>
    public int Run(int start = 0, CancellationToken stop = default)
    {
        int total = train.Iterations;
        int it = start;
        while (it < total && !stop.IsCancellationRequested)
        {
            variant.SetLearningRate(LearningRate(train, it, total));
            variant.BreWeight = BreWeight(bre, it, total);
            for (int k = 0; k < train.DSteps; k++) variant.DiscriminatorStep();
            variant.GeneratorStep();
            it++;
            StepCompleted?.Invoke(it);
            if (EvaluateEvery > 0 && it % EvaluateEvery == 0 || it == total) Evaluate?.Invoke(it);
            if (train.CheckpointEvery > 0 && it % train.CheckpointEvery == 0 || it == total) Checkpoint?.Invoke(it);
        }
        return it;
    }
}
