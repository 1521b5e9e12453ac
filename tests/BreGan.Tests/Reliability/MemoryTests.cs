using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Reliability;

public class MemoryTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-memory-").FullName;
    public void Dispose() => Directory.Delete(root, true);

    /// <summary>
    /// A whole run (steps, divergence flag, evaluations with mosaics, checkpoints, metrics) leaves
    /// the training thread's live-tensor count where it was after the first evaluation.
    /// </summary>
    [Fact]
    public void LiveTensorsStayFlatOverARun()
    {
        var config = Presets.Get("ring8").With(new[]
        {
            "train.iterations=70", "train.batch_size=16", "train.checkpoint_every=10", "eval.every=10",
            "eval.samples=100", "eval.monitor_batch=16", "eval.mosaic_resolution=12",
        }).Validate();
        var run = RunFolder.Create(Path.Combine(root, "run"), force: false);
        run.WriteConfig(config);
        var live = new Dictionary<int, long>();
        ExperimentRunner.Train(config, run, callbacks: new RunCallbacks
        {
            Step = it => { if (it % 10 == 1) live[it] = DisposeScopeManager.Statistics.ThreadTotalLiveCount; },
        });
        // After iteration 11 every later one has seen the same number of evaluations and checkpoints more.
        Assert.All(live.Where(p => p.Key > 11), p => Assert.True(p.Value == live[11], $"iteration {p.Key}: {p.Value} live tensors, {live[11]} at iteration 11"));
    }
}
