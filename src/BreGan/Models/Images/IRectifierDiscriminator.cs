using static TorchSharp.torch;

namespace BreGan.Models;

/// <summary>
/// A discriminator whose rectifiers BRE can hook: each is its own module, called through
/// <c>call()</c>, registered in call order. Lets training code stay independent of the concrete D.
/// </summary>
public interface IRectifierDiscriminator
{
    /// <summary>Names (as in <c>named_modules()</c>) of the rectifier modules, in call order.</summary>
    IReadOnlyList<string> RectifierNames { get; }

    /// <summary>Penultimate features <c>[B, F]</c>, the input of D's final linear layer.</summary>
    Tensor Features(Tensor x);
}
