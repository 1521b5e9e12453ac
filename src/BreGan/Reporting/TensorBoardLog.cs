using System.Text.RegularExpressions;
using TorchSharp;

namespace BreGan.Reporting;

/// <summary>
/// TensorBoard event files in a run folder (TorchSharp's <c>SummaryWriter</c>): every column of
/// an evaluation's metrics row as a scalar, grouped by kind (loss/, bre/, monitors/, slopes/,
/// patterns/, metrics/, train/), and the pictures that evaluation wrote (images/NAME_ITERATION.png:
/// the mosaic panel of 2D runs, the sample grids of image runs) as images/NAME.
/// <c>tensorboard --logdir</c> on a run or comparison folder shows them; a resumed run adds a
/// new event file.
/// </summary>
public sealed class TensorBoardLog
{
    readonly TorchSharp.Modules.SummaryWriter writer;

    public TensorBoardLog(string runPath) => writer = torch.utils.tensorboard.SummaryWriter(runPath);

    /// <summary>The folder the event files are in.</summary>
    public string LogDir => writer.LogDir;

    /// <summary>Logs one evaluation: the row's scalars and the pictures of <paramref name="iteration"/> in <paramref name="imagesPath"/>.</summary>
    public void Log(int iteration, IReadOnlyDictionary<string, double> row, string? imagesPath)
    {
        foreach (var (column, value) in row)
            if (column != "iteration") writer.add_scalar(MetricColumns.TensorBoardTag(column), (float)value, iteration);
        foreach (var (name, path) in Pictures(imagesPath, iteration))
            writer.add_img("images/" + name, path, iteration);
    }

    /// <summary>The PNGs an evaluation wrote: images/NAME_ITERATION.png (7-digit iteration) as (NAME, path).</summary>
    public static IReadOnlyList<(string Name, string Path)> Pictures(string? imagesPath, int iteration)
    {
        if (imagesPath is null || !Directory.Exists(imagesPath)) return Array.Empty<(string, string)>();
        var suffix = $"_{iteration:D7}.png";
        return Directory.GetFiles(imagesPath, "*" + suffix)
            .Select(p => (Name: Path.GetFileName(p)[..^suffix.Length], Path: p))
            .Where(p => Regex.IsMatch(p.Name, "^[A-Za-z0-9_-]+$"))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
    }
}
