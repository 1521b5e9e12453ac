using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Tests.Data;
using BreGan.Training;
using SkiaSharp;

namespace BreGan.Tests.Experiments;

public class ImageGanTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-img-").FullName;
    public void Dispose() => Directory.Delete(root, true);

    // Tiny real files in each format the presets read.
    string DataFor(string dataset)
    {
        var dir = Path.Combine(root, "data-" + dataset);
        if (Directory.Exists(dir)) return dir;
        switch (dataset)
        {
            case "mnist" or "fashion-mnist" or "stacked-mnist":
                TestData.WriteMnistDir(dir, trainCount: 40, testCount: 10, side: 28);
                break;
            case "cifar10":
                Directory.CreateDirectory(dir);
                for (int b = 1; b <= 5; b++)
                    File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), TestData.CifarRecords(4, r => new[] { (byte)(r % 10) }, 4 * b));
                File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), TestData.CifarRecords(4, r => new[] { (byte)(r % 10) }));
                break;
            case "folder":
                Directory.CreateDirectory(dir);
                for (int i = 0; i < 6; i++)
                    TestData.WriteImage(Path.Combine(dir, $"img{i}.png"), 40 + i, 30, SKEncodedImageFormat.Png, (x, y) => new SKColor((byte)(x * 6), (byte)(y * 8), (byte)(i * 40)));
                break;
        }
        return dir;
    }

    ExperimentConfig Tiny(string preset)
    {
        var c = Presets.Get(preset);
        var sets = new List<string>
        {
            "train.iterations=2", "train.batch_size=4", "train.checkpoint_every=0", "eval.every=2",
            "eval.monitor_batch=4", "eval.grid_samples=4", "model.noise_dim=8",
        };
        // Thin networks keep the test fast; dcgan-equal keeps its equal widths (scaled down).
        sets.Add(c.Model.Architecture == "dcgan-equal" ? "model.width_factor=0.0625" : "model.width_factor=0.25");
        if (c.Data.Dataset == "stacked-mnist") sets.Add("data.count=12");
        var config = c.With(sets) with { Data = c.Data with { Path = DataFor(c.Data.Dataset), Count = c.Data.Dataset == "stacked-mnist" ? 12 : 0 } };
        return config.Validate();
    }

    [Theory]
    [InlineData("mnist-dcgan")]
    [InlineData("fashion-dcgan")]
    [InlineData("cifar10-dcgan")]
    [InlineData("cifar10-dcgan-equal")]
    [InlineData("cifar10-wgangp")]
    [InlineData("stacked-mnist-dcgan")]
    [InlineData("folder-dcgan-64")]
    public void EachPresetTrainsAFewRealStepsOnTinyData(string preset)
    {
        var config = Tiny(preset);
        var run = RunFolder.Create(Path.Combine(root, preset), force: false);
        run.WriteConfig(config);
        var summary = ExperimentRunner.Train(config, run);
        Assert.Equal(2, summary["iterations"]);
        Assert.True(double.IsFinite(summary["d_loss"]!.Value));
        Assert.True(summary["bre"] > 0, "BRE is in D's loss");
        Assert.True(summary.ContainsKey("fake_ac") && summary.ContainsKey("patterns_fake_L1") && summary.ContainsKey("real_grad_norm"));
        var (size, channels) = ImageGan.Shape(config.Data);
        using var grid = SKBitmap.Decode(Path.Combine(run.ImagesPath, "samples_0000002.png"));
        Assert.NotNull(grid);
        Assert.True(grid.Width >= 2 * size, $"grid {grid.Width} px for {size}px images");
        Assert.True(File.Exists(Path.Combine(run.ImagesPath, "random_0000002.png")));
        Assert.True(File.Exists(Path.Combine(run.ImagesPath, "samples.gif")));
        Assert.Single(Checkpoint.List(run.CheckpointsPath));
    }

    [Theory]
    [InlineData("dcgan", 3, "act1")]
    [InlineData("dcgan", 4, "act1,act2")]
    [InlineData("dcgan-equal", 3, "act1")]
    public void DefaultBrePlacementSkipsFirstAndLastRectifiedLayers(string architecture, int depth, string expected)
    {
        var config = Presets.Get("cifar10-dcgan").With(new[] { $"model.architecture={architecture}", $"model.depth={depth}", "model.width_factor=0.25" });
        var (g, d) = ImageGan.BuildModels(config, 32, 3, new Device("cpu"));
        using var gd = g; using var dd = d;
        using var capture = BreCapture.Attach(d);
        Assert.Equal(expected.Split(','), capture.LayerNames);
        using var all = BreCapture.Attach(d, BrePlacement.Parse("all"));
        Assert.Equal(depth, all.LayerNames.Count);
    }

    [Fact]
    public void SampleCommandDrawsFromACheckpoint()
    {
        var config = Tiny("mnist-dcgan");
        var run = RunFolder.Create(Path.Combine(root, "run"), force: false);
        run.WriteConfig(config);
        ExperimentRunner.Train(config, run);
        var png = Path.Combine(root, "out", "s.png");
        Assert.Equal(0, EntryPoint.Run(new[] { "sample", "--run", run.Path, "--count", "9", "--out", png }));
        using var bitmap = SKBitmap.Decode(png);
        Assert.True(bitmap.Width > 28 * 3);
        Assert.Equal(2, EntryPoint.Run(new[] { "sample", "--run", run.Path, "--checkpoint", "77", "--out", png }));
        Assert.Equal(2, EntryPoint.Run(new[] { "sample", "--run", root, "--out", png }));
    }

    [Fact]
    public void BadImageDataIsExitTwoAndLeavesNoFolder()
    {
        var bad = Path.Combine(root, "bad");
        Directory.CreateDirectory(bad);
        File.WriteAllBytes(Path.Combine(bad, "train-images-idx3-ubyte"), new byte[] { 0, 0, 8, 1, 0, 0, 0, 1 });
        File.WriteAllBytes(Path.Combine(bad, "train-labels-idx1-ubyte"), new byte[] { 0, 0, 8, 1, 0, 0, 0, 1, 3 });
        var outDir = Path.Combine(root, "badrun");
        Assert.Equal(2, EntryPoint.Run(new[] { "train", "--preset", "mnist-dcgan", "--data", bad, "--out", outDir, "--plain" }));
        Assert.False(Directory.Exists(outDir));
        Assert.Equal(2, EntryPoint.Run(new[] { "train", "--preset", "mnist-dcgan", "--data", Path.Combine(root, "nope"), "--out", outDir }));
        Assert.Equal(2, EntryPoint.Run(new[] { "train", "--preset", "mnist-dcgan", "--out", outDir }));
        Assert.False(Directory.Exists(outDir));
    }
}
