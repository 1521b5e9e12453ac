using BreGan.Experiments;
using BreGan.Tests.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Reporting;

/// <summary>One tiny 2D run (60 iterations, 3 evaluations) shared by the reporting tests.</summary>
public sealed class TinyRunFixture : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bregan-report-").FullName;
    public RunFolder Run { get; }
    public ExperimentConfig Config { get; } = Toy2DTests.Tiny();

    public TinyRunFixture()
    {
        Run = RunFolder.Create(Path.Combine(Root, "run"), force: false);
        Run.WriteConfig(Config);
        ExperimentRunner.Train(Config, Run);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class TinyRunCollection : ICollectionFixture<TinyRunFixture>
{
    public const string Name = "tiny run";
}
