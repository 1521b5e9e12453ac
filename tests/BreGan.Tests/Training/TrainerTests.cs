using BreGan.Training;

namespace BreGan.Tests.Training;

public class TrainerTests
{
    /// <summary>Records the calls the loop makes; no tensors.</summary>
    sealed class RecordingVariant : IGanVariant
    {
        public readonly List<string> Calls = new();
        public void DiscriminatorStep() => Calls.Add("D");
        public void GeneratorStep() => Calls.Add("G");
        public void SetLearningRate(double lr) => Calls.Add($"lr={lr}");
        public double BreWeight { get; set; }
        public IReadOnlyDictionary<string, Tensor> LastLosses { get; } = new Dictionary<string, Tensor>();
        public IReadOnlyList<(string Name, nn.Module Module)> Modules => Array.Empty<(string, nn.Module)>();
        public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers => Array.Empty<(string, TorchSharp.Modules.OptimizerHelper)>();
        public IReadOnlyList<(string Name, Generator Generator)> RandomStreams => Array.Empty<(string, Generator)>();
        public void Dispose() { }
    }

    [Fact]
    public void FollowsTheScheduleItIsGiven()
    {
        var variant = new RecordingVariant();
        var evaluated = new List<int>();
        var saved = new List<int>();
        var schedule = new TrainingSchedule(5, t => 10 + t, it => it % 2 == 0, it => it == 3, DSteps: 2);
        var trainer = new Trainer(variant, schedule, new BreConfig { Weight = 1 })
        {
            Evaluate = evaluated.Add,
            Checkpoint = it => saved.Add(it),
        };
        Assert.Equal(5, trainer.Run(start: 1));
        Assert.Equal(new[] { 2, 4 }, evaluated);
        Assert.Equal(new[] { 3 }, saved);
        // Steps 1..4 (0-based) of 5: the schedule's rate, then two D updates per G update.
        Assert.Equal(new[] { "lr=11", "D", "D", "G", "lr=12", "D", "D", "G", "lr=13", "D", "D", "G", "lr=14", "D", "D", "G" }, variant.Calls);
    }

    [Fact]
    public void StandardScheduleAnnealsAndEvaluatesAtMultiplesAndTheEnd()
    {
        var train = new TrainConfig { Iterations = 10, Lr = 1e-3, LrMin = 1e-5, CheckpointEvery = 4, DSteps = 3 };
        var s = TrainingSchedule.Standard(train, evaluateEvery: 3);
        Assert.Equal(10, s.Iterations);
        Assert.Equal(3, s.DSteps);
        Assert.Equal(1e-3, s.LearningRate(0), 15);
        Assert.Equal(1e-5, s.LearningRate(9), 15);
        Assert.Equal(new[] { 3, 6, 9, 10 }, Enumerable.Range(1, 10).Where(s.EvaluateAt));
        Assert.Equal(new[] { 4, 8, 10 }, Enumerable.Range(1, 10).Where(s.CheckpointAt));
        Assert.Equal(new[] { 10 }, Enumerable.Range(1, 10).Where(TrainingSchedule.Standard(train with { CheckpointEvery = 0 }, 0).CheckpointAt));
    }

    [Fact]
    public void StopsAfterAWholeStepWhenCancelled()
    {
        var variant = new RecordingVariant();
        using var stop = new CancellationTokenSource();
        var trainer = new Trainer(variant, TrainingSchedule.Standard(new TrainConfig { Iterations = 100 }, 0), new BreConfig())
        {
            StepCompleted = it => { if (it == 7) stop.Cancel(); },
        };
        Assert.Equal(7, trainer.Run(stop: stop.Token));
        Assert.Equal(7, variant.Calls.Count(c => c == "G"));
    }
}
