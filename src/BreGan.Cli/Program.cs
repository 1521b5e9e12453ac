using System.Runtime.InteropServices;
using BreGan;
using BreGan.Cli;
using BreGan.Experiments;
using Spectre.Console;

// bregan: the command-line face of BreGan. Exit codes: 0 done, 2 bad input, 3 training diverged,
// 130 interrupted by Ctrl+C, 143 stopped by SIGTERM (both after writing a checkpoint).
using var stop = new CancellationTokenSource();
int signalExit = 0;
Console.CancelKeyPress += (_, e) => { e.Cancel = true; signalExit = 130; stop.Cancel(); };
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; signalExit = 143; stop.Cancel(); });

try
{
    var parsed = CommandLine.Parse(args);
    int code = parsed.Command switch
    {
        "help" => Commands.Help(parsed),
        "info" => Commands.Info(),
        "train" => Commands.Train(parsed, stop.Token),
        "compare" => Commands.Compare(parsed, stop.Token),
        "demo" => Commands.Demo(parsed, stop.Token),
        _ => throw new BreGanInputException($"Unknown command '{parsed.Command}'; valid: {string.Join(", ", CommandLine.Commands)}."),
    };
    return stop.IsCancellationRequested && signalExit != 0 ? signalExit : code;
}
catch (BreGanInputException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 2;
}
catch (TrainingDivergedException e)
{
    Console.Error.WriteLine("error: " + e.Message);
    return 3;
}
