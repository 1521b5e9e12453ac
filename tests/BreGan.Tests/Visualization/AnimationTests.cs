using BreGan.Visualization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Gif;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace BreGan.Tests.Visualization;

public sealed class AnimationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bregan-gif-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] SolidPng(SKColor colour, int width = 64, int height = 48)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private string SolidFile(string name, SKColor colour, int width = 64, int height = 48)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, SolidPng(colour, width, height));
        return path;
    }

    private static readonly SKColor[] Colours = [SKColors.Red, SKColors.Lime, SKColors.Blue];

    [Fact]
    public void WriteGif_FromFiles_HasOneFramePerFileInOrder()
    {
        var paths = Colours.Select((c, i) => SolidFile($"f{i}.png", c)).ToList();
        string gif = Path.Combine(_dir, "out", "anim.gif");
        Animation.WriteGif(paths, gif, frameDelayMs: 250, loop: 0);

        using var image = Image.Load<Rgba32>(gif);
        Assert.Equal(3, image.Frames.Count);
        Assert.Equal(64, image.Width);
        Assert.Equal(48, image.Height);
        Assert.Equal(0, image.Metadata.GetGifMetadata().RepeatCount);
        Assert.Equal(25, image.Frames[1].Metadata.GetGifMetadata().FrameDelay);
        for (int i = 0; i < 3; i++)
        {
            var p = image.Frames[i][10, 10];
            Assert.Equal((Colours[i].Red, Colours[i].Green, Colours[i].Blue), (p.R, p.G, p.B));
        }
    }

    [Fact]
    public void WriteGif_FromBytes_WithDownscaleAndLoopCount()
    {
        var frames = Enumerable.Range(0, 4).Select(i => SolidPng(Colours[i % 3], 200, 100)).ToList();
        string gif = Path.Combine(_dir, "bytes.gif");
        Animation.WriteGif(frames, gif, loop: 3, maxWidth: 100);

        using var image = Image.Load<Rgba32>(gif);
        Assert.Equal(4, image.Frames.Count);
        Assert.Equal((100, 50), (image.Width, image.Height));
        Assert.Equal(3, image.Metadata.GetGifMetadata().RepeatCount);
    }

    [Fact]
    public void SideBySide_PadsShorterArmWithItsLastFrame()
    {
        var left = Colours.Select((c, i) => SolidFile($"l{i}.png", c)).ToList();
        var right = new[] { SolidFile("r0.png", SKColors.Yellow), SolidFile("r1.png", SKColors.Magenta) };
        string gif = Path.Combine(_dir, "sbs.gif");
        Animation.SideBySide(left, right, gif, "baseline", "BRE");

        using var image = Image.Load<Rgba32>(gif);
        Assert.Equal(3, image.Frames.Count);
        Assert.True(image.Width >= 128 && image.Height > 48, $"{image.Width}x{image.Height}");
        // Bottom rows hold the images; the label band is above them.
        int y = image.Height - 5;
        var lastLeft = image.Frames[2][5, y];
        var lastRight = image.Frames[2][image.Width - 5, y];
        Assert.Equal((byte)255, lastLeft.B);     // blue: third left frame
        Assert.Equal((255, 0, 255), (lastRight.R, lastRight.G, lastRight.B)); // magenta held
    }

    [Fact]
    public void WriteGif_MissingFrame_IsInputError()
    {
        var paths = new[] { SolidFile("a.png", SKColors.Red), Path.Combine(_dir, "missing.png") };
        string gif = Path.Combine(_dir, "bad.gif");
        Assert.Throws<BreGanInputException>(() => Animation.WriteGif(paths, gif));
        Assert.False(File.Exists(gif));
        Assert.False(File.Exists(gif + ".tmp"));
    }
}
