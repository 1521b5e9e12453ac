using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace BreGan.Models;

// ---------------------------------------------------------------------------------------------
// The networks of Salimans et al. 2016's feature-matching GAN for semi-supervised learning
// (reference: openai/improved-gan, mnist_svhn_cifar10/train_{mnist,cifar,svhn}_feature_matching.py).
// D outputs K class logits; "real" is read from log sum exp of them (the K+1-th logit is fixed at
// 0). Every rectifier is its own module, called through call(), so BreCapture hooks see each
// rectified layer's pre-activation, in call order.
// ---------------------------------------------------------------------------------------------

/// <summary>A K-class discriminator whose penultimate features feed G's feature matching.</summary>
public abstract class SslDiscriminator : nn.Module<Tensor, Tensor>
{
    protected SslDiscriminator(string name) : base(name) { }

    /// <summary>Number of classes K (logits per point).</summary>
    public abstract int Classes { get; }

    /// <summary>The features G matches (the reference's layer before the classifier), [B, F].</summary>
    public abstract Tensor Features(Tensor x);

    /// <summary>K logits [B, K] from <see cref="Features"/>.</summary>
    public abstract Tensor Classify(Tensor features);

    /// <summary>The reference's data-dependent initialisation of the weight-normalised layers
    /// from one batch of training images (no gradient; noise and dropout as in training).</summary>
    public abstract void InitializeFromData(Tensor x);

    // No dispose scope inside D's passes: BRE's hooks keep aliases of pre-activations made here,
    // which must live until the caller's step scope ends.
    public override Tensor forward(Tensor x) => Classify(Features(x));
}

/// <summary>G for the SSL presets: uniform noise in, images out.</summary>
public abstract class SslGenerator : nn.Module<Tensor, Tensor>
{
    protected SslGenerator(string name) : base(name) { }

    /// <summary>Dimension of the uniform noise z.</summary>
    public abstract int NoiseDim { get; }

    /// <summary>Data-dependent initialisation of weight-normalised layers from one noise batch (no-op if none has it).</summary>
    public virtual void InitializeFromData(Tensor z) { }
}

/// <summary>
/// The reference's MNIST D: Gaussian noise (std 0.3) on the input, then 5 weight-normalised dense
/// layers of widths w, w/2, w/4, w/4, w/4 (reference w = 1000: 1000-500-250-250-250), each
/// followed by a ReLU and Gaussian noise (std 0.5), then a weight-normalised dense layer to K
/// logits. Hidden scales g are fixed (set only by data-dependent init); the output's is trained.
/// Directions v ~ N(0, 0.1). Features = the last ReLU's output (before its noise).
/// </summary>
public sealed class FmMlpDiscriminator : SslDiscriminator
{
    private readonly GaussianNoise inputNoise;
    private readonly ModuleList<WeightNormLinear> layers;
    private readonly ModuleList<ReLU> rectifiers;
    private readonly ModuleList<GaussianNoise> noises;
    private readonly WeightNormLinear output;
    private readonly int classes;

    public FmMlpDiscriminator(int inputs, int width = 1000, int classes = 10, double inputNoise = 0.3, double hiddenNoise = 0.5)
        : base(nameof(FmMlpDiscriminator))
    {
        if (width < 4) throw new ArgumentException($"FmMlpDiscriminator width must be >= 4, got {width}.");
        var widths = Widths(width);
        this.inputNoise = new GaussianNoise(inputNoise);
        layers = new ModuleList<WeightNormLinear>();
        rectifiers = new ModuleList<ReLU>();
        noises = new ModuleList<GaussianNoise>();
        int previous = inputs;
        foreach (var w in widths)
        {
            layers.Add(new WeightNormLinear(previous, w, trainScale: false, directionStd: 0.1));
            rectifiers.Add(nn.ReLU());
            noises.Add(new GaussianNoise(hiddenNoise));
            previous = w;
        }
        output = new WeightNormLinear(previous, classes, trainScale: true, directionStd: 0.1);
        this.classes = classes;
        RegisterComponents();
    }

    /// <summary>Hidden widths for base width w: w, w/2, w/4, w/4, w/4.</summary>
    public static int[] Widths(int width) => new[] { width, width / 2, width / 4, width / 4, width / 4 };

    public override int Classes => classes;

    public override Tensor Features(Tensor x)
    {
        var h = inputNoise.call(x.reshape(x.shape[0], -1));
        for (int i = 0; i < layers.Count; i++)
        {
            if (i > 0) h = noises[i - 1].call(h);
            h = rectifiers[i].call(layers[i].call(h));
        }
        return h;
    }

    public override Tensor Classify(Tensor features) => output.call(noises[^1].call(features));

    public override void InitializeFromData(Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var h = inputNoise.call(x.reshape(x.shape[0], -1));
        for (int i = 0; i < layers.Count; i++)
            h = noises[i].call(F.relu(layers[i].InitializeFromData(h)));
        output.InitializeFromData(h);
    }
}

/// <summary>
/// The reference's MNIST G: uniform z (100) -> dense 500, batch norm (shift only), softplus ->
/// dense 500, batch norm, softplus -> weight-normalised dense to the image (trained scale), sigmoid.
/// Output in [0, 1], shape [B, C, H, W]. Dense weights Glorot-uniform (Lasagne's default).
/// </summary>
public sealed class FmMlpGenerator : SslGenerator
{
    private readonly Linear fc1, fc2;
    private readonly BatchNorm1d bn1, bn2;
    private readonly Parameter shift1, shift2;
    private readonly WeightNormLinear output;
    private readonly long[] imageShape;
    private readonly int noiseDim;

    public FmMlpGenerator(long[] imageShape, int noiseDim = 100, int width = 500) : base(nameof(FmMlpGenerator))
    {
        this.imageShape = imageShape;
        this.noiseDim = noiseDim;
        long pixels = imageShape.Aggregate(1L, (a, b) => a * b);
        fc1 = nn.Linear(noiseDim, width, hasBias: false);
        bn1 = nn.BatchNorm1d(width, eps: 1e-6, affine: false);
        shift1 = new Parameter(zeros(width));
        fc2 = nn.Linear(width, width, hasBias: false);
        bn2 = nn.BatchNorm1d(width, eps: 1e-6, affine: false);
        shift2 = new Parameter(zeros(width));
        output = new WeightNormLinear(width, pixels, trainScale: true, directionStd: 0);
        using (no_grad()) { nn.init.xavier_uniform_(fc1.weight); nn.init.xavier_uniform_(fc2.weight); }
        RegisterComponents();
    }

    public override int NoiseDim => noiseDim;

    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        var h = F.softplus(bn1.call(fc1.call(z)) + shift1);
        h = F.softplus(bn2.call(fc2.call(h)) + shift2);
        var shape = new long[] { z.shape[0] }.Concat(imageShape).ToArray();
        return output.call(h).sigmoid().reshape(shape).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// The reference's CIFAR-10 / SVHN D, with c = base width (CIFAR-10 96, SVHN 64): dropout 0.2 on
/// the input; three 3x3 weight-normalised convs of c channels (the third stride 2), dropout 0.5;
/// three of 2c (the third stride 2), dropout 0.5; a 3x3 conv of 2c without padding and two 1x1
/// ("NIN") convs of 2c; every conv followed by LeakyReLU 0.2 (9 rectified layers); global mean
/// pooling (the features); a weight-normalised dense layer to K logits (trained scale, init std
/// 0.1). Directions v ~ N(0, 0.05).
/// </summary>
public sealed class FmConvDiscriminator : SslDiscriminator
{
    private readonly Dropout inputDropout;
    private readonly ModuleList<WeightNormConv2d> convs;
    private readonly ModuleList<LeakyReLU> rectifiers;
    private readonly ModuleList<Dropout> dropouts;
    private readonly WeightNormLinear output;
    private readonly int classes;

    public FmConvDiscriminator(int channels = 3, int width = 96, int classes = 10, double inputDropout = 0.2, double hiddenDropout = 0.5)
        : base(nameof(FmConvDiscriminator))
    {
        if (width < 1) throw new ArgumentException($"FmConvDiscriminator width must be >= 1, got {width}.");
        this.inputDropout = nn.Dropout(inputDropout);
        convs = new ModuleList<WeightNormConv2d>();
        rectifiers = new ModuleList<LeakyReLU>();
        int c = width, c2 = 2 * width;
        (int In, int Out, int K, int Stride, int Pad)[] spec =
        {
            (channels, c, 3, 1, 1), (c, c, 3, 1, 1), (c, c, 3, 2, 1),
            (c, c2, 3, 1, 1), (c2, c2, 3, 1, 1), (c2, c2, 3, 2, 1),
            (c2, c2, 3, 1, 0), (c2, c2, 1, 1, 0), (c2, c2, 1, 1, 0),
        };
        foreach (var s in spec)
        {
            convs.Add(new WeightNormConv2d(s.In, s.Out, s.K, s.Stride, s.Pad));
            rectifiers.Add(nn.LeakyReLU(0.2));
        }
        dropouts = new ModuleList<Dropout>(nn.Dropout(hiddenDropout), nn.Dropout(hiddenDropout));
        output = new WeightNormLinear(c2, classes, trainScale: true, directionStd: 0.05);
        this.classes = classes;
        RegisterComponents();
    }

    public override int Classes => classes;

    public override Tensor Features(Tensor x) => Run(x, init: false);

    Tensor Run(Tensor x, bool init)
    {
        var h = inputDropout.call(x);
        for (int i = 0; i < convs.Count; i++)
        {
            h = init ? F.leaky_relu(convs[i].InitializeFromData(h), 0.2) : rectifiers[i].call(convs[i].call(h));
            if (i == 2) h = dropouts[0].call(h);
            if (i == 5) h = dropouts[1].call(h);
        }
        return h.mean(new long[] { 2, 3 });
    }

    public override Tensor Classify(Tensor features) => output.call(features);

    public override void InitializeFromData(Tensor x)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        output.InitializeFromData(Run(x, init: true), initScale: 0.1);
    }
}

/// <summary>
/// The reference's CIFAR-10 / SVHN G, with w = base width (reference 128): uniform z (100) ->
/// dense 4x4x4w, batch norm (shift only), ReLU -> 5x5 stride-2 transposed convs to 2w (8x8) and
/// w (16x16), each with batch norm and ReLU -> a weight-normalised 5x5 transposed conv to the
/// image's channels (32x32, trained scale, data-dependent init std 0.1), tanh. Weights N(0, 0.05).
/// </summary>
public sealed class FmConvGenerator : SslGenerator
{
    private readonly Linear fc;
    private readonly BatchNorm1d bn0;
    private readonly Parameter shift0;
    private readonly ConvTranspose2d deconv1, deconv2;
    private readonly BatchNorm2d bn1, bn2;
    private readonly Parameter shift1, shift2;
    private readonly WeightNormConv2d output;
    private readonly int noiseDim, width;

    public FmConvGenerator(int channels = 3, int noiseDim = 100, int width = 128) : base(nameof(FmConvGenerator))
    {
        this.noiseDim = noiseDim;
        this.width = width;
        fc = nn.Linear(noiseDim, 16 * 4 * width, hasBias: false);
        bn0 = nn.BatchNorm1d(16 * 4 * width, eps: 1e-6, affine: false);
        shift0 = new Parameter(zeros(16 * 4 * width));
        deconv1 = nn.ConvTranspose2d(4 * width, 2 * width, 5, stride: 2, padding: 2, output_padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(2 * width, eps: 1e-6, affine: false);
        shift1 = new Parameter(zeros(2 * width));
        deconv2 = nn.ConvTranspose2d(2 * width, width, 5, stride: 2, padding: 2, output_padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width, eps: 1e-6, affine: false);
        shift2 = new Parameter(zeros(width));
        output = new WeightNormConv2d(width, channels, 5, stride: 2, padding: 2, trainScale: true, transposed: true, outputPadding: 1);
        using (no_grad())
        {
            nn.init.normal_(fc.weight, 0, 0.05);
            nn.init.normal_(deconv1.weight, 0, 0.05);
            nn.init.normal_(deconv2.weight, 0, 0.05);
        }
        RegisterComponents();
    }

    public override int NoiseDim => noiseDim;

    Tensor Hidden(Tensor z)
    {
        var h = F.relu(bn0.call(fc.call(z)) + shift0).reshape(z.shape[0], 4 * width, 4, 4);
        h = F.relu(bn1.call(deconv1.call(h)) + shift1.reshape(1, -1, 1, 1));
        return F.relu(bn2.call(deconv2.call(h)) + shift2.reshape(1, -1, 1, 1));
    }

    public override Tensor forward(Tensor z)
    {
        using var scope = NewDisposeScope();
        return output.call(Hidden(z)).tanh().MoveToOuterDisposeScope();
    }

    public override void InitializeFromData(Tensor z)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        output.InitializeFromData(Hidden(z), initScale: 0.1);
    }
}
