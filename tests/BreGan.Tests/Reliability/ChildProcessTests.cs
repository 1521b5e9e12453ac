using System.Diagnostics;
using System.Text;
using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Reliability;

/// <summary>
/// The real thing: the bregan tool (BreGan.Cli.dll from this test's output folder) in a child
/// process, stopped with SIGINT, SIGTERM and SIGKILL. Linux and macOS only (POSIX signals).
/// </summary>
public class ChildProcessTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-child-").FullName;
    public void Dispose() => Directory.Delete(root, true);

    static readonly string[] Small =
    {
        "--preset", "ring8", "--set", "train.batch_size=16", "--set", "train.threads=1", "--set", "eval.samples=100",
        "--set", "eval.monitor_batch=16", "--set", "eval.mosaic=false", "--plain",
    };

    [Fact]
    public void InterruptedRunsResumeToTheSameMetrics()
    {
        if (OperatingSystem.IsWindows()) return;
        var settings = Small.Concat(new[] { "--set", "train.iterations=400", "--set", "eval.every=50", "--set", "train.checkpoint_every=200" }).ToArray();

        var whole = Path.Combine(root, "whole");
        using (var reference = CliProcess.Start(new[] { "train", "--out", whole }.Concat(settings)))
            Assert.Equal(0, reference.WaitForExit());

        // Ctrl+C right after the first evaluation: the step finishes, a checkpoint is written, exit 130.
        var parts = Path.Combine(root, "parts");
        using (var first = CliProcess.Start(new[] { "train", "--out", parts }.Concat(settings)))
        {
            first.WaitForOutput("iteration 50/400");
            first.Signal("INT");
            Assert.Equal(130, first.WaitForExit());
            Assert.Contains($"Continue with: bregan train --resume {parts}", first.Output);
        }
        int firstStop = Checkpoint.List(Path.Combine(parts, "checkpoints"))[0].Iteration;
        Assert.InRange(firstStop, 50, 300);
        Assert.False(File.Exists(Path.Combine(parts, RunLock.FileName)), "an interrupted run releases its lock");

        // SIGTERM (a scheduler's stop) on the resumed run: the same, exit 143.
        using (var second = CliProcess.Start("train", "--resume", parts, "--plain"))
        {
            second.WaitForOutput($"Resuming from {Path.Combine(parts, "checkpoints", Checkpoint.FileName(firstStop))} (iteration {firstStop})");
            // An evaluation line ("iteration N/400 (..%)"), not the resume line, which also says "iteration".
            second.WaitForOutput("/400 (");
            second.Signal("TERM");
            Assert.Equal(143, second.WaitForExit());
        }
        Assert.True(Checkpoint.List(Path.Combine(parts, "checkpoints"))[0].Iteration > firstStop);

        using (var last = CliProcess.Start("train", "--resume", parts, "--plain"))
            Assert.Equal(0, last.WaitForExit());

        var a = MetricsLog.Read(Path.Combine(whole, "metrics.csv"));
        var b = MetricsLog.Read(Path.Combine(parts, "metrics.csv"));
        Assert.Equal(8, a.Count);
        Assert.Equal(a.Select(r => r["iteration"]), b.Select(r => r["iteration"]));
        for (int i = 0; i < a.Count; i++)
            foreach (var key in a[i].Keys.Where(k => k != "seconds"))
                Assert.True(a[i][key].Equals(b[i][key]), $"row {i} {key}: {a[i][key]} vs {b[i][key]}");
    }

    [Fact]
    public void KilledMidSaveLeavesALoadableCheckpointAndAStaleLock()
    {
        if (OperatingSystem.IsWindows()) return;
        var dir = Path.Combine(root, "killed");
        var checkpoints = Path.Combine(dir, "checkpoints");
        // A checkpoint after every step, of a model big enough that saving takes most of the time.
        var args = new[] { "train", "--out", dir }.Concat(Small).Concat(new[]
        {
            "--set", "train.iterations=1000000", "--set", "train.checkpoint_every=1", "--set", "eval.every=0",
            "--set", "model.discriminator_width=256", "--set", "model.generator_width=256",
        });
        using (var child = CliProcess.Start(args))
        {
            WaitUntil(() => Checkpoint.List(checkpoints).Count >= 2, child);

            // While it trains, a second run on the folder is refused and --force does not wipe it.
            // (Short settings, so that a broken lock fails this test quickly instead of training for long.)
            var (code, error) = RunInProcess("train", "--resume", dir, "--set", "train.iterations=3", "--force");
            Assert.Equal(2, code);
            Assert.Contains($"in use by process {child.Id}", error);
            (code, error) = RunInProcess(new[] { "train", "--out", dir, "--force", "--set", "train.iterations=3" }.Concat(Small).ToArray());
            Assert.Equal(2, code);
            Assert.Contains("in use", error);

            // SIGKILL the moment a checkpoint is being written (its temporary file exists).
            WaitUntil(() => Directory.GetFiles(checkpoints, "*.tmp").Length > 0, child, pollMs: 0);
            child.Signal("KILL");
            child.WaitForExit();
        }
        Assert.NotEmpty(Directory.GetFiles(checkpoints, "*.tmp")); // it really died mid-save
        var (newest, skipped) = Checkpoint.NewestValid(checkpoints);
        Assert.NotNull(newest);
        Assert.Empty(skipped);
        Assert.True(File.Exists(Path.Combine(dir, RunLock.FileName)), "SIGKILL leaves the lock behind");

        // The newest checkpoint loads in full, and --resume takes over the stale lock.
        var config = RunFolder.Open(dir).ReadConfig();
        using (var experiment = ExperimentRunner.Create(config))
            Assert.Equal(newest.Value.Iteration, Checkpoint.Load(newest.Value.Path, experiment.Variant));
        using (var resumed = CliProcess.Start("train", "--resume", dir, "--plain"))
        {
            resumed.WaitForOutput($"Resuming from {newest.Value.Path} (iteration {newest.Value.Iteration})");
            resumed.WaitForOutput("stale lock");
            WaitUntil(() => Checkpoint.List(checkpoints)[0].Iteration > newest.Value.Iteration + 1, resumed);
            resumed.Signal("INT");
            Assert.Equal(130, resumed.WaitForExit());
        }
        Assert.Empty(Directory.GetFiles(checkpoints, "*.tmp")); // the partial file of the killed run is gone
        Assert.All(Checkpoint.List(checkpoints), c => Assert.Null(Checkpoint.Verify(c.Path)));
        Assert.False(File.Exists(Path.Combine(dir, RunLock.FileName)));
    }

    static void WaitUntil(Func<bool> condition, CliProcess child, int pollMs = 20, int timeoutMs = 60_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (child.HasExited) throw new Xunit.Sdk.XunitException($"the child exited early ({child.ExitCode}): {child.Output}");
            if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"condition not met within {timeoutMs} ms: {child.Output}");
            if (pollMs > 0) Thread.Sleep(pollMs);
        }
    }

    static (int Code, string Error) RunInProcess(params string[] args)
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try { return (EntryPoint.Run(args), err.ToString()); }
        finally { Console.SetError(saved); }
    }
}

/// <summary>The bregan tool in a child process: <c>dotnet BreGan.Cli.dll ARGS</c>, its output captured.</summary>
internal sealed class CliProcess : IDisposable
{
    readonly Process process;
    readonly StringBuilder output = new();

    CliProcess(Process process) => this.process = process;

    /// <summary>The tool as built next to the tests (the test project references the CLI project).</summary>
    public static string CliDll => Path.Combine(AppContext.BaseDirectory, "BreGan.Cli.dll");

    static string DotNet =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host
        : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";

    public static CliProcess Start(params string[] args) => Start((IEnumerable<string>)args);

    public static CliProcess Start(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(DotNet)
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
        };
        psi.ArgumentList.Add(CliDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        var child = new CliProcess(p);
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (child.output) child.output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (child.output) child.output.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return child;
    }

    public int Id => process.Id;
    public bool HasExited => process.HasExited;
    public int ExitCode => process.ExitCode;
    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>Waits until the output contains <paramref name="text"/>.</summary>
    public void WaitForOutput(string text, int timeoutMs = 60_000)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text))
        {
            if (process.HasExited && !Output.Contains(text))
            {
                process.WaitForExit(); // flush the readers
                if (Output.Contains(text)) return;
                throw new Xunit.Sdk.XunitException($"the child exited ({process.ExitCode}) before printing '{text}': {Output}");
            }
            if (clock.ElapsedMilliseconds > timeoutMs) throw new TimeoutException($"no '{text}' within {timeoutMs} ms: {Output}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Sends a POSIX signal: KILL at once (no helper process), INT and TERM with kill(1).</summary>
    public void Signal(string name)
    {
        if (name == "KILL") { process.Kill(); return; }
        using var kill = Process.Start(new ProcessStartInfo("kill") { UseShellExecute = false, ArgumentList = { "-" + name, Id.ToString() } })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    public int WaitForExit(int timeoutMs = 120_000)
    {
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the child did not exit within {timeoutMs} ms: {Output}");
        }
        process.WaitForExit(); // flush the readers
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited) { process.Kill(entireProcessTree: true); process.WaitForExit(); }
        process.Dispose();
    }
}
