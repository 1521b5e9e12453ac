using System.Reflection;
using System.Text.Json;

namespace BreGan.Training;

/// <summary>Checks that apply to every key of a config, whatever its section.</summary>
internal static class ConfigChecks
{
    /// <summary>
    /// Refuses NaN and infinities in any number of any section (JSON accepts "NaN" and "Infinity"
    /// literals), naming the key, e.g. "train.lr must be a finite number, got Infinity".
    /// </summary>
    public static void RequireFiniteNumbers(ExperimentConfig config)
    {
        foreach (var section in typeof(ExperimentConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (section.PropertyType.Namespace != typeof(ExperimentConfig).Namespace || section.GetIndexParameters().Length > 0) continue;
            var value = section.GetValue(config);
            if (value is null) continue;
            foreach (var p in section.PropertyType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                string Key() => $"{Snake(section.Name)}.{Snake(p.Name)}";
                switch (p.GetValue(value))
                {
                    case double d when !double.IsFinite(d):
                        throw new BreGanInputException($"{Key()} must be a finite number, got {d}.");
                    case double[][] rows when rows.Any(r => r is not null && r.Any(x => !double.IsFinite(x))):
                        throw new BreGanInputException($"{Key()} must hold finite numbers only.");
                }
            }
        }
    }

    /// <summary>
    /// Upper bounds on every size that becomes an allocation (network widths, batches, sample
    /// counts), so a mistyped or corrupt value (train.batch_size=2000000000) is refused by name
    /// instead of asking for terabytes.
    /// </summary>
    public static void RequireSaneSizes(ExperimentConfig c)
    {
        void AtMost(string key, double value, double max)
        {
            if (value > max) throw new BreGanInputException($"{key} must be <= {max}, got {value}.");
        }
        AtMost("model.generator_width", c.Model.GeneratorWidth, 8192);
        AtMost("model.discriminator_width", c.Model.DiscriminatorWidth, 8192);
        AtMost("model.generator_layers", c.Model.GeneratorLayers, 64);
        AtMost("model.discriminator_layers", c.Model.DiscriminatorLayers, 64);
        AtMost("model.noise_dim", c.Model.NoiseDim, 8192);
        AtMost("model.width_factor", c.Model.WidthFactor, 64);
        AtMost("model.discriminator_width_factor", c.Model.DiscriminatorWidthFactor, 64);
        AtMost("model.depth", c.Model.Depth, 8);
        AtMost("train.batch_size", c.Train.BatchSize, 65536);
        AtMost("train.d_steps", c.Train.DSteps, 1000);
        AtMost("train.threads", c.Train.Threads, 4096);
        AtMost("train.keep_checkpoints", c.Train.KeepCheckpoints, 100000);
        AtMost("eval.samples", c.Eval.Samples, 1_000_000);
        AtMost("eval.monitor_batch", c.Eval.MonitorBatch, 65536);
        AtMost("data.count", c.Data.Count, 10_000_000);
        AtMost("data.means", c.Data.Means?.Length ?? 0, 100_000);
    }

    /// <summary>An error message as one line of bounded length (parser messages quote the rest of a broken file).</summary>
    public static string OneLine(string message, int max = 300)
    {
        var line = string.Join(' ', message.Split(new[] { '\r', '\n', '\t' }, StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
        line = new string(line.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray());
        return line.Length <= max ? line : line[..(max - 3)] + "...";
    }

    static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
