using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace BreGan.Training;

// ---------------------------------------------------------------------------------------------
// One typed config per experiment, sections data / model / loss / bre / train / eval. Defaults are
// documented inline; JSON keys are snake_case (train.batch_size). Saved as config.json in every run
// and inside every checkpoint; a resume with a different config is refused.
// ---------------------------------------------------------------------------------------------

/// <summary>Where real data comes from.</summary>
public sealed record DataConfig
{
    /// <summary>2D: ring8 | grid25 | mixture (sampled on the fly). Images: mnist | fashion-mnist | cifar10 |
    /// cifar100 | folder | stacked-mnist | idx | random (noise images, for benchmarks and tests).</summary>
    public string Dataset { get; init; } = "grid25";
    /// <summary>Means of a user-defined 2D mixture (dataset "mixture"), e.g. [[0,0],[1,1]].</summary>
    public double[][]? Means { get; init; }
    /// <summary>Std of every component of a user-defined mixture; 0 means the dataset's own (ring8 0.01, grid25 0.05).</summary>
    public double Std { get; init; }
    /// <summary>Path of image data (files or folder), for image datasets.</summary>
    public string? Path { get; init; }
    /// <summary>Image side in pixels (28, 32 or 64); 0 means the dataset's own (folder and random: 64 and 32).</summary>
    public int ImageSize { get; init; }
    /// <summary>Image channels (1 or 3); 0 means the dataset's own (folder and random: 3).</summary>
    public int Channels { get; init; }
    /// <summary>Images to build for stacked-mnist and random; 0 means a default (stacked-mnist: as many as MNIST train; random: 1024).</summary>
    public int Count { get; init; }
}

/// <summary>The networks.</summary>
public sealed record ModelConfig
{
    /// <summary>mlp (2D toys) | dcgan | dcgan-equal (images).</summary>
    public string Architecture { get; init; } = "mlp";
    /// <summary>Dimension of G's Gaussian noise z.</summary>
    public int NoiseDim { get; init; } = 2;
    /// <summary>G's hidden layers (ReLU) for mlp; the paper's toy: 3 (4 layers with the output).</summary>
    public int GeneratorLayers { get; init; } = 3;
    /// <summary>Width of G's hidden layers for mlp; the paper's toy: 10.</summary>
    public int GeneratorWidth { get; init; } = 10;
    /// <summary>D's hidden layers (LeakyReLU) for mlp; the paper's toy: 4 (5 layers with the output).</summary>
    public int DiscriminatorLayers { get; init; } = 4;
    /// <summary>Width of D's hidden layers for mlp; the paper's toy: 10.</summary>
    public int DiscriminatorWidth { get; init; } = 10;
    /// <summary>Negative slope of D's LeakyReLU.</summary>
    public double LeakySlope { get; init; } = 0.2;
    /// <summary>Scale of G's linear output; 0 means the data's own scale (1 for ring8, 4 for grid25).</summary>
    public double OutputScale { get; init; }
    /// <summary>Channel multiplier of the image networks (dcgan: 16, 32, 64, ... times this; 4 gives 64-128-256).</summary>
    public double WidthFactor { get; init; } = 1;
    /// <summary>D's channels relative to G's in image networks; 0.25 is the harder stacked-MNIST setting (Metz et al. 2017).</summary>
    public double DiscriminatorWidthFactor { get; init; } = 1;
    /// <summary>Strided conv stages of the image networks; 0 means the default for the image size.</summary>
    public int Depth { get; init; }
    /// <summary>D's normalization in image networks: none | batch | layer (layer for WGAN-GP).</summary>
    public string Normalization { get; init; } = "batch";
    /// <summary>G's normalization in image networks: none | batch | layer.</summary>
    public string GeneratorNormalization { get; init; } = "batch";
    /// <summary>Dropout probability in D (image networks).</summary>
    public double Dropout { get; init; }
    /// <summary>D's rectifier for image networks: "" (the architecture's own) | leaky-relu | relu.</summary>
    public string Rectifier { get; init; } = "";
}

/// <summary>The adversarial loss.</summary>
public sealed record LossConfig
{
    /// <summary>ns (non-saturating, the reference's default) | minimax | wgan-gp | hinge.</summary>
    public string Kind { get; init; } = "ns";
    /// <summary>Gradient-penalty weight (wgan-gp).</summary>
    public double GpWeight { get; init; } = 10;
    /// <summary>Target input-gradient norm of the penalty (wgan-gp).</summary>
    public double GpTarget { get; init; } = 1;
}

/// <summary>The BRE regularizer in D's loss.</summary>
public sealed record BreConfig
{
    /// <summary>Weight w of R_BRE in D's loss; 0 turns BRE off (monitors are still logged).</summary>
    public double Weight { get; init; } = 1;
    /// <summary>all-but-first-and-last | all | first | last | first-and-last | middle | even | layers:i,j | names:a,b.</summary>
    public string Placement { get; init; } = "all-but-first-and-last";
    /// <summary>Apply BRE to the fake batch.</summary>
    public bool OnFake { get; init; } = true;
    /// <summary>Apply BRE to the interpolated batch.</summary>
    public bool OnInterpolated { get; init; } = true;
    /// <summary>Apply BRE to the real batch.</summary>
    public bool OnReal { get; init; }
    /// <summary>paper: x_real + a (x_fake - x_real) | reference: x_real + a (x_real - x_fake), as the authors' code.</summary>
    public string Interpolation { get; init; } = "paper";
    /// <summary>Soft-sign epsilon relative to mean |h|.</summary>
    public double Epsilon { get; init; } = 1e-3;
    /// <summary>Correlation margin in standard deviations (>= 1).</summary>
    public double Margin { get; init; } = 3;
    /// <summary>softsign | tanh.</summary>
    public string Binarizer { get; init; } = "softsign";
    /// <summary>Decay the weight linearly to 0 over training (the paper's toy does).</summary>
    public bool DecayToZero { get; init; }

    public BreOptions ToOptions() => new()
    {
        Epsilon = Epsilon,
        Margin = Margin,
        Binarizer = Binarizer == "tanh" ? BreBinarizer.Tanh : BreBinarizer.SoftSign,
    };
}

/// <summary>The optimisation.</summary>
public sealed record TrainConfig
{
    /// <summary>Number of G updates.</summary>
    public int Iterations { get; init; } = 5000;
    /// <summary>Mini-batch size of real and fake batches.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Seed of every random stream (noise, data, interpolation, initialisation).</summary>
    public long Seed { get; init; } = 1;
    /// <summary>Adam learning rate (G and D).</summary>
    public double Lr { get; init; } = 2e-3;
    /// <summary>Learning rate reached by linear annealing at the last iteration; equal to lr for none.</summary>
    public double LrMin { get; init; } = 1e-6;
    /// <summary>Adam beta1.</summary>
    public double Beta1 { get; init; } = 0.5;
    /// <summary>Adam beta2.</summary>
    public double Beta2 { get; init; } = 0.999;
    /// <summary>Adam weight decay (L2).</summary>
    public double WeightDecay { get; init; }
    /// <summary>D updates per G update.</summary>
    public int DSteps { get; init; } = 1;
    /// <summary>cpu | cuda | cuda:N.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Intra-op threads; 0 keeps TorchSharp's default.</summary>
    public int Threads { get; init; }
    /// <summary>Write a checkpoint every this many iterations (and at the end); 0 for only at the end.</summary>
    public int CheckpointEvery { get; init; } = 1000;
    /// <summary>How many checkpoints to keep.</summary>
    public int KeepCheckpoints { get; init; } = 2;
}

/// <summary>Evaluation during training.</summary>
public sealed record EvalConfig
{
    /// <summary>Evaluate (metrics row, monitors, pictures) every this many iterations, and at the end.</summary>
    public int Every { get; init; } = 500;
    /// <summary>Generated samples for the 2D metrics.</summary>
    public int Samples { get; init; } = 2500;
    /// <summary>Draw the mosaic panel at each evaluation (2D only).</summary>
    public bool Mosaic { get; init; } = true;
    /// <summary>Grid points per side of the mosaic planes.</summary>
    public int MosaicResolution { get; init; } = 160;
    /// <summary>Batch size of the monitor batches (real, fake, interpolated).</summary>
    public int MonitorBatch { get; init; } = 256;
    /// <summary>Images in each sample grid (images only).</summary>
    public int GridSamples { get; init; } = 64;
    /// <summary>Classifier file (bregan classifier train) for the GAN metrics during training: modes and kl
    /// (stacked-mnist), fid and classifier_score (mnist, fashion-mnist); null for none.</summary>
    public string? Classifier { get; init; }
    /// <summary>Compute those metrics every this many iterations (at evaluations) and at the end; 0: only at the end.</summary>
    public int MetricsEvery { get; init; }
    /// <summary>Generated samples for those metrics; 0: 26,000 for stacked-mnist, 10,000 otherwise.</summary>
    public int MetricsSamples { get; init; }
}

/// <summary>A whole experiment.</summary>
public sealed record ExperimentConfig
{
    /// <summary>The preset this config started from (informational).</summary>
    public string Preset { get; init; } = "custom";
    public DataConfig Data { get; init; } = new();
    public ModelConfig Model { get; init; } = new();
    public LossConfig Loss { get; init; } = new();
    public BreConfig Bre { get; init; } = new();
    public TrainConfig Train { get; init; } = new();
    public EvalConfig Eval { get; init; } = new();
    /// <summary>Semi-supervised feature-matching GAN settings (SSL presets only; absent otherwise).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public SslConfig? Ssl { get; init; }

    // ---- JSON -------------------------------------------------------------------------------

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true, // "train": null or "device": null is an error naming the key
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses JSON strictly: unknown keys and wrong types are errors naming the key.</summary>
    public static ExperimentConfig FromJson(string json, string source = "config")
    {
        try
        {
            return JsonSerializer.Deserialize<ExperimentConfig>(json, Json)
                ?? throw new BreGanInputException($"{source}: empty config.");
        }
        catch (JsonException e)
        {
            throw new BreGanInputException(ConfigChecks.OneLine($"{source}: {Describe(e)}"));
        }
    }

    public static ExperimentConfig Load(string path)
    {
        if (!File.Exists(path)) throw new BreGanInputException($"Config file '{path}' does not exist.");
        return FromJson(File.ReadAllText(path), path);
    }

    static string Describe(JsonException e)
    {
        var path = (e.Path ?? "").TrimStart('$', '.');
        var msg = e.Message.Split(" Path:")[0];
        if (msg.Contains("could not be mapped"))
        {
            var key = msg.Split('\'').Skip(1).FirstOrDefault() ?? path;
            var where = path.Length > 0 && path != key ? $"in '{path}' " : "";
            return $"unknown key '{(where.Length > 0 ? path : key)}'{(where.Length > 0 ? "" : "")}.";
        }
        return path.Length > 0 ? $"key '{path}' has the wrong type or value ({msg.TrimEnd('.')})." : msg;
    }

    /// <summary>
    /// Applies overrides of the form <c>section.key=value</c> (value as JSON, or a bare string).
    /// Unknown keys are refused with the valid keys of that section.
    /// </summary>
    public ExperimentConfig With(IEnumerable<string> assignments)
    {
        var root = JsonNode.Parse(JsonSerializer.Serialize(this, Json))!.AsObject();
        foreach (var assignment in assignments)
        {
            int eq = assignment.IndexOf('=');
            if (eq <= 0) throw new BreGanInputException($"--set '{assignment}': expected key=value, e.g. train.iterations=1000.");
            var key = assignment[..eq].Trim();
            var text = assignment[(eq + 1)..].Trim();
            var parts = key.Split('.');
            JsonObject node = root;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (node[parts[i]] is not JsonObject child)
                    throw new BreGanInputException($"--set '{key}': unknown section '{parts[i]}'; valid: {string.Join(", ", node.Where(p => p.Value is JsonObject).Select(p => p.Key))}.");
                node = child;
            }
            var leaf = parts[^1];
            if (!node.ContainsKey(leaf))
                throw new BreGanInputException($"--set '{key}': unknown key '{leaf}'; valid: {string.Join(", ", node.Select(p => p.Key))}.");
            JsonNode? value;
            try { value = JsonNode.Parse(text); }
            catch (JsonException) { value = JsonValue.Create(text); }
            node[leaf] = value;
        }
        return FromJson(root.ToJsonString(), "--set");
    }

    // ---- validation -------------------------------------------------------------------------

    static readonly string[] LossKinds = { "ns", "minimax", "wgan-gp", "hinge" };
    static readonly string[] Interpolations = { "paper", "reference" };
    static readonly string[] Binarizers = { "softsign", "tanh" };

    /// <summary>Checks every value before anything runs; throws naming the key and the valid range.</summary>
    public ExperimentConfig Validate()
    {
        void Require(bool ok, string message) { if (!ok) throw new BreGanInputException(message); }
        ConfigChecks.RequireFiniteNumbers(this);
        ConfigChecks.RequireSaneSizes(this);
        Require(LossKinds.Contains(Loss.Kind), $"Unknown loss '{Loss.Kind}'; valid: {string.Join(", ", LossKinds)}.");
        Require(Loss.GpWeight >= 0, $"loss.gp_weight must be >= 0, got {Loss.GpWeight}.");
        Require(Train.Iterations > 0, $"train.iterations must be > 0, got {Train.Iterations}.");
        Require(Train.BatchSize >= 1, $"train.batch_size must be >= 1, got {Train.BatchSize}.");
        Require(Train.Lr > 0, $"train.lr must be > 0, got {Train.Lr}.");
        Require(Train.LrMin >= 0 && Train.LrMin <= Train.Lr, $"train.lr_min must be in [0, train.lr], got {Train.LrMin}.");
        Require(Train.Beta1 >= 0 && Train.Beta1 < 1, $"train.beta1 must be in [0, 1), got {Train.Beta1}.");
        Require(Train.Beta2 >= 0 && Train.Beta2 < 1, $"train.beta2 must be in [0, 1), got {Train.Beta2}.");
        Require(Train.WeightDecay >= 0, $"train.weight_decay must be >= 0, got {Train.WeightDecay}.");
        Require(Train.DSteps >= 1, $"train.d_steps must be >= 1, got {Train.DSteps}.");
        Require(Train.Threads >= 0, $"train.threads must be >= 0, got {Train.Threads}.");
        Require(Train.CheckpointEvery >= 0, $"train.checkpoint_every must be >= 0, got {Train.CheckpointEvery}.");
        Require(Train.KeepCheckpoints >= 1, $"train.keep_checkpoints must be >= 1, got {Train.KeepCheckpoints}.");
        Require(Train.Device == "cpu" || Train.Device.StartsWith("cuda"), $"Unknown device '{Train.Device}'; valid: cpu, cuda, cuda:N.");
        Require(Bre.Weight >= 0, $"bre.weight must be >= 0, got {Bre.Weight}.");
        Require(Bre.Margin >= 1, $"bre.margin must be >= 1, got {Bre.Margin}.");
        Require(Bre.Epsilon >= 0, $"bre.epsilon must be >= 0, got {Bre.Epsilon}.");
        Require(Interpolations.Contains(Bre.Interpolation), $"Unknown bre.interpolation '{Bre.Interpolation}'; valid: {string.Join(", ", Interpolations)}.");
        Require(Binarizers.Contains(Bre.Binarizer), $"Unknown bre.binarizer '{Bre.Binarizer}'; valid: {string.Join(", ", Binarizers)}.");
        try { BrePlacement.Parse(Bre.Placement); }
        catch (ArgumentException e) { throw new BreGanInputException(e.Message); }
        Require(!(Bre.Weight > 0 && Train.BatchSize < 2), $"train.batch_size must be >= 2 with BRE on (it correlates pairs), got {Train.BatchSize}.");
        Require(Eval.Every >= 0, $"eval.every must be >= 0, got {Eval.Every}.");
        Require(Eval.Samples >= 2, $"eval.samples must be >= 2, got {Eval.Samples}.");
        Require(Eval.MosaicResolution >= 8 && Eval.MosaicResolution <= 1024, $"eval.mosaic_resolution must be in [8, 1024], got {Eval.MosaicResolution}.");
        Require(Eval.MonitorBatch >= 2, $"eval.monitor_batch must be >= 2, got {Eval.MonitorBatch}.");
        Require(Model.NoiseDim >= 1, $"model.noise_dim must be >= 1, got {Model.NoiseDim}.");
        Require(Model.GeneratorLayers >= 1 && Model.GeneratorWidth >= 1, "model.generator_layers and model.generator_width must be >= 1.");
        Require(Model.DiscriminatorLayers >= 1 && Model.DiscriminatorWidth >= 1, "model.discriminator_layers and model.discriminator_width must be >= 1.");
        Require(Model.LeakySlope >= 0 && Model.LeakySlope < 1, $"model.leaky_slope must be in [0, 1), got {Model.LeakySlope}.");
        Require(Model.OutputScale >= 0, $"model.output_scale must be >= 0, got {Model.OutputScale}.");
        Require(Data.Std >= 0, $"data.std must be > 0, got {Data.Std}.");
        Require(Data.ImageSize is 0 or 28 or 32 or 64, $"data.image_size must be 28, 32 or 64 (or 0 for the dataset's own), got {Data.ImageSize}.");
        Require(Data.Channels is 0 or 1 or 3, $"data.channels must be 1 or 3 (or 0 for the dataset's own), got {Data.Channels}.");
        Require(Data.Count >= 0, $"data.count must be >= 0, got {Data.Count}.");
        Require(Model.WidthFactor > 0, $"model.width_factor must be > 0, got {Model.WidthFactor}.");
        Require(Model.DiscriminatorWidthFactor > 0, $"model.discriminator_width_factor must be > 0, got {Model.DiscriminatorWidthFactor}.");
        Require(Model.Depth >= 0, $"model.depth must be >= 0, got {Model.Depth}.");
        Require(Model.Normalization is "none" or "batch" or "layer", $"Unknown model.normalization '{Model.Normalization}'; valid: none, batch, layer.");
        Require(Model.GeneratorNormalization is "none" or "batch" or "layer", $"Unknown model.generator_normalization '{Model.GeneratorNormalization}'; valid: none, batch, layer.");
        Require(Model.Dropout >= 0 && Model.Dropout < 1, $"model.dropout must be in [0, 1), got {Model.Dropout}.");
        Require(Model.Rectifier is "" or "leaky-relu" or "relu", $"Unknown model.rectifier '{Model.Rectifier}'; valid: leaky-relu, relu (or empty for the architecture's own).");
        Require(Eval.GridSamples >= 1 && Eval.GridSamples <= 1024, $"eval.grid_samples must be in [1, 1024], got {Eval.GridSamples}.");
        Require(Eval.MetricsEvery >= 0 && Eval.MetricsSamples >= 0, $"eval.metrics_every and eval.metrics_samples must be >= 0, got {Eval.MetricsEvery} and {Eval.MetricsSamples}.");
        return this;
    }
}
