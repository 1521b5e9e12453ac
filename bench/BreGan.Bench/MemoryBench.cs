using System.Diagnostics;
using BreGan.Experiments;
using BreGan.Training;
using TorchSharp;

/// <summary>
/// Whether training memory stays flat: a whole toy run through the shared runner (evaluations,
/// mosaic panels, checkpoints, metrics), with the process's resident memory after warm-up and at
/// the end, and TorchSharp's live-tensor count of the training thread at every step.
/// </summary>
static class MemoryBench
{
    public static void Run(int iterations, string preset = "grid25")
    {
        Console.WriteLine();
        Console.WriteLine($"## Memory over a {preset} run of {iterations} iterations (the shared runner: evaluations every {Presets.Get(preset).Eval.Every} with mosaic panels, checkpoints every {Presets.Get(preset).Train.CheckpointEvery})");
        var config = Presets.Get(preset).With(new[] { $"train.iterations={iterations}" }).Validate();
        var dir = Directory.CreateTempSubdirectory("bregan-memory-bench-").FullName;
        try
        {
            var run = RunFolder.Create(Path.Combine(dir, "run"), force: false);
            run.WriteConfig(config);
            // Both points are the step right after an evaluation and a checkpoint (every 1000 here),
            // so that they see the same phase: after warm-up = after the first checkpoint.
            int every = config.Train.CheckpointEvery;
            int warmup = every + 1, end = (iterations - 1) / every * every + 1;
            if (end <= warmup) throw new ArgumentException($"--memory-iterations must be > {2 * every}.");
            long rssWarm = 0, rssEnd = 0, liveWarm = 0, liveMin = long.MaxValue, liveMax = 0, liveEnd = 0;
            var series = new List<(int It, long Rss, long Managed)>();
            long committedWarm = 0, committedEnd = 0;
            var clock = Stopwatch.StartNew();
            ExperimentRunner.Train(config, run, callbacks: new RunCallbacks
            {
                Step = it =>
                {
                    long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                    if (it >= warmup) { liveMin = Math.Min(liveMin, live); liveMax = Math.Max(liveMax, live); }
                    if (it % every == 1) series.Add((it, Rss(collect: false), GC.GetTotalMemory(forceFullCollection: false)));
                    if (it == warmup) { liveWarm = live; rssWarm = Rss(); committedWarm = GC.GetGCMemoryInfo().TotalCommittedBytes; }
                    if (it == end) { liveEnd = live; rssEnd = Rss(); committedEnd = GC.GetGCMemoryInfo().TotalCommittedBytes; }
                },
            });
            double seconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine("| measurement | after warm-up (iteration " + warmup + ") | at the end (iteration " + end + ") | growth |");
            Console.WriteLine("|---|---|---|---|");
            Console.WriteLine($"| resident memory (after a full GC), MiB | {rssWarm / 1048576.0:F1} | {rssEnd / 1048576.0:F1} | {(rssEnd - rssWarm) / (double)rssWarm:P1} |");
            Console.WriteLine($"| of which committed by the .NET GC, MiB | {committedWarm / 1048576.0:F1} | {committedEnd / 1048576.0:F1} | {(committedEnd - committedWarm) / 1048576.0:+0.0;-0.0} MiB |");
            Console.WriteLine($"| live tensors (training thread, after a step) | {liveWarm} | {liveEnd} | {liveEnd - liveWarm} (range after warm-up {liveMin}..{liveMax}) |");
            Console.WriteLine($"{iterations} iterations in {seconds:F0} s ({iterations / seconds:F0} it/s including evaluations); " +
                $"GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, concurrent {AppContext.GetData("System.GC.Concurrent") ?? "default (true)"}.");
            Console.WriteLine("resident / managed MiB (as they are, no forced GC) after each checkpoint: " + string.Join(", ",
                series.Select(p => $"{p.It}: {p.Rss / 1048576.0:F0} / {p.Managed / 1048576.0:F0}")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Resident set size (VmRSS on Linux), by default after a full garbage collection.</summary>
    static long Rss(bool collect = true)
    {
        if (collect)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }
        if (OperatingSystem.IsLinux())
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:"))
                    return long.Parse(line.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }
}
