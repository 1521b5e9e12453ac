using System.Diagnostics;
using System.Globalization;
using BreGan;
using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Cli;

/// <summary>
/// <c>bregan ssl</c>: one semi-supervised run of the feature-matching GAN (with or without BRE).
/// Shortcuts --bre-weight, --labels, --seed, --epochs and --data set bre.weight,
/// ssl.labels_per_class, train.seed, ssl.epochs and data.path after any --set.
/// </summary>
public static class SslCommand
{
    public const string HelpText = """
        bregan ssl --preset mnist-fm|fashion-fm|cifar10-fm|svhn-fm --data PATH --out DIR
                   [--labels N] [--seed S] [--bre-weight W] [--epochs E] [--set key=value]... [--force] [--plain]
        bregan ssl --config FILE --out DIR [...]
        bregan ssl --resume DIR

        Semi-supervised classification with the feature-matching GAN of Salimans et al. (2016),
        with BRE in D's loss (weight W; 0 for the plain method). Writes into DIR: config.json,
        metrics.csv (test_error after each epoch, training losses, BRE monitors), summary.json
        (test_error of the final D), checkpoints/, images/samples.png and images/test_error.png.
          --labels N      labelled images PER CLASS (balanced, chosen by the seed); the paper's
                          "MNIST, 100 labels" is --labels 10 (preset default), CIFAR-10 4,000 = 400,
                          SVHN 1,000 = 100
          --seed S        train.seed: initialisation, noise and the labelled subset
          --bre-weight W  bre.weight (presets: 0.01 on D's rectified layers 2, 4 (, 6))
          --epochs E      ssl.epochs (published: 300 MNIST, 1200 CIFAR-10, 900 SVHN)
          --data PATH     mnist / fashion-mnist: folder of the four IDX files; cifar10: the
                          binary version's folder; svhn: folder with train_32x32.mat, test_32x32.mat
        Keys for --set: data.*, model.*, bre.*, train.*, ssl.* (see config.json).
        """;

    public static int Help()
    {
        Console.WriteLine(HelpText);
        return 0;
    }

    public static int Run(ParsedArgs args, CancellationToken stop)
    {
        var resumeDir = args.Get("resume");
        RunFolder run;
        ExperimentConfig config;
        if (resumeDir is not null)
        {
            if (args.Options.Keys.Any(k => k != "resume") || args.Sets.Count > 0)
                throw new BreGanInputException("--resume continues a run with its saved config; give it alone (plus --plain).");
            run = RunFolder.Open(resumeDir);
            config = run.ReadConfig();
            Ssl.Validate(config);
        }
        else
        {
            config = Resolve(args);
            var outDir = args.Get("out") ?? throw new BreGanInputException("Missing --out DIR: the folder the run is written to.");
            run = RunFolder.Create(outDir, args.Has("force"));
            run.WriteConfig(config);
        }

        IReadOnlyDictionary<string, double?> summary;
        try { summary = ExperimentRunner.Train(config, run, resumeDir is not null, Progress(config), stop); }
        catch (BreGanInputException) when (resumeDir is null && Checkpoint.List(run.CheckpointsPath).Count == 0)
        {
            Directory.Delete(run.Path, recursive: true); // bad data found before any training: leave nothing behind
            throw;
        }
        if (summary.ContainsKey("interrupted")) return 130;
        foreach (var key in new[] { "test_error", "test_error_count", "test_images", "labels", "unlabeled", "epoch", "seconds" })
            if (summary.TryGetValue(key, out var v))
                Console.WriteLine($"{key,-18} {(v is double d ? d.ToString("G6", CultureInfo.InvariantCulture) : "-")}");
        Console.WriteLine($"Run folder: {run.Path}");
        return 0;
    }

    /// <summary>The config from --preset or --config, then --set, then the shortcuts; validated.</summary>
    public static ExperimentConfig Resolve(ParsedArgs args)
    {
        var presetName = args.Get("preset");
        var file = args.Get("config");
        if ((presetName is null) == (file is null))
            throw new BreGanInputException($"Give exactly one of --preset NAME or --config FILE; SSL presets: {string.Join(", ", SslPresets.Names)}.");
        var config = file is not null ? ExperimentConfig.Load(file) : SslPresets.Get(presetName!);
        if (config.Ssl is null)
            throw new BreGanInputException($"{file}: not an SSL config (no 'ssl' section); start from an SSL preset: {string.Join(", ", SslPresets.Names)}.");
        var sets = args.Sets.ToList();
        void Shortcut(string option, string key) { if (args.Get(option) is { } v) sets.Add($"{key}={v}"); }
        Shortcut("bre-weight", "bre.weight");
        Shortcut("labels", "ssl.labels_per_class");
        Shortcut("seed", "train.seed");
        Shortcut("epochs", "ssl.epochs");
        if (args.Get("data") is { } data) sets.Add("data.path=" + System.Text.Json.JsonSerializer.Serialize(data));
        config = config.With(sets);
        Ssl.Validate(config);
        return config;
    }

    static RunCallbacks Progress(ExperimentConfig config)
    {
        var clock = Stopwatch.StartNew();
        int first = 0, total = 1;
        return new RunCallbacks
        {
            Started = (start, t) => { first = start; total = t; clock.Restart(); },
            Evaluated = (it, row) =>
            {
                double eta = (total - it) * clock.Elapsed.TotalSeconds / Math.Max(1, it - first);
                string Cell(string k) => row.TryGetValue(k, out var v) ? v.ToString("G4", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine($"[{config.Preset} seed {config.Train.Seed} bre {config.Bre.Weight}] epoch {Cell("epoch")}/{config.Ssl!.Epochs}  " +
                                  $"test_error {Cell("test_error")}  train_err {Cell("train_err")}  loss_lab {Cell("loss_lab")}  loss_unl {Cell("loss_unl")}  " +
                                  $"g_loss {Cell("g_loss")}  bre {Cell("bre")}  ETA {TimeSpan.FromSeconds(eta):hh\\:mm\\:ss}");
            },
            Log = Console.WriteLine,
        };
    }
}
