using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// How long a run is and what happens when: the learning rate at each step, and the iterations
/// that evaluate and checkpoint. Unsupervised GANs count iterations (<see cref="Standard"/>);
/// the semi-supervised GAN counts epochs and builds its own.
/// </summary>
/// <param name="Iterations">G updates in the whole run.</param>
/// <param name="LearningRate">The learning rate of 0-based step t.</param>
/// <param name="EvaluateAt">Whether to evaluate after completed iteration i (1-based).</param>
/// <param name="CheckpointAt">Whether to checkpoint after completed iteration i (after evaluating).</param>
/// <param name="DSteps">D updates per G update.</param>
public sealed record TrainingSchedule(int Iterations, Func<int, double> LearningRate, Func<int, bool> EvaluateAt,
    Func<int, bool> CheckpointAt, int DSteps = 1)
{
    /// <summary>train.iterations, linear annealing from train.lr to train.lr_min, evaluations every
    /// <paramref name="evaluateEvery"/> and checkpoints every train.checkpoint_every (both also at the end).</summary>
    public static TrainingSchedule Standard(TrainConfig train, int evaluateEvery)
    {
        int total = train.Iterations;
        return new(total, t => Trainer.LearningRate(train, t, total),
            it => evaluateEvery > 0 && it % evaluateEvery == 0 || it == total,
            it => train.CheckpointEvery > 0 && it % train.CheckpointEvery == 0 || it == total,
            train.DSteps);
    }
}

/// <summary>
/// The one model-agnostic training loop: D steps per G step, the schedule's learning rate,
/// optional linear BRE-weight decay, and callbacks for evaluation, checkpoints and progress. It
/// knows nothing about models, data or pictures (those live in the variant and the callbacks).
/// </summary>
public sealed class Trainer
{
    private readonly IGanVariant variant;
    private readonly TrainingSchedule schedule;
    private readonly BreConfig bre;

    public Trainer(IGanVariant variant, TrainingSchedule schedule, BreConfig bre)
    {
        this.variant = variant;
        this.schedule = schedule;
        this.bre = bre;
    }

    /// <summary>After every G update (cheap: no tensors, no host copies).</summary>
    public Action<int>? StepCompleted { get; set; }

    /// <summary>At the iterations the schedule evaluates at.</summary>
    public Action<int>? Evaluate { get; set; }

    /// <summary>At the iterations the schedule checkpoints at (after Evaluate).</summary>
    public Action<int>? Checkpoint { get; set; }

    /// <summary>The learning rate at 0-based iteration <paramref name="t"/> of <paramref name="total"/>.</summary>
    public static double LearningRate(TrainConfig train, int t, int total) =>
        total <= 1 ? train.Lr : train.Lr + (train.LrMin - train.Lr) * t / (total - 1.0);

    /// <summary>The BRE weight at 0-based iteration <paramref name="t"/> (linear decay to 0 when asked).</summary>
    public static double BreWeight(BreConfig bre, int t, int total) =>
        bre.DecayToZero ? bre.Weight * (1 - (double)t / total) : bre.Weight;

    /// <summary>
    /// Runs G updates <paramref name="start"/>+1 .. the schedule's iterations. Iteration numbers
    /// count completed G updates; a resume passes the checkpoint's iteration as <paramref name="start"/>.
    /// Stops early, after a whole step, when <paramref name="stop"/> is cancelled.
    /// </summary>
    /// <returns>The last completed iteration.</returns>
    public int Run(int start = 0, CancellationToken stop = default)
    {
        int total = schedule.Iterations;
        int it = start;
        while (it < total && !stop.IsCancellationRequested)
        {
            variant.SetLearningRate(schedule.LearningRate(it));
            variant.BreWeight = BreWeight(bre, it, total);
            for (int k = 0; k < schedule.DSteps; k++) variant.DiscriminatorStep();
            variant.GeneratorStep();
            it++;
            StepCompleted?.Invoke(it);
            if (schedule.EvaluateAt(it)) Evaluate?.Invoke(it);
            if (schedule.CheckpointAt(it)) Checkpoint?.Invoke(it);
        }
        return it;
    }
}
