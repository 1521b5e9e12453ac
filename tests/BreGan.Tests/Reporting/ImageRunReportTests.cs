using BreGan.Experiments;
using BreGan.Reporting;
using BreGan.Training;

namespace BreGan.Tests.Reporting;

/// <summary>An image run (noise images, thin DCGAN, 4 steps): report, TensorBoard grids and diagnose.</summary>
public class ImageRunReportTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-imgreport-").FullName;
    public void Dispose() => Directory.Delete(root, recursive: true);

    [Fact]
    public void ImageRunShowsItsSampleGridsEverywhere()
    {
        var config = Presets.Get("cifar10-dcgan").With(new[]
        {
            "data.dataset=random", "data.count=16", "train.iterations=4", "train.batch_size=4", "train.checkpoint_every=0",
            "eval.every=2", "eval.monitor_batch=4", "eval.grid_samples=4", "model.noise_dim=8", "model.width_factor=0.25",
        }).Validate();
        var run = RunFolder.Create(Path.Combine(root, "run"), force: false);
        run.WriteConfig(config);
        ExperimentRunner.Train(config, run);

        var linked = HtmlReportTests.LinkedFiles(Path.Combine(run.Path, HtmlReport.FileName));
        foreach (var file in linked) Assert.True(File.Exists(file), $"report links to missing {file}");
        foreach (var name in new[] { "samples_0000004.png", "random_0000004.png", "samples.gif" })
            Assert.Contains(Path.Combine(run.ImagesPath, name), linked);
        Assert.Contains(Path.Combine(run.Path, "plots", "monitor_ac.png"), linked);

        var events = File.ReadAllBytes(Assert.Single(Directory.GetFiles(run.Path, "events.out.tfevents.*")));
        var text = System.Text.Encoding.ASCII.GetString(events);
        Assert.Contains("images/samples", text);
        Assert.Contains("images/random", text);

        var diagnosis = Diagnoser.Run(run.Path);
        Assert.Equal(4, diagnosis.Numbers.Batch);
        Assert.Equal(4, diagnosis.Numbers.Iteration);
        Assert.NotEmpty(diagnosis.Numbers.FakePatterns);
    }
}
