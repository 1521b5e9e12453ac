using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>Builds an image GAN's two networks by architecture name.</summary>
public static class ImageGanFactory
{
    /// <summary>
    /// Checks the options, builds G and D of <paramref name="architecture"/> ("dcgan" or
    /// "dcgan-equal"), applies the DCGAN initialization (<see cref="ImageGanLayers.Initialize"/>) and
    /// moves both to <paramref name="device"/> and <paramref name="dtype"/> (float32 or float64).
    /// The discriminator is a <see cref="DcganDiscriminator"/> (for its <c>RectifierNames</c> and
    /// <c>Features</c>), the generator a <see cref="DcganGenerator"/>.
    /// </summary>
    /// <exception cref="BreGanInputException">Unknown architecture or an option out of range.</exception>
    public static (nn.Module<Tensor, Tensor> generator, nn.Module<Tensor, Tensor> discriminator) Create(
        string architecture, ImageGanOptions options, Device device, ScalarType dtype = ScalarType.Float32)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new BreGanInputException($"dtype must be Float32 or Float64; got {dtype}");
        var resolved = ImageGanArchitecture.Resolve(architecture, options);
        // D's own widths when it is narrower or wider than G (its Architecture reports them).
        var forD = options.DiscriminatorWidthFactor == 1 ? resolved : ImageGanArchitecture.Resolve(architecture,
            options with { WidthFactor = options.WidthFactor * options.DiscriminatorWidthFactor, DiscriminatorWidthFactor = 1 });
        var generator = new DcganGenerator(resolved);
        var discriminator = new DcganDiscriminator(forD);
        ImageGanLayers.Initialize(generator);
        ImageGanLayers.Initialize(discriminator);
        return (generator.to(device, dtype), discriminator.to(device, dtype));
    }
}
