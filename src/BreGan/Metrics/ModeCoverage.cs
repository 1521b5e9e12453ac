using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Metrics;

/// <summary>Stacked-MNIST mode coverage.</summary>
/// <param name="Modes">Number of distinct digit triples among the samples (at most C³).</param>
/// <param name="Kl">KL(q || uniform over C³) of the triple histogram q: Σ q log(q C³), 0 log 0 = 0.</param>
public sealed record ModeCoverageValues(int Modes, double Kl);

/// <summary>
/// Mode counting for Stacked MNIST: each generated image is three stacked digits, each classified
/// by a digit classifier, so a sample is one triple (a, b, c) out of C³ modes (1000 for C = 10).
/// </summary>
public static class ModeCoverage
{
    /// <summary>Modes and KL to uniform from an [N, 3] host table of predicted digits.</summary>
    /// <param name="labelTriples">[N, 3] predicted classes, each in [0, <paramref name="classesPerDigit"/>); N &gt;= 1.</param>
    /// <param name="classesPerDigit">Classes per channel C.</param>
    /// <exception cref="BreGanInputException">Empty table, a row that is not a triple, or a label out of range.</exception>
    public static ModeCoverageValues Compute(long[,] labelTriples, int classesPerDigit = 10)
    {
        ArgumentNullException.ThrowIfNull(labelTriples);
        if (labelTriples.GetLength(1) != 3 || labelTriples.GetLength(0) < 1)
            throw new BreGanInputException($"Mode coverage needs label triples [N, 3] with N >= 1, got [{labelTriples.GetLength(0)}, {labelTriples.GetLength(1)}]");
        if (classesPerDigit < 1)
            throw new BreGanInputException($"classesPerDigit must be >= 1, got {classesPerDigit}");

        int n = labelTriples.GetLength(0);
        long c = classesPerDigit;
        long modeCount = c * c * c;
        var counts = new Dictionary<long, int>();
        for (int i = 0; i < n; i++)
        {
            long code = 0;
            for (int j = 0; j < 3; j++)
            {
                long label = labelTriples[i, j];
                if (label < 0 || label >= c)
                    throw new BreGanInputException($"Digit label {label} out of range [0, {c}) at row {i}");
                code = code * c + label;
            }
            counts[code] = counts.GetValueOrDefault(code) + 1;
        }

        double kl = 0;
        foreach (var count in counts.Values)
        {
            double q = (double)count / n;
            kl += q * Math.Log(q * modeCount);
        }
        return new ModeCoverageValues(counts.Count, kl);
    }

    /// <summary>Modes and KL to uniform from an [N, 3] integer tensor of predicted digits
    /// (one copy to the host; N·3 integers are cheap next to classifying N images).</summary>
    /// <inheritdoc cref="Compute(long[,], int)"/>
    public static ModeCoverageValues Compute(Tensor labelTriples, int classesPerDigit = 10)
    {
        ArgumentNullException.ThrowIfNull(labelTriples);
        if (labelTriples.dim() != 2 || labelTriples.shape[1] != 3 || labelTriples.shape[0] < 1)
            throw new BreGanInputException($"Mode coverage needs label triples [N, 3] with N >= 1, got [{string.Join(", ", labelTriples.shape)}]");
        if (labelTriples.is_floating_point() || labelTriples.is_complex() || labelTriples.dtype == ScalarType.Bool)
            throw new BreGanInputException($"Label triples must be integers, got {labelTriples.dtype}");

        using var scope = NewDisposeScope();
        var flat = labelTriples.detach().to(ScalarType.Int64).cpu().contiguous().data<long>().ToArray();
        var table = new long[labelTriples.shape[0], 3];
        Buffer.BlockCopy(flat, 0, table, 0, flat.Length * sizeof(long));
        return Compute(table, classesPerDigit);
    }
}
