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

    static string Snake(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
