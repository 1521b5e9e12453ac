using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// A GAN variant owns its D and G steps; the <see cref="Trainer"/> only loops, schedules and
/// calls back. Implementations keep every per-step tensor inside one dispose scope and never copy
/// to the host inside a step.
/// </summary>
public interface IGanVariant : IDisposable
{
    /// <summary>One update of D (or the critic).</summary>
    void DiscriminatorStep();
    /// <summary>One update of G.</summary>
    void GeneratorStep();
    /// <summary>Sets the learning rate of both optimizers (annealing).</summary>
    void SetLearningRate(double lr);
    /// <summary>The BRE weight in D's loss now (decay), or 0 for off.</summary>
    double BreWeight { get; set; }
    /// <summary>Detached scalar losses of the latest steps (d_loss, g_loss, bre), read only at logging steps.</summary>
    IReadOnlyDictionary<string, Tensor> LastLosses { get; }
    /// <summary>Named modules and optimizers (for checkpoints).</summary>
    IReadOnlyList<(string Name, nn.Module Module)> Modules { get; }
    IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers { get; }
    /// <summary>Named random streams (for exact resumes).</summary>
    IReadOnlyList<(string Name, Generator Generator)> RandomStreams { get; }
}

/// <summary>
/// The unsupervised GAN of the paper: non-saturating, minimax, WGAN-GP or hinge loss, with BRE
/// in D's loss on the fake, interpolated and/or real batches. It reuses the forward passes the
/// loss already needs: BRE on fake and real comes from the same D passes as the loss, and the
/// interpolated batch costs one extra D pass only when WGAN-GP does not already need it.
/// </summary>
public sealed class AdversarialGan : IGanVariant
{
    private readonly nn.Module<Tensor, Tensor> generator;
    private readonly nn.Module<Tensor, Tensor> discriminator;
    private readonly GanOptimizers optimizers;
    private readonly Func<int, Generator, Tensor> sampleReal;
    private readonly Func<int, Generator, Tensor> sampleNoise;
    private readonly LossConfig loss;
    private readonly BreConfig bre;
    private readonly int batchSize;
    private readonly Device device;
    private readonly BreCapture? capture;
    private readonly Generator noiseStream, dataStream, interpolationStream;
    private readonly LatestLosses last = new();

    /// <param name="generator">G: noise [B, ...] to samples.</param>
    /// <param name="discriminator">D: samples to one logit (or critic value) per point [B, 1].</param>
    /// <param name="sampleReal">Draws a real batch of the given size on the device from the stream.</param>
    /// <param name="sampleNoise">Draws G's noise of the given batch size on the device from the stream.</param>
    /// <param name="config">The loss, BRE and optimiser settings (loss.*, bre.*, train.*).</param>
    /// <param name="device">Where the models and batches live.</param>
    public AdversarialGan(
        nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> discriminator,
        Func<int, Generator, Tensor> sampleReal, Func<int, Generator, Tensor> sampleNoise,
        ExperimentConfig config, Device device)
    {
        this.generator = generator;
        this.discriminator = discriminator;
        this.sampleReal = sampleReal;
        this.sampleNoise = sampleNoise;
        this.device = device;
        loss = config.Loss;
        bre = config.Bre;
        batchSize = config.Train.BatchSize;
        var t = config.Train;
        optimizers = new GanOptimizers(generator, discriminator, t);
        BreWeight = bre.Weight;
        // Only hook D when BRE is in the loss: a baseline runs with no hooks at all.
        if (bre.Weight > 0 && (bre.OnFake || bre.OnInterpolated || bre.OnReal))
            capture = BreCapture.Attach(discriminator, BrePlacement.Parse(bre.Placement), bre.ToOptions());
        var cpu = new Device("cpu");
        noiseStream = new Generator((ulong)(t.Seed * 7919 + 1), cpu);
        dataStream = new Generator((ulong)(t.Seed * 7919 + 2), cpu);
        interpolationStream = new Generator((ulong)(t.Seed * 7919 + 3), cpu);
    }

    /// <summary>The usual wiring: G's noise is standard Gaussian of model.noise_dim dimensions.</summary>
    public static AdversarialGan WithGaussianNoise(
        nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> discriminator,
        Func<int, Generator, Tensor> sampleReal, ExperimentConfig config, Device device)
    {
        int nz = config.Model.NoiseDim;
        return new AdversarialGan(generator, discriminator, sampleReal,
            (n, gen) => randn(new long[] { n, nz }, generator: gen).to(device), config, device);
    }

    public double BreWeight { get; set; }

    public IReadOnlyDictionary<string, Tensor> LastLosses => last.Values;

    public IReadOnlyList<(string Name, nn.Module Module)> Modules => new (string, nn.Module)[] { ("generator", generator), ("discriminator", discriminator) };

    public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers => optimizers.Named;

    public IReadOnlyList<(string Name, Generator Generator)> RandomStreams => new[] { ("noise", noiseStream), ("data", dataStream), ("interpolation", interpolationStream) };

    /// <summary>The capture that feeds BRE in D's loss (null when BRE is off).</summary>
    public BreCapture? Capture => capture;

    bool BreOn => capture is not null && BreWeight > 0;

    public void DiscriminatorStep()
    {
        using var scope = NewDisposeScope();
        generator.train();
        discriminator.train();
        var real = sampleReal(batchSize, dataStream);
        Tensor fake;
        using (no_grad()) fake = generator.call(sampleNoise(batchSize, noiseStream));

        Tensor? breSum = null;
        void AddBre(bool selected)
        {
            if (!selected || capture is null) return;
            using var terms = capture.Compute();
            breSum = breSum is null ? terms.Total.alias() : breSum + terms.Total;
        }
        void Capture(bool on) { if (capture is not null) capture.Enabled = on; }

        Capture(BreOn && bre.OnReal);
        var realOut = discriminator.call(real);
        AddBre(BreOn && bre.OnReal);

        Capture(BreOn && bre.OnFake);
        var fakeOut = discriminator.call(fake);
        AddBre(BreOn && bre.OnFake);

        var dLoss = Losses.Discriminator(loss.Kind, realOut, fakeOut);
        bool gp = loss.Kind == "wgan-gp";
        if (gp || (BreOn && bre.OnInterpolated))
        {
            var alpha = rand(new long[] { batchSize }, generator: interpolationStream).to(real.dtype).to(device);
            var interpolated = Losses.Interpolate(real, fake, alpha, bre.Interpolation == "reference").detach().requires_grad_(gp);
            Capture(BreOn && bre.OnInterpolated);
            var interpolatedOut = discriminator.call(interpolated);
            AddBre(BreOn && bre.OnInterpolated);
            if (gp) dLoss = dLoss + Losses.GradientPenalty(interpolatedOut, interpolated, loss.GpWeight, loss.GpTarget);
        }
        Capture(false);

        var total = breSum is null ? dLoss : dLoss + breSum * BreWeight;
        optimizers.UpdateDiscriminator(total);
        last.Keep("d_loss", dLoss);
        last.Keep("bre", breSum ?? zeros_like(dLoss));
    }

    public void GeneratorStep()
    {
        using var scope = NewDisposeScope();
        generator.train();
        discriminator.train();
        if (capture is not null) capture.Enabled = false;
        var fakeOut = discriminator.call(generator.call(sampleNoise(batchSize, noiseStream)));
        var gLoss = Losses.Generator(loss.Kind, fakeOut);
        optimizers.UpdateGenerator(gLoss);
        last.Keep("g_loss", gLoss);
    }

    public void SetLearningRate(double lr) => optimizers.SetLearningRate(lr);

    public void Dispose()
    {
        capture?.Dispose();
        last.Dispose();
        optimizers.Dispose();
        noiseStream.Dispose();
        dataStream.Dispose();
        interpolationStream.Dispose();
    }
}
