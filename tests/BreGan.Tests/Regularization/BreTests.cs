using BreGan;

namespace BreGan.Tests.Regularization;

public class BreTests
{
    static readonly BreOptions Exact = new() { Epsilon = 0, Margin = 1 };

    static Tensor Rows(double[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length }, dtype: ScalarType.Float64);

    static double Value(Tensor t) => t.to(ScalarType.Float64).item<double>();

    [Fact]
    public void MarginalEntropyAndCorrelationMatchHandComputation()
    {
        // Signs (eps = 0): unit means (1, 0) -> ME = (1 + 0) / 2; correlation (1 - 1)/2 = 0.
        using var h = Rows(new[] { new[] { 2.0, -1.0 }, new[] { 0.5, 3.0 } });
        using var terms = Bre.Compute(new[] { h }, Exact);
        Assert.Equal(0.5, Value(terms.MarginalEntropy), 12);
        Assert.Equal(0.0, Value(terms.ActivationCorrelation), 12);
        Assert.Equal(0.5, Value(terms.Total), 12);
    }

    [Fact]
    public void CorrelationIsThresholdedByMarginOverSqrtD()
    {
        // d = 4: rows 0 and 1 identical (C = 1), row 2 orthogonal to both (C = 0).
        var rows = new[] { new[] { 1.0, 1, 1, 1 }, new[] { 1.0, 1, 1, 1 }, new[] { 1.0, -1, 1, -1 } };
        using var h = Rows(rows);
        // Margin 1: threshold 1/sqrt(4) = 0.5, so A01 = A10 = 0.5; 6 ordered pairs -> AC = 1/6.
        using (var t = Bre.Compute(new[] { h }, Exact))
        {
            Assert.Equal(1.0 / 6, Value(t.ActivationCorrelation), 12);
            Assert.Equal(5.0 / 9, Value(t.MarginalEntropy), 12); // unit means 1, 1/3, 1, 1/3
        }
        // Margin 1.5: threshold 0.75 -> A01 = 0.25 -> AC = 0.5 / 6.
        using (var t = Bre.Compute(new[] { h }, Exact with { Margin = 1.5 }))
            Assert.Equal(0.5 / 6, Value(t.ActivationCorrelation), 12);
        // Margin 2: threshold 1 -> nothing is penalised.
        using (var t = Bre.Compute(new[] { h }, Exact with { Margin = 2 }))
            Assert.Equal(0.0, Value(t.ActivationCorrelation), 12);
        // A pair correlated at 0.5 sits exactly at the margin-1 threshold: not penalised.
        using var h2 = Rows(new[] { new[] { 1.0, 1, 1, 1 }, new[] { 1.0, 1, 1, -1 } });
        using (var t = Bre.Compute(new[] { h2 }, Exact))
            Assert.Equal(0.0, Value(t.ActivationCorrelation), 12);
    }

    [Fact]
    public void DefaultEpsilonSoftensTheSignRelativeToMeanAbs()
    {
        // |h| = 1 everywhere: mean|h| = 1, s = +-1 / 1.001.
        using var h = Rows(new[] { new[] { 1.0, 1, 1, 1 }, new[] { 1.0, 1, 1, 1 } });
        using var t = Bre.Compute(new[] { h });
        double s = 1 / 1.001;
        Assert.Equal(s * s, Value(t.MarginalEntropy), 12);
        // Margin 3 on d = 4 gives a threshold of 1.5 > |C|: nothing is penalised.
        Assert.Equal(0.0, Value(t.ActivationCorrelation), 12);
    }

    [Fact]
    public void LayersAreAveragedAndConvLayersFlattened()
    {
        var gen = new Generator(7);
        using var dense = randn(new long[] { 5, 7 }, dtype: ScalarType.Float64, generator: gen);
        using var conv = randn(new long[] { 5, 2, 3, 3 }, dtype: ScalarType.Float64, generator: gen);
        var o = new BreOptions { Margin = 1 };
        using var a = Bre.Compute(new[] { dense }, o);
        using var b = Bre.Compute(new[] { conv.reshape(5, 18) }, o);
        using var both = Bre.Compute(new[] { dense, conv }, o);
        Assert.Equal((Value(a.MarginalEntropy) + Value(b.MarginalEntropy)) / 2, Value(both.MarginalEntropy), 12);
        Assert.Equal((Value(a.ActivationCorrelation) + Value(b.ActivationCorrelation)) / 2, Value(both.ActivationCorrelation), 12);
        Assert.True(Value(both.ActivationCorrelation) > 0, "random codes at margin 1 should leave some correlation above threshold");
    }

    [Fact]
    public void AgreesWithAnIndependentScalarImplementation()
    {
        var gen = new Generator(11);
        using var h = randn(new long[] { 6, 9 }, dtype: ScalarType.Float64, generator: gen);
        var o = new BreOptions { Epsilon = 0.3, Margin = 1 };
        using var t = Bre.Compute(new[] { h }, o);
        var x = ToArray(h);
        var (me, ac) = Reference(x, o.Epsilon * MeanAbs(x), o.Margin);
        Assert.Equal(me, Value(t.MarginalEntropy), 12);
        Assert.Equal(ac, Value(t.ActivationCorrelation), 12);
    }

    [Fact]
    public void ScaleInvariant()
    {
        var gen = new Generator(3);
        using var h = randn(new long[] { 8, 2, 4, 4 }, generator: gen);
        using var h2 = randn(new long[] { 8, 20 }, generator: gen);
        using var a = Bre.Compute(new[] { h, h2 });
        using var scaledH = h * 1000;
        using var scaledH2 = h2 * 1000;
        using var b = Bre.Compute(new[] { scaledH, scaledH2 });
        Assert.Equal(Value(a.MarginalEntropy), Value(b.MarginalEntropy), 5);
        Assert.Equal(Value(a.ActivationCorrelation), Value(b.ActivationCorrelation), 5);
        Assert.True(Value(a.Total) > 0);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesWithEpsilonTermHeldConstant()
    {
        var gen = new Generator(5);
        using var h0 = randn(new long[] { 4, 6 }, dtype: ScalarType.Float64, generator: gen);
        using var h = h0.clone().requires_grad_(true);
        var o = new BreOptions { Epsilon = 0.5, Margin = 1 };
        using var t = Bre.Compute(new[] { h }, o);
        t.Total.backward();
        var analytic = ToArray(h.grad!);

        var x = ToArray(h0);
        double offset = o.Epsilon * MeanAbs(x); // a constant, as the spec says
        double step = 1e-6, worst = 0;
        var freeGradient = new double[4, 6]; // if the offset were differentiated too
        for (int i = 0; i < 4; i++)
            for (int k = 0; k < 6; k++)
            {
                var plus = (double[,])x.Clone(); plus[i, k] += step;
                var minus = (double[,])x.Clone(); minus[i, k] -= step;
                var (mp, ap) = Reference(plus, offset, o.Margin);
                var (mm, am) = Reference(minus, offset, o.Margin);
                double numeric = (mp + ap - mm - am) / (2 * step);
                worst = Math.Max(worst, Math.Abs(numeric - analytic[i, k]));
                var (fp, gp) = Reference(plus, o.Epsilon * MeanAbs(plus), o.Margin);
                var (fm, gm) = Reference(minus, o.Epsilon * MeanAbs(minus), o.Margin);
                freeGradient[i, k] = (fp + gp - fm - gm) / (2 * step);
            }
        Assert.True(worst < 1e-6, $"max |finite difference - autograd| = {worst}");
        // No gradient through eps * mean|h|: differentiating it as well gives a different gradient.
        double difference = 0;
        for (int i = 0; i < 4; i++) for (int k = 0; k < 6; k++) difference = Math.Max(difference, Math.Abs(freeGradient[i, k] - analytic[i, k]));
        Assert.True(difference > 1e-3, $"the epsilon term should be detached; gradients differ by only {difference}");
    }

    [Fact]
    public void NoGradientFlowsThroughTheEpsilonTerm()
    {
        // d s / d h for a single entry of a 2x1 input: with the offset detached, the derivative of
        // s_0 with respect to h_1 is exactly zero (s_0 depends on h_1 only through mean|h|).
        using var h = tensor(new[] { 1.0, 3.0 }, new long[] { 2, 1 }, dtype: ScalarType.Float64).requires_grad_(true);
        using var s = Bre.SoftSigns(h, new BreOptions { Epsilon = 1 });
        s[0, 0].backward();
        var g = ToArray(h.grad!);
        Assert.Equal(0.0, g[1, 0], 15);
        // And d s_0 / d h_0 = offset / (|h0| + offset)^2 with offset = 1 * mean(1, 3) = 2.
        Assert.Equal(2.0 / 9, g[0, 0], 12);
    }

    [Fact]
    public void DifferentiableInFloat32()
    {
        using var h = randn(new long[] { 8, 16 }, generator: new Generator(1)).requires_grad_(true);
        using var t = Bre.Compute(new[] { h }, new BreOptions { Margin = 1 });
        Assert.Equal(ScalarType.Float32, t.Total.dtype);
        t.Total.backward();
        Assert.True(h.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void AllZeroLayerGivesFiniteZeroCodes()
    {
        using var h = zeros(4, 5, requires_grad: true);
        using var t = Bre.Compute(new[] { h });
        Assert.Equal(0.0, Value(t.Total));
        t.Total.backward();
        Assert.True(isfinite(h.grad!).all().item<bool>());
        using var tanhTerms = Bre.Compute(new[] { h }, new BreOptions { Binarizer = BreBinarizer.Tanh });
        Assert.Equal(0.0, Value(tanhTerms.Total));
    }

    [Fact]
    public void TanhBinarizerUsesTanh()
    {
        using var h = Rows(new[] { new[] { 0.5, -0.2 }, new[] { 0.1, 0.4 } });
        using var s = Bre.SoftSigns(h, new BreOptions { Binarizer = BreBinarizer.Tanh });
        Assert.Equal(Math.Tanh(-0.2), s[0, 1].item<double>(), 12);
        using var t = Bre.Compute(new[] { h }, new BreOptions { Binarizer = BreBinarizer.Tanh, Margin = 1 });
        double m0 = (Math.Tanh(0.5) + Math.Tanh(0.1)) / 2, m1 = (Math.Tanh(-0.2) + Math.Tanh(0.4)) / 2;
        Assert.Equal((m0 * m0 + m1 * m1) / 2, Value(t.MarginalEntropy), 12);
    }

    [Fact]
    public void BadInputsNameTheProblem()
    {
        using var ok = ones(4, 3);
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => Bre.Compute(Array.Empty<Tensor>())).Message);
        using var one = ones(1, 3);
        Assert.Contains("B must be >= 2", Assert.Throws<ArgumentException>(() => Bre.Compute(new[] { one })).Message);
        using var other = ones(5, 3);
        Assert.Contains("different batch sizes", Assert.Throws<ArgumentException>(() => Bre.Compute(new[] { ok, other })).Message);
        Assert.Contains("margin", Assert.Throws<ArgumentException>(() => Bre.Compute(new[] { ok }, new BreOptions { Margin = 0.5 })).Message);
        Assert.Contains("epsilon", Assert.Throws<ArgumentException>(() => Bre.Compute(new[] { ok }, new BreOptions { Epsilon = -1 })).Message);
        using var vector = ones(4);
        Assert.Contains("at least 2 dimensions", Assert.Throws<ArgumentException>(() => Bre.Compute(new[] { vector })).Message);
    }

    [Fact]
    public void MonitorsMatchDefinitions()
    {
        var rows = new[] { new[] { 1.0, 1, 1, 1 }, new[] { 1.0, 1, 1, 1 }, new[] { 1.0, -1, 1, -1 } };
        using var h = Rows(rows);
        var m = Bre.Monitor(new[] { h }, Exact);
        Assert.Equal(0.0, m.CorrelationMin, 12);
        Assert.Equal(1.0, m.CorrelationMax, 12);
        Assert.Equal(1.0 / 3, m.CorrelationMean, 12);   // off-diagonal: 1, 1, 0, 0, 0, 0
        Assert.Equal(1.0, m.MeanAbsSoftSign, 12);
        Assert.Equal(1.0, m.SaturationAbove099, 12);
        Assert.Equal(1.0 / 6, m.ActivationCorrelation, 12);
        // Half the entries small: 0.5 / (0.5 + 0) = 1 with eps = 0, so use eps to soften.
        using var soft = Rows(new[] { new[] { 1.0, 0.001 }, new[] { 1.0, 0.001 } });
        var ms = Bre.Monitor(new[] { soft }, new BreOptions { Epsilon = 0.01 });
        Assert.Equal(0.5, ms.SaturationAbove09, 12);
    }

    [Fact]
    public void ComputeLeavesNoLiveTensors()
    {
        using var h = randn(16, 32).requires_grad_(true);
        using var c = randn(16, 4, 4, 4).requires_grad_(true);
        var inputs = new[] { h, c };
        for (int warm = 0; warm < 3; warm++) { using var s0 = NewDisposeScope(); Bre.Compute(inputs).Total.backward(); }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 50; i++)
        {
            using var terms = Bre.Compute(inputs);
            Bre.Monitor(inputs);
        }
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    // ---- an independent scalar implementation of the spec, for the checks above ----

    static double[,] ToArray(Tensor t)
    {
        var flat = t.detach().to(ScalarType.Float64).contiguous().data<double>().ToArray();
        int rows = (int)t.shape[0], cols = flat.Length / rows;
        var a = new double[rows, cols];
        for (int i = 0; i < rows; i++) for (int k = 0; k < cols; k++) a[i, k] = flat[i * cols + k];
        return a;
    }

    static double MeanAbs(double[,] x)
    {
        double s = 0;
        foreach (var v in x) s += Math.Abs(v);
        return s / x.Length;
    }

    static (double Me, double Ac) Reference(double[,] h, double offset, double margin)
    {
        int b = h.GetLength(0), d = h.GetLength(1);
        var s = new double[b, d];
        for (int i = 0; i < b; i++) for (int k = 0; k < d; k++) s[i, k] = h[i, k] / (Math.Abs(h[i, k]) + offset);
        double me = 0;
        for (int k = 0; k < d; k++)
        {
            double m = 0;
            for (int i = 0; i < b; i++) m += s[i, k] / b;
            me += m * m / d;
        }
        double ac = 0;
        for (int i = 0; i < b; i++)
            for (int j = 0; j < b; j++)
            {
                if (i == j) continue;
                double c = 0;
                for (int k = 0; k < d; k++) c += s[i, k] * s[j, k] / d;
                ac += Math.Max(0, Math.Abs(c) - margin / Math.Sqrt(d));
            }
        return (me, ac / (b * (b - 1)));
    }
}
