namespace BreGan.Training;

// ---------------------------------------------------------------------------------------------
// The semi-supervised (feature-matching GAN) section of an experiment: config key "ssl". Present
// only in SSL experiments (the presets mnist-fm, fashion-fm, cifar10-fm, svhn-fm); a 2D config
// has no "ssl" key. The budget of an SSL run is ssl.epochs (train.iterations is not used).
// ---------------------------------------------------------------------------------------------

/// <summary>
/// Semi-supervised learning with the K-class discriminator and feature matching of Salimans et
/// al. 2016 ("Improved Techniques for Training GANs"). Defaults are that work's MNIST settings.
/// </summary>
public sealed record SslConfig
{
    /// <summary>Labelled images per class, chosen by train.seed, balanced (MNIST 100 labels: 10).</summary>
    public int LabelsPerClass { get; init; } = 10;
    /// <summary>rest: the unlabelled set is every training image not labelled (as issue 6 asks) |
    /// all: every training image, labelled ones included (as the reference code does).</summary>
    public string Unlabeled { get; init; } = "rest";
    /// <summary>Passes over the unlabelled set; one epoch = floor(unlabelled / batch) D and G updates.</summary>
    public int Epochs { get; init; } = 300;
    /// <summary>The learning rate falls linearly to 0 over this last fraction of training (0: constant);
    /// the reference's lr * min(1, 3 - 3 epoch / epochs) is 1/3, applied here per iteration.</summary>
    public double LrDecayFraction { get; init; } = 1.0 / 3;
    /// <summary>Weight of the unsupervised loss against the labelled cross-entropy (reference 1).</summary>
    public double UnlabeledWeight { get; init; } = 1;
    /// <summary>G's loss: l2 = mean of squared differences of D's mean features (reference MNIST) |
    /// l1 = mean of absolute differences (reference CIFAR-10 and SVHN).</summary>
    public string FeatureMatching { get; init; } = "l2";
    /// <summary>fm-mlp: std of the Gaussian noise added to D's input while training (reference 0.3).</summary>
    public double InputNoise { get; init; } = 0.3;
    /// <summary>fm-mlp: std of the Gaussian noise added to each hidden layer's output (reference 0.5).</summary>
    public double HiddenNoise { get; init; } = 0.5;
    /// <summary>fm-conv: dropout probability on D's input (reference 0.2).</summary>
    public double InputDropout { get; init; } = 0.2;
    /// <summary>fm-conv: dropout probability after each stride-2 block (reference 0.5).</summary>
    public double HiddenDropout { get; init; } = 0.5;
    /// <summary>Training images for the data-dependent initialisation of the weight-normalised
    /// layers (reference 500); 0 turns it off.</summary>
    public int DataInit { get; init; } = 500;
    /// <summary>Evaluate test error (a metrics.csv row) every this many epochs, and at the end.</summary>
    public int EvalEveryEpochs { get; init; } = 1;
    /// <summary>Use only this many training images, a fixed seeded subset (the same for every
    /// train.seed), for runs on a budget; 0 = the whole training split.</summary>
    public int TrainImages { get; init; }
    /// <summary>Test images used per evaluation (the first ones); 0 = the whole test split.</summary>
    public int TestImages { get; init; }
    /// <summary>Write a checkpoint every this many epochs, and at the end.</summary>
    public int CheckpointEveryEpochs { get; init; } = 1;

    public static readonly string[] UnlabeledKinds = { "rest", "all" };
    public static readonly string[] FeatureMatchingKinds = { "l2", "l1" };

    /// <summary>Checks every value; throws naming the key and the valid range.</summary>
    public void Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new BreGanInputException(message); }
        Require(LabelsPerClass >= 1, $"ssl.labels_per_class must be >= 1, got {LabelsPerClass}.");
        Require(UnlabeledKinds.Contains(Unlabeled), $"Unknown ssl.unlabeled '{Unlabeled}'; valid: {string.Join(", ", UnlabeledKinds)}.");
        Require(Epochs >= 1, $"ssl.epochs must be >= 1, got {Epochs}.");
        Require(LrDecayFraction is >= 0 and <= 1, $"ssl.lr_decay_fraction must be in [0, 1], got {LrDecayFraction}.");
        Require(UnlabeledWeight >= 0, $"ssl.unlabeled_weight must be >= 0, got {UnlabeledWeight}.");
        Require(FeatureMatchingKinds.Contains(FeatureMatching), $"Unknown ssl.feature_matching '{FeatureMatching}'; valid: {string.Join(", ", FeatureMatchingKinds)}.");
        Require(InputNoise >= 0 && HiddenNoise >= 0, "ssl.input_noise and ssl.hidden_noise must be >= 0.");
        Require(InputDropout is >= 0 and < 1 && HiddenDropout is >= 0 and < 1, "ssl.input_dropout and ssl.hidden_dropout must be in [0, 1).");
        Require(DataInit >= 0, $"ssl.data_init must be >= 0, got {DataInit}.");
        Require(EvalEveryEpochs >= 1, $"ssl.eval_every_epochs must be >= 1, got {EvalEveryEpochs}.");
        Require(TrainImages >= 0, $"ssl.train_images must be >= 0, got {TrainImages}.");
        Require(TestImages >= 0, $"ssl.test_images must be >= 0, got {TestImages}.");
        Require(CheckpointEveryEpochs >= 1, $"ssl.checkpoint_every_epochs must be >= 1, got {CheckpointEveryEpochs}.");
    }

    /// <summary>The learning rate before 0-based <paramref name="iteration"/> of <paramref name="total"/>:
    /// <c>lr * min(1, (1 - iteration / total) / lr_decay_fraction)</c>: flat, then linear to 0.</summary>
    public double LearningRate(double lr, int iteration, int total) =>
        LrDecayFraction == 0 || total <= 0 ? lr : lr * Math.Min(1.0, (1.0 - (double)iteration / total) / LrDecayFraction);
}
