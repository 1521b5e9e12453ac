using BreGan.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>The three batches of one semi-supervised iteration, on the device, scaled for the model.</summary>
public interface ISslBatchSource
{
    /// <summary>Labelled images [B, C, H, W] and their labels [B] (int64).</summary>
    (Tensor Images, Tensor Labels) Labeled();
    /// <summary>Unlabelled real images for D's unsupervised loss.</summary>
    Tensor Unlabeled();
    /// <summary>Unlabelled real images (another order) for G's feature matching.</summary>
    Tensor ForGenerator();
}

/// <summary>
/// The semi-supervised feature-matching GAN of Salimans et al. 2016, with BRE. D minimises
/// <c>supervised + unlabeled_weight * unsupervised + w_BRE * (R_BRE(unlabelled real) + R_BRE(fake))</c>
/// (see <see cref="SslLosses"/>); BRE is taken on the batches that bre.on_real (the unlabelled real
/// batch) and bre.on_fake select, never on the labelled batch, from the same D passes as the loss.
/// G minimises the feature-matching loss on D's penultimate features. G's noise is U(0, 1).
/// </summary>
public sealed class FeatureMatchingGan : IGanVariant
{
    private readonly SslGenerator generator;
    private readonly SslDiscriminator discriminator;
    private readonly ISslBatchSource batches;
    private readonly GanOptimizers optimizers;
    private readonly BreConfig bre;
    private readonly SslConfig ssl;
    private readonly int batchSize;
    private readonly Device device;
    private readonly BreCapture? capture;
    private readonly Generator noiseStream;
    private readonly LatestLosses last = new(ScalarType.Float32);

    public FeatureMatchingGan(SslGenerator generator, SslDiscriminator discriminator, ISslBatchSource batches,
        ExperimentConfig config, Device device)
    {
        this.generator = generator;
        this.discriminator = discriminator;
        this.batches = batches;
        this.device = device;
        bre = config.Bre;
        ssl = config.Ssl ?? throw new BreGanInputException("An SSL run needs the config section 'ssl'.");
        batchSize = config.Train.BatchSize;
        var t = config.Train;
        optimizers = new GanOptimizers(generator, discriminator, t);
        BreWeight = bre.Weight;
        if (bre.Weight > 0 && (bre.OnReal || bre.OnFake))
        {
            capture = BreCapture.Attach(discriminator, BrePlacement.Parse(bre.Placement), bre.ToOptions());
            capture.Enabled = false;
        }
        noiseStream = new Generator((ulong)(t.Seed * 7919 + 11), new Device("cpu"));
    }

    public double BreWeight { get; set; }

    public IReadOnlyDictionary<string, Tensor> LastLosses => last.Values;

    public IReadOnlyList<(string Name, nn.Module Module)> Modules => new (string, nn.Module)[] { ("generator", generator), ("discriminator", discriminator) };

    public IReadOnlyList<(string Name, TorchSharp.Modules.OptimizerHelper Optimizer)> Optimizers => optimizers.Named;

    public IReadOnlyList<(string Name, Generator Generator)> RandomStreams => new[] { ("noise", noiseStream) };

    /// <summary>The capture that feeds BRE in D's loss (null when BRE is off).</summary>
    public BreCapture? Capture => capture;

    /// <summary>G's noise: U(0, 1) of G's noise dimension, on the device.</summary>
    public Tensor Noise(int n, Generator? stream = null) =>
        rand(new long[] { n, generator.NoiseDim }, generator: stream ?? noiseStream).to(device);

    bool BreOn => capture is not null && BreWeight > 0;

    public void DiscriminatorStep()
    {
        using var scope = NewDisposeScope();
        generator.train();
        discriminator.train();
        var (labeled, labels) = batches.Labeled();
        var unlabeled = batches.Unlabeled();
        Tensor fake;
        using (no_grad()) fake = generator.call(Noise(batchSize));

        Tensor? breSum = null;
        Tensor Pass(Tensor x, bool withBre)
        {
            bool on = withBre && BreOn;
            if (capture is not null) capture.Enabled = on;
            var logits = discriminator.call(x);
            if (capture is not null) capture.Enabled = false;
            if (on)
            {
                using var terms = capture!.Compute();
                breSum = breSum is null ? terms.Total.alias() : breSum + terms.Total;
            }
            return logits;
        }

        var labeledLogits = Pass(labeled, false);
        var unlabeledLogits = Pass(unlabeled, bre.OnReal);
        var fakeLogits = Pass(fake, bre.OnFake);
        var lossLab = SslLosses.Supervised(labeledLogits, labels);
        var lossUnl = SslLosses.Unsupervised(unlabeledLogits, fakeLogits);
        var dLoss = lossLab + lossUnl * ssl.UnlabeledWeight;
        var total = breSum is null ? dLoss : dLoss + breSum * BreWeight;
        optimizers.UpdateDiscriminator(total);
        last.Keep("d_loss", dLoss);
        last.Keep("loss_lab", lossLab);
        last.Keep("loss_unl", lossUnl);
        last.Keep("bre", breSum ?? zeros_like(dLoss));
        last.Keep("train_err", SslLosses.ErrorRate(labeledLogits, labels));
    }

    public void GeneratorStep()
    {
        using var scope = NewDisposeScope();
        generator.train();
        discriminator.train();
        if (capture is not null) capture.Enabled = false;
        Tensor realFeatures;
        using (no_grad()) realFeatures = discriminator.Features(batches.ForGenerator());
        var fakeFeatures = discriminator.Features(generator.call(Noise(batchSize)));
        var gLoss = SslLosses.FeatureMatching(realFeatures, fakeFeatures, ssl.FeatureMatching);
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
    }
}
