using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>
/// G for the 2D toys: an MLP of ReLU hidden layers and a linear output multiplied by a fixed
/// scale, so that a network initialised near zero can reach data spanning +-scale.
/// </summary>
public sealed class MlpGenerator : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;
    private readonly double scale;

    public MlpGenerator(int noiseDim, int hiddenLayers, int width, int outputDim = 2, double outputScale = 1)
        : base(nameof(MlpGenerator))
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        int inputs = noiseDim;
        for (int i = 1; i <= hiddenLayers; i++)
        {
            modules.Add(($"fc{i}", nn.Linear(inputs, width)));
            modules.Add(($"act{i}", nn.ReLU()));
            inputs = width;
        }
        modules.Add(("out", nn.Linear(inputs, outputDim)));
        layers = nn.Sequential(modules);
        scale = outputScale;
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => layers.call(z).mul(scale);
}

/// <summary>
/// D for the 2D toys: an MLP of LeakyReLU hidden layers and one output logit. Each nonlinearity is
/// its own module, so BRE can hook the pre-activations (the inputs of act1, act2, ...).
/// </summary>
public sealed class MlpDiscriminator : nn.Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    public MlpDiscriminator(int inputDim, int hiddenLayers, int width, double leakySlope = 0.2)
        : base(nameof(MlpDiscriminator))
    {
        var modules = new List<(string, nn.Module<Tensor, Tensor>)>();
        int inputs = inputDim;
        for (int i = 1; i <= hiddenLayers; i++)
        {
            modules.Add(($"fc{i}", nn.Linear(inputs, width)));
            modules.Add(($"act{i}", nn.LeakyReLU(leakySlope)));
            inputs = width;
        }
        modules.Add(("out", nn.Linear(inputs, 1)));
        layers = nn.Sequential(modules);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => layers.call(x);
}
