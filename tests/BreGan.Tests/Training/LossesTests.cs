using BreGan.Training;

namespace BreGan.Tests.Training;

public class LossesTests
{
    static Tensor T(params double[] v) => tensor(v, dtype: ScalarType.Float64);
    static double V(Tensor t) => t.item<double>();
    static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void StandardAndNonSaturatingMatchFormulas()
    {
        using var real = T(0.5, -1.0);
        using var fake = T(2.0, -0.3);
        double d = (Softplus(-0.5) + Softplus(1.0)) / 2 + (Softplus(2.0) + Softplus(-0.3)) / 2;
        Assert.Equal(d, V(Losses.Discriminator("ns", real, fake)), 12);
        Assert.Equal(d, V(Losses.Discriminator("minimax", real, fake)), 12);
        // -log sigmoid(l) = softplus(-l); log(1 - sigmoid(l)) = -softplus(l)
        Assert.Equal((Softplus(-2.0) + Softplus(0.3)) / 2, V(Losses.Generator("ns", fake)), 12);
        Assert.Equal(-(Softplus(2.0) + Softplus(-0.3)) / 2, V(Losses.Generator("minimax", fake)), 12);
    }

    [Fact]
    public void WassersteinAndHingeMatchFormulas()
    {
        using var real = T(0.5, 2.0);
        using var fake = T(-2.0, 0.25);
        Assert.Equal((-2.0 + 0.25) / 2 - (0.5 + 2.0) / 2, V(Losses.Discriminator("wgan-gp", real, fake)), 12);
        Assert.Equal(((1 - 0.5) + 0) / 2 + (0 + (1 + 0.25)) / 2, V(Losses.Discriminator("hinge", real, fake)), 12);
        Assert.Equal(-(-2.0 + 0.25) / 2, V(Losses.Generator("hinge", fake)), 12);
        Assert.Equal(-(-2.0 + 0.25) / 2, V(Losses.Generator("wgan-gp", fake)), 12);
    }

    [Fact]
    public void UnknownLossListsChoices()
    {
        using var x = T(1.0);
        var e = Assert.Throws<BreGanInputException>(() => Losses.Discriminator("lsgan", x, x));
        Assert.Contains("valid: ns, minimax, wgan-gp, hinge", e.Message);
    }

    [Fact]
    public void GradientPenaltyOfALinearCriticAndItsGradient()
    {
        // D(x) = w . x has input gradient w everywhere: penalty = weight * (|w| - target)^2.
        using var w = T(3.0, 4.0).requires_grad_(true); // |w| = 5
        using var x = randn(new long[] { 6, 2 }, dtype: ScalarType.Float64).requires_grad_(true);
        var outputs = x.matmul(w);
        var gp = Losses.GradientPenalty(outputs, x, weight: 10, target: 1);
        Assert.Equal(10 * 16.0, V(gp), 9);
        // d gp / d w = weight * 2 (|w| - 1) * w / |w|
        gp.backward();
        var g = w.grad!.data<double>().ToArray();
        Assert.Equal(10 * 2 * 4 * 3 / 5.0, g[0], 9);
        Assert.Equal(10 * 2 * 4 * 4 / 5.0, g[1], 9);
    }

    [Fact]
    public void InterpolationPaperAndReferenceForms()
    {
        using var real = T(0.0, 10.0).reshape(2, 1);
        using var fake = T(1.0, 20.0).reshape(2, 1);
        using var a = T(0.25, 0.5);
        Assert.Equal(new[] { 0.25, 15.0 }, Losses.Interpolate(real, fake, a).data<double>().ToArray());
        Assert.Equal(new[] { -0.25, 5.0 }, Losses.Interpolate(real, fake, a, referenceVariant: true).data<double>().ToArray());
    }

    [Fact]
    public void ScheduleAnnealsLinearly()
    {
        var t = new TrainConfig { Lr = 1e-3, LrMin = 1e-5 };
        Assert.Equal(1e-3, Trainer.LearningRate(t, 0, 101), 15);
        Assert.Equal(1e-5, Trainer.LearningRate(t, 100, 101), 15);
        Assert.Equal((1e-3 + 1e-5) / 2, Trainer.LearningRate(t, 50, 101), 15);
        var b = new BreConfig { Weight = 2, DecayToZero = true };
        Assert.Equal(2.0, Trainer.BreWeight(b, 0, 100));
        Assert.Equal(1.0, Trainer.BreWeight(b, 50, 100));
        Assert.Equal(2.0, Trainer.BreWeight(b with { DecayToZero = false }, 50, 100));
    }
}
