using BreGan.Visualization;

namespace BreGan.Tests.Visualization;

/// <summary>Hand-made and pseudo-random mosaic frames, computed in plain C# (no TorchSharp).</summary>
internal static class SyntheticFrames
{
    /// <summary>Left half of the plane has pattern <paramref name="left"/>, right half <paramref name="right"/>.</summary>
    internal static MosaicFrame TwoRegions(long left, long right, int resolution = 20, float probability = 0.5f)
    {
        var hashes = new long[resolution * resolution];
        for (int r = 0; r < resolution; r++)
            for (int c = 0; c < resolution; c++)
                hashes[r * resolution + c] = c < resolution / 2 ? left : right;
        var prob = new float[resolution * resolution];
        Array.Fill(prob, probability);
        return new MosaicFrame(1, "two regions", PlaneExtent.Square(1), resolution,
            DataXY: [0.5f, 0.5f], FakeXY: [], Layers: [new MosaicLayer("layer 1", hashes, 2)], ProbabilityReal: prob);
    }

    /// <summary>
    /// A random ReLU MLP 2-&gt;W-&gt;W-&gt;W-&gt;1 evaluated on the grid: the per-layer sign patterns
    /// give a realistic mosaic, the sigmoid output a probability map. Data is an 8-mode ring.
    /// </summary>
    internal static MosaicFrame RandomReluNet(int seed = 7, int resolution = 200, int width = 24, int layers = 3)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var extent = PlaneExtent.Square(3);

        var weights = new List<double[,]>();
        var biases = new List<double[]>();
        int fanIn = 2;
        for (int l = 0; l <= layers; l++)
        {
            int fanOut = l == layers ? 1 : width;
            var w = new double[fanOut, fanIn];
            var b = new double[fanOut];
            for (int o = 0; o < fanOut; o++)
            {
                for (int i = 0; i < fanIn; i++) w[o, i] = Gauss() * Math.Sqrt(2.0 / fanIn);
                b[o] = Gauss() * (l == 0 ? 1.5 : 0.5);
            }
            weights.Add(w); biases.Add(b);
            fanIn = fanOut;
        }

        var hashes = Enumerable.Range(0, layers).Select(_ => new long[resolution * resolution]).ToArray();
        var prob = new float[resolution * resolution];
        for (int r = 0; r < resolution; r++)
            for (int c = 0; c < resolution; c++)
            {
                double x = extent.XMin + (c + 0.5) / resolution * (extent.XMax - extent.XMin);
                double y = extent.YMax - (r + 0.5) / resolution * (extent.YMax - extent.YMin);
                double[] h = [x, y];
                for (int l = 0; l <= layers; l++)
                {
                    var w = weights[l];
                    var next = new double[w.GetLength(0)];
                    ulong fnv = 14695981039346656037UL;
                    for (int o = 0; o < next.Length; o++)
                    {
                        double s = biases[l][o];
                        for (int i = 0; i < h.Length; i++) s += w[o, i] * h[i];
                        if (l < layers)
                        {
                            bool on = s > 0;
                            next[o] = on ? s : 0;
                            fnv = (fnv ^ (on ? 1UL : 0UL)) * 1099511628211UL;
                        }
                        else next[o] = s;
                    }
                    if (l < layers) hashes[l][r * resolution + c] = (long)fnv;
                    h = next;
                }
                prob[r * resolution + c] = (float)(1 / (1 + Math.Exp(-h[0])));
            }

        var data = new float[2 * 512];
        for (int i = 0; i < 512; i++)
        {
            double a = 2 * Math.PI * (i % 8) / 8;
            data[2 * i] = (float)(2 * Math.Cos(a) + 0.06 * Gauss());
            data[2 * i + 1] = (float)(2 * Math.Sin(a) + 0.06 * Gauss());
        }
        var fake = new float[2 * 256];
        for (int i = 0; i < 256; i++)
        {
            fake[2 * i] = (float)(0.6 + 0.35 * Gauss());
            fake[2 * i + 1] = (float)(0.9 + 0.25 * Gauss());
        }
        var mosaicLayers = hashes
            .Select((hs, l) => new MosaicLayer($"layer {l + 1}", hs, hs.Distinct().Count()))
            .ToList();
        return new MosaicFrame(5000, "BRE", extent, resolution, data, fake, mosaicLayers, prob);
    }

    /// <summary>
    /// A small ReLU discriminator 2-&gt;W-&gt;W-&gt;W-&gt;1 actually trained (plain C#, SGD with
    /// momentum, logistic loss) to tell an 8-mode ring from a fixed fake distribution that covers
    /// only some modes: a realistic mosaic. With the defaults it is the frame behind
    /// docs/images/mosaic-example.png (see <c>MosaicPanelTests.TrainedToyD_UsesWholeColormap</c>).
    /// </summary>
    internal static MosaicFrame TrainedToyDiscriminator(int seed = 1, int resolution = 200, int width = 32, int steps = 3000)
    {
        var rng = new Random(seed);
        double Gauss() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        (double, double) Real()
        {
            double a = 2 * Math.PI * rng.Next(8) / 8;
            return (2 * Math.Cos(a) + 0.05 * Gauss(), 2 * Math.Sin(a) + 0.05 * Gauss());
        }
        (double, double) Fake()
        {
            // Mass on three neighbouring modes, smeared towards the centre.
            double a = 2 * Math.PI * (1 + rng.Next(3)) / 8 + 0.15 * Gauss();
            double radius = 1.5 + 0.35 * Gauss();
            return (radius * Math.Cos(a), radius * Math.Sin(a));
        }

        int[] sizes = [2, width, width, width, 1];
        int depth = sizes.Length - 1;
        var w = new double[depth][];
        var b = new double[depth][];
        var vw = new double[depth][];
        var vb = new double[depth][];
        for (int l = 0; l < depth; l++)
        {
            w[l] = new double[sizes[l + 1] * sizes[l]];
            b[l] = new double[sizes[l + 1]];
            vw[l] = new double[w[l].Length];
            vb[l] = new double[b[l].Length];
            for (int i = 0; i < w[l].Length; i++) w[l][i] = Gauss() * Math.Sqrt(2.0 / sizes[l]);
            for (int i = 0; i < b[l].Length; i++) b[l][i] = 0.1 * Gauss();
        }

        // Forward pass keeping pre-activations for backprop.
        double[][] Forward(double x, double y, double[][] pre)
        {
            var act = new double[depth + 1][];
            act[0] = [x, y];
            for (int l = 0; l < depth; l++)
            {
                int n = sizes[l + 1], m = sizes[l];
                pre[l] = new double[n];
                act[l + 1] = new double[n];
                for (int o = 0; o < n; o++)
                {
                    double s = b[l][o];
                    for (int i = 0; i < m; i++) s += w[l][o * m + i] * act[l][i];
                    pre[l][o] = s;
                    act[l + 1][o] = l < depth - 1 ? Math.Max(0, s) : s;
                }
            }
            return act;
        }

        const int batch = 64;
        const double lr = 0.02, momentum = 0.9;
        var gw = w.Select(a => new double[a.Length]).ToArray();
        var gb = b.Select(a => new double[a.Length]).ToArray();
        var preBuf = new double[depth][];
        for (int step = 0; step < steps; step++)
        {
            foreach (var g in gw) Array.Clear(g);
            foreach (var g in gb) Array.Clear(g);
            for (int k = 0; k < 2 * batch; k++)
            {
                bool real = k < batch;
                var (x, y) = real ? Real() : Fake();
                var act = Forward(x, y, preBuf);
                double logit = act[depth][0];
                // d(BCE)/d(logit) = sigmoid(logit) - label
                var delta = new[] { 1 / (1 + Math.Exp(-logit)) - (real ? 1 : 0) };
                for (int l = depth - 1; l >= 0; l--)
                {
                    int n = sizes[l + 1], m = sizes[l];
                    var prev = new double[m];
                    for (int o = 0; o < n; o++)
                    {
                        gb[l][o] += delta[o];
                        for (int i = 0; i < m; i++)
                        {
                            gw[l][o * m + i] += delta[o] * act[l][i];
                            prev[i] += delta[o] * w[l][o * m + i];
                        }
                    }
                    if (l > 0)
                        for (int i = 0; i < m; i++) prev[i] = preBuf[l - 1][i] > 0 ? prev[i] : 0;
                    delta = prev;
                }
            }
            for (int l = 0; l < depth; l++)
            {
                for (int i = 0; i < w[l].Length; i++) { vw[l][i] = momentum * vw[l][i] - lr * gw[l][i] / (2 * batch); w[l][i] += vw[l][i]; }
                for (int i = 0; i < b[l].Length; i++) { vb[l][i] = momentum * vb[l][i] - lr * gb[l][i] / (2 * batch); b[l][i] += vb[l][i]; }
            }
        }

        var extent = PlaneExtent.Square(3);
        var hashes = Enumerable.Range(0, depth - 1).Select(_ => new long[resolution * resolution]).ToArray();
        var prob = new float[resolution * resolution];
        for (int r = 0; r < resolution; r++)
            for (int c = 0; c < resolution; c++)
            {
                double x = extent.XMin + (c + 0.5) / resolution * (extent.XMax - extent.XMin);
                double y = extent.YMax - (r + 0.5) / resolution * (extent.YMax - extent.YMin);
                var act = Forward(x, y, preBuf);
                for (int l = 0; l < depth - 1; l++)
                {
                    ulong fnv = 14695981039346656037UL;
                    foreach (var v in preBuf[l]) fnv = (fnv ^ (v > 0 ? 1UL : 0UL)) * 1099511628211UL;
                    hashes[l][r * resolution + c] = (long)fnv;
                }
                prob[r * resolution + c] = (float)(1 / (1 + Math.Exp(-act[depth][0])));
            }
        var data = new float[2 * 512];
        for (int i = 0; i < 512; i++) { var (x, y) = Real(); data[2 * i] = (float)x; data[2 * i + 1] = (float)y; }
        var fake = new float[2 * 256];
        for (int i = 0; i < 256; i++) { var (x, y) = Fake(); fake[2 * i] = (float)x; fake[2 * i + 1] = (float)y; }
        var layers = hashes.Select((hs, l) => new MosaicLayer($"layer {l + 1}", hs, hs.Distinct().Count())).ToList();
        return new MosaicFrame(steps, "toy D", extent, resolution, data, fake, layers, prob);
    }
}
