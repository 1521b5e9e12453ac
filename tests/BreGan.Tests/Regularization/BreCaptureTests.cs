using BreGan;
using TorchSharp.Modules;

namespace BreGan.Tests.Regularization;

public class BreCaptureTests
{
    // A small MLP with 4 rectifiers, as a Sequential (which disposes intermediate outputs).
    static Sequential Mlp() => nn.Sequential(
        ("fc1", nn.Linear(2, 8)), ("act1", nn.LeakyReLU(0.2)),
        ("fc2", nn.Linear(8, 8)), ("act2", nn.LeakyReLU(0.2)),
        ("fc3", nn.Linear(8, 8)), ("act3", nn.ReLU()),
        ("fc4", nn.Linear(8, 8)), ("act4", nn.ReLU()),
        ("out", nn.Linear(8, 1)));

    sealed class ConvNet : nn.Module<Tensor, Tensor>
    {
        private readonly Conv2d conv1 = nn.Conv2d(3, 4, 3, stride: 2, padding: 1);
        private readonly LeakyReLU act1 = nn.LeakyReLU(0.2);
        private readonly Conv2d conv2 = nn.Conv2d(4, 8, 3, stride: 2, padding: 1);
        private readonly BatchNorm2d bn2 = nn.BatchNorm2d(8);
        private readonly LeakyReLU act2 = nn.LeakyReLU(0.2);
        private readonly Conv2d conv3 = nn.Conv2d(8, 8, 3, stride: 2, padding: 1);
        private readonly ReLU act3 = nn.ReLU(inplace: true);
        private readonly Linear head = nn.Linear(8 * 2 * 2, 1);
        public ConvNet() : base(nameof(ConvNet)) => RegisterComponents();
        public override Tensor forward(Tensor x)
        {
            x = act1.call(conv1.call(x));
            x = act2.call(bn2.call(conv2.call(x)));
            x = act3.call(conv3.call(x));
            return head.call(x.flatten(1));
        }
    }

    [Theory]
    [InlineData("all-but-first-and-last", "act2,act3")]
    [InlineData("all", "act1,act2,act3,act4")]
    [InlineData("first", "act1")]
    [InlineData("last", "act4")]
    [InlineData("first-and-last", "act1,act4")]
    [InlineData("middle", "act3")]
    [InlineData("even", "act2,act4")]
    [InlineData("layers:2", "act2")]
    [InlineData("names:fc2,act3", "fc2,act3")]
    public void PlacementPoliciesPickLayersOfAnMlp(string policy, string expected)
    {
        using var mlp = Mlp();
        using var capture = BreCapture.Attach(mlp, BrePlacement.Parse(policy));
        Assert.Equal(expected.Split(','), capture.LayerNames);
    }

    [Theory]
    [InlineData("all-but-first-and-last", "act2")]
    [InlineData("all", "act1,act2,act3")]
    [InlineData("first-and-last", "act1,act3")]
    public void PlacementPoliciesPickLayersOfAConvNet(string policy, string expected)
    {
        using var net = new ConvNet();
        using var capture = BreCapture.Attach(net, BrePlacement.Parse(policy));
        Assert.Equal(expected.Split(','), capture.LayerNames);
    }

    [Fact]
    public void CapturesPreActivationsOfASequentialThatDisposesIntermediates()
    {
        using var mlp = Mlp();
        using var capture = BreCapture.Attach(mlp, BrePlacement.Parse("all"));
        using var x = randn(6, 2, generator: new Generator(1));
        using var y = mlp.call(x);
        var captured = capture.Captured;
        Assert.Equal(4, captured.Count);
        // The first capture is exactly fc1(x), the input of act1: not rectified, still alive.
        var fc1 = (Linear)mlp.named_modules().First(m => m.name == "fc1").module;
        using var expected = fc1.call(x);
        Assert.True(allclose(captured[0], expected));
        Assert.True(captured[0].lt(0).any().item<bool>(), "pre-activations should keep their negative entries");
        using var terms = capture.Compute();
        Assert.True(terms.Total.item<float>() > 0);
        Assert.False(capture.HasCapture); // released after Compute
    }

    [Fact]
    public void BreGradientReachesTheModelThroughHooks()
    {
        using var net = new ConvNet();
        using var capture = BreCapture.Attach(net, BrePlacement.Parse("all"), new BreOptions { Margin = 1 });
        using var x = randn(8, 3, 16, 16, generator: new Generator(2));
        using var y = net.call(x);
        using var terms = capture.Compute();
        terms.Total.backward();
        var conv1 = (Conv2d)net.named_modules().First(m => m.name == "conv1").module;
        Assert.True(conv1.weight!.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void InPlaceRectifierCaptureKeepsNegativeValues()
    {
        using var net = new ConvNet();
        using var capture = BreCapture.Attach(net, BrePlacement.Parse("last"));
        using var x = randn(8, 3, 16, 16, generator: new Generator(3));
        using var y = net.call(x);
        Assert.True(capture.Captured[0].lt(0).any().item<bool>());
    }

    [Fact]
    public void EachPassReplacesTheLastAndForwardDoesNotFireHooks()
    {
        using var mlp = Mlp();
        using var capture = BreCapture.Attach(mlp);
        using var a = randn(4, 2);
        using var b = randn(5, 2);
        using (mlp.call(a)) { }
        using (mlp.call(b)) { }
        Assert.Equal(5, capture.Captured[0].shape[0]);
        capture.Release();
        using (mlp.forward(a)) { }   // Sequential.forward calls children through call(): hooks fire
        Assert.True(capture.HasCapture);
        capture.Release();
        using (capture.Pause()) using (mlp.call(a)) { }
        Assert.False(capture.HasCapture);
        Assert.Throws<InvalidOperationException>(() => capture.Captured);
    }

    [Fact]
    public void DetachedModelCapturesNothing()
    {
        using var mlp = Mlp();
        var capture = BreCapture.Attach(mlp);
        capture.Dispose();
        using var x = randn(4, 2);
        using (mlp.call(x)) { }
        Assert.False(capture.HasCapture);
        // A new capture on the same model works after the old one is gone.
        using var again = BreCapture.Attach(mlp);
        using (mlp.call(x)) { }
        Assert.True(again.HasCapture);
    }

    [Fact]
    public void BadPlacementsAreRefusedWithChoices()
    {
        using var mlp = Mlp();
        Assert.Contains("valid:", Assert.Throws<ArgumentException>(() => BrePlacement.Parse("sideways")).Message);
        Assert.Contains("does not exist", Assert.Throws<ArgumentException>(() => BreCapture.Attach(mlp, BrePlacement.Parse("layers:9"))).Message);
        Assert.Contains("valid:", Assert.Throws<ArgumentException>(() => BreCapture.Attach(mlp, BrePlacement.Parse("names:nope"))).Message);
        using var tiny = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1));
        Assert.Contains("selects no layer", Assert.Throws<ArgumentException>(() => BreCapture.Attach(tiny)).Message);
        using var linear = nn.Linear(2, 2);
        Assert.Contains("has none", Assert.Throws<ArgumentException>(() => BreCapture.Attach(linear)).Message);
    }

    [Fact]
    public void PlacementTextRoundTrips()
    {
        foreach (var text in new[] { "all-but-first-and-last", "all", "first", "last", "first-and-last", "middle", "even", "layers:2,3", "names:a,b" })
            Assert.Equal(text, BrePlacement.Parse(text).ToString());
        Assert.Equal(BrePlacement.Default, BrePlacement.Parse("lfl1"));
    }

    [Fact]
    public void StepsWithCaptureLeaveNoLiveTensors()
    {
        using var net = new ConvNet();
        using var capture = BreCapture.Attach(net, BrePlacement.Parse("all"));
        using var x = randn(8, 3, 16, 16);
        void Step()
        {
            using var scope = NewDisposeScope();
            var y = net.call(x);
            using var terms = capture.Compute();
            (y.mean() + terms.Total).backward();
        }
        for (int i = 0; i < 3; i++) Step();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 20; i++) Step();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
