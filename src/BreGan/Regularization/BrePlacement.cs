namespace BreGan;

/// <summary>Which of D's rectified layers BRE is applied to (the paper's placement policies).</summary>
public enum BrePlacementKind
{
    /// <summary>Every layer that feeds a rectifier except the first and the last (reference "lfl1"; the default).</summary>
    AllButFirstAndLast,
    /// <summary>Every layer that feeds a rectifier.</summary>
    All,
    /// <summary>Only the first.</summary>
    First,
    /// <summary>Only the last.</summary>
    Last,
    /// <summary>The first and the last.</summary>
    FirstAndLast,
    /// <summary>The middle one (index L/2, 0-based).</summary>
    Middle,
    /// <summary>Every even layer, counting from 1: the 2nd, 4th, ... (the SSL experiments).</summary>
    Even,
    /// <summary>Explicit 1-based positions among the rectified layers.</summary>
    Positions,
    /// <summary>Explicit module names (from <c>named_modules()</c>).</summary>
    Names,
}

/// <summary>
/// A placement policy for BRE. Parse from text with <see cref="Parse"/>:
/// <c>all-but-first-and-last</c> (default), <c>all</c>, <c>first</c>, <c>last</c>,
/// <c>first-and-last</c>, <c>middle</c>, <c>even</c>, <c>layers:2,3</c> (1-based positions among
/// the rectified layers) or <c>names:fc1,fc2</c> (module names).
/// </summary>
public sealed record BrePlacement(BrePlacementKind Kind, IReadOnlyList<int>? Positions = null, IReadOnlyList<string>? Names = null)
{
    public static BrePlacement Default { get; } = new(BrePlacementKind.AllButFirstAndLast);

    static readonly (string Text, BrePlacementKind Kind)[] Simple =
    {
        ("all-but-first-and-last", BrePlacementKind.AllButFirstAndLast),
        ("all", BrePlacementKind.All),
        ("first", BrePlacementKind.First),
        ("last", BrePlacementKind.Last),
        ("first-and-last", BrePlacementKind.FirstAndLast),
        ("middle", BrePlacementKind.Middle),
        ("even", BrePlacementKind.Even),
    };

    /// <summary>The valid spellings, for error messages.</summary>
    public static string ValidChoices =>
        string.Join(", ", Simple.Select(s => s.Text)) + ", layers:<i,j,...>, names:<a,b,...>";

    /// <summary>Parses a policy; throws <see cref="ArgumentException"/> listing the valid choices.</summary>
    public static BrePlacement Parse(string text)
    {
        var t = (text ?? "").Trim();
        foreach (var (name, kind) in Simple)
            if (string.Equals(t, name, StringComparison.OrdinalIgnoreCase)) return new BrePlacement(kind);
        if (t.Equals("lfl1", StringComparison.OrdinalIgnoreCase)) return Default;
        if (t.StartsWith("layers:", StringComparison.OrdinalIgnoreCase))
        {
            var parts = t["layers:".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var positions = new List<int>();
            foreach (var p in parts)
            {
                if (!int.TryParse(p, out int i) || i < 1)
                    throw new ArgumentException($"Unknown BRE placement '{text}': '{p}' is not a 1-based layer position; valid: {ValidChoices}.");
                positions.Add(i);
            }
            if (positions.Count == 0) throw new ArgumentException($"BRE placement '{text}' names no layer; valid: {ValidChoices}.");
            return new BrePlacement(BrePlacementKind.Positions, Positions: positions);
        }
        if (t.StartsWith("names:", StringComparison.OrdinalIgnoreCase))
        {
            var names = t["names:".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0) throw new ArgumentException($"BRE placement '{text}' names no layer; valid: {ValidChoices}.");
            return new BrePlacement(BrePlacementKind.Names, Names: names);
        }
        throw new ArgumentException($"Unknown BRE placement '{text}'; valid: {ValidChoices}.");
    }

    /// <summary>The policy's text form (round-trips through <see cref="Parse"/>).</summary>
    public override string ToString() => Kind switch
    {
        BrePlacementKind.Positions => "layers:" + string.Join(",", Positions ?? Array.Empty<int>()),
        BrePlacementKind.Names => "names:" + string.Join(",", Names ?? Array.Empty<string>()),
        _ => Simple.First(s => s.Kind == Kind).Text,
    };

    /// <summary>
    /// Picks, from D's rectified layers in call order, the 0-based indices this policy selects.
    /// Throws <see cref="ArgumentException"/> when it selects nothing or a position is out of range.
    /// (<see cref="BrePlacementKind.Names"/> is resolved against module names, not here.)
    /// </summary>
    public IReadOnlyList<int> Select(int rectifiedLayers)
    {
        int n = rectifiedLayers;
        IEnumerable<int> picked = Kind switch
        {
            BrePlacementKind.AllButFirstAndLast => Enumerable.Range(1, Math.Max(0, n - 2)),
            BrePlacementKind.All => Enumerable.Range(0, n),
            BrePlacementKind.First => n > 0 ? new[] { 0 } : Array.Empty<int>(),
            BrePlacementKind.Last => n > 0 ? new[] { n - 1 } : Array.Empty<int>(),
            BrePlacementKind.FirstAndLast => n > 0 ? new[] { 0, n - 1 }.Distinct() : Array.Empty<int>(),
            BrePlacementKind.Middle => n > 0 ? new[] { n / 2 } : Array.Empty<int>(),
            BrePlacementKind.Even => Enumerable.Range(0, n).Where(i => (i + 1) % 2 == 0),
            BrePlacementKind.Positions => (Positions ?? Array.Empty<int>()).Select(p =>
                p >= 1 && p <= n ? p - 1
                    : throw new ArgumentException($"BRE placement '{this}': layer {p} does not exist; the model has {n} rectified layers (1..{n}).")),
            _ => throw new ArgumentException($"BRE placement '{this}' selects by name, not by position."),
        };
        var result = picked.Distinct().OrderBy(i => i).ToList();
        if (result.Count == 0)
            throw new ArgumentException($"BRE placement '{this}' selects no layer of a model with {n} rectified layers; try 'all' or 'layers:<i>'.");
        return result;
    }
}
