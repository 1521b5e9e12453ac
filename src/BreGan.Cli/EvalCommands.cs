using System.Diagnostics;
using System.Globalization;
using BreGan.Data;
using BreGan.Experiments;
using BreGan.Metrics;
using BreGan.Training;
using Spectre.Console;
using TorchSharp;

namespace BreGan.Cli;

/// <summary>The metric commands: <c>bregan classifier train</c> and <c>bregan eval</c>.</summary>
public static class EvalCommands
{
    /// <summary>Datasets <c>classifier train</c> reads (MNIST-format folders with a test split).</summary>
    static readonly string[] ClassifierDatasets = { "mnist", "fashion-mnist" };

    /// <summary>Help text for the topics these commands own, or null.</summary>
    public static string? HelpFor(string? topic) => topic switch
    {
        "classifier" or "classifier train" => """
            bregan classifier train --data PATH --out FILE [--dataset mnist|fashion-mnist] [--epochs N]
                                    [--width N] [--seed N] [--threads N] [--no-augment] [--force]

            Trains the small CNN the GAN metrics use (conv 5x5 w, pool, conv 5x5 2w, pool, linear 128,
            linear 10; default w = 16) on the training split of an MNIST-format folder (the four IDX
            files), with random rotation/scale/shift (--no-augment: none), and prints its accuracy
            on the held-out test split. FILE holds the weights after a header (image size, channels,
            classes, data set, test accuracy); FILE.json beside it repeats the header.
            Default: 10 epochs, seed 1.
            """,
        "eval" => """
            bregan eval --run DIR [--checkpoint N] [--classifier FILE] [--samples N] [--data PATH] [--reference]

            Evaluates the run's newest G checkpoint (or iteration N) with a classifier from
            'bregan classifier train' (default: the run's eval.classifier):
              stacked-mnist: modes (distinct digit triples among 26,000 samples) and kl (KL of the
                             triple histogram to uniform 1/1000)
              mnist, fashion-mnist: fid (Frechet distance of the classifier's penultimate features,
                             10,000 samples against the real test split) and classifier_score
            and writes them into DIR/summary.json (with eval_iteration and eval_samples).
            --data overrides the run's data.path; --reference also measures real data
            (real_modes/real_kl, or real_fid (train vs test) and real_classifier_score).
            """,
        _ => null,
    };

    public static int Help(string text)
    {
        Console.WriteLine(text);
        return 0;
    }

    static void NoSets(ParsedArgs args, string command)
    {
        if (args.Sets.Count > 0) throw new BreGanInputException($"'{command}' takes no --set (config keys belong to train and compare).");
    }

    // ---- classifier train -----------------------------------------------------------------------

    public static int TrainClassifier(ParsedArgs args)
    {
        NoSets(args, "classifier train");
        var data = args.Get("data") ?? throw new BreGanInputException("Missing --data PATH: the MNIST-format folder (four IDX files) to train on.");
        var outPath = args.Get("out") ?? throw new BreGanInputException("Missing --out FILE: where to write the classifier.");
        var dataset = args.Get("dataset") ?? (data.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? "fashion-mnist" : "mnist");
        if (!ClassifierDatasets.Contains(dataset))
            throw new BreGanInputException($"Unknown --dataset '{dataset}'; valid: {string.Join(", ", ClassifierDatasets)}.");
        var options = new DigitClassifierTraining { Epochs = args.GetInt("epochs", 10), Seed = args.GetInt("seed", 1), Augment = !args.Has("no-augment") };
        int width = args.GetInt("width", 16);
        int threads = args.GetInt("threads", 0);
        if (options.Epochs < 1) throw new BreGanInputException($"--epochs must be >= 1, got {options.Epochs}.");
        if (width < 1 || width > 512) throw new BreGanInputException($"--width must be in [1, 512], got {width}.");
        if (threads < 0) throw new BreGanInputException($"--threads must be >= 0, got {threads}.");
        if (File.Exists(outPath) && !args.Has("force"))
            throw new BreGanInputException($"Classifier file '{outPath}' already exists; use --force to overwrite it.");
        if (threads > 0) torch.set_num_threads(threads);

        using var train = ImageDatasets.LoadMnist(data, train: true, dataset);
        using var test = ImageDatasets.LoadMnist(data, train: false, dataset);
        Console.WriteLine($"Training a classifier on {train} (test: {test.Count} held-out images), {options.Epochs} epochs, width {width}.");
        using var model = DigitClassifier.Train(train, test, dataset, options, width, log: Console.WriteLine);
        model.Save(outPath);
        var info = model.Info;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"test accuracy {100 * info.TestAccuracy:F2}% ({Math.Round(info.TestAccuracy * info.TestCount)}/{info.TestCount} held-out {dataset} test images) after {info.Epochs} epochs in {info.Seconds:F0} s"));
        Console.WriteLine($"Wrote {Path.GetFullPath(outPath)} and {DigitClassifier.InfoPath(Path.GetFullPath(outPath))}");
        return 0;
    }

    // ---- eval -----------------------------------------------------------------------------------

    public static int Eval(ParsedArgs args)
    {
        NoSets(args, "eval");
        var runDir = args.Get("run") ?? throw new BreGanInputException("Missing --run DIR: the run folder to evaluate.");
        var run = RunFolder.Open(runDir);
        var config = run.ReadConfig();
        if (ExperimentRunner.IsToy(config))
            throw new BreGanInputException($"'{runDir}' is a 2D run; eval measures image runs (stacked-mnist, mnist, fashion-mnist). 2D runs have modes in summary.json already.");
        var classifierPath = args.Get("classifier") ?? config.Eval.Classifier;
        if (string.IsNullOrEmpty(classifierPath))
            throw new BreGanInputException("Missing --classifier FILE (from 'bregan classifier train'); the run has no eval.classifier.");
        int samples = args.GetInt("samples", 0);
        if (args.Get("samples") is not null && samples < 1)
            throw new BreGanInputException($"--samples must be >= 1, got {samples}.");
        config = config with { Eval = config.Eval with { MetricsSamples = samples, Classifier = classifierPath } };
        var dataPath = args.Get("data") ?? config.Data.Path;
        GanEvaluation.Check(config, classifierPath, dataPath); // before loading anything

        var checkpoints = Checkpoint.List(run.CheckpointsPath);
        if (checkpoints.Count == 0) throw new BreGanInputException($"'{runDir}' has no G checkpoint (checkpoints/ckpt_*.bin) to evaluate.");
        var wanted = args.Get("checkpoint");
        var chosen = wanted is null ? checkpoints[0]
            : checkpoints.FirstOrDefault(c => c.Iteration.ToString(CultureInfo.InvariantCulture) == wanted) is var c && c.Path is not null ? c
            : throw new BreGanInputException($"No checkpoint at iteration {wanted} in '{runDir}'; available: {string.Join(", ", checkpoints.Select(x => x.Iteration))}.");
        if (config.Train.Threads > 0) torch.set_num_threads(config.Train.Threads);

        var clock = Stopwatch.StartNew();
        var device = new torch.Device(config.Train.Device);
        var (size, channels) = ImageGan.Shape(config.Data);
        var (g, d) = ImageGan.BuildModels(config, size, channels, device);
        using var gDispose = g;
        using var dDispose = d;
        Checkpoint.LoadGenerator(chosen.Path, g);
        using var evaluation = GanEvaluation.Create(config, classifierPath, dataPath);
        var values = evaluation.Evaluate(g);
        if (args.Has("reference")) foreach (var (k, v) in evaluation.Reference()) values[k] = v;

        var summary = File.Exists(run.SummaryPath) ? RunFolder.ReadSummary(run.SummaryPath) : new Dictionary<string, double?>();
        foreach (var (k, v) in values) summary[k] = v;
        summary["eval_iteration"] = chosen.Iteration;
        summary["eval_samples"] = GanEvaluation.SamplesFor(config);
        run.WriteSummary(summary);

        var table = new Table().AddColumns("metric", "value").Border(TableBorder.Rounded)
            .Title($"{config.Data.Dataset}, iteration {chosen.Iteration}, {GanEvaluation.SamplesFor(config)} samples");
        foreach (var (k, v) in values) table.AddRow(k, v.ToString("G5", CultureInfo.InvariantCulture));
        AnsiConsole.Write(table);
        var info = evaluation.ClassifierInfo;
        AnsiConsole.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
            $"Classifier: {classifierPath} ({info.Dataset}, test accuracy {100 * info.TestAccuracy:F2}%). {clock.Elapsed.TotalSeconds:F0} s. Written to {run.SummaryPath}")));
        return 0;
    }

    // ---- compare: the anchors beside our rows ---------------------------------------------------

    /// <summary>Prints the published stacked-MNIST anchors beside the comparison's rows (stacked-MNIST runs with modes only).</summary>
    public static void PrintAnchors(ExperimentConfig config, ArmResult baseline, ArmResult bre)
    {
        if (!PublishedAnchors.Apply(config, baseline, bre)) return;
        var table = new Table().Border(TableBorder.Rounded).Title("Stacked MNIST beside the published anchors")
            .AddColumns("method", "modes (of 1000)", "KL", "source");
        foreach (var r in PublishedAnchors.Rows(baseline, bre, config)) table.AddRow(r.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }
}
