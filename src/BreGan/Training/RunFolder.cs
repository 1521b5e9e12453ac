using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BreGan.Training;

/// <summary>
/// A run's folder: config.json, metrics.csv, summary.json, samples.csv, checkpoints/, images/.
/// A new run never overwrites an existing folder unless asked.
/// </summary>
public sealed class RunFolder
{
    public RunFolder(string path) => Path = System.IO.Path.GetFullPath(path);

    public string Path { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.csv");
    public string SummaryPath => System.IO.Path.Combine(Path, "summary.json");
    public string SamplesPath => System.IO.Path.Combine(Path, "samples.csv");
    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");
    public string ImagesPath => System.IO.Path.Combine(Path, "images");

    /// <summary>
    /// Creates a fresh run folder. An existing non-empty folder is refused unless
    /// <paramref name="force"/>; even then only a folder that looks like a run (has config.json) is
    /// cleared, so a typo cannot wipe unrelated files.
    /// </summary>
    public static RunFolder Create(string path, bool force)
    {
        var run = new RunFolder(path);
        try
        {
            if (Directory.Exists(run.Path) && Directory.EnumerateFileSystemEntries(run.Path).Any())
            {
                if (!force)
                    throw new BreGanInputException($"Run folder '{path}' already exists; use --force to overwrite it or 'bregan train --resume {path}' to continue it.");
                if (!File.Exists(run.ConfigPath))
                    throw new BreGanInputException($"Refusing to overwrite '{path}': it is not empty and is not a BreGan run folder (no config.json).");
                RunLock.ThrowIfHeld(run.Path); // never wipe a run that is still training
                Directory.Delete(run.Path, recursive: true);
            }
            Directory.CreateDirectory(run.Path);
            Directory.CreateDirectory(run.ImagesPath);
            Directory.CreateDirectory(run.CheckpointsPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BreGanInputException($"Cannot create run folder '{path}': {e.Message.TrimEnd('.')}.");
        }
        return run;
    }

    /// <summary>Opens an existing run folder for resuming.</summary>
    public static RunFolder Open(string path)
    {
        var run = new RunFolder(path);
        if (!File.Exists(run.ConfigPath))
            throw new BreGanInputException($"'{path}' is not a BreGan run folder (no config.json).");
        RunLock.ThrowIfHeld(run.Path);
        return run;
    }

    public void WriteConfig(ExperimentConfig config) => WriteAtomically(ConfigPath, config.ToJson());

    public ExperimentConfig ReadConfig() => ExperimentConfig.Load(ConfigPath);

    /// <summary>Writes a flat JSON object of name -> number (null for "never", e.g. NaN).</summary>
    public void WriteSummary(IReadOnlyDictionary<string, double?> values)
    {
        var o = new JsonObject();
        foreach (var (k, v) in values) o[k] = v is double d && double.IsFinite(d) ? JsonValue.Create(d) : null;
        WriteAtomically(SummaryPath, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static Dictionary<string, double?> ReadSummary(string path)
    {
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        return o.ToDictionary(p => p.Key, p => p.Value is null ? (double?)null : p.Value.GetValue<double>());
    }

    /// <summary>Writes text to a temporary file and renames it over the target.</summary>
    public static void WriteAtomically(string path, string text)
    {
        var tmp = path + ".tmp";
        try
        {
            File.WriteAllText(tmp, text);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception) { /* unwritable folder: nothing more to do */ }
            throw new BreGanInputException($"Cannot write '{path}': {e.Message.TrimEnd('.')}.");
        }
    }
}

/// <summary>
/// metrics.csv: one row per evaluation, named columns fixed by the first row. Rows are appended
/// and flushed as they come; a resume drops rows past its checkpoint.
/// </summary>
public sealed class MetricsLog
{
    private readonly string path;
    private List<string>? columns;

    public MetricsLog(string path)
    {
        this.path = path;
        if (File.Exists(path))
        {
            var header = File.ReadLines(path).FirstOrDefault();
            if (!string.IsNullOrEmpty(header)) columns = header.Split(',').ToList();
        }
    }

    public void Append(int iteration, IReadOnlyDictionary<string, double> values)
    {
        if (columns is null)
        {
            columns = new List<string> { "iteration" };
            columns.AddRange(values.Keys);
            File.WriteAllText(path, string.Join(",", columns) + "\n");
        }
        var cells = columns.Select(c => c == "iteration" ? iteration.ToString(CultureInfo.InvariantCulture)
            : values.TryGetValue(c, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
        File.AppendAllText(path, string.Join(",", cells) + "\n");
    }

    /// <summary>All rows as column -> value (empty cells are NaN).</summary>
    public static List<Dictionary<string, double>> Read(string path)
    {
        var rows = new List<Dictionary<string, double>>();
        if (!File.Exists(path)) return rows;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0) return rows;
        var header = lines[0].Split(',');
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var cells = line.Split(',');
            var row = new Dictionary<string, double>();
            for (int i = 0; i < header.Length; i++)
                row[header[i]] = i < cells.Length && double.TryParse(cells[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Drops rows whose iteration is past <paramref name="iteration"/> (for resumes).</summary>
    public static void TruncateAfter(string path, int iteration)
    {
        if (!File.Exists(path)) return;
        var lines = File.ReadAllLines(path);
        var kept = lines.Take(1).Concat(lines.Skip(1).Where(l =>
            l.Length > 0 && int.TryParse(l.Split(',')[0], out int it) && it <= iteration));
        RunFolder.WriteAtomically(path, string.Join("\n", kept) + "\n");
    }
}
