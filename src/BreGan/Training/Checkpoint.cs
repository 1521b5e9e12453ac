using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// Self-describing checkpoints: one file holding the resolved config, the iteration, every module
/// and optimizer state and every random stream, so a resumed CPU run continues with the same
/// numbers. Written atomically (temporary file, flush to disk, rename): a crash, a kill or a full
/// disk leaves the previous checkpoint intact. The file ends with a SHA-256 of everything before it,
/// so a truncated or damaged file is recognised before anything is loaded from it.
/// </summary>
/// <remarks>
/// Layout (version 2): magic, version, config JSON, iteration; per module and per optimizer its
/// name, the byte length of its section and TorchSharp's own serialization; the random streams
/// (name, length, bytes); the magic again; 32 bytes of SHA-256.
/// </remarks>
public static partial class Checkpoint
{
    const string Magic = "BREGAN-CKPT";
    const int Version = 2;

    /// <summary>File name of the checkpoint at an iteration.</summary>
    public static string FileName(int iteration) => $"ckpt_{iteration:D7}.bin";

    /// <summary>
    /// Writes a checkpoint into <paramref name="directory"/>, keeping the newest <paramref name="keep"/>.
    /// A failure to write (full disk, read-only folder) removes the partial file and throws a
    /// <see cref="BreGanInputException"/> that names the previous checkpoint, which is untouched.
    /// </summary>
    public static string Save(string directory, int iteration, ExperimentConfig config, IGanVariant variant, int keep = 2)
    {
        var path = Path.Combine(directory, FileName(iteration));
        var tmp = path + ".tmp";
        try
        {
            Directory.CreateDirectory(directory);
            RemoveStaleTemporaries(directory);
            using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                using var hashing = new HashingStream(OpenForWriteOverride?.Invoke(file) ?? file);
                using (var w = new BinaryWriter(hashing, Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Magic);
                    w.Write(Version);
                    w.Write(config.ToJson());
                    w.Write(iteration);
                    foreach (var (name, module) in variant.Modules) WriteSection(w, name, s => module.save(s));
                    foreach (var (name, opt) in variant.Optimizers) WriteSection(w, name, s => opt.save_state_dict(s));
                    var streams = variant.RandomStreams.Select(s => (s.Name, s.Generator.get_state()))
                        .Append(("global", torch.random.get_rng_state())).ToList();
                    w.Write(streams.Count);
                    foreach (var (name, state) in streams)
                    {
                        var bytes = state.data<byte>().ToArray();
                        state.Dispose();
                        w.Write(name);
                        w.Write(bytes.Length);
                        w.Write(bytes);
                    }
                    w.Write(Magic); // trailer
                }
                hashing.WriteHashUnhashed(); // SHA-256 of everything above
                hashing.Flush();
                file.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(tmp); } catch (Exception) { /* the folder may be unwritable; nothing more to do */ }
            var previous = List(directory).FirstOrDefault(c => c.Path != path && Verify(c.Path) is null);
            throw new BreGanInputException(
                $"Cannot write checkpoint '{path}': {e.Message.TrimEnd('.')}. " +
                (previous.Path is null ? "No earlier checkpoint exists; free disk space or fix the folder's permissions and start again."
                    : $"The previous checkpoint '{previous.Path}' is intact; free disk space or fix the folder's permissions, then resume the run."), e);
        }
        foreach (var old in List(directory).Skip(keep)) File.Delete(old.Path);
        return path;
    }

    // A named section: its length first, so a reader can bound and check it before parsing it.
    static void WriteSection(BinaryWriter w, string name, Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var sw = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true)) write(sw);
        w.Write(name);
        w.Write(buffer.Length);
        buffer.Position = 0;
        buffer.CopyTo(w.BaseStream);
    }

    /// <summary>Checkpoints in a directory, newest first (by iteration in the name; not checked for validity).</summary>
    public static IReadOnlyList<(int Iteration, string Path)> List(string directory)
    {
        if (!Directory.Exists(directory)) return Array.Empty<(int, string)>();
        return Directory.GetFiles(directory, "ckpt_*.bin")
            .Where(p => p.EndsWith(".bin", StringComparison.Ordinal))
            .Select(p => (Ok: int.TryParse(Path.GetFileNameWithoutExtension(p)["ckpt_".Length..], out int i), I: i, P: p))
            .Where(x => x.Ok).OrderByDescending(x => x.I).Select(x => (x.I, x.P)).ToList();
    }

    /// <summary>Reads only the config and iteration of a checkpoint (after checking its integrity).</summary>
    public static (ExperimentConfig Config, int Iteration) ReadHeader(string path)
    {
        using var file = OpenVerified(path, out long body);
        return Guard(path, () =>
        {
            using var r = new BinaryReader(new WindowStream(file, 0, body), Encoding.UTF8);
            var (config, iteration) = ReadPreamble(r, path);
            return (config, iteration);
        });
    }

    /// <summary>
    /// Restores modules, optimizers and random streams; returns the iteration. The whole file is
    /// checked first (checksum, then every section against the live modules' names, types and
    /// shapes), so a damaged or mismatched checkpoint throws before anything is changed.
    /// </summary>
    public static int Load(string path, IGanVariant variant)
    {
        using var file = OpenVerified(path, out long body);
        return Guard(path, () =>
        {
            var window = new WindowStream(file, 0, body);
            using var r = new BinaryReader(window, Encoding.UTF8);
            var (_, iteration) = ReadPreamble(r, path);
            var modules = variant.Modules.Select(m => (m.Name, Section: ReadSectionHeader(r, m.Name, path), m.Module)).ToList();
            var optimizers = variant.Optimizers.Select(o => (o.Name, Section: ReadSectionHeader(r, o.Name, path), o.Optimizer)).ToList();
            var streams = ReadStreams(r, path);
            if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: checkpoint has no trailer (corrupt).");

            // Check everything before touching the live objects.
            foreach (var (name, section, module) in modules) CheckModuleSection(file, section, module, name, path);
            foreach (var (name, section, opt) in optimizers) CheckOptimizerSection(file, section, opt, name, path);
            var live = variant.RandomStreams.ToDictionary(s => s.Name, s => s.Generator);
            foreach (var (name, bytes) in streams)
            {
                using var current = name == "global" ? torch.random.get_rng_state() : live.TryGetValue(name, out var g) ? g.get_state() : null;
                if (current is null) throw new BreGanInputException($"{path}: random stream '{Shown(name)}' is unknown to this experiment.");
                if (current.NumberOfElements != bytes.Length)
                    throw new BreGanInputException($"{path}: random stream '{Shown(name)}' holds {bytes.Length} bytes, expected {current.NumberOfElements}.");
            }

            foreach (var (name, section, module) in modules) LoadSection(file, section, name, path, rr => module.load(rr));
            foreach (var (name, section, opt) in optimizers) LoadSection(file, section, name, path, rr => opt.load_state_dict(rr));
            foreach (var (name, bytes) in streams)
            {
                using var state = tensor(bytes, dtype: ScalarType.Byte);
                if (name == "global") torch.random.set_rng_state(state);
                else live[name].set_state(state);
            }
            return iteration;
        });
    }

    /// <summary>
    /// Restores only the generator (the first module of every checkpoint), e.g. to draw samples
    /// without building D and the optimizers. Returns the iteration.
    /// </summary>
    public static int LoadGenerator(string path, nn.Module generator)
    {
        using var file = OpenVerified(path, out long body);
        return Guard(path, () =>
        {
            using var r = new BinaryReader(new WindowStream(file, 0, body), Encoding.UTF8);
            var (_, iteration) = ReadPreamble(r, path);
            var section = ReadSectionHeader(r, "generator", path);
            CheckModuleSection(file, section, generator, "generator", path);
            LoadSection(file, section, "generator", path, rr => generator.load(rr));
            return iteration;
        });
    }

    static (ExperimentConfig Config, int Iteration) ReadPreamble(BinaryReader r, string path)
    {
        if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: not a BreGan checkpoint.");
        int version = r.ReadInt32();
        if (version != Version) throw new BreGanInputException($"{path}: checkpoint version {version}; this BreGan reads version {Version}.");
        var config = ExperimentConfig.FromJson(r.ReadString(), path);
        int iteration = r.ReadInt32();
        if (iteration < 0) throw new BreGanInputException($"{path}: negative iteration {iteration} (corrupt).");
        return (config, iteration);
    }

    static (long Offset, long Length) ReadSectionHeader(BinaryReader r, string expected, string path)
    {
        var name = r.ReadString();
        if (name != expected) throw new BreGanInputException($"{path}: expected '{expected}' state, found '{Shown(name)}'.");
        long length = r.ReadInt64();
        long offset = r.BaseStream.Position;
        if (length < 0 || length > r.BaseStream.Length - offset)
            throw new BreGanInputException($"{path}: section '{name}' claims {length} bytes, more than the file holds (corrupt).");
        r.BaseStream.Position = offset + length;
        return (offset, length);
    }

    static List<(string Name, byte[] Bytes)> ReadStreams(BinaryReader r, string path)
    {
        int count = r.ReadInt32();
        if (count is < 0 or > 64) throw new BreGanInputException($"{path}: implausible number of random streams {count} (corrupt).");
        var streams = new List<(string, byte[])>();
        for (int i = 0; i < count; i++)
        {
            var name = r.ReadString();
            int length = r.ReadInt32();
            if (length < 0 || length > r.BaseStream.Length - r.BaseStream.Position || length > MaxRandomStateBytes)
                throw new BreGanInputException($"{path}: random stream '{Shown(name)}' claims {length} bytes (corrupt).");
            streams.Add((name, r.ReadBytes(length)));
        }
        return streams;
    }

    const int MaxRandomStateBytes = 1 << 20;

    static void LoadSection(Stream file, (long Offset, long Length) section, string name, string path, Action<BinaryReader> load)
    {
        var window = new WindowStream(file, section.Offset, section.Length);
        using var r = new BinaryReader(window, Encoding.UTF8);
        load(r);
        if (window.Position != section.Length)
            throw new BreGanInputException($"{path}: section '{name}' has {section.Length - window.Position} unread bytes (corrupt).");
    }

    // Maps what a damaged file can make the readers throw to one clear error.
    static T Guard<T>(string path, Func<T> body)
    {
        try { return body(); }
        catch (BreGanInputException e) when (e.Message.Any(char.IsControl) || e.Message.Length > 400)
        {
            throw new BreGanInputException(ConfigChecks.OneLine(e.Message), e);
        }
        catch (BreGanInputException) { throw; }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException or ArgumentException
                                      or InvalidOperationException or InvalidDataException or OverflowException
                                      or IndexOutOfRangeException or System.Runtime.InteropServices.ExternalException)
        {
            throw new BreGanInputException(ConfigChecks.OneLine($"{path}: unreadable checkpoint ({e.Message.TrimEnd('.')})."), e);
        }
    }
}
