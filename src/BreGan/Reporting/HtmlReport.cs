using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Reporting;

/// <summary>
/// report.html of a run or comparison folder: one static page with inline styles and no script,
/// whose pictures are files of the folder referenced relative to the page, so the folder can be
/// moved, zipped or opened without a network. It links only to files that exist when it is
/// written; <c>bregan report DIR</c> regenerates it (and the plots).
/// </summary>
public static class HtmlReport
{
    public const string FileName = "report.html";

    /// <summary>
    /// Regenerates plots and report.html of a run folder (config.json) or a comparison folder
    /// (comparison.json; its seed runs' reports too). Returns the report's path.
    /// </summary>
    public static string Write(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full)) throw new BreGanInputException($"Folder '{dir}' does not exist.");
        if (File.Exists(Path.Combine(full, "comparison.json"))) return WriteComparison(full, includeRuns: true);
        if (File.Exists(Path.Combine(full, "config.json")) && File.Exists(Path.Combine(full, "metrics.csv"))) return WriteRun(full);
        throw new BreGanInputException($"'{dir}' is neither a BreGan run folder (config.json and metrics.csv) nor a comparison folder (comparison.json).");
    }

    /// <summary>
    /// <see cref="WriteRun"/> after training: a report that cannot be drawn must not fail a run
    /// whose results are all written, so a failure becomes a warning naming the command to retry.
    /// </summary>
    public static string? TryWriteRun(string runPath, Action<string>? log = null) => Try(() => WriteRun(runPath), runPath, log);

    /// <summary><see cref="WriteComparison"/> after a comparison, failures as warnings.</summary>
    public static string? TryWriteComparison(string root, Action<string>? log = null) => Try(() => WriteComparison(root), root, log);

    static string? Try(Func<string> write, string dir, Action<string>? log)
    {
        try { return write(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            (log ?? Console.Error.WriteLine)($"warning: report.html not written ({e.GetType().Name}: {e.Message}); retry with: bregan report {dir}");
            return null;
        }
    }

    // ---- one run --------------------------------------------------------------------------------

    /// <summary>Writes the run's plots and its report.html; returns the report's path.</summary>
    public static string WriteRun(string runPath)
    {
        runPath = Path.GetFullPath(runPath);
        var run = new RunFolder(runPath);
        var config = run.ReadConfig();
        var plots = RunPlots.Write(runPath);
        var rows = MetricsLog.Read(run.MetricsPath);
        var summary = File.Exists(run.SummaryPath) ? RunFolder.ReadSummary(run.SummaryPath) : null;
        bool toy = ExperimentRunner.IsToy(config);

        // A comparison's seed run is named with its arm: bre/seed1.
        var parent = Path.GetFileName(Path.GetDirectoryName(runPath)) ?? "";
        var name = ComparisonPlots.Arms.Any(a => a.Folder == parent) ? $"{parent}/{Path.GetFileName(runPath)}" : Path.GetFileName(runPath);
        var page = new Page($"BreGan run {name}");
        page.Header($"Run {name}", Describe(config), Status(config, rows, summary));

        // The numbers first: key metrics of the summary (or of the last row while a run is unfinished).
        var values = summary ?? ExperimentRunner.LastRow(rows);
        if (values.Count > 0)
        {
            var keys = KeyColumns(values.Keys).ToList();
            page.Section("Summary", summary is null ? "Last evaluation (the run has no summary.json yet)." : "From summary.json: the last evaluation, plus run-level figures.");
            page.Raw("<div class=\"overview\"><div>");
            page.Table(new[] { "metric", "value" }, keys.Select(k => new[] { Code(k), Number(values[k]) }), "summary");
            page.Raw("</div>");
            page.Guide(runPath, comparison: false);
            page.Raw("</div>");
            var rest = values.Keys.Except(keys).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (rest.Count > 0)
            {
                page.Raw("<details><summary>All values (" + rest.Count + " more)</summary>");
                page.Table(new[] { "metric", "value" }, rest.Select(k => new[] { Code(k), Number(values[k]) }), "summary compact");
                page.Raw("</details>");
            }
        }

        // Pictures: the last mosaic panel (2D) or sample grids (images), and the animation.
        var images = Path.Combine(runPath, "images");
        var pictures = new List<(string Path, string Caption)>();
        if (toy)
        {
            if (Latest(images, "mosaic_*.png") is { } mosaic)
                pictures.Add(($"images/{mosaic}", $"Mosaic at iteration {IterationOf(mosaic)}: data and fake samples, D's activation patterns per layer (one colour per linear region of D; white dots: fake samples), D's probability of real."));
            if (File.Exists(Path.Combine(images, "mosaic.gif")))
                pictures.Add(("images/mosaic.gif", "The mosaic over training, one frame per evaluation."));
        }
        else
        {
            if (Latest(images, "samples_*.png") is { } grid)
                pictures.Add(($"images/{grid}", $"Samples from a fixed set of z at iteration {IterationOf(grid)}."));
            if (Latest(images, "random_*.png") is { } random)
                pictures.Add(($"images/{random}", $"Fresh samples at iteration {IterationOf(random)}."));
            if (File.Exists(Path.Combine(images, "samples.gif")))
                pictures.Add(("images/samples.gif", "The fixed-z samples over training, one frame per evaluation."));
        }
        page.Plots(plots.Where(p => p.Section == RunPlots.MetricSection).ToList());
        if (pictures.Count > 0)
        {
            page.Section(toy ? "Mosaic" : "Samples", null);
            foreach (var (path, caption) in pictures) page.Figure(path, caption, wide: true);
        }
        page.Plots(plots.Where(p => p.Section != RunPlots.MetricSection).ToList());
        page.Config(File.ReadAllText(run.ConfigPath));
        page.Files(runPath, new[] { "config.json", "metrics.csv", "summary.json", "samples.csv" },
            "TensorBoard: <code>tensorboard --logdir " + Html(runPath) + "</code> (event files in this folder).");
        var reportPath = Path.Combine(runPath, FileName);
        RunFolder.WriteAtomically(reportPath, page.ToString());
        return reportPath;
    }

    static string Describe(ExperimentConfig c)
    {
        string bre = c.Bre.Weight > 0
            ? $"BRE weight {Num(c.Bre.Weight)} on {c.Bre.Placement}{(c.Bre.DecayToZero ? ", decaying to 0" : "")}"
            : "baseline (BRE off)";
        return $"preset {c.Preset} · data {c.Data.Dataset} · {c.Model.Architecture} · loss {c.Loss.Kind} · {bre} · " +
               $"{c.Train.Iterations} iterations · batch {c.Train.BatchSize} · seed {c.Train.Seed}";
    }

    static string Status(ExperimentConfig config, IReadOnlyList<Dictionary<string, double>> rows, Dictionary<string, double?>? summary)
    {
        if (summary is not null && summary.TryGetValue("interrupted", out var i) && i is > 0)
            return $"interrupted at iteration {Num(summary.GetValueOrDefault("iterations") ?? 0)}";
        if (summary is not null)
            return $"finished: {Num(summary.GetValueOrDefault("iterations") ?? config.Train.Iterations)} iterations" +
                   (summary.GetValueOrDefault("seconds") is double s ? $" in {s:F0} s" : "");
        return rows.Count == 0 ? "no evaluations yet" : $"unfinished: last evaluation at iteration {Num(rows[^1].GetValueOrDefault("iteration"))}";
    }

    /// <summary>Columns worth a first look: the comparison's key metrics, then experiment metrics, then AC.</summary>
    static IEnumerable<string> KeyColumns(IEnumerable<string> available)
    {
        var all = available.ToList();
        return Comparison.KeyMetrics.Where(all.Contains)
            .Concat(MetricColumns.ExperimentMetrics(all).Order(StringComparer.Ordinal))
            .Concat(new[] { "real_ac", "fake_ac", "interp_ac", "d_loss", "g_loss", "iterations", "seconds" }.Where(all.Contains))
            .Distinct();
    }

    // ---- a comparison ---------------------------------------------------------------------------

    /// <summary>
    /// Writes the comparison's band plots and report.html (and, with <paramref name="includeRuns"/>,
    /// every seed run's report first). Returns the report's path.
    /// </summary>
    public static string WriteComparison(string root, bool includeRuns = false)
    {
        root = Path.GetFullPath(root);
        var configPath = Path.Combine(root, "config.json");
        if (!File.Exists(configPath)) throw new BreGanInputException($"'{root}' has no config.json: not a BreGan comparison folder.");
        var config = ExperimentConfig.Load(configPath);
        var seedRuns = ComparisonPlots.Arms.ToDictionary(a => a.Folder, a => ComparisonPlots.SeedRuns(root, a.Folder));
        if (includeRuns)
            foreach (var (_, path) in seedRuns.Values.SelectMany(r => r))
                if (File.Exists(Path.Combine(path, "config.json")) && File.Exists(Path.Combine(path, "metrics.csv"))) WriteRun(path);

        var (baseline, bre) = ReadArms(root);
        var page = new Page($"BreGan comparison {Path.GetFileName(root)}");
        int seeds = Math.Max(baseline.Runs.Count, bre.Runs.Count);
        var breArm = Comparison.Arms(config, config.Train.Seed).Bre;
        page.Header($"BRE vs baseline: {config.Preset}",
            $"data {config.Data.Dataset} · {config.Model.Architecture} · loss {config.Loss.Kind} · BRE weight {Num(breArm.Bre.Weight)} on {config.Bre.Placement}" +
            $"{(config.Bre.DecayToZero ? ", decaying to 0" : "")} · {config.Train.Iterations} iterations · batch {config.Train.BatchSize}",
            $"{seeds} seed{(seeds == 1 ? "" : "s")} per arm from seed {config.Train.Seed}; same seeds and budgets in both arms");

        var metrics = Comparison.TableMetrics(baseline, bre);
        var key = metrics.Where(m => Comparison.KeyMetrics.Contains(m) || MetricColumns.ExperimentMetrics(new[] { m }).Any()).ToList();
        page.Section("Side by side", "Mean ± standard error over seeds, from comparison.json.");
        page.Raw("<div class=\"overview\"><div>");
        page.Table(new[] { "metric", "baseline", "BRE" }, key.Select(m => new[] { Code(m), Html(Comparison.Cell(baseline, m)), Html(Comparison.Cell(bre, m)) }), "summary");
        page.Raw("</div>");
        page.Guide(root, comparison: true);
        page.Raw("</div>");
        var rest = metrics.Except(key).ToList();
        if (rest.Count > 0)
        {
            page.Raw("<details><summary>All metrics (" + rest.Count + " more)</summary>");
            page.Table(new[] { "metric", "baseline", "BRE" }, rest.Select(m => new[] { Code(m), Html(Comparison.Cell(baseline, m)), Html(Comparison.Cell(bre, m)) }), "summary compact");
            page.Raw("</details>");
        }

        // Per seed: the key metrics of both arms and links to each run's own report.
        var perSeed = new List<string[]>();
        var seedKeys = key.Where(m => m != "seconds").Take(4).ToList();
        foreach (var (folder, label) in ComparisonPlots.Arms)
        {
            var arm = folder == "baseline" ? baseline : bre;
            foreach (var (seed, path) in seedRuns[folder])
            {
                var summary = arm.Runs.FirstOrDefault(r => r.Seed == seed).Summary;
                string link = File.Exists(Path.Combine(path, FileName))
                    ? $"<a href=\"{Url($"{folder}/{Path.GetFileName(path)}/{FileName}")}\">{Html(label)} seed {seed}</a>"
                    : $"{Html(label)} seed {seed}";
                perSeed.Add(new[] { link }.Concat(seedKeys.Select(m => summary is not null && summary.TryGetValue(m, out var v) ? Number(v) : "–")).ToArray());
            }
        }
        if (perSeed.Count > 0)
        {
            page.Section("Runs", "Each run has its own report with all its curves and pictures.");
            page.Table(new[] { "run" }.Concat(seedKeys.Select(Code)).ToArray(), perSeed, "summary");
        }

        var bands = ComparisonPlots.Write(root);
        page.Plots(bands.Where(p => p.Section == RunPlots.MetricSection).ToList());

        // The first seed of each arm at its last evaluation, then over training.
        var finals = ComparisonPlots.Arms.Select(a => (a.Label, Folder: $"{a.Folder}/seed{config.Train.Seed}/images"))
            .Select(a => (a.Label, a.Folder, File: Latest(Path.Combine(root, a.Folder), ExperimentRunner.IsToy(config) ? "mosaic_*.png" : "samples_*.png")))
            .Where(a => a.File is not null).ToList();
        var animation = Comparison.SideBySideName(config);
        if (finals.Count > 0 || File.Exists(Path.Combine(root, animation)))
        {
            page.Section(ExperimentRunner.IsToy(config) ? "Mosaics" : "Samples", $"Seed {config.Train.Seed} of each arm.");
            foreach (var (label, folder, file) in finals)
                page.Figure($"{folder}/{file}", $"{label} at iteration {IterationOf(file!)}.", wide: true);
            if (File.Exists(Path.Combine(root, animation)))
                page.Figure(animation, "Both arms over training, one frame per evaluation.", wide: true);
        }

        page.Plots(bands.Where(p => p.Section != RunPlots.MetricSection).ToList());

        page.Config(File.ReadAllText(configPath));
        page.Files(root, new[] { "config.json", "comparison.json", "comparison.md" },
            "TensorBoard for every run: <code>tensorboard --logdir " + Html(root) + "</code>.");
        var reportPath = Path.Combine(root, FileName);
        RunFolder.WriteAtomically(reportPath, page.ToString());
        return reportPath;
    }

    /// <summary>The arms from comparison.json (per-seed summaries), or from the seed folders' summary.json files.</summary>
    static (ArmResult Baseline, ArmResult Bre) ReadArms(string root)
    {
        var json = Path.Combine(root, "comparison.json");
        ArmResult Arm(string name)
        {
            var runs = new List<(long, IReadOnlyDictionary<string, double?>)>();
            if (File.Exists(json) && JsonNode.Parse(File.ReadAllText(json))?["arms"]?[name]?["runs"] is JsonArray array)
            {
                foreach (var node in array.OfType<JsonObject>())
                {
                    long seed = node["seed"]?.GetValue<long>() ?? 0;
                    var summary = node.Where(p => p.Key != "seed")
                        .ToDictionary(p => p.Key, p => p.Value is JsonValue v && v.TryGetValue<double>(out var d) ? d : (double?)null);
                    runs.Add((seed, summary));
                }
            }
            else
            {
                foreach (var (seed, path) in ComparisonPlots.SeedRuns(root, name))
                    if (File.Exists(Path.Combine(path, "summary.json"))) runs.Add((seed, RunFolder.ReadSummary(Path.Combine(path, "summary.json"))));
            }
            return new ArmResult(name, runs);
        }
        return (Arm("baseline"), Arm("bre"));
    }

    // ---- helpers --------------------------------------------------------------------------------

    static string? Latest(string dir, string pattern) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir, pattern).Select(Path.GetFileName).Order(StringComparer.Ordinal).LastOrDefault() : null;

    static string IterationOf(string file)
    {
        var stem = Path.GetFileNameWithoutExtension(file);
        var digits = stem[(stem.LastIndexOf('_') + 1)..];
        return int.TryParse(digits, out int it) ? it.ToString(CultureInfo.InvariantCulture) : digits;
    }

    /// <summary>Escapes the five HTML-special characters; the page is UTF-8, so everything else stays as it is.</summary>
    internal static string Html(string text) =>
        text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");

    static string Code(string text) => $"<code>{Html(text)}</code>";

    /// <summary>A relative URL: each '/'-separated segment escaped.</summary>
    internal static string Url(string relative) => string.Join("/", relative.Split('/').Select(Uri.EscapeDataString));

    static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    static string Number(double? v) => v is double d && double.IsFinite(d)
        ? Math.Abs(d) >= 1000 || d == Math.Round(d) ? d.ToString("0.##", CultureInfo.InvariantCulture) : d.ToString("G4", CultureInfo.InvariantCulture)
        : "never";

    /// <summary>The page being built: a small HTML writer with the report's building blocks.</summary>
    sealed class Page(string title)
    {
        readonly StringBuilder body = new();

        public void Raw(string html) => body.AppendLine(html);

        public void Header(string heading, string subtitle, string status)
        {
            body.AppendLine("<header>");
            body.AppendLine($"<h1>{Html(heading)}</h1>");
            body.AppendLine($"<p class=\"subtitle\">{Html(subtitle)}</p>");
            body.AppendLine($"<p class=\"status\">{Html(status)}</p>");
            body.AppendLine("</header>");
        }

        public void Section(string heading, string? note)
        {
            body.AppendLine($"<h2>{Html(heading)}</h2>");
            if (note is not null) body.AppendLine($"<p class=\"note\">{Html(note)}</p>");
        }

        /// <summary>A table; cells are HTML already escaped by the caller.</summary>
        public void Table(IReadOnlyList<string> head, IEnumerable<string[]> rows, string cssClass)
        {
            body.AppendLine($"<table class=\"{cssClass}\"><thead><tr>{string.Concat(head.Select(h => $"<th>{(h.StartsWith('<') ? h : Html(h))}</th>"))}</tr></thead><tbody>");
            foreach (var row in rows) body.AppendLine("<tr>" + string.Concat(row.Select(c => $"<td>{c}</td>")) + "</tr>");
            body.AppendLine("</tbody></table>");
        }

        public void Figure(string relative, string caption, bool wide = false)
        {
            var url = Url(relative);
            body.AppendLine($"<figure class=\"{(wide ? "wide" : "plot")}\"><a href=\"{url}\"><img src=\"{url}\" alt=\"{Html(caption)}\"></a>" +
                            $"<figcaption>{Html(caption)}</figcaption></figure>");
        }

        public void Plots(IReadOnlyList<PlotFile> plots)
        {
            foreach (var section in plots.GroupBy(p => p.Section))
            {
                Section(section.Key, null);
                body.AppendLine("<div class=\"grid\">");
                foreach (var p in section) Figure(p.RelativePath, p.Caption);
                body.AppendLine("</div>");
            }
        }

        /// <summary>What to look for, beside the summary table.</summary>
        public void Guide(string dir, bool comparison)
        {
            body.AppendLine("<aside class=\"guide\"><h3>Reading this report</h3><ul>");
            if (comparison)
                body.AppendLine("<li>Both arms share seeds, data, networks and budgets; the baseline has <code>bre.weight = 0</code>. " +
                                "Lines are means over seeds, bands span the seeds.</li>");
            body.AppendLine("<li><b>Modes and HQ fraction</b> (2D data): how many of the data's modes G covers and how many samples land near one.</li>");
            body.AppendLine("<li><b>AC on fake vs real</b>: BRE's stability indicator. AC on fake rising far above AC on real means D codes the fake points alike " +
                            "and pushes them the same way, as in the paper's unstable runs.</li>");
            body.AppendLine("<li><b>Distinct activation patterns</b> of fake points: few means the fake points fall into few linear regions of D and get one gradient: collapse.</li>");
            body.AppendLine("<li><b>|dD/dx| on fake</b> near 0: G gets no signal (a stall).</li>");
            body.AppendLine($"<li>Check a checkpoint: <code>bregan diagnose --run {(comparison ? Html(Path.Combine(dir, "bre", "seedN")) : Html(dir))}</code></li>");
            body.AppendLine("</ul></aside>");
        }

        public void Config(string json)
        {
            Section("Config", "The resolved config.json: every setting this run used.");
            body.AppendLine($"<details open><summary>config.json</summary><pre>{Html(json)}</pre></details>");
        }

        public void Files(string dir, IEnumerable<string> names, string tensorBoardHtml)
        {
            var present = names.Where(n => File.Exists(Path.Combine(dir, n))).ToList();
            body.AppendLine("<footer>");
            if (present.Count > 0)
                body.AppendLine("<p>Files: " + string.Join(" · ", present.Select(n => $"<a href=\"{Url(n)}\">{Html(n)}</a>")) + "</p>");
            body.AppendLine($"<p>{tensorBoardHtml}</p>");
            body.AppendLine($"<p>Written by BreGan {Html(typeof(HtmlReport).Assembly.GetName().Version?.ToString() ?? "")} on " +
                            $"{DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}. Regenerate with <code>bregan report {Html(dir)}</code>.</p>");
            body.AppendLine("</footer>");
        }

        public override string ToString() => $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{Html(title)}}</title>
            <link rel="icon" href="data:,">
            <style>
            {{Css}}
            </style>
            </head>
            <body>
            <main>
            {{body}}
            </main>
            </body>
            </html>
            """;
    }

    const string Css = """
        :root { --ink: #1d2330; --muted: #5b6473; --line: #e3e7ee; --accent: #2f6fdf; --card: #ffffff; --bg: #f5f7fa; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
        main { max-width: 1380px; margin: 0 auto; padding: 28px 32px 40px; }
        header { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 10px; padding: 18px 24px; margin-bottom: 8px; }
        h1 { margin: 0 0 6px; font-size: 26px; }
        h2 { margin: 30px 0 10px; font-size: 19px; border-bottom: 1px solid var(--line); padding-bottom: 6px; }
        .subtitle { margin: 0; color: var(--muted); }
        .status { display: inline-block; margin: 10px 0 0; padding: 2px 10px; border-radius: 12px; background: #e8f0fe; color: #1a4fb0; font-size: 13px; }
        .note { color: var(--muted); margin: -4px 0 12px; font-size: 14px; }
        table.summary { border-collapse: collapse; background: var(--card); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; min-width: 420px; }
        table.summary th, table.summary td { padding: 6px 14px; border-bottom: 1px solid var(--line); text-align: left; }
        table.summary th { background: #eef2f7; font-weight: 600; }
        table.summary td + td { font-variant-numeric: tabular-nums; }
        table.summary tr:last-child td { border-bottom: none; }
        table.compact td, table.compact th { padding: 3px 12px; font-size: 13px; }
        details { margin: 10px 0; }
        summary { cursor: pointer; color: var(--accent); }
        code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
        pre { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; overflow: auto; max-height: 480px; font: 12.5px/1.45 ui-monospace, "DejaVu Sans Mono", monospace; }
        .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 16px; }
        .overview { display: flex; gap: 24px; align-items: flex-start; flex-wrap: wrap; }
        .guide { flex: 1 1 420px; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 20px; font-size: 14px; }
        .guide h3 { margin: 4px 0 6px; font-size: 15px; }
        .guide ul { margin: 0; padding-left: 18px; }
        .guide li { margin: 5px 0; }
        figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px; }
        figure.wide { margin-bottom: 16px; display: inline-block; max-width: 100%; }
        figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
        figure.plot img { width: 100%; }
        figcaption { color: var(--muted); font-size: 13px; margin-top: 6px; }
        footer { margin-top: 34px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); }
        a { color: var(--accent); }
        """;
}
