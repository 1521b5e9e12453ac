using BreGan.Reporting;
using SkiaSharp;

namespace BreGan.Tests.Reporting;

[Collection(TinyRunCollection.Name)]
public class TensorBoardLogTests(TinyRunFixture fixture)
{
    /// <summary>The events of a TFRecord event file: [u64 length][u32 crc][payload][u32 crc] each.</summary>
    static List<Tensorboard.Event> ReadEvents(string path)
    {
        var events = new List<Tensorboard.Event>();
        using var r = new BinaryReader(File.OpenRead(path));
        while (r.BaseStream.Position < r.BaseStream.Length)
        {
            long length = r.ReadInt64();
            r.ReadUInt32();
            events.Add(Tensorboard.Event.Parser.ParseFrom(r.ReadBytes((int)length)));
            r.ReadUInt32();
        }
        return events;
    }

    [Fact]
    public void EveryEvaluationIsInTheRunsEventFileWithItsMosaic()
    {
        var file = Assert.Single(Directory.GetFiles(fixture.Run.Path, "events.out.tfevents.*"));
        var values = ReadEvents(file).Where(e => e.Summary is not null)
            .SelectMany(e => e.Summary.Value.Select(v => (e.Step, v))).ToList();

        foreach (var tag in new[] { "loss/d_loss", "loss/g_loss", "bre/fake_ac", "bre/interp_me", "monitors/real_sat099",
                                    "slopes/fake_grad_norm", "patterns/patterns_fake_L1", "metrics/modes", "metrics/hq_fraction" })
            Assert.Equal(new long[] { 20, 40, 60 }, values.Where(p => p.v.Tag == tag).Select(p => p.Step).ToArray());
        var metrics = BreGan.Training.MetricsLog.Read(fixture.Run.MetricsPath);
        var modes = values.Where(p => p.v.Tag == "metrics/modes").Select(p => (double)p.v.SimpleValue);
        Assert.Equal(metrics.Select(r => r["modes"]), modes);

        var images = values.Where(p => p.v.Tag == "images/mosaic").ToList();
        Assert.Equal(new long[] { 20, 40, 60 }, images.Select(p => p.Step).ToArray());
        using var decoded = SKBitmap.Decode(images[^1].v.Image.EncodedImageString.ToByteArray());
        using var original = SKBitmap.Decode(Path.Combine(fixture.Run.ImagesPath, "mosaic_0000060.png"));
        Assert.Equal((original.Width, original.Height), (decoded.Width, decoded.Height));
    }

    [Fact]
    public void PicturesOfAnEvaluationAreFoundByTheirIteration()
    {
        var dir = Directory.CreateDirectory(Path.Combine(fixture.Root, "pictures")).FullName;
        foreach (var name in new[] { "samples_0000100.png", "random_0000100.png", "samples_0000200.png", "mosaic.gif", "odd name_0000100.png" })
            File.WriteAllBytes(Path.Combine(dir, name), new byte[] { 1 });
        Assert.Equal(new[] { "random", "samples" }, TensorBoardLog.Pictures(dir, 100).Select(p => p.Name));
        Assert.Empty(TensorBoardLog.Pictures(Path.Combine(dir, "none"), 100));
    }
}
