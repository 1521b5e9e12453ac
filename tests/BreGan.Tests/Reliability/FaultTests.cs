using System.Diagnostics;
using BreGan.Cli;
using BreGan.Experiments;
using BreGan.Training;

namespace BreGan.Tests.Reliability;

/// <summary>Faults handled inside one process: damaged checkpoints, full disks, read-only folders, locks, divergence, bad configs.</summary>
public class FaultTests : IDisposable
{
    readonly string root = Directory.CreateTempSubdirectory("bregan-faults-").FullName;

    public void Dispose()
    {
        Checkpoint.OpenForWriteOverride = null;
        Storage.MakeWritable(root);
        Directory.Delete(root, true);
    }

    static ExperimentConfig Tiny(int iterations = 60, int checkpointEvery = 20) => Presets.Get("ring8").With(new[]
    {
        $"train.iterations={iterations}", "train.batch_size=16", $"train.checkpoint_every={checkpointEvery}", "train.keep_checkpoints=3",
        "eval.every=20", "eval.samples=100", "eval.monitor_batch=16", "eval.mosaic=false",
    }).Validate();

    static RunFolder NewRun(string path, ExperimentConfig config)
    {
        var run = RunFolder.Create(path, force: false);
        run.WriteConfig(config);
        return run;
    }

    static (int Code, string Error) Cli(params string[] args)
    {
        var err = new StringWriter();
        var saved = Console.Error;
        Console.SetError(err);
        try { return (EntryPoint.Run(args), err.ToString()); }
        finally { Console.SetError(saved); }
    }

    // ---- checkpoints ---------------------------------------------------------------------------

    [Fact]
    public void ResumeSkipsDamagedCheckpointsAndSaysWhichItUsed()
    {
        var config = Tiny();
        var run = NewRun(Path.Combine(root, "run"), config);
        ExperimentRunner.Train(config, run);
        var ckpt = Checkpoint.List(run.CheckpointsPath).ToDictionary(c => c.Iteration, c => c.Path);
        Assert.Equal(new[] { 20, 40, 60 }, ckpt.Keys.Order());

        // Newest cut short (as by a crash without atomic writes), the next one with one flipped bit.
        var bytes = File.ReadAllBytes(ckpt[60]);
        File.WriteAllBytes(ckpt[60], bytes[..(bytes.Length / 2)]);
        bytes = File.ReadAllBytes(ckpt[40]);
        bytes[bytes.Length / 3] ^= 0x10;
        File.WriteAllBytes(ckpt[40], bytes);
        Assert.Contains("truncated", Checkpoint.Verify(ckpt[60]));
        Assert.Contains("checksum mismatch", Checkpoint.Verify(ckpt[40]));
        Assert.Null(Checkpoint.Verify(ckpt[20]));

        var log = new List<string>();
        var longer = config with { Train = config.Train with { Iterations = 80 } };
        run.WriteConfig(longer);
        var summary = ExperimentRunner.Train(longer, run, resume: true, callbacks: new RunCallbacks { Log = log.Add });
        Assert.Equal(80, summary["iterations"]);
        Assert.Contains(log, l => l.Contains("Skipping checkpoint ckpt_0000060.bin") && l.Contains("truncated"));
        Assert.Contains(log, l => l.Contains("Skipping checkpoint ckpt_0000040.bin") && l.Contains("checksum"));
        Assert.Contains(log, l => l.StartsWith("Resuming from") && l.Contains("ckpt_0000020.bin") && l.Contains("iteration 20"));
        Assert.True(File.Exists(ckpt[60] + ".invalid"));
        Assert.Equal(new[] { 20.0, 40, 60, 80 }, MetricsLog.Read(run.MetricsPath).Select(r => r["iteration"]));
        Assert.All(Checkpoint.List(run.CheckpointsPath), c => Assert.Null(Checkpoint.Verify(c.Path)));
    }

    [Fact]
    public void CheckpointOfAnotherModelIsRefusedBeforeAnythingChanges()
    {
        var config = Tiny(20);
        var run = NewRun(Path.Combine(root, "a"), config);
        ExperimentRunner.Train(config, run);
        var path = Checkpoint.List(run.CheckpointsPath)[0].Path;

        var wider = config.With(new[] { "model.discriminator_width=12" });
        using var experiment = ExperimentRunner.Create(wider);
        var g = experiment.Variant.Modules[0].Module;
        var before = g.parameters().Select(p => p.clone()).ToList();
        var e = Assert.Throws<BreGanInputException>(() => Checkpoint.Load(path, experiment.Variant));
        Assert.Contains("discriminator", e.Message);
        Assert.Contains("[12, 2]", e.Message); // names the shape this model has
        // G comes first in the file and matches, yet it was not touched: the whole file is checked first.
        Assert.All(g.parameters().Zip(before), p => Assert.True(p.First.allclose(p.Second, rtol: 0, atol: 0)));
        foreach (var t in before) t.Dispose();
    }

    // ---- full disk and read-only folders ----------------------------------------------------

    [Fact]
    public void FullDiskWhileSavingKeepsThePreviousCheckpoint_InjectedError()
    {
        var config = Tiny(20);
        var run = NewRun(Path.Combine(root, "full"), config);
        ExperimentRunner.Train(config, run);
        var previous = Checkpoint.List(run.CheckpointsPath)[0].Path;

        using var experiment = ExperimentRunner.Create(config);
        Checkpoint.OpenForWriteOverride = s => new FullDiskStream(s, capacity: 4096);
        var e = Assert.Throws<BreGanInputException>(() => Checkpoint.Save(run.CheckpointsPath, 30, config, experiment.Variant));
        Assert.Contains("No space left on device", e.Message);
        Assert.Contains($"previous checkpoint '{previous}' is intact", e.Message);
        Assert.Empty(Directory.GetFiles(run.CheckpointsPath, "*.tmp"));
        Assert.Null(Checkpoint.Verify(previous));
        Assert.Single(Checkpoint.List(run.CheckpointsPath));

        Checkpoint.OpenForWriteOverride = null;
        Checkpoint.Save(run.CheckpointsPath, 30, config, experiment.Variant);
        Assert.Equal(30, Checkpoint.List(run.CheckpointsPath)[0].Iteration);
    }

    /// <summary>
    /// A real ENOSPC: the run folder on a 256 KiB tmpfs that a filler file fills right after the
    /// first checkpoint. Mounting needs root; elsewhere the same run gets the error injected.
    /// </summary>
    [Fact]
    public void FullDiskDuringARunStopsWithAClearErrorAndAResumableFolder()
    {
        var mount = Path.Combine(root, "tmpfs");
        bool real = Storage.TryMountTmpfs(mount, 256 * 1024);
        try
        {
            var config = Tiny(40, checkpointEvery: 10);
            var run = NewRun(Path.Combine(mount, "run"), config);
            var callbacks = new RunCallbacks
            {
                Evaluated = (it, _) =>
                {
                    if (it != 20) return;
                    if (real) Storage.Fill(mount, leave: 8 * 1024);
                    else Checkpoint.OpenForWriteOverride = s => new FullDiskStream(s, capacity: 4096);
                },
            };
            var e = Assert.Throws<BreGanInputException>(() => ExperimentRunner.Train(config, run, callbacks: callbacks));
            Assert.Contains("ckpt_0000020.bin", e.Message);
            Assert.Contains("No space left on device", e.Message);
            var survivor = Checkpoint.List(run.CheckpointsPath).Single();
            Assert.Equal(10, survivor.Iteration);
            Assert.Contains($"'{survivor.Path}' is intact", e.Message);
            Assert.Null(Checkpoint.Verify(survivor.Path));
            Assert.False(File.Exists(Path.Combine(run.Path, RunLock.FileName)), "the lock is released on failure");

            // Space freed: the run continues from that checkpoint.
            Checkpoint.OpenForWriteOverride = null;
            File.Delete(Path.Combine(mount, "filler"));
            Assert.Equal(40, ExperimentRunner.Train(config, run, resume: true)["iterations"]);
        }
        finally
        {
            Checkpoint.OpenForWriteOverride = null;
            if (real) Storage.Unmount(mount);
        }
    }

    [Fact]
    public void ReadOnlyOutputFolderIsOneClearLine()
    {
        var parent = Path.Combine(root, "locked-parent");
        Directory.CreateDirectory(parent);
        using var readOnly = Storage.MakeReadOnly(parent);
        var (code, error) = Cli("train", "--preset", "ring8", "--out", Path.Combine(parent, "run"), "--plain");
        Assert.Equal(2, code);
        Assert.Contains("Cannot create run folder", error);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    [Fact]
    public void CheckpointFolderTurningReadOnlyKeepsThePreviousCheckpoint()
    {
        var config = Tiny(40, checkpointEvery: 10);
        var run = NewRun(Path.Combine(root, "ro"), config);
        IDisposable? readOnly = null;
        try
        {
            var callbacks = new RunCallbacks { Evaluated = (it, _) => { if (it == 20) readOnly = Storage.MakeReadOnly(run.CheckpointsPath); } };
            var e = Assert.Throws<BreGanInputException>(() => ExperimentRunner.Train(config, run, callbacks: callbacks));
            Assert.Contains("Cannot write checkpoint", e.Message);
            Assert.Contains("ckpt_0000010.bin' is intact", e.Message);
        }
        finally { readOnly?.Dispose(); }
        Assert.Equal(10, Checkpoint.List(run.CheckpointsPath).Single().Iteration);
        Assert.Null(Checkpoint.Verify(Checkpoint.List(run.CheckpointsPath)[0].Path));
    }

    // ---- run-folder lock --------------------------------------------------------------------

    [Fact]
    public void ASecondRunOnALockedFolderIsRefused()
    {
        var dir = Path.Combine(root, "locked");
        var config = Tiny(20);
        var run = NewRun(dir, config);
        ExperimentRunner.Train(config, run);
        Assert.False(File.Exists(Path.Combine(dir, RunLock.FileName)), "a finished run leaves no lock");

        using (RunLock.Acquire(dir)) // as if another run of this process were training there
        {
            var (code, error) = Cli("train", "--resume", dir);
            Assert.Equal(2, code);
            Assert.Contains($"is in use by process {Environment.ProcessId}", error);
            (code, error) = Cli("train", "--preset", "ring8", "--out", dir, "--force", "--plain");
            Assert.Equal(2, code);
            Assert.Contains("in use", error);
            Assert.NotEmpty(Checkpoint.List(run.CheckpointsPath)); // --force did not wipe it
            Assert.Throws<BreGanInputException>(() => ExperimentRunner.Train(config, run, resume: true));
            Assert.Throws<BreGanInputException>(() => RunLock.Acquire(dir));
        }
        Assert.False(File.Exists(Path.Combine(dir, RunLock.FileName)));
    }

    [Fact]
    public void StaleLocksAreTakenOverAndForeignHostsAreNot()
    {
        var dir = Path.Combine(root, "stale");
        Directory.CreateDirectory(dir);
        var lockPath = Path.Combine(dir, RunLock.FileName);

        // A process that has exited (as after a crash or SIGKILL).
        using var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        gone.WaitForExit();
        WriteLock(lockPath, gone.Id, Environment.MachineName, DateTime.UtcNow.AddMinutes(-5));
        var log = new List<string>();
        using (var taken = RunLock.Acquire(dir, log.Add))
        {
            Assert.Contains(log, l => l.Contains($"stale lock of process {gone.Id}"));
            Assert.Equal(Environment.ProcessId, RunLock.ReadOwner(lockPath)!.Pid);
        }

        // This process's id but another start time: the id was recycled, so the lock is stale.
        WriteLock(lockPath, Environment.ProcessId, Environment.MachineName, RunLock.Self().StartedUtc.AddHours(-1));
        RunLock.Acquire(dir).Dispose();

        // Another machine's process cannot be checked: refused, with the way out.
        WriteLock(lockPath, 12345, "some-other-host", DateTime.UtcNow);
        var e = Assert.Throws<BreGanInputException>(() => RunLock.Acquire(dir));
        Assert.Contains("some-other-host", e.Message);
        Assert.Contains($"delete '{lockPath}'", e.Message);
    }

    static void WriteLock(string path, int pid, string host, DateTime started) => File.WriteAllText(path,
        System.Text.Json.JsonSerializer.Serialize(new { pid, host, started_utc = started.ToString("O") }));

    // ---- divergence -------------------------------------------------------------------------

    [Fact]
    public void DivergenceStopsWithExitThreeNamingTheLastGoodCheckpoint()
    {
        var dir = Path.Combine(root, "nan");
        var tiny = new[] { "--set", "train.batch_size=16", "--set", "eval.samples=100", "--set", "eval.monitor_batch=16",
                           "--set", "eval.mosaic=false", "--set", "eval.every=10", "--set", "train.checkpoint_every=10", "--plain" };
        Assert.Equal(0, Cli(new[] { "train", "--preset", "ring8", "--set", "train.iterations=20", "--out", dir }.Concat(tiny).ToArray()).Code);
        var good = Checkpoint.List(Path.Combine(dir, "checkpoints"))[0];
        Assert.Equal(20, good.Iteration);

        // A learning rate of 1e30 turns every loss into NaN within a few steps.
        var (code, error) = Cli("train", "--resume", dir, "--set", "train.iterations=60", "--set", "train.lr=1e30", "--force");
        Assert.Equal(3, code);
        Assert.Contains("diverged between iterations 20 and 30", error);
        Assert.Contains("non-finite", error);
        Assert.Contains($"Last good checkpoint: {good.Path}", error);
        Assert.Equal(20, Checkpoint.List(Path.Combine(dir, "checkpoints"))[0].Iteration); // no diverged state was saved
        using var experiment = ExperimentRunner.Create(Tiny(20));
        Checkpoint.Load(good.Path, experiment.Variant);
        Assert.Null(DivergenceGuard.NonFiniteTensor(experiment.Variant.Modules));
    }

    [Fact]
    public void DivergenceGuardFlagsNonFiniteValuesWithoutLeakingTensors()
    {
        using var guard = new DivergenceGuard();
        using var a = tensor(1.5f);
        using var b = tensor(-2f);
        var losses = new Dictionary<string, Tensor> { ["d_loss"] = a, ["g_loss"] = b };
        guard.Observe(losses); // first call allocates the flag
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        for (int i = 0; i < 100; i++) guard.Observe(losses);
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        guard.Check(101, losses);
        Assert.Equal(101, guard.LastGoodIteration);

        using var inf = tensor(float.PositiveInfinity);
        guard.Observe(new Dictionary<string, Tensor> { ["bre"] = inf });
        guard.Observe(losses); // finite again later: the flag stays raised
        var e = Assert.Throws<TrainingDivergedException>(() => guard.Check(110, new Dictionary<string, Tensor> { ["bre"] = inf }, lastGoodCheckpoint: "ckpt_100"));
        Assert.Contains("between iterations 101 and 110", e.Message);
        Assert.Contains("bre=Infinity", e.Message);
        Assert.Contains("ckpt_100", e.Message);
    }

    // ---- config -----------------------------------------------------------------------------

    [Theory]
    [InlineData("train.lr=Infinity", "train.lr must be a finite number")]
    [InlineData("bre.weight=\"Infinity\"", "bre.weight must be a finite number")]
    [InlineData("model.leaky_slope=NaN", "model.leaky_slope must be a finite number")]
    [InlineData("model.leaky_slope=1.5", "model.leaky_slope must be in [0, 1)")]
    [InlineData("train.device=null", "train.device")]
    [InlineData("train=null", "train")]
    public void NonFiniteNullAndOutOfRangeValuesNameTheKey(string set, string expected)
    {
        var e = Assert.Throws<BreGanInputException>(() => Presets.Get("ring8").With(new[] { set }).Validate());
        Assert.Contains(expected, e.Message);
    }
}

/// <summary>A write stream that fails with ENOSPC's message after <c>capacity</c> bytes.</summary>
internal sealed class FullDiskStream(Stream inner, long capacity) : Stream
{
    long written;
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (written + buffer.Length > capacity) throw new IOException("No space left on device");
        written += buffer.Length;
        inner.Write(buffer);
    }
}

/// <summary>Real storage faults where the machine allows them (tmpfs mounts, read-only folders).</summary>
internal static class Storage
{
    static bool Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            p.WaitForExit(10_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    /// <summary>Mounts a tmpfs of the given size (needs root); false where that is not allowed.</summary>
    public static bool TryMountTmpfs(string path, long bytes)
    {
        Directory.CreateDirectory(path);
        return OperatingSystem.IsLinux() && Run("mount", "-t", "tmpfs", "-o", $"size={bytes}", "tmpfs", path);
    }

    public static void Unmount(string path) => Run("umount", path);

    /// <summary>Writes a filler file until only about <paramref name="leave"/> bytes are free.</summary>
    public static void Fill(string mount, long leave)
    {
        long free = new DriveInfo(mount).AvailableFreeSpace;
        using var f = new FileStream(Path.Combine(mount, "filler"), FileMode.Create);
        var block = new byte[4096];
        for (long n = 0; n < free - leave; n += block.Length)
        {
            try { f.Write(block); f.Flush(); }
            catch (IOException) { break; }
        }
    }

    /// <summary>
    /// Makes a folder unwritable: mode 0555 for ordinary users; for root, who ignores modes, the
    /// immutable attribute (chattr +i). Disposing restores it.
    /// </summary>
    public static IDisposable MakeReadOnly(string path)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("POSIX folder modes");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        if (!Writable(path)) return new Restore(path);
        Run("chattr", "+i", path);
        if (!Writable(path)) return new Restore(path);
        MakeWritable(path);
        throw new InvalidOperationException($"cannot make '{path}' read-only on this machine (root without chattr)");
    }

    public static void MakeWritable(string path)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(path)) return;
        foreach (var dir in Directory.GetDirectories(path, "*", SearchOption.AllDirectories).Prepend(path))
        {
            Run("chattr", "-i", dir);
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    static bool Writable(string path)
    {
        var probe = Path.Combine(path, ".probe-" + Guid.NewGuid().ToString("N"));
        try { File.WriteAllText(probe, ""); File.Delete(probe); return true; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    sealed class Restore(string path) : IDisposable
    {
        public void Dispose() => MakeWritable(path);
    }
}
