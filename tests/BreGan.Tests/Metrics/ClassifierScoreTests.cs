using BreGan.Metrics;

namespace BreGan.Tests.Metrics;

public class ClassifierScoreTests
{
    private static double Score(double[,] p)
    {
        using var t = tensor(p);
        return ClassifierScore.Compute(t);
    }

    [Fact]
    public void IdenticalRowsScoreOne() =>
        Assert.Equal(1.0, Score(new double[,] { { 0.2, 0.3, 0.5 }, { 0.2, 0.3, 0.5 }, { 0.2, 0.3, 0.5 } }), 1e-12);

    [Fact]
    public void ConfidentEvenlySpreadRowsScoreK()
    {
        var p = new double[8, 4];
        for (int i = 0; i < 8; i++) p[i, i % 4] = 1; // one-hot, each class twice
        Assert.Equal(4.0, Score(p), 1e-12);
    }

    [Fact]
    public void ConfidentRowsOnFewerClassesScoreTheirCount()
    {
        var p = new double[6, 5];
        for (int i = 0; i < 6; i++) p[i, i % 2] = 1; // two of five classes used
        Assert.Equal(2.0, Score(p), 1e-12);
    }

    [Fact]
    public void HandComputedMixedCase()
    {
        // p(y) = (3/4, 1/4); KL1 = ln(4/3); KL2 = ½ ln(2/3) + ½ ln 2 = ½ ln(4/3); mean = ¾ ln(4/3).
        Assert.Equal(Math.Pow(4.0 / 3, 0.75), Score(new double[,] { { 1, 0 }, { 0.5, 0.5 } }), 1e-12);
    }

    [Fact]
    public void AcceptsFloat32Softmax()
    {
        using var p = tensor(new float[,] { { 1, 0 }, { 0.5f, 0.5f } });
        Assert.Equal(Math.Pow(4.0 / 3, 0.75), ClassifierScore.Compute(p), 1e-6);
    }

    [Fact]
    public void RejectsLogitsNegativesAndBadShapes()
    {
        Assert.Throws<BreGanInputException>(() => Score(new double[,] { { 2.0, -1.0 }, { 0.3, 0.1 } }));
        Assert.Throws<BreGanInputException>(() => Score(new double[,] { { 1.5, -0.5 } }));
        using var flat = ones(3);
        Assert.Throws<BreGanInputException>(() => ClassifierScore.Compute(flat));
    }
}
