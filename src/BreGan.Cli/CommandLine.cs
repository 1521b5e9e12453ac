using BreGan;

namespace BreGan.Cli;

/// <summary>A parsed command line: the command, its options (last one wins) and repeated --set.</summary>
public sealed record ParsedArgs(string Command, IReadOnlyDictionary<string, string> Options, IReadOnlyList<string> Sets, IReadOnlySet<string> Flags)
{
    public string? Get(string name) => Options.TryGetValue(name, out var v) ? v : null;
    public bool Has(string flag) => Flags.Contains(flag);

    public int GetInt(string name, int fallback)
    {
        var v = Get(name);
        if (v is null) return fallback;
        return int.TryParse(v, out int i) ? i : throw new BreGanInputException($"--{name} must be an integer, got '{v}'.");
    }
}

/// <summary>A small, strict parser: unknown options are errors that list the valid ones.</summary>
public static class CommandLine
{
    public static readonly string[] Commands = { "train", "compare", "demo", "sample", "ssl", "report", "diagnose", "eval", "classifier train", "info", "help" };

    static readonly Dictionary<string, (string[] Options, string[] Flags)> Valid = new()
    {
        ["train"] = (new[] { "preset", "config", "out", "resume", "data" }, new[] { "force", "plain" }),
        ["compare"] = (new[] { "preset", "config", "out", "seeds", "data" }, new[] { "force", "plain" }),
        ["sample"] = (new[] { "run", "checkpoint", "count", "out" }, Array.Empty<string>()),
        ["demo"] = (new[] { "out", "seeds", "iterations" }, new[] { "force", "plain" }),
        ["report"] = (new[] { "dir" }, Array.Empty<string>()),
        ["diagnose"] = (new[] { "run", "checkpoint", "batch" }, Array.Empty<string>()),
        ["ssl"] = (new[] { "preset", "config", "out", "resume", "data", "labels", "seed", "bre-weight", "epochs" }, new[] { "force", "plain" }),
        ["eval"] = (new[] { "run", "checkpoint", "classifier", "samples", "data" }, new[] { "reference" }),
        ["classifier train"] = (new[] { "data", "out", "dataset", "epochs", "width", "seed", "threads" }, new[] { "force", "no-augment" }),
        ["info"] = (Array.Empty<string>(), Array.Empty<string>()),
        ["help"] = (Array.Empty<string>(), Array.Empty<string>()),
    };

    public static ParsedArgs Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h") return new ParsedArgs("help", new Dictionary<string, string>(), Array.Empty<string>(), new HashSet<string>());
        var command = args[0];
        int first = 1;
        if (command == "classifier") // a two-word command: "classifier train"
        {
            if (args.Length > 1 && args[1] is "--help" or "-h") return new ParsedArgs("help", new Dictionary<string, string> { ["topic"] = command }, Array.Empty<string>(), new HashSet<string>());
            if (args.Length < 2 || args[1].StartsWith('-')) throw new BreGanInputException("Missing subcommand: bregan classifier train --data PATH --out FILE.");
            (command, first) = ("classifier " + args[1], 2);
        }
        if (!Valid.TryGetValue(command, out var valid))
            throw new BreGanInputException($"Unknown command '{command}'; valid: {string.Join(", ", Commands)}.");
        var options = new Dictionary<string, string>();
        var sets = new List<string>();
        var flags = new HashSet<string>();
        for (int i = first; i < args.Length; i++)
        {
            var a = args[i];
            if (a is "--help" or "-h") return new ParsedArgs("help", new Dictionary<string, string> { ["topic"] = command }, sets, flags);
            if (!a.StartsWith("--") && command == "report" && !options.ContainsKey("dir")) { options["dir"] = a; continue; } // bregan report DIR
            if (!a.StartsWith("--"))
                throw new BreGanInputException($"Unexpected argument '{a}' for '{command}'; options start with --.");
            var name = a[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq > 0 && name[..eq] != "set") { inline = name[(eq + 1)..]; name = name[..eq]; }
            if (valid.Flags.Contains(name)) { flags.Add(name); continue; }
            if (name != "set" && !valid.Options.Contains(name))
                throw new BreGanInputException($"Unknown option '--{name}' for '{command}'; valid: {string.Join(", ", valid.Options.Append("set").Concat(valid.Flags).Select(o => "--" + o))}.");
            if (command is "info" or "help" && name == "set")
                throw new BreGanInputException($"'{command}' takes no options.");
            string value = inline ?? (i + 1 < args.Length ? args[++i] : throw new BreGanInputException($"Option '--{name}' needs a value."));
            if (name == "set") sets.Add(value); else options[name] = value;
        }
        return new ParsedArgs(command, options, sets, flags);
    }
}
