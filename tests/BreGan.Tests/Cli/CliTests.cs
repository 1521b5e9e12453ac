using BreGan.Cli;
using BreGan.Training;

namespace BreGan.Tests.Cli;

public class CliTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-cli-").FullName;
    public void Dispose() => Directory.Delete(root, true);

    (int Code, string Error) Run(params string[] args)
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try { return (EntryPoint.Run(args), err.ToString()); }
        finally { Console.SetError(saved); }
    }

    static readonly string[] Tiny =
    {
        "--set", "train.iterations=20", "--set", "train.batch_size=16", "--set", "eval.every=10",
        "--set", "eval.samples=100", "--set", "eval.monitor_batch=16", "--set", "eval.mosaic_resolution=12", "--plain",
    };

    [Theory]
    [InlineData(1000.0, "1000")]     // a mode count, not 1E+03
    [InlineData(26000.0, "26000")]
    [InlineData(0.5616, "0.562")]
    [InlineData(4.87721, "4.88")]
    [InlineData(-3.0, "-3")]
    [InlineData(double.NaN, "NaN")]
    public void ProgressNumbersShowCountsWhole(double value, string expected) => Assert.Equal(expected, Commands.Short(value));

    [Theory]
    [InlineData("valid: ring8, grid25", "train", "--preset", "moons", "--out", "X")]
    [InlineData("train.lr must be > 0", "train", "--preset", "grid25", "--set", "train.lr=0", "--out", "X")]
    [InlineData("valid: ns, minimax, wgan-gp, hinge", "train", "--preset", "grid25", "--set", "loss.kind=gan", "--out", "X")]
    [InlineData("valid: all-but-first-and-last", "train", "--preset", "grid25", "--set", "bre.placement=up", "--out", "X")]
    [InlineData("data.std must be > 0", "train", "--preset", "grid25", "--set", "data.std=-2", "--out", "X")]
    [InlineData("Unknown option '--epochs'", "train", "--preset", "grid25", "--epochs", "3", "--out", "X")]
    [InlineData("Unknown command 'fly'", "fly")]
    [InlineData("--seeds must be >= 1", "compare", "--preset", "grid25", "--seeds", "0", "--out", "X")]
    public void BadInputIsOneLineExitTwoAndNoFolder(string expected, params string[] args)
    {
        var folder = Path.Combine(root, "X");
        var (code, error) = Run(args.Select(a => a == "X" ? folder : a).ToArray());
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void ExistingRunIsNeverOverwrittenWithoutForce()
    {
        var dir = Path.Combine(root, "run");
        Assert.Equal(0, Run(new[] { "train", "--preset", "ring8", "--out", dir }.Concat(Tiny).ToArray()).Code);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(dir, "summary.json"));
        var (code, error) = Run(new[] { "train", "--preset", "ring8", "--out", dir }.Concat(Tiny).ToArray());
        Assert.Equal(2, code);
        Assert.Contains("--force", error);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(dir, "summary.json")));
        Assert.Equal(0, Run(new[] { "train", "--preset", "ring8", "--out", dir, "--force" }.Concat(Tiny).ToArray()).Code);

        // A resume with a changed config is refused, naming the difference; the same config continues.
        var (code2, error2) = Run("train", "--resume", dir, "--set", "bre.weight=0.5");
        Assert.Equal(2, code2);
        Assert.Contains("bre.weight: 1 -> 0.5", error2);
        Assert.Equal(0, Run("train", "--resume", dir, "--set", "train.iterations=30", "--force", "--plain").Code);
        Assert.Equal(30, RunFolder.ReadSummary(Path.Combine(dir, "summary.json"))["iterations"]);
    }

    [Fact]
    public void ForceRefusesToWipeAFolderThatIsNotARun()
    {
        var dir = Path.Combine(root, "precious");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "thesis.tex"), "years of work");
        var (code, error) = Run(new[] { "train", "--preset", "ring8", "--out", dir, "--force" }.Concat(Tiny).ToArray());
        Assert.Equal(2, code);
        Assert.Contains("not a BreGan run folder", error);
        Assert.True(File.Exists(Path.Combine(dir, "thesis.tex")));
    }

    [Fact]
    public void InfoAndHelpSucceed()
    {
        Assert.Equal(0, Run("info").Code);
        Assert.Equal(0, Run("--help").Code);
        Assert.Equal(0, Run("train", "--help").Code);
    }

    [Fact]
    public void CompareWritesTheComparisonFiles()
    {
        var dir = Path.Combine(root, "cmp");
        var args = new[] { "compare", "--preset", "ring8", "--seeds", "2", "--out", dir }.Concat(Tiny).ToArray();
        Assert.Equal(0, Run(args).Code);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "comparison.json")))!;
        foreach (var arm in new[] { "baseline", "bre" })
        {
            Assert.NotNull(json["arms"]![arm]!["mean"]!["modes"]);
            Assert.NotNull(json["arms"]![arm]!["stderr"]!["hq_fraction"]);
            Assert.Equal(2, json["arms"]![arm]!["runs"]!.AsArray().Count);
            Assert.Equal(1, json["arms"]![arm]!["runs"]![0]!["seed"]!.GetValue<long>());
        }
        Assert.Equal(0.0, json["arms"]!["baseline"]!["runs"]![0]!["bre"]!.GetValue<double>());
        Assert.Contains("| modes |", File.ReadAllText(Path.Combine(dir, "comparison.md")));
        Assert.True(File.Exists(Path.Combine(dir, "mosaic-side-by-side.gif")));
    }
}
