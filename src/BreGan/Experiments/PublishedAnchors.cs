using System.Text;
using BreGan.Training;

namespace BreGan.Experiments;

/// <summary>A published result on stacked MNIST: modes found (of 1,000) and KL to uniform.</summary>
public sealed record PublishedAnchor(string Method, double Modes, double Kl, string Source);

/// <summary>
/// The published stacked-MNIST anchors, printed beside our comparison rows. They come from other
/// networks, the full 60,000-digit MNIST, other classifiers and far larger budgets, so they place our
/// numbers on the scale; they are not a like-for-like comparison.
/// </summary>
public static class PublishedAnchors
{
    /// <summary>DCGAN, Unrolled GAN and VEEGAN as reported by Srivastava et al. (VEEGAN, NeurIPS 2017),
    /// and PacDCGAN2 by Lin et al. (PacGAN, NeurIPS 2018), who reran that setting.</summary>
    public static readonly IReadOnlyList<PublishedAnchor> StackedMnist = new[]
    {
        new PublishedAnchor("DCGAN", 99, 3.40, "Srivastava et al. 2017 (VEEGAN)"),
        new PublishedAnchor("Unrolled GAN", 48.7, 4.32, "Srivastava et al. 2017 (VEEGAN)"),
        new PublishedAnchor("VEEGAN", 150, 2.95, "Srivastava et al. 2017 (VEEGAN)"),
        new PublishedAnchor("PacDCGAN2", 1000, 0.06, "Lin et al. 2018 (PacGAN)"),
    };

    /// <summary>True when a comparison is of stacked-MNIST runs with mode counts (the anchors apply).</summary>
    public static bool Apply(ExperimentConfig config, ArmResult baseline, ArmResult bre) =>
        config.Data.Dataset == "stacked-mnist" && baseline.Values("modes").Length + bre.Values("modes").Length > 0;

    /// <summary>Rows (method, modes, kl, source): our two arms (mean ± s.e. over seeds), then the anchors.</summary>
    public static List<string[]> Rows(ArmResult baseline, ArmResult bre, ExperimentConfig config)
    {
        string ours = $"this repository: {baseline.Runs.Count} seeds, {config.Train.Iterations} iterations, {config.Model.Architecture} x{config.Model.WidthFactor}" +
            (config.Model.DiscriminatorWidthFactor == 1 ? "" : $", D x{config.Model.DiscriminatorWidthFactor} of G");
        var rows = new List<string[]>
        {
            new[] { "baseline (ours)", Comparison.Cell(baseline, "modes"), Comparison.Cell(baseline, "kl"), ours },
            new[] { "BRE (ours)", Comparison.Cell(bre, "modes"), Comparison.Cell(bre, "kl"), ours },
        };
        rows.AddRange(StackedMnist.Select(a => new[] { a.Method, a.Modes.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture),
            a.Kl.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), a.Source }));
        return rows;
    }

    /// <summary>A Markdown section with <see cref="Rows"/>, empty for other datasets.</summary>
    public static string Markdown(ArmResult baseline, ArmResult bre, ExperimentConfig config)
    {
        if (!Apply(config, baseline, bre)) return "";
        var sb = new StringBuilder();
        sb.AppendLine();
        sb.AppendLine("## Stacked MNIST beside the published anchors");
        sb.AppendLine();
        sb.AppendLine("| method | modes (of 1000) | KL to uniform | source |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in Rows(baseline, bre, config)) sb.AppendLine($"| {string.Join(" | ", r)} |");
        sb.AppendLine();
        sb.AppendLine("The anchors used other networks, the full MNIST, their own classifiers and much longer training; they place our numbers on the scale, not beside equals.");
        return sb.ToString();
    }
}
