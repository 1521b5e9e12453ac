using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Training;

public class ConfigTests
{
    [Fact]
    public void JsonRoundTripsWithSnakeCaseKeys()
    {
        var c = Presets.Get("grid25");
        var json = c.ToJson();
        Assert.Contains("\"batch_size\"", json);
        Assert.Contains("\"iterations\"", json);
        Assert.Equal(c.ToJson(), ExperimentConfig.FromJson(json).ToJson());
    }

    [Fact]
    public void SetOverridesTypedValues()
    {
        var c = Presets.Get("grid25").With(new[] { "train.iterations=123", "bre.weight=0", "bre.placement=all", "data.means=[[0,0],[1,1]]", "loss.kind=hinge" });
        Assert.Equal(123, c.Train.Iterations);
        Assert.Equal(0, c.Bre.Weight);
        Assert.Equal("all", c.Bre.Placement);
        Assert.Equal(2, c.Data.Means!.Length);
        Assert.Equal("hinge", c.Loss.Kind);
    }

    [Theory]
    [InlineData("train.iterationz=5", "unknown key 'iterationz'")]
    [InlineData("trane.iterations=5", "unknown section 'trane'")]
    [InlineData("train.iterations=many", "train.iterations")]
    [InlineData("train.iterations", "expected key=value")]
    public void BadOverridesNameTheKey(string set, string expected)
    {
        var e = Assert.Throws<BreGanInputException>(() => Presets.Get("grid25").With(new[] { set }));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownJsonKeysAreRefused()
    {
        var json = Presets.Get("ring8").ToJson().Replace("\"batch_size\"", "\"batchsize\"");
        var e = Assert.Throws<BreGanInputException>(() => ExperimentConfig.FromJson(json));
        Assert.Contains("batchsize", e.Message);
    }

    [Theory]
    [InlineData("train.lr=0", "train.lr must be > 0")]
    [InlineData("train.iterations=0", "train.iterations must be > 0")]
    [InlineData("train.batch_size=1", "batch_size must be >= 2 with BRE on")]
    [InlineData("bre.margin=0.5", "bre.margin must be >= 1")]
    [InlineData("data.std=-1", "data.std must be > 0")]
    [InlineData("loss.kind=lsgan", "valid: ns, minimax, wgan-gp, hinge")]
    [InlineData("bre.placement=sideways", "valid: all-but-first-and-last")]
    [InlineData("train.device=tpu", "valid: cpu, cuda")]
    public void ValidationNamesTheProblem(string set, string expected)
    {
        var e = Assert.Throws<BreGanInputException>(() => Presets.Get("grid25").With(new[] { set }).Validate());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void BatchOfOneIsFineWithoutBre()
    {
        Presets.Get("grid25").With(new[] { "train.batch_size=1", "bre.weight=0" }).Validate();
    }

    [Fact]
    public void UnknownPresetAndDatasetListChoices()
    {
        Assert.Contains("valid: ring8, grid25", Assert.Throws<BreGanInputException>(() => Presets.Get("moons")).Message);
        var c = Presets.Get("grid25").With(new[] { "data.dataset=moons" });
        Assert.Contains("valid: ring8, grid25, mixture", Assert.Throws<BreGanInputException>(() => Toy2D.Mixture(c.Data)).Message);
        var m = Presets.Get("grid25").With(new[] { "data.dataset=mixture", "data.means=[[0,0],[1,1]]" });
        Assert.Contains("data.std must be > 0", Assert.Throws<BreGanInputException>(() => Toy2D.Mixture(m.Data)).Message);
        var ok = Toy2D.Mixture(m.With(new[] { "data.std=0.1" }).Data);
        Assert.Equal(2, ok.Count);
    }
}
