using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace BreGan.Training;

/// <summary>
/// One writer per run folder: <c>run.lock</c> holds the owner's process id, host name and process
/// start time. A second run on the same folder is refused while the owner lives; a lock whose
/// process has died (crash, SIGKILL, power loss) or whose id now belongs to another process is
/// stale and is taken over, so a crashed run never blocks its folder for good.
/// </summary>
public sealed class RunLock : IDisposable
{
    /// <summary>The lock's file name inside a run folder.</summary>
    public const string FileName = "run.lock";

    /// <summary>Who holds (or held) a lock.</summary>
    public sealed record Owner(int Pid, string Host, DateTime StartedUtc)
    {
        public override string ToString() =>
            $"process {Pid} on {Host} (started {StartedUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";
    }

    readonly string path;
    readonly Owner owner;
    bool released;

    RunLock(string path, Owner owner)
    {
        this.path = path;
        this.owner = owner;
    }

    /// <summary>The lock file's path.</summary>
    public string Path => path;

    /// <summary>This process as a lock owner.</summary>
    public static Owner Self()
    {
        using var me = Process.GetCurrentProcess();
        return new Owner(me.Id, Environment.MachineName, me.StartTime.ToUniversalTime());
    }

    /// <summary>
    /// Takes the lock of <paramref name="runPath"/> (creating the folder if needed). Throws a
    /// <see cref="BreGanInputException"/> naming the owner when a live process holds it, or when
    /// the folder cannot be written. A stale lock is replaced and reported through <paramref name="log"/>.
    /// </summary>
    public static RunLock Acquire(string runPath, Action<string>? log = null)
    {
        var path = System.IO.Path.Combine(runPath, FileName);
        var self = Self();
        var text = JsonSerializer.Serialize(new { pid = self.Pid, host = self.Host, started_utc = self.StartedUtc.ToString("O", CultureInfo.InvariantCulture) });
        for (int attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                Directory.CreateDirectory(runPath);
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                using (var w = new StreamWriter(stream))
                {
                    w.Write(text);
                    w.Flush();
                    stream.Flush(flushToDisk: true);
                }
                return new RunLock(path, self);
            }
            catch (IOException) when (File.Exists(path))
            {
                var (holder, alive) = Inspect(path);
                if (alive) throw Held(runPath, path, holder);
                if (BreakStale(path, holder))
                    log?.Invoke($"Removed the stale lock of {holder?.ToString() ?? "an unknown process"}, which is no longer running.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BreGanInputException($"Cannot write to run folder '{runPath}': {e.Message.TrimEnd('.')}.");
            }
        }
        throw new BreGanInputException($"Could not take the lock '{path}': other processes keep creating it.");
    }

    /// <summary>Throws if a live process holds the lock of <paramref name="runPath"/> (without taking it).</summary>
    public static void ThrowIfHeld(string runPath)
    {
        var path = System.IO.Path.Combine(runPath, FileName);
        if (!File.Exists(path)) return;
        var (holder, alive) = Inspect(path);
        if (alive) throw Held(runPath, path, holder);
    }

    /// <summary>Throws if a live process holds the lock of any run folder under <paramref name="root"/>.</summary>
    public static void ThrowIfAnyHeldUnder(string root)
    {
        if (!Directory.Exists(root)) return;
        foreach (var lockFile in Directory.EnumerateFiles(root, FileName, SearchOption.AllDirectories))
            ThrowIfHeld(System.IO.Path.GetDirectoryName(lockFile)!);
    }

    static BreGanInputException Held(string runPath, string path, Owner? holder) => new(
        $"Run folder '{runPath}' is in use by {holder?.ToString() ?? "another process"}; wait for that run to end or stop it " +
        $"(if it is gone, e.g. on another machine, delete '{path}').");

    /// <summary>The owner written in a lock file, or null when it cannot be read.</summary>
    public static Owner? ReadOwner(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var o = doc.RootElement;
            return new Owner(o.GetProperty("pid").GetInt32(), o.GetProperty("host").GetString() ?? "",
                DateTime.Parse(o.GetProperty("started_utc").GetString() ?? "", CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind).ToUniversalTime());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or KeyNotFoundException
                                      or InvalidOperationException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether the owner is a running process (same host, same id, same start time).</summary>
    public static bool IsAlive(Owner owner)
    {
        // Another machine's process cannot be checked from here: treat it as alive.
        if (!string.Equals(owner.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            using var p = Process.GetProcessById(owner.Pid);
            if (p.HasExited) return false;
            // A recycled id belongs to a process that started later.
            return Math.Abs((p.StartTime.ToUniversalTime() - owner.StartedUtc).TotalSeconds) < 2;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    static (Owner? Holder, bool Alive) Inspect(string path)
    {
        var holder = ReadOwner(path);
        if (holder is not null) return (holder, IsAlive(holder));
        // Unreadable: a writer may be between creating and filling it. Give it a moment, then call it stale.
        try
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromSeconds(5)) return (null, true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return (null, false);
    }

    // Moves the stale file aside (atomic: of two processes breaking the same lock, one wins) and
    // checks that what was moved is the stale lock read before, not a fresh one of another process.
    static bool BreakStale(string path, Owner? stale)
    {
        var aside = path + ".stale-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N")[..8];
        try { File.Move(path, aside); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!File.Exists(path) || ReadOwner(path) != stale) return false; // someone else broke it first
            throw new BreGanInputException($"Cannot remove the stale lock '{path}': {e.Message.TrimEnd('.')}.");
        }
        var moved = ReadOwner(aside);
        if (moved is not null && moved != stale && IsAlive(moved))
        {
            // A live process re-created the lock in between: put it back.
            try { File.Move(aside, path, overwrite: false); } catch (IOException) { }
            throw new BreGanInputException($"Run folder '{System.IO.Path.GetDirectoryName(path)}' is in use by {moved}.");
        }
        try { File.Delete(aside); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return true;
    }

    /// <summary>Removes the lock if it is still this process's.</summary>
    public void Dispose()
    {
        if (released) return;
        released = true;
        try
        {
            if (ReadOwner(path) == owner) File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
