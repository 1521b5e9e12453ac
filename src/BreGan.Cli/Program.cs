using TorchSharp;
var t = torch.ones(3).sum();
Console.WriteLine(t.item<float>());
