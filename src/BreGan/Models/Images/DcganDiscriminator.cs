using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>
/// Convolutional discriminator of the dcgan and dcgan-equal architectures: per stage <c>i</c> a 5x5
/// stride-2 convolution (<c>conv{i}</c>), a rectifier (<c>act{i}</c>), a normalization (<c>norm{i}</c>,
/// not on the first stage, after the rectifier as in the BRE reference) and optional dropout
/// (<c>dropout{i}</c>); then <c>flatten</c> and a linear <c>head</c> to one logit (no sigmoid).
/// <para>
/// For BRE: every rectifier is its own module, called through <c>call()</c> so hooks fire. All layers
/// are direct children registered in call order, so <c>named_modules()</c> lists them in call order
/// (TorchSharp lists a module's children before any grandchild, so nested blocks would break that).
/// No <c>Sequential</c>: it disposes intermediate outputs, which a hook may hold; intermediates are
/// left to the caller's dispose scope.
/// </para>
/// </summary>
public sealed class DcganDiscriminator : nn.Module<Tensor, Tensor>, IRectifierDiscriminator
{
    // Registered by name in the constructor, in call order; the list only fixes the call order.
    private readonly List<nn.Module<Tensor, Tensor>> body = [];
    private readonly Flatten flatten;
    private readonly Linear head;

    /// <summary>Builds D (on the CPU, default dtype, TorchSharp's default initialization).</summary>
    public DcganDiscriminator(ImageGanArchitecture architecture) : base("DcganDiscriminator")
    {
        Architecture = architecture ?? throw new ArgumentNullException(nameof(architecture));
        int inChannels = architecture.Channels;
        for (int i = 0; i < architecture.Depth; i++)
        {
            int width = architecture.Widths[i];
            Add($"conv{i}", nn.Conv2d(inChannels, width, kernel_size: 5, stride: 2, padding: 2));
            Add($"act{i}", ImageGanLayers.Rectifier(architecture.Rectifier));
            if (i > 0 && ImageGanLayers.Normalization(architecture.DiscriminatorNormalization, width) is { } norm)
                Add($"norm{i}", norm);
            if (architecture.DropoutProbability > 0)
                Add($"dropout{i}", nn.Dropout(architecture.DropoutProbability));
            inChannels = width;
        }
        flatten = nn.Flatten();
        head = nn.Linear(architecture.FeatureSize, 1);
        RegisterComponents(); // flatten and head, after the body
        RectifierNames = named_modules().Where(nm => ImageGanLayers.IsRectifier(nm.module))
            .Select(nm => nm.name).ToArray();
    }

    /// <summary>The architecture this network was built from.</summary>
    public ImageGanArchitecture Architecture { get; }

    /// <summary>Names (as in <c>named_modules()</c>: <c>act0</c>, <c>act1</c>, ...) of the rectifier
    /// modules, in call order. The input of rectifier <c>i</c> is conv <c>i</c>'s output,
    /// <c>[B, Widths[i], MapSizes[i], MapSizes[i]]</c>.</summary>
    public IReadOnlyList<string> RectifierNames { get; }

    /// <summary>Logits <c>[B, 1]</c> for images <c>[B, C, H, W]</c>.</summary>
    public override Tensor forward(Tensor x) => head.call(Features(x));

    /// <summary>Penultimate features <c>[B, FeatureSize]</c>: the flattened input of the final linear
    /// layer (for feature matching). Runs the rectifiers, so their hooks fire here too.</summary>
    public Tensor Features(Tensor x)
    {
        var h = x;
        foreach (var layer in body) h = layer.call(h);
        return flatten.call(h);
    }

    private void Add(string name, nn.Module<Tensor, Tensor> layer)
    {
        register_module(name, layer);
        body.Add(layer);
    }
}
