using System.Diagnostics;
using BreGan.Training;
using static TorchSharp.torch;

/// <summary>What the per-step divergence flag costs (one in-place op per loss, no host copy).</summary>
static class GuardBench
{
    public static void Run()
    {
        using var guard = new DivergenceGuard();
        using var a = tensor(0.7f);
        using var b = tensor(1.3f);
        using var c = tensor(0.01f);
        var losses = new Dictionary<string, Tensor> { ["d_loss"] = a, ["g_loss"] = b, ["bre"] = c };
        for (int i = 0; i < 1000; i++) guard.Observe(losses);
        var t = new List<double>();
        for (int r = 0; r < 7; r++)
        {
            var sw = Stopwatch.StartNew();
            for (int i = 0; i < 10_000; i++) guard.Observe(losses);
            t.Add(sw.Elapsed.TotalMilliseconds * 1000 / 10_000);
        }
        t.Sort();
        Console.WriteLine($"divergence flag per step (3 losses, CPU): {t[3]:F1} us (median of 7 x 10,000); read once per evaluation/checkpoint");
    }
}
