using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

/// <summary>
/// Self-describing checkpoints: one file holding the resolved config, the iteration, every module
/// and optimizer state and every random stream, so a resumed CPU run continues with the same
/// numbers. Written atomically (temporary file, flush, rename): a crash leaves the previous
/// checkpoint intact.
/// </summary>
public static class Checkpoint
{
    const string Magic = "BREGAN-CKPT";
    const int Version = 1;

    /// <summary>File name of the checkpoint at an iteration.</summary>
    public static string FileName(int iteration) => $"ckpt_{iteration:D7}.bin";

    /// <summary>Writes a checkpoint into <paramref name="directory"/>, keeping the newest <paramref name="keep"/>.</summary>
    public static string Save(string directory, int iteration, ExperimentConfig config, IGanVariant variant, int keep = 2)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName(iteration));
        var tmp = path + ".tmp";
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(config.ToJson());
            w.Write(iteration);
            foreach (var (name, module) in variant.Modules) { w.Write(name); module.save(w); }
            foreach (var (name, opt) in variant.Optimizers) { w.Write(name); opt.save_state_dict(w); }
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
            w.Write(Magic); // trailer: a file cut short is detected
            w.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        foreach (var old in List(directory).Skip(keep)) File.Delete(old.Path);
        return path;
    }

    /// <summary>Checkpoints in a directory, newest first.</summary>
    public static IReadOnlyList<(int Iteration, string Path)> List(string directory)
    {
        if (!Directory.Exists(directory)) return Array.Empty<(int, string)>();
        return Directory.GetFiles(directory, "ckpt_*.bin")
            .Select(p => (Ok: int.TryParse(Path.GetFileNameWithoutExtension(p)["ckpt_".Length..], out int i), I: i, P: p))
            .Where(x => x.Ok).OrderByDescending(x => x.I).Select(x => (x.I, x.P)).ToList();
    }

    /// <summary>Reads only the config and iteration of a checkpoint.</summary>
    public static (ExperimentConfig Config, int Iteration) ReadHeader(string path)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: not a BreGan checkpoint.");
            int version = r.ReadInt32();
            if (version != Version) throw new BreGanInputException($"{path}: checkpoint version {version}; this BreGan reads version {Version}.");
            var config = ExperimentConfig.FromJson(r.ReadString(), path);
            return (config, r.ReadInt32());
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or FormatException)
        {
            throw new BreGanInputException($"{path}: unreadable checkpoint ({e.Message}).");
        }
    }

    /// <summary>Restores modules, optimizers and random streams; returns the iteration.</summary>
    public static int Load(string path, IGanVariant variant)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: not a BreGan checkpoint.");
            r.ReadInt32();
            r.ReadString();
            int iteration = r.ReadInt32();
            foreach (var (name, module) in variant.Modules)
            {
                Expect(r.ReadString(), name, path);
                module.load(r);
            }
            foreach (var (name, opt) in variant.Optimizers)
            {
                Expect(r.ReadString(), name, path);
                opt.load_state_dict(r);
            }
            int count = r.ReadInt32();
            var streams = variant.RandomStreams.ToDictionary(s => s.Name, s => s.Generator);
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                var bytes = r.ReadBytes(r.ReadInt32());
                using var state = tensor(bytes, dtype: ScalarType.Byte);
                if (name == "global") torch.random.set_rng_state(state);
                else if (streams.TryGetValue(name, out var g)) g.set_state(state);
            }
            if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: checkpoint is truncated.");
            return iteration;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new BreGanInputException($"{path}: unreadable checkpoint ({e.Message}).");
        }
    }

    /// <summary>
    /// Restores only the generator (the first module of every checkpoint), e.g. to draw samples
    /// without building D and the optimizers. Returns the iteration.
    /// </summary>
    public static int LoadGenerator(string path, nn.Module generator)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
            if (r.ReadString() != Magic) throw new BreGanInputException($"{path}: not a BreGan checkpoint.");
            r.ReadInt32();
            r.ReadString();
            int iteration = r.ReadInt32();
            Expect(r.ReadString(), "generator", path);
            generator.load(r);
            return iteration;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or ArgumentException or InvalidOperationException)
        {
            throw new BreGanInputException($"{path}: unreadable checkpoint ({e.Message}).");
        }
    }

    static void Expect(string actual, string expected, string path)
    {
        if (actual != expected) throw new BreGanInputException($"{path}: expected '{expected}' state, found '{actual}'.");
    }
}
