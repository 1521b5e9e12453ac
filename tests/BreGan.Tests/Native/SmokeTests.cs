namespace BreGan.Tests.Native;
public class SmokeTests
{
    [Fact]
    public void TorchSharpLoads() => Assert.Equal(3f, ones(3).sum().item<float>());
}
