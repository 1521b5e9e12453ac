using System.Globalization;
using BreGan.Reporting;
using Spectre.Console;

namespace BreGan.Cli;

/// <summary><c>bregan report</c> and <c>bregan diagnose</c>.</summary>
public static class ReportCommands
{
    public const string ReportHelp = """
        bregan report DIR

        Redraws the plots (DIR/plots/) and writes DIR/report.html for a run folder, or for a
        comparison folder (its band plots, side-by-side table and every seed run's report). The
        page is static and self-contained: open it in any browser, no network needed.
        """;

    public const string DiagnoseHelp = """
        bregan diagnose --run DIR [--checkpoint N] [--batch N]

        Loads G and D from the run's newest checkpoint (or iteration N), measures BRE's monitors
        (ME, AC, correlations, saturation, input-gradient norms) on fresh real, fake and
        interpolated batches and the distinct activation patterns of real and fake points per
        layer of D, and prints a verdict with the numbers behind it. --batch sets the points per
        batch (default: the run's eval.monitor_batch).
        """;

    public static int Report(ParsedArgs args)
    {
        var dir = args.Get("dir") ?? throw new BreGanInputException("Missing DIR: bregan report DIR (a run or comparison folder).");
        var path = HtmlReport.Write(dir);
        AnsiConsole.MarkupLine($"Report: [bold]{Markup.Escape(path)}[/]");
        return 0;
    }

    public static int Diagnose(ParsedArgs args)
    {
        var runDir = args.Get("run") ?? throw new BreGanInputException("Missing --run DIR: the run folder to diagnose.");
        int? iteration = args.Get("checkpoint") is null ? null : args.GetInt("checkpoint", 0);
        int? batch = args.Get("batch") is null ? null : args.GetInt("batch", 0);
        var diagnosis = Diagnoser.Run(runDir, iteration, batch);
        var n = diagnosis.Numbers;
        Console.WriteLine($"Diagnosis of {Path.GetFullPath(runDir)} at iteration {n.Iteration.ToString(CultureInfo.InvariantCulture)} ({n.Batch} points per batch)");
        Console.WriteLine();
        Console.Write(diagnosis.ToText());
        return 0;
    }
}
