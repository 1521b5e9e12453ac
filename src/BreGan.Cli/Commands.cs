using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using BreGan;
using BreGan.Experiments;
using BreGan.Native;
using BreGan.Training;
using Spectre.Console;
using TorchSharp;

namespace BreGan.Cli;

/// <summary>The tool's commands; each returns its exit code.</summary>
public static class Commands
{
    const string DemoPreset = "grid25";

    public static int Help(ParsedArgs args)
    {
        var topic = args.Get("topic");
        Console.WriteLine(topic switch
        {
            "train" => """
                bregan train --preset NAME [--config FILE] [--data PATH] [--set key=value]... --out DIR [--force]
                bregan train --resume DIR [--force]

                Trains one run into DIR: config.json, metrics.csv, summary.json, samples.csv,
                checkpoints/, images/ (mosaic panels and mosaic.gif), plots/, report.html and
                TensorBoard event files. An existing DIR is refused
                unless --force. --resume continues from the newest checkpoint; options that change
                the saved config are refused unless --force. --plain prints lines, not a bar.
                Keys for --set: data.*, model.*, loss.*, bre.*, train.*, eval.* (see config.json),
                e.g. --set train.iterations=2000 --set bre.weight=0
                """,
            "compare" => """
                bregan compare --preset NAME [--config FILE] [--set key=value]... --seeds N --out DIR [--force]

                Trains the baseline (bre.weight = 0) and the BRE arm with the same seeds and
                budgets, one after the other, and writes comparison.md, comparison.json and
                mosaic-side-by-side.gif (first seed of each arm) into DIR.
                """,
            "sample" => """
                bregan sample --run DIR [--checkpoint N] [--count N] --out FILE.png

                Draws N samples (default 64) from the run's newest checkpoint (or iteration N):
                an image grid for image runs, a scatter against the data for 2D runs.
                """,
            "report" => ReportCommands.ReportHelp,
            "diagnose" => ReportCommands.DiagnoseHelp,
            "demo" => """
                bregan demo [--out DIR] [--seeds N] [--iterations N] [--force]

                A comparison of BRE against a baseline on the built-in grid25 mixture that takes
                a couple of minutes on 2 cores; prints the table and where the pictures are.
                """,
            _ => $"""
                bregan: Binarized Representation Entropy (BRE) for GAN training on TorchSharp.

                Commands:
                  demo      BRE vs baseline on built-in 2D data, in about two minutes
                  train     train one run from a preset or config file
                  compare   baseline vs BRE over several seeds
                  sample    draw samples from a run's checkpoint into a PNG
                  eval      modes and KL (stacked MNIST) or FID and classifier score of a run's G
                  classifier train   the digit classifier those metrics use
                  report    redraw the plots and report.html of a run or comparison folder
                  diagnose  check a run's checkpoint for collapse from D's BRE monitors
                  info      versions, threads, device, libstdc++ compatibility fix

                Presets: {string.Join(", ", Presets.Names)}
                Run 'bregan COMMAND --help' for a command's options.
                """,
        });
        return 0;
    }

    public static int Info()
    {
        var table = new Table().AddColumns("item", "value").Border(TableBorder.Rounded);
        table.AddRow("BreGan", typeof(Bre).Assembly.GetName().Version?.ToString() ?? "?");
        table.AddRow("TorchSharp", typeof(torch).Assembly.GetName().Version?.ToString() ?? "?");
        table.AddRow(".NET", Environment.Version.ToString());
        table.AddRow("OS", System.Runtime.InteropServices.RuntimeInformation.OSDescription);
        table.AddRow("threads (intra-op)", torch.get_num_threads().ToString());
        table.AddRow("cores", Environment.ProcessorCount.ToString());
        table.AddRow("CUDA available", torch.cuda.is_available() ? $"yes ({torch.cuda.device_count()} devices)" : "no (device: cpu)");
        table.AddRow("libstdc++ compatibility fix", Markup.Escape(CompatibilityStatus()));
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>Whether the native shim this process loaded was patched, and why.</summary>
    public static string CompatibilityStatus()
    {
        if (!OperatingSystem.IsLinux()) return "not needed (not Linux)";
        var shim = new[] { "runtimes/linux-x64/native/libLibTorchSharp.so", "runtimes/linux-arm64/native/libLibTorchSharp.so", "libLibTorchSharp.so" }
            .Select(p => Path.Combine(AppContext.BaseDirectory, p)).FirstOrDefault(File.Exists);
        var system = LibStdCxxCompat.FindSystemLibStdCxx();
        bool systemHas = system is not null && LibStdCxxCompat.DefinesMissingVersion(File.ReadAllBytes(system));
        if (shim is null) return $"shim not found beside the app; system {system ?? "libstdc++ not found"} {(systemHas ? "has" : "lacks")} {LibStdCxxCompat.MissingVersion}";
        bool patched = LibStdCxxCompat.IsPatched(File.ReadAllBytes(shim));
        return patched
            ? $"active: {system} lacks {LibStdCxxCompat.MissingVersion}, so the shim's need of it is marked weak"
            : $"inactive: {(systemHas ? $"{system} has {LibStdCxxCompat.MissingVersion}" : "shim unpatched")}";
    }

    // ---- config from the command line ---------------------------------------------------------

    static ExperimentConfig ResolveConfig(ParsedArgs args, string? fallbackPreset = null)
    {
        var presetName = args.Get("preset") ?? fallbackPreset;
        var file = args.Get("config");
        if (presetName is null && file is null)
            throw new BreGanInputException($"Give --preset NAME or --config FILE; presets: {string.Join(", ", Presets.Names)}.");
        var config = file is not null ? ExperimentConfig.Load(file) : Presets.Get(presetName!);
        if (file is not null && presetName is not null)
            throw new BreGanInputException("Give either --preset or --config, not both (a config file holds a whole experiment).");
        var sets = args.Get("data") is string data ? args.Sets.Prepend("data.path=" + System.Text.Json.JsonSerializer.Serialize(data)) : args.Sets;
        config = config.With(sets).Validate();
        ExperimentRunner.Check(config);
        return config;
    }

    static string RequireOut(ParsedArgs args) =>
        args.Get("out") ?? throw new BreGanInputException("Missing --out DIR: the folder the run is written to.");

    // ---- train ----------------------------------------------------------------------------------

    public static int Train(ParsedArgs args, CancellationToken stop)
    {
        var resumeDir = args.Get("resume");
        RunFolder run;
        ExperimentConfig config;
        if (resumeDir is not null)
        {
            run = RunFolder.Open(resumeDir);
            var saved = run.ReadConfig();
            config = saved;
            if (args.Get("preset") is not null || args.Get("config") is not null || args.Sets.Count > 0)
            {
                var wanted = args.Get("preset") is null && args.Get("config") is null ? saved.With(args.Sets).Validate() : ResolveConfig(args);
                var diff = Differences(saved, wanted);
                if (diff.Count > 0 && !args.Has("force"))
                    throw new BreGanInputException($"Refusing to resume '{resumeDir}' with a different config ({string.Join("; ", diff)}); use --force to accept.");
                config = wanted;
                run.WriteConfig(config);
            }
        }
        else
        {
            config = ResolveConfig(args); // fails on bad settings before anything is created
            run = RunFolder.Create(RequireOut(args), args.Has("force"));
            run.WriteConfig(config);
        }

        IReadOnlyDictionary<string, double?> summary;
        try
        {
            summary = WithProgress(args, display => ExperimentRunner.Train(config, run, resumeDir is not null, display.For("train", config.Train.Seed), stop));
        }
        catch (BreGanInputException) when (resumeDir is null && Checkpoint.List(run.CheckpointsPath).Count == 0)
        {
            // Bad data found while loading: leave nothing behind, so the same command can be rerun.
            Directory.Delete(run.Path, recursive: true);
            throw;
        }
        if (summary.ContainsKey("interrupted")) return 130;
        var table = new Table().AddColumns("metric", "value").Border(TableBorder.Rounded);
        var keys = Comparison.KeyMetrics.Where(summary.ContainsKey).ToList();
        if (keys.Count < 3) keys.AddRange(summary.Keys.Where(k => k.EndsWith("_ac") || k.EndsWith("loss") || k.StartsWith("fid") || k.StartsWith("modes")).Except(keys));
        foreach (var key in keys.Append("iterations"))
            table.AddRow(key, summary[key] is double v ? v.ToString("G4", CultureInfo.InvariantCulture) : "never");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Run folder: [bold]{Markup.Escape(run.Path)}[/] ({(ExperimentRunner.IsToy(config) ? "mosaic animation: images/mosaic.gif" : "sample grids: images/samples_*.png, images/samples.gif")})");
        AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(Path.Combine(run.Path, Reporting.HtmlReport.FileName))}[/] (open it in a browser)");
        return 0;
    }

    /// <summary>Differences between two configs as "key: old -> new".</summary>
    public static List<string> Differences(ExperimentConfig a, ExperimentConfig b)
    {
        var fa = Flatten(JsonNode.Parse(a.ToJson())!, "");
        var fb = Flatten(JsonNode.Parse(b.ToJson())!, "");
        return fa.Keys.Union(fb.Keys).Where(k => fa.GetValueOrDefault(k) != fb.GetValueOrDefault(k))
            .Select(k => $"{k}: {fa.GetValueOrDefault(k) ?? "null"} -> {fb.GetValueOrDefault(k) ?? "null"}").ToList();
    }

    static Dictionary<string, string?> Flatten(JsonNode node, string prefix)
    {
        var result = new Dictionary<string, string?>();
        if (node is JsonObject o)
            foreach (var (k, v) in o)
            {
                var key = prefix.Length == 0 ? k : prefix + "." + k;
                if (v is JsonObject) foreach (var p in Flatten(v, key)) result[p.Key] = p.Value;
                else result[key] = v?.ToJsonString();
            }
        return result;
    }

    // ---- compare and demo -----------------------------------------------------------------------

    public static int Compare(ParsedArgs args, CancellationToken stop)
    {
        var config = ResolveConfig(args);
        int seeds = args.GetInt("seeds", 3);
        return RunComparison(args, config, seeds, RequireOut(args), stop);
    }

    public static int Demo(ParsedArgs args, CancellationToken stop)
    {
        var config = DemoConfig(args.GetInt("iterations", DemoIterations));
        int seeds = args.GetInt("seeds", DemoSeeds);
        var outDir = args.Get("out") ?? Path.Combine("runs", "demo");
        AnsiConsole.MarkupLine($"[bold]BreGan demo[/]: baseline vs BRE on {DemoPreset} ({config.Train.Iterations} iterations, {seeds} seeds per arm)");
        return RunComparison(args, config, seeds, outDir, stop);
    }

    public const int DemoIterations = 3000;
    public const int DemoSeeds = 5;

    /// <summary>The demo's config: the paper's grid25 toy at a budget that fits about two minutes.</summary>
    public static ExperimentConfig DemoConfig(int iterations) =>
        Presets.Get(DemoPreset) with
        {
            Preset = "demo-" + DemoPreset,
            Train = Presets.Get(DemoPreset).Train with { Iterations = iterations, CheckpointEvery = 0 },
            Eval = Presets.Get(DemoPreset).Eval with { Every = Math.Max(1, iterations / 10) },
        };

    static int RunComparison(ParsedArgs args, ExperimentConfig config, int seeds, string outDir, CancellationToken stop)
    {
        if (seeds < 1) throw new BreGanInputException($"--seeds must be >= 1, got {seeds}.");
        var clock = Stopwatch.StartNew();
        var (baseline, bre) = WithProgress(args, display =>
            Comparison.Run(config, seeds, outDir, args.Has("force"), (arm, seed) => display.For(arm, seed), stop));
        if (stop.IsCancellationRequested) return 130;
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"BRE vs baseline, {config.Preset}, {seeds} seeds, {Comparison.Budget(config)} (mean ± s.e.)")
            .AddColumns("metric", "baseline", "BRE");
        foreach (var m in Comparison.TableMetrics(baseline, bre).Where(m => Comparison.KeyMetrics.Contains(m)))
            table.AddRow(m, Comparison.Cell(baseline, m), Comparison.Cell(bre, m));
        AnsiConsole.Write(table);
        EvalCommands.PrintAnchors(config, baseline, bre);
        var root = Path.GetFullPath(outDir);
        AnsiConsole.MarkupLine($"Finished in {clock.Elapsed.TotalSeconds:F0} s. Results: [bold]{Markup.Escape(Path.Combine(root, "comparison.md"))}[/]");
        AnsiConsole.MarkupLine($"Pictures: [bold]{Markup.Escape(Path.Combine(root, Comparison.SideBySideName(config)))}[/] and each run's images/ folder.");
        AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(Path.Combine(root, Reporting.HtmlReport.FileName))}[/] (open it in a browser)");
        return 0;
    }

    // ---- sample ---------------------------------------------------------------------------------

    public static int Sample(ParsedArgs args)
    {
        var runDir = args.Get("run") ?? throw new BreGanInputException("Missing --run DIR: the run folder to sample from.");
        var outPath = args.Get("out") ?? throw new BreGanInputException("Missing --out FILE.png: where to write the picture.");
        int count = args.GetInt("count", 64);
        if (count < 1 || count > 4096) throw new BreGanInputException($"--count must be in [1, 4096], got {count}.");
        var run = RunFolder.Open(runDir);
        var config = run.ReadConfig();
        var checkpoints = Checkpoint.List(run.CheckpointsPath);
        if (checkpoints.Count == 0) throw new BreGanInputException($"'{runDir}' has no checkpoint (no trained G to sample from).");
        var wanted = args.Get("checkpoint");
        var chosen = wanted is null ? checkpoints[0]
            : checkpoints.FirstOrDefault(c => c.Iteration.ToString() == wanted) is var c && c.Path is not null ? c
            : throw new BreGanInputException($"No checkpoint at iteration {wanted} in '{runDir}'; available: {string.Join(", ", checkpoints.Select(x => x.Iteration))}.");
        var device = new torch.Device(config.Train.Device);
        using var scope = torch.NewDisposeScope();
        using var gen = new torch.Generator((ulong)config.Train.Seed + 17, new torch.Device("cpu"));
        var z = torch.randn(new long[] { count, config.Model.NoiseDim }, generator: gen).to(device);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        if (ExperimentRunner.IsToy(config))
        {
            var mixture = Toy2D.Mixture(config.Data);
            var (g, d) = Toy2D.BuildModels(config, mixture, device);
            using var gDispose = g; using var dDispose = d;
            Checkpoint.LoadGenerator(chosen.Path, g);
            g.eval();
            torch.Tensor x;
            using (torch.no_grad()) x = g.call(z).cpu();
            var e = mixture.Extent;
            using var real = mixture.Sample(count, gen);
            BreGan.Visualization.Scatter2D.Write(real.data<float>().ToArray(), x.contiguous().data<float>().ToArray(),
                new BreGan.Visualization.PlaneExtent(e.MinX, e.MaxX, e.MinY, e.MaxY), outPath, title: $"iteration {chosen.Iteration}");
        }
        else
        {
            var (size, channels) = ImageGan.Shape(config.Data);
            var (g, d) = ImageGan.BuildModels(config, size, channels, device);
            using var gDispose = g; using var dDispose = d;
            Checkpoint.LoadGenerator(chosen.Path, g);
            g.eval();
            using (torch.no_grad()) ImageGan.WriteGrid(g.call(z), outPath);
        }
        AnsiConsole.MarkupLine($"Wrote {count} samples from {Markup.Escape(Path.GetFileName(chosen.Path))} (iteration {chosen.Iteration}) to [bold]{Markup.Escape(outPath)}[/]");
        return 0;
    }

    // ---- progress -------------------------------------------------------------------------------

    static T WithProgress<T>(ParsedArgs args, Func<ProgressDisplay, T> body)
    {
        bool plain = args.Has("plain") || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive;
        if (plain) return body(new ProgressDisplay(null));
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx => result = body(new ProgressDisplay(ctx)));
        return result;
    }

    /// <summary>The metrics a progress line shows, when the evaluation has them.</summary>
    static readonly string[] ProgressKeys = { "modes", "kl", "fid", "classifier_score", "hq_fraction", "d_loss", "fake_ac" };

    /// <summary>Counts as integers (1000, not 1E+03), everything else to three significant digits.</summary>
    public static string Short(double v) =>
        v == Math.Round(v) && Math.Abs(v) < 1e9 ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A live bar per run (or plain lines when output is not a terminal).</summary>
    sealed class ProgressDisplay(ProgressContext? context)
    {
        public RunCallbacks For(string arm, long seed)
        {
            ProgressTask? task = null;
            var label = $"{arm} seed {seed}";
            var clock = Stopwatch.StartNew();
            int startIteration = 0, total = 1;
            string latest = "";
            string Rate(int it) => $"{(it - startIteration) / Math.Max(1e-9, clock.Elapsed.TotalSeconds):F0} it/s";
            return new RunCallbacks
            {
                Started = (start, t) =>
                {
                    startIteration = start;
                    total = t;
                    clock.Restart();
                    if (context is not null)
                    {
                        task = context.AddTask(Markup.Escape(label), maxValue: t);
                        task.Value = start;
                    }
                },
                Step = it =>
                {
                    if (task is null) return;
                    task.Value = it;
                    if (it % 50 == 0) task.Description = Markup.Escape($"{label,-16} {Rate(it),9} {latest}");
                },
                Evaluated = (it, row) =>
                {
                    latest = string.Join("  ", ProgressKeys.Where(row.ContainsKey).Select(k => $"{k} {Short(row[k])}"));
                    if (task is not null) task.Description = Markup.Escape($"{label,-16} {Rate(it),9} {latest}");
                    else
                    {
                        double eta = (total - it) * clock.Elapsed.TotalSeconds / Math.Max(1, it - startIteration);
                        var left = TimeSpan.FromSeconds(eta);
                        Console.WriteLine($"[{label}] iteration {it}/{total} ({100.0 * it / total:F0}%)  {Rate(it)}  ETA {(left.TotalHours >= 1 ? left.ToString(@"h\:mm\:ss") : left.ToString(@"mm\:ss"))}  {latest}");
                    }
                },
                Log = line => { if (context is null) Console.WriteLine(line); else AnsiConsole.MarkupLine(Markup.Escape(line)); },
            };
        }
    }
}
