using BreGan.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// The monitors of D that every experiment logs at its evaluations: BRE terms and the spec's
/// correlation and saturation monitors on real, fake and interpolated batches (whether or not BRE
/// is in the loss), D's input-gradient norms at those points, and the number of distinct
/// activation patterns a fake batch produces in each rectified layer. D runs in eval mode here, so
/// measuring never changes its batch-norm statistics.
/// </summary>
public sealed class DiscriminatorMonitors : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> d;
    private readonly BreConfig bre;
    private readonly BreCapture breLayers;   // the configured BRE placement
    private readonly BreCapture allLayers;   // every rectified layer

    public DiscriminatorMonitors(nn.Module<Tensor, Tensor> discriminator, BreConfig bre)
    {
        d = discriminator;
        this.bre = bre;
        breLayers = BreCapture.Attach(d, BrePlacement.Parse(bre.Placement), bre.ToOptions());
        allLayers = BreCapture.Attach(d, BrePlacement.Parse("all"), bre.ToOptions());
        breLayers.Enabled = allLayers.Enabled = false;
    }

    /// <summary>Names of every rectified layer of D, in order (pattern counts are L1, L2, ...).</summary>
    public IReadOnlyList<string> RectifiedLayers => allLayers.LayerNames;

    /// <summary>Adds the monitors of one evaluation to <paramref name="row"/> (host copies: logging only).</summary>
    public void Measure(Tensor real, Tensor fake, Generator streams, Dictionary<string, double> row)
    {
        using var scope = NewDisposeScope();
        bool wasTraining = d.training;
        d.eval();
        try
        {
            long b = Math.Min(real.shape[0], fake.shape[0]);
            real = real[TensorIndex.Slice(0, b)];
            fake = fake[TensorIndex.Slice(0, b)];
            var alpha = rand(new long[] { b }, generator: streams).to(real.dtype).to(real.device);
            var interpolated = Losses.Interpolate(real, fake, alpha, bre.Interpolation == "reference");
            foreach (var (kind, x) in new[] { ("real", real), ("fake", fake), ("interp", interpolated) })
            {
                breLayers.Enabled = true;
                using (no_grad()) d.call(x);
                breLayers.Enabled = false;
                foreach (var (k, v) in breLayers.Monitor().Named(kind + "_")) row[k] = v;
                breLayers.Release();
                var xg = x.detach().requires_grad_(true);
                row[kind + "_grad_norm"] = Losses.InputGradientNorms(d.call(xg), xg, createGraph: false).mean().item<float>();
            }
            var layers = Patterns(fake, out _);
            for (int l = 0; l < layers.Count; l++) row[$"patterns_fake_L{l + 1}"] = ActivationPatterns.CountDistinct(layers[l]);
        }
        finally
        {
            if (wasTraining) d.train();
        }
    }

    /// <summary>
    /// The pre-activations of every rectified layer for <paramref name="x"/>, and D's output, from
    /// one pass without a graph. The tensors belong to the caller's dispose scope.
    /// </summary>
    public IReadOnlyList<Tensor> Patterns(Tensor x, out Tensor output)
    {
        allLayers.Enabled = true;
        try
        {
            using (no_grad()) output = d.call(x);
            return allLayers.Take();
        }
        finally { allLayers.Enabled = false; }
    }

    public void Dispose()
    {
        breLayers.Dispose();
        allLayers.Dispose();
    }
}
