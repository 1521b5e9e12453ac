using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>
/// Generator of the dcgan and dcgan-equal architectures, D's mirror image: a linear layer
/// (<c>project</c>) from z to D's last map (<c>Widths[^1]</c> channels, <c>MapSizes[^1]</c> square),
/// ReLU (<c>act0</c>) and normalization (<c>norm0</c>); then per stage <c>k</c> a 5x5 stride-2
/// transposed convolution (<c>deconv{k}</c>) to the next larger of D's maps, ReLU and normalization;
/// the last one (<c>output</c>) gives the image channels through <c>tanh</c>, so pixels are in [-1, 1].
/// Normalization follows the ReLU, as in the BRE reference. Layers are direct children registered in
/// call order, as in <see cref="DcganDiscriminator"/>.
/// </summary>
public sealed class DcganGenerator : nn.Module<Tensor, Tensor>
{
    private readonly Linear project;
    // Registered by name in the constructor, in call order; the list only fixes the call order.
    private readonly List<nn.Module<Tensor, Tensor>> body = [];
    private readonly ConvTranspose2d output;
    private readonly Tanh tanh;

    /// <summary>Builds G (on the CPU, default dtype, TorchSharp's default initialization).</summary>
    public DcganGenerator(ImageGanArchitecture architecture) : base("DcganGenerator")
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        var widths = architecture.Widths;
        var sizes = architecture.MapSizes;
        int last = architecture.Depth - 1;

        project = nn.Linear(architecture.ZDim, (long)widths[last] * sizes[last] * sizes[last]);
        register_module(nameof(project), project); // before the body: it is called first
        AddActivationAndNorm(0, widths[last]);
        for (int i = last - 1, k = 1; i >= 0; i--, k++)
        {
            Add($"deconv{k}", UpConvolution(widths[i + 1], widths[i], sizes[i + 1], sizes[i]));
            AddActivationAndNorm(k, widths[i]);
        }
        output = UpConvolution(widths[0], architecture.Channels, sizes[0], architecture.ImageSize);
        tanh = nn.Tanh();
        RegisterComponents(); // output and tanh, after the body
    }

    /// <summary>The architecture this network was built from.</summary>
    public ImageGanArchitecture Architecture { get; }

    /// <summary>Images <c>[B, C, H, W]</c> in [-1, 1] for latents <c>[B, ZDim]</c>.</summary>
    public override Tensor forward(Tensor z)
    {
        int s = Architecture.MapSizes[^1];
        var h = project.call(z).view(-1, Architecture.Widths[^1], s, s);
        foreach (var layer in body) h = layer.call(h);
        return tanh.call(output.call(h));
    }

    /// <summary>
    /// A 5x5 stride-2 transposed convolution from an <paramref name="inSize"/> map to exactly
    /// <paramref name="outSize"/> (2 inSize or 2 inSize - 1): its output is 2 inSize - 1 +
    /// output_padding, so it inverts D's rounding-up halving for 28 (4, 7, 14, 28), 32 and 64.
    /// </summary>
    private static ConvTranspose2d UpConvolution(int inChannels, int outChannels, int inSize, int outSize)
    {
        int outputPadding = outSize - (2 * inSize - 1);
        if (outputPadding is not (0 or 1))
            throw new ArgumentException($"cannot go from {inSize} to {outSize} with one stride-2 step");
        return nn.ConvTranspose2d(inChannels, outChannels, kernel_size: 5, stride: 2, padding: 2,
            output_padding: outputPadding);
    }

    private void AddActivationAndNorm(int k, int channels)
    {
        Add($"act{k}", nn.ReLU());
        if (ImageGanLayers.Normalization(Architecture.GeneratorNormalization, channels) is { } norm)
            Add($"norm{k}", norm);
    }

    private void Add(string name, nn.Module<Tensor, Tensor> layer)
    {
        register_module(name, layer);
        body.Add(layer);
    }
}
