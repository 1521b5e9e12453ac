using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>Layer choices shared by the image networks and their initialization.</summary>
public static class ImageGanLayers
{
    /// <summary>A new normalization module for <paramref name="channels"/> feature maps, or null for
    /// <see cref="ImageNormalization.None"/>.</summary>
    public static nn.Module<Tensor, Tensor>? Normalization(ImageNormalization kind, int channels) => kind switch
    {
        ImageNormalization.None => null,
        ImageNormalization.Batch => nn.BatchNorm2d(channels),
        // One group = normalize over (C, H, W) per sample; affine stays per channel.
        ImageNormalization.Layer => nn.GroupNorm(1, channels),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>A new rectifier module (one instance per use: BRE hooks each one).</summary>
    public static nn.Module<Tensor, Tensor> Rectifier(ImageRectifier kind) => kind switch
    {
        ImageRectifier.LeakyRelu => nn.LeakyReLU(ImageGanArchitecture.LeakySlope),
        ImageRectifier.Relu => nn.ReLU(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>True for the modules BRE treats as rectifiers.</summary>
    public static bool IsRectifier(nn.Module module) => module is ReLU or LeakyReLU;

    /// <summary>
    /// DCGAN initialization, in place: convolution, transposed convolution and linear weights
    /// N(0, 0.02) with zero biases; batch-norm scale N(1, 0.02) and shift 0; group/layer-norm scale 1
    /// and shift 0 (TorchSharp 0.107's GroupNorm leaves them uninitialized).
    /// </summary>
    public static void Initialize(nn.Module module)
    {
        using var _ = no_grad();
        foreach (var m in module.modules())
        {
            switch (m)
            {
                case Conv2d c: NormalWeightZeroBias(c.weight, c.bias, 0); break;
                case ConvTranspose2d c: NormalWeightZeroBias(c.weight, c.bias, 0); break;
                case Linear l: NormalWeightZeroBias(l.weight, l.bias, 0); break;
                case BatchNorm2d b: NormalWeightZeroBias(b.weight, b.bias, 1); break;
                case GroupNorm g:
                    if (g.affine) { nn.init.ones_(g.weight); if (g.bias is not null) nn.init.zeros_(g.bias); }
                    break;
                case LayerNorm l:
                    if (l.weight is not null) nn.init.ones_(l.weight);
                    if (l.bias is not null) nn.init.zeros_(l.bias);
                    break;
            }
        }
    }

    private static void NormalWeightZeroBias(Tensor weight, Tensor? bias, double mean)
    {
        nn.init.normal_(weight, mean, 0.02);
        if (bias is not null) nn.init.zeros_(bias);
    }
}
