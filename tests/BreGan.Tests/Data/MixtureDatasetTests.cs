using BreGan.Data;

namespace BreGan.Tests.Data;

public class MixtureDatasetTests
{
    [Fact]
    public void Ring8HasEightUnitCircleModesAtMultiplesOf45Degrees()
    {
        var ring = GaussianMixture2D.FromName("ring8");
        Assert.Equal("ring8", ring.Name);
        Assert.Equal(8, ring.Count);
        Assert.Equal(0.01, ring.Std);
        var m = ring.Means;
        // Hand values: 0°, 45°, 90°, 180°, 270°.
        double r = Math.Sqrt(0.5);
        AssertPoint(1, 0, m, 0);
        AssertPoint(r, r, m, 1);
        AssertPoint(0, 1, m, 2);
        AssertPoint(-1, 0, m, 4);
        AssertPoint(0, -1, m, 6);
        for (int k = 0; k < 8; k++)
            Assert.Equal(1.0, Math.Sqrt(m[k, 0] * m[k, 0] + m[k, 1] * m[k, 1]), 1e-12);
        Assert.Equal(1.0, ring.Scale, 1e-12);
        var e = ring.Extent;
        Assert.Equal(-1.29, e.MinX, 1e-12); Assert.Equal(1.29, e.MaxX, 1e-12);
        Assert.Equal(-1.29, e.MinY, 1e-12); Assert.Equal(1.29, e.MaxY, 1e-12);
    }

    [Fact]
    public void Grid25HasEveryPointOfTheEvenGrid()
    {
        var grid = GaussianMixture2D.FromName("GRID25");
        Assert.Equal(25, grid.Count);
        Assert.Equal(0.05, grid.Std);
        var m = grid.Means;
        var points = Enumerable.Range(0, 25).Select(k => (m[k, 0], m[k, 1])).ToHashSet();
        double[] axis = [-4, -2, 0, 2, 4];
        foreach (var x in axis)
            foreach (var y in axis)
                Assert.Contains((x, y), points);
        Assert.Equal(4.0, grid.Scale);
        var e = grid.Extent;
        Assert.Equal(-5.2, e.MinX, 1e-12); Assert.Equal(5.2, e.MaxY, 1e-12);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var ex = Assert.Throws<BreGanInputException>(() => GaussianMixture2D.FromName("x"));
        Assert.Equal("Unknown dataset 'x'; valid: ring8, grid25", ex.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    public void ConstructorRejectsNonPositiveStd(double std) =>
        Assert.Throws<BreGanInputException>(() => new GaussianMixture2D(new double[,] { { 0, 0 } }, std));

    [Fact]
    public void ConstructorRejectsNoMeansAndNon2DMeans()
    {
        Assert.Throws<BreGanInputException>(() => new GaussianMixture2D(new double[0, 2], 1));
        Assert.Throws<BreGanInputException>(() => new GaussianMixture2D(new double[,] { { 0, 0, 0 } }, 1));
        Assert.Throws<BreGanInputException>(() => new GaussianMixture2D(Array.Empty<(double, double)>(), 1));
    }

    [Fact]
    public void ListConstructorAndMeansTensorMatchTheTable()
    {
        var mix = new GaussianMixture2D([(1.5, -2), (3, 0.25)], 0.5, "two");
        Assert.Equal(2, mix.Count);
        Assert.Equal(3.0, mix.Scale);
        using var t = mix.MeansTensor(dtype: ScalarType.Float64);
        Assert.Equal(new long[] { 2, 2 }, t.shape);
        Assert.Equal(new[] { 1.5, -2, 3, 0.25 }, t.data<double>().ToArray());
    }

    [Fact]
    public void SampleIsReproducibleFromTheGeneratorAlone()
    {
        var ring = GaussianMixture2D.Ring8();
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var a = ring.Sample(64, new Generator(7, CPU));
        random.manual_seed(2); // the global RNG must not matter
        var b = ring.Sample(64, new Generator(7, CPU));
        var c = ring.Sample(64, new Generator(8, CPU));
        Assert.Equal(new long[] { 64, 2 }, a.shape);
        Assert.Equal(ScalarType.Float32, a.dtype);
        Assert.True(a.allclose(b, 0, 0));
        Assert.False(a.allclose(c, 0, 0));
        Assert.Equal(ScalarType.Float64, ring.Sample(3, new Generator(7, CPU), dtype: ScalarType.Float64).dtype);
        Assert.Equal(0, ring.Sample(0, new Generator(7, CPU)).shape[0]);
    }

    [Fact]
    public void SamplesHaveUniformComponentsAndTheRightSpread()
    {
        // Grid spacing 2 vs std 0.05: the nearest mode is the component that produced a sample.
        var grid = GaussianMixture2D.Grid25();
        const int n = 20000;
        double[] xy;
        using (var x = grid.Sample(n, new Generator(123, CPU), dtype: ScalarType.Float64))
            xy = x.data<double>().ToArray();

        var counts = new int[25];
        double sum = 0, sumSq = 0;
        for (int i = 0; i < n; i++)
        {
            double x0 = xy[2 * i], y0 = xy[2 * i + 1];
            double mx = Math.Round(x0 / 2) * 2, my = Math.Round(y0 / 2) * 2;
            Assert.InRange(Math.Abs(mx), 0, 4);
            Assert.InRange(Math.Abs(my), 0, 4);
            counts[(int)((mx + 4) / 2 * 5 + (my + 4) / 2)]++;
            sum += (x0 - mx) + (y0 - my);
            sumSq += (x0 - mx) * (x0 - mx) + (y0 - my) * (y0 - my);
        }
        // Binomial(20000, 1/25): mean 800, sd 27.7; 5 sd either side.
        foreach (var c in counts) Assert.InRange(c, 660, 940);
        Assert.InRange(sum / (2 * n), -0.002, 0.002);            // residual mean 0 (se 0.00025)
        Assert.InRange(Math.Sqrt(sumSq / (2 * n)), 0.0485, 0.0515); // residual std 0.05 (se 0.00025)
    }

    private static void AssertPoint(double x, double y, double[,] m, int k)
    {
        Assert.Equal(x, m[k, 0], 1e-12);
        Assert.Equal(y, m[k, 1], 1e-12);
    }
}
