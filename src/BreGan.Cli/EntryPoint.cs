using BreGan;
using BreGan.Experiments;

namespace BreGan.Cli;

/// <summary>
/// Runs one command line and maps failures to exit codes: 0 done, 2 bad input (one line on
/// stderr naming the problem), 3 training diverged, 130 interrupted (after a checkpoint).
/// </summary>
public static class EntryPoint
{
    public static int Run(string[] args, CancellationToken stop = default)
    {
        try
        {
            var parsed = CommandLine.Parse(args);
            return parsed.Command switch
            {
                "help" when parsed.Get("topic") == "ssl" => SslCommand.Help(),
                "help" when EvalCommands.HelpFor(parsed.Get("topic")) is string text => EvalCommands.Help(text),
                "help" => Commands.Help(parsed),
                "info" => Commands.Info(),
                "train" => Commands.Train(parsed, stop),
                "compare" => Commands.Compare(parsed, stop),
                "demo" => Commands.Demo(parsed, stop),
                "sample" => Commands.Sample(parsed),
                "report" => ReportCommands.Report(parsed),
                "diagnose" => ReportCommands.Diagnose(parsed),
                "ssl" => SslCommand.Run(parsed, stop),
                "eval" => EvalCommands.Eval(parsed),
                "classifier train" => EvalCommands.TrainClassifier(parsed),
                _ => throw new BreGanInputException($"Unknown command '{parsed.Command}'; valid: {string.Join(", ", CommandLine.Commands)}."),
            };
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
    }
}
