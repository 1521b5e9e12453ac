using BreGan.Data;
using SkiaSharp;

namespace BreGan.Tests.Data;

public class ImageFolderTests
{
    private static readonly SKColor Orange = new(200, 100, 50);

    // Sorted order: a.png (red), b/c.JPG (orange), b/d.PNG (wide: blue | green | blue).
    private static void WriteFolder(TempDir dir)
    {
        TestData.WriteImage(dir["a.png"], 16, 16, SKEncodedImageFormat.Png, (_, _) => SKColors.Red);
        TestData.WriteImage(dir["b/c.JPG"], 24, 24, SKEncodedImageFormat.Jpeg, (_, _) => Orange);
        // 40x20: the centre 20x20 square is green; a loader that squashed instead of cropping shows blue.
        TestData.WriteImage(dir["b/d.PNG"], 40, 20, SKEncodedImageFormat.Png,
            (x, _) => x is >= 10 and < 30 ? SKColors.Lime : SKColors.Blue);
        File.WriteAllText(dir["notes.txt"], "not an image");
    }

    [Fact]
    public void LoadsPngAndJpegRecursivelyCropsAndResizes()
    {
        using var dir = new TempDir();
        WriteFolder(dir);
        using var ds = ImageDatasets.Load("folder", dir.Path, size: 8, channels: 3);
        Assert.Equal(new long[] { 3, 3, 8, 8 }, ds.Images.shape);
        Assert.False(ds.HasLabels);

        AssertPlanes(TestData.ImageBytes(ds, 0), [255, 0, 0], tolerance: 0);
        AssertPlanes(TestData.ImageBytes(ds, 1), [200, 100, 50], tolerance: 6); // JPEG is lossy
        AssertPlanes(TestData.ImageBytes(ds, 2), [0, 255, 0], tolerance: 0);

        using var gen = new Generator(3, CPU);
        using var x = ds.SampleBatch(6, gen);
        Assert.True(x.min().item<float>() >= -1f && x.max().item<float>() <= 1f);
    }

    [Fact]
    public void OneChannelUsesLuma()
    {
        using var dir = new TempDir();
        WriteFolder(dir);
        using var ds = ImageDatasets.LoadImageFolder(dir.Path, size: 5, channels: 1);
        Assert.Equal(new long[] { 3, 1, 5, 5 }, ds.Images.shape);
        AssertPlanes(TestData.ImageBytes(ds, 0), [76], tolerance: 0);  // 0.299 * 255
        AssertPlanes(TestData.ImageBytes(ds, 1), [124], tolerance: 6); // 0.299*200 + 0.587*100 + 0.114*50
        AssertPlanes(TestData.ImageBytes(ds, 2), [150], tolerance: 0); // 0.587 * 255
    }

    [Fact]
    public void UndecodableImageIsSkippedWithAWarningNamingIt()
    {
        using var dir = new TempDir();
        WriteFolder(dir);
        File.WriteAllBytes(dir["b/broken.png"], [1, 2, 3, 4, 5, 6, 7, 8]);
        var warnings = new List<string>();
        using var ds = ImageDatasets.LoadImageFolder(dir.Path, 4, 3, warnings.Add);
        Assert.Equal(3, ds.Count);
        var warning = Assert.Single(warnings);
        Assert.Equal($"{dir["b/broken.png"]}: cannot decode as PNG or JPEG, skipped", warning);
        // The skipped slot is closed up: the last image is still the green crop.
        AssertPlanes(TestData.ImageBytes(ds, 2), [0, 255, 0], tolerance: 0);
    }

    [Fact]
    public void AllUndecodableIsAnError()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["x.jpg"], [0xFF, 0xD8, 0xFF, 0x00]);
        File.WriteAllBytes(dir["y.png"], []);
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadImageFolder(dir.Path, 8, 3, _ => { }));
        Assert.StartsWith($"{dir.Path}: none of the 2 PNG/JPEG files could be decoded (first: {dir["x.jpg"]}", e.Message);
    }

    [Fact]
    public void EmptyOrMissingFolderIsAnError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["readme.txt"], "no images here");
        var e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadImageFolder(dir.Path));
        Assert.Equal($"{dir.Path}: no PNG or JPEG files found (searched subfolders too)", e.Message);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadImageFolder(dir["nope"]));
        Assert.Contains("nope: directory not found", e.Message);
        e = Assert.Throws<BreGanInputException>(() => ImageDatasets.LoadImageFolder(dir.Path, channels: 4));
        Assert.Contains("channels 4", e.Message);
    }

    private static void AssertPlanes(byte[] chw, int[] expected, int tolerance)
    {
        int plane = chw.Length / expected.Length;
        for (int c = 0; c < expected.Length; c++)
            for (int p = 0; p < plane; p++)
                Assert.InRange(chw[c * plane + p], expected[c] - tolerance, expected[c] + tolerance);
    }
}
