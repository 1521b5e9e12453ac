using System.Diagnostics;
using BreGan.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Experiments;

/// <summary>
/// One kind of experiment (2D mixtures, image GANs, ...): it builds the variant and measures and
/// draws at evaluations; the <see cref="ExperimentRunner"/> does everything else.
/// </summary>
public interface IExperiment : IDisposable
{
    /// <summary>The GAN being trained (owns its D and G steps).</summary>
    IGanVariant Variant { get; }
    /// <summary>One row of metrics (and pictures under <paramref name="imagesPath"/>) at an evaluation.</summary>
    Dictionary<string, double> Evaluate(int iteration, string imagesPath);
    /// <summary>Final files after the last iteration (samples, animations).</summary>
    void Finish(RunFolder run);
    /// <summary>summary.json's metrics from all rows of metrics.csv.</summary>
    Dictionary<string, double?> Summarize(IReadOnlyList<Dictionary<string, double>> rows);
    /// <summary>The run's length, learning rates, and the iterations that evaluate and checkpoint.</summary>
    TrainingSchedule Schedule { get; }
    /// <summary>Once before the first step, after a resume has loaded its checkpoint (<paramref name="start"/> is its iteration).</summary>
    void Prepare(int start, bool resumed, Action<string>? log) { }
    /// <summary>After every step (cheap: no host copies).</summary>
    void AfterStep(int iteration) { }
    /// <summary>The command that continues an interrupted run of this kind.</summary>
    string ResumeCommand => "bregan train --resume";
}

/// <summary>Builds experiments from configs and runs them into run folders.</summary>
public static class ExperimentRunner
{
    /// <summary>True when the config's dataset is a 2D mixture.</summary>
    public static bool IsToy(ExperimentConfig config) => Toy2D.Datasets.Contains(config.Data.Dataset);

    /// <summary>Checks everything that can be checked without touching data files or creating folders.</summary>
    public static void Check(ExperimentConfig config)
    {
        config.Validate();
        if (Ssl.IsSsl(config)) Ssl.Validate(config);
        else if (IsToy(config)) Toy2D.Mixture(config.Data);
        else ImageGan.Check(config);
        if (IsToy(config) && !string.IsNullOrEmpty(config.Eval.Classifier)) throw new BreGanInputException("eval.classifier is for image runs (stacked-mnist, mnist, fashion-mnist), not 2D mixtures.");
    }

    /// <summary>The experiment a config describes, with its models built.</summary>
    public static IExperiment Create(ExperimentConfig config) =>
        Ssl.IsSsl(config) ? new SslExperiment(config) : IsToy(config) ? new Toy2D(config) : new ImageGan(config);

    /// <summary>
    /// Trains (or, with <paramref name="resume"/>, continues) a run and returns its summary. The
    /// config must already be in the folder. On cancellation a checkpoint is written after the
    /// current step and the summary holds "interrupted".
    /// </summary>
    public static IReadOnlyDictionary<string, double?> Train(
        ExperimentConfig config, RunFolder run, bool resume = false, RunCallbacks? callbacks = null, CancellationToken stop = default)
    {
        callbacks ??= new RunCallbacks();
        Check(config);
        using var runLock = RunLock.Acquire(run.Path, callbacks.Log); // one writer per run folder
        int threads = torch.get_num_threads();
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);
        try { return TrainLocked(config, run, resume, callbacks, stop); }
        finally { torch.set_num_threads(threads); } // the caller's setting, for library users
    }

    static IReadOnlyDictionary<string, double?> TrainLocked(
        ExperimentConfig config, RunFolder run, bool resume, RunCallbacks callbacks, CancellationToken stop)
    {
        using var experiment = Create(config);
        var variant = experiment.Variant;
        var schedule = experiment.Schedule;

        int start = 0;
        double previousSeconds = 0;
        string? lastCheckpoint = null; // the newest checkpoint known to be good (every save is checked first)
        if (resume)
        {
            (start, lastCheckpoint) = Checkpoint.LoadNewestValid(run.CheckpointsPath, variant, callbacks.Log);
            MetricsLog.TruncateAfter(run.MetricsPath, start);
            var rows = MetricsLog.Read(run.MetricsPath);
            if (rows.Count > 0 && rows[^1].TryGetValue("seconds", out var s) && double.IsFinite(s)) previousSeconds = s;
            callbacks.Log?.Invoke($"Resuming from {lastCheckpoint} (iteration {start}).");
        }
        experiment.Prepare(start, resume, callbacks.Log);

        // Non-finite losses are folded into a device flag every step and read only here: at
        // evaluations and before every checkpoint (which also checks the parameters), so no
        // checkpoint ever holds a diverged state.
        using var guard = new DivergenceGuard(start);
        int lastSaved = resume ? start : -1;
        void CheckFinite(int it, bool parameters) => guard.Check(it, variant.LastLosses, parameters ? variant.Modules : null, lastCheckpoint,
            lastCheckpoint is null ? null : $"Continue from it with: {experiment.ResumeCommand} {run.Path} (e.g. with --set train.lr=<lower> --force).");
        void SaveCheckpoint(int it)
        {
            CheckFinite(it, parameters: true);
            lastCheckpoint = Checkpoint.Save(run.CheckpointsPath, it, config, variant, config.Train.KeepCheckpoints);
            lastSaved = it;
        }

        var metrics = new MetricsLog(run.MetricsPath);
        var board = new Reporting.TensorBoardLog(run.Path);
        var clock = Stopwatch.StartNew();
        var trainer = new Trainer(variant, schedule, config.Bre)
        {
            StepCompleted = it => { guard.Observe(variant.LastLosses); experiment.AfterStep(it); callbacks.Step?.Invoke(it); },
            Evaluate = it =>
            {
                CheckFinite(it, parameters: false);
                var row = new Dictionary<string, double>();
                using (NewDisposeScope()) // the float64 copies: 3 leaked tensors per evaluation without it
                    foreach (var (name, t) in variant.LastLosses.OrderBy(p => p.Key))
                        row[name] = t.to(ScalarType.Float64).item<double>();
                row["lr"] = schedule.LearningRate(Math.Max(0, it - 1));
                row["bre_weight"] = variant.BreWeight;
                foreach (var (k, v) in experiment.Evaluate(it, run.ImagesPath)) row[k] = v;
                row["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
                metrics.Append(it, row);
                board.Log(it, row, run.ImagesPath);
                callbacks.Evaluated?.Invoke(it, row);
            },
            Checkpoint = SaveCheckpoint,
        };
        callbacks.Started?.Invoke(start, schedule.Iterations);
        try
        {
            int reached;
            try { reached = trainer.Run(start, stop); }
            catch (TrainingDivergedException) { Reporting.HtmlReport.TryWriteRun(run.Path, callbacks.Log); throw; }
            if (reached < schedule.Iterations)
            {
                if (reached != lastSaved) SaveCheckpoint(reached);
                Reporting.HtmlReport.TryWriteRun(run.Path, callbacks.Log);
                callbacks.Log?.Invoke($"Interrupted at iteration {reached}; checkpoint {lastCheckpoint} written. Continue with: {experiment.ResumeCommand} {run.Path}");
                return new Dictionary<string, double?> { ["iterations"] = reached, ["interrupted"] = 1 };
            }

            experiment.Finish(run);
            var summary = experiment.Summarize(MetricsLog.Read(run.MetricsPath));
            summary["iterations"] = reached;
            summary["seconds"] = previousSeconds + clock.Elapsed.TotalSeconds;
            run.WriteSummary(summary);
            Reporting.HtmlReport.TryWriteRun(run.Path, callbacks.Log);
            return summary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk or a folder that became read-only while writing metrics or pictures.
            throw new BreGanInputException($"Cannot write to run folder '{run.Path}': {e.Message.TrimEnd('.')}. " +
                (lastCheckpoint is null ? "No checkpoint was written yet." : $"The last checkpoint '{lastCheckpoint}' is intact; free disk space or fix permissions, then continue with: {experiment.ResumeCommand} {run.Path}"), e);
        }
    }

    /// <summary>The last row of metrics (without its iteration column).</summary>
    public static Dictionary<string, double?> LastRow(IReadOnlyList<Dictionary<string, double>> rows)
    {
        var summary = new Dictionary<string, double?>();
        if (rows.Count == 0) return summary;
        foreach (var (k, v) in rows[^1]) if (k != "iteration") summary[k] = v;
        return summary;
    }
}
