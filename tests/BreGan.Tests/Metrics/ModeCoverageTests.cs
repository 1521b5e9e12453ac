using BreGan.Metrics;

namespace BreGan.Tests.Metrics;

public class ModeCoverageTests
{
    [Fact]
    public void HandMadeTriples()
    {
        var r = ModeCoverage.Compute(new long[,] { { 0, 0, 0 }, { 0, 0, 0 }, { 1, 2, 3 }, { 9, 9, 9 } });
        Assert.Equal(3, r.Modes);
        // q = (1/2, 1/4, 1/4) over 1000 modes
        Assert.Equal(0.5 * Math.Log(500) + 0.5 * Math.Log(250), r.Kl, 1e-12);
    }

    [Fact]
    public void OrderWithinATripleMatters()
    {
        var r = ModeCoverage.Compute(new long[,] { { 1, 2, 3 }, { 3, 2, 1 }, { 2, 1, 3 } });
        Assert.Equal(3, r.Modes);
        Assert.Equal(Math.Log(1000.0 / 3), r.Kl, 1e-12);
    }

    [Fact]
    public void OneModeHasLogOfAllModesAndEveryModeOnceHasZero()
    {
        var same = ModeCoverage.Compute(new long[,] { { 4, 5, 6 }, { 4, 5, 6 } });
        Assert.Equal(1, same.Modes);
        Assert.Equal(Math.Log(1000), same.Kl, 1e-12);

        var all = new long[1000, 3];
        for (int i = 0; i < 1000; i++) (all[i, 0], all[i, 1], all[i, 2]) = (i / 100, i / 10 % 10, i % 10);
        var every = ModeCoverage.Compute(all);
        Assert.Equal(1000, every.Modes);
        Assert.Equal(0.0, every.Kl, 1e-12);
    }

    [Fact]
    public void TensorInputAndOtherClassCounts()
    {
        // C = 2: 8 modes; 4 samples on 2 modes evenly, so KL = log(8 / 2).
        using var t = tensor(new long[,] { { 0, 1, 1 }, { 1, 1, 1 }, { 0, 1, 1 }, { 1, 1, 1 } }).to(ScalarType.Int32);
        var r = ModeCoverage.Compute(t, classesPerDigit: 2);
        Assert.Equal(2, r.Modes);
        Assert.Equal(Math.Log(4), r.Kl, 1e-12);
    }

    [Fact]
    public void RejectsOutOfRangeLabelsAndBadShapes()
    {
        Assert.Throws<BreGanInputException>(() => ModeCoverage.Compute(new long[,] { { 0, 10, 0 } }));
        Assert.Throws<BreGanInputException>(() => ModeCoverage.Compute(new long[,] { { 0, -1, 0 } }));
        Assert.Throws<BreGanInputException>(() => ModeCoverage.Compute(new long[,] { { 0, 1 } }));
        Assert.Throws<BreGanInputException>(() => ModeCoverage.Compute(new long[0, 3]));
        using var floats = zeros(2, 3);
        Assert.Throws<BreGanInputException>(() => ModeCoverage.Compute(floats));
    }
}
