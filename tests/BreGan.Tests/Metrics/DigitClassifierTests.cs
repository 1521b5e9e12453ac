using BreGan.Data;
using BreGan.Metrics;
using BreGan.Tests.Data;

namespace BreGan.Tests.Metrics;

public class DigitClassifierTests
{
    internal static DigitClassifierInfo TinyInfo(int size = 28, int channels = 1, string dataset = "mnist", int features = 8) => new()
    {
        ImageSize = size, Channels = channels, Classes = 10, Width = 4, FeatureDim = features, Dataset = dataset,
        TestAccuracy = 0.875, TestCount = 40,
    };

    /// <summary>Ten classes, each a bright 6x6 square at its own place on a dark 28x28 image, plus noise.</summary>
    internal static ImageDataset Squares(int count, ulong seed)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator(seed, CPU);
        var labels = arange(count, dtype: ScalarType.Int64) % 10;
        var images = rand(new long[] { count, 1, 28, 28 }, generator: gen) * 60;
        for (int i = 0; i < count; i++)
        {
            int k = i % 10, y = 2 + 8 * (k / 4), x = 2 + 6 * (k % 4);
            images[TensorIndex.Single(i), TensorIndex.Single(0), TensorIndex.Slice(y, y + 6), TensorIndex.Slice(x, x + 6)] += 180;
        }
        return new ImageDataset(images.to(ScalarType.Byte), labels, "squares");
    }

    [Fact]
    public void RoundTripsThroughSaveAndLoad()
    {
        using var dir = new TempDir();
        torch.random.manual_seed(3);
        using var model = new DigitClassifier(TinyInfo());
        model.eval();
        using var x = rand(5, 1, 28, 28) * 2 - 1;
        using var before = model.call(x);
        model.Save(dir["clf.bin"]);

        using var loaded = DigitClassifier.Load(dir["clf.bin"]);
        Assert.False(loaded.training);
        Assert.Equal(model.Info, loaded.Info);
        using var after = loaded.call(x);
        Assert.True(after.allclose(before, 0, 0), "same logits after load");
        using (no_grad())
        {
            var (f, p) = loaded.FeaturesAndProbabilities(x);
            Assert.Equal(new long[] { 5, 8 }, f.shape);
            Assert.True(p.sum(1).allclose(ones(5), 1e-5, 1e-6));
        }
        Assert.Equal(TinyInfo(), DigitClassifier.ReadInfo(dir["clf.bin"]));
        Assert.Contains("\"test_accuracy\": 0.875", File.ReadAllText(DigitClassifier.InfoPath(dir["clf.bin"])));

        // A freshly initialised model differs, so the equality above is the load's doing.
        torch.random.manual_seed(4);
        using var other = new DigitClassifier(TinyInfo());
        other.eval();
        using var otherLogits = other.call(x);
        Assert.False(otherLogits.allclose(before, 1e-3, 1e-3));
    }

    [Fact]
    public void RefusesFilesThatAreNotClassifiersAndShapesThatDoNotFit()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["notes.bin"], "hello, these are not weights");
        Assert.Contains("is not a BreGan classifier file", Assert.Throws<BreGanInputException>(() => DigitClassifier.Load(dir["notes.bin"])).Message);
        Assert.Contains("does not exist", Assert.Throws<BreGanInputException>(() => DigitClassifier.ReadInfo(dir["missing.bin"])).Message);

        using (var model = new DigitClassifier(TinyInfo())) model.Save(dir["clf.bin"]);
        var bytes = File.ReadAllBytes(dir["clf.bin"]);
        File.WriteAllBytes(dir["cut.bin"], bytes[..(bytes.Length / 2)]);
        Assert.Throws<BreGanInputException>(() => DigitClassifier.Load(dir["cut.bin"]));

        var info = TinyInfo(size: 32);
        var e = Assert.Throws<BreGanInputException>(() => DigitClassifier.CheckFits(info, 28, 1, "c.bin", "a mnist run"));
        Assert.Equal("Classifier 'c.bin' takes 1x32x32 images (mnist); a mnist run needs 1x28x28.", e.Message);
        Assert.Throws<BreGanInputException>(() => DigitClassifier.CheckFits(TinyInfo(), 28, 3, "c.bin", "x"));
        DigitClassifier.CheckFits(TinyInfo(), 28, 1, "c.bin", "x"); // fits: no exception

        using var m28 = new DigitClassifier(TinyInfo());
        using var wrong = zeros(2, 3, 28, 28);
        Assert.Throws<BreGanInputException>(() => m28.call(wrong));
    }

    [Fact]
    public void LearnsASeparableTaskAndReportsHeldOutAccuracy()
    {
        using var train = Squares(200, 1);
        using var test = Squares(100, 2);
        var lines = new List<string>();
        using var model = DigitClassifier.Train(train, test, "squares",
            new DigitClassifierTraining { Epochs = 5, BatchSize = 20, Lr = 5e-3, Seed = 5, Augment = false }, width: 4, featureDim: 16, log: lines.Add);
        Assert.Equal(5, lines.Count);
        Assert.InRange(model.Info.TestAccuracy, 0.9, 1.0);
        Assert.Equal(DigitClassifier.Accuracy(model, test), model.Info.TestAccuracy);
        Assert.Equal((100, 200, "squares", 10), (model.Info.TestCount, model.Info.TrainCount, model.Info.Dataset, model.Info.Classes));
        Assert.False(model.training);
    }
}
