using System.Security.Cryptography;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace BreGan.Training;

// ---------------------------------------------------------------------------------------------
// Checkpoint integrity: the checksum, the choice of the newest valid checkpoint, and checks of
// each section against the live objects, so that no length field read from a file is trusted
// before it is known to fit (no huge allocations, no partial loads from a damaged file).
// ---------------------------------------------------------------------------------------------
public static partial class Checkpoint
{
    const int HashBytes = 32;

    /// <summary>Test seam: wraps the checkpoint file stream while writing (e.g. to inject a full disk).</summary>
    internal static Func<Stream, Stream>? OpenForWriteOverride { get; set; }

    /// <summary>Null when the file is a complete, undamaged checkpoint; otherwise why not, in one line.</summary>
    public static string? Verify(string path)
    {
        try
        {
            using var file = OpenVerified(path, out _);
            return null;
        }
        catch (BreGanInputException e) { return e.Message; }
    }

    /// <summary>
    /// The newest checkpoint in <paramref name="directory"/> that passes <see cref="Verify"/>, with
    /// the newer ones that did not (and why); null when there is none.
    /// </summary>
    public static ((int Iteration, string Path)? Newest, IReadOnlyList<(string Path, string Problem)> Skipped) NewestValid(string directory)
    {
        var skipped = new List<(string, string)>();
        foreach (var c in List(directory))
        {
            var problem = Verify(c.Path);
            if (problem is null) return (c, skipped);
            skipped.Add((c.Path, problem));
        }
        return (null, skipped);
    }

    /// <summary>
    /// Loads the newest checkpoint of <paramref name="directory"/> whose checksum matches, reporting
    /// each newer, damaged one it skips through <paramref name="log"/> and renaming it to *.invalid
    /// so later resumes and the keep-K rotation do not trip over it again. A checkpoint that is
    /// intact but does not fit the experiment (another model config) is an error, not skipped.
    /// </summary>
    /// <returns>The checkpoint used.</returns>
    public static (int Iteration, string Path) LoadNewestValid(string directory, IGanVariant variant, Action<string>? log = null)
    {
        var problems = new List<string>();
        foreach (var c in List(directory))
        {
            var problem = Verify(c.Path);
            if (problem is null) return (Load(c.Path, variant), c.Path);
            problems.Add(problem);
            log?.Invoke($"Skipping checkpoint {Path.GetFileName(c.Path)}: {problem} Renamed it to {Path.GetFileName(c.Path)}.invalid.");
            try { File.Move(c.Path, c.Path + ".invalid", overwrite: true); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
        throw new BreGanInputException(problems.Count == 0
            ? $"'{directory}' has no checkpoint to resume from."
            : $"'{directory}' has no intact checkpoint to resume from ({string.Join(" ", problems)}).");
    }

    // Partial files of a run that was killed while saving: never valid, safe to delete while we hold the run's lock.
    static void RemoveStaleTemporaries(string directory)
    {
        foreach (var tmp in Directory.GetFiles(directory, "ckpt_*.bin.tmp")) File.Delete(tmp);
    }

    /// <summary>Opens a checkpoint whose checksum matches; <paramref name="body"/> is its length without the checksum.</summary>
    static FileStream OpenVerified(string path, out long body)
    {
        FileStream file;
        try { file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        { throw new BreGanInputException($"{path}: checkpoint not found."); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        { throw new BreGanInputException($"{path}: cannot read checkpoint ({e.Message.TrimEnd('.')})."); }
        try
        {
            long length = file.Length;
            // Magic and version first: a clearer message than a checksum mismatch for foreign or older files.
            using (var r = new BinaryReader(file, Encoding.UTF8, leaveOpen: true))
            {
                string magic;
                try { magic = length > 1 + Magic.Length ? r.ReadString() : ""; }
                catch (Exception e) when (e is EndOfStreamException or FormatException or IOException) { magic = ""; }
                if (magic != Magic) throw new BreGanInputException($"{path}: not a BreGan checkpoint.");
                if (length < file.Position + 4 + HashBytes) throw new BreGanInputException($"{path}: checkpoint is truncated ({length} bytes).");
                int version = r.ReadInt32();
                if (version != Version) throw new BreGanInputException($"{path}: checkpoint version {version}; this BreGan reads version {Version}.");
            }
            body = length - HashBytes;
            file.Position = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            for (long left = body; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0) throw new BreGanInputException($"{path}: checkpoint is truncated.");
                sha.AppendData(buffer, 0, n);
                left -= n;
            }
            var stored = new byte[HashBytes];
            file.ReadExactly(stored);
            if (!CryptographicOperations.FixedTimeEquals(stored, sha.GetHashAndReset()))
                throw new BreGanInputException($"{path}: checkpoint is damaged or truncated (checksum mismatch).");
            file.Position = 0;
            return file;
        }
        catch (IOException e)
        {
            file.Dispose();
            throw new BreGanInputException($"{path}: cannot read checkpoint ({e.Message.TrimEnd('.')}).", e);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    // ---- section checks against the live objects ---------------------------------------------

    const int MaxRank = 16;

    static long ReadVarLong(BinaryReader r, string path)
    {
        // TorchSharp's LEB128 encoding of a non-negative long: at most 10 bytes.
        long result = 0;
        for (int i = 0; i < 10; i++)
        {
            long b = r.ReadByte();
            result |= (b & 0x7f) << (7 * i);
            if ((b & 0x80) == 0) return result;
        }
        throw new BreGanInputException($"{path}: malformed length field (corrupt).");
    }

    /// <summary>Reads one tensor record's header (dtype, shape), checks its data fits, and skips the data.</summary>
    static (long DType, long[] Shape) SkipTensor(BinaryReader r, string path, string what, Func<long, long?> elementSize)
    {
        long dtype = ReadVarLong(r, path);
        long rank = ReadVarLong(r, path);
        if (rank is < 0 or > MaxRank) throw new BreGanInputException($"{path}: {what} has rank {rank} (corrupt).");
        var shape = new long[rank];
        var s = r.BaseStream;
        long bytes = elementSize(dtype) ?? throw new BreGanInputException($"{path}: {what} has unknown element type {dtype} (corrupt).");
        for (int i = 0; i < rank; i++)
        {
            shape[i] = ReadVarLong(r, path);
            if (shape[i] < 0 || (shape[i] > 0 && bytes > (s.Length - s.Position) / shape[i]))
                throw new BreGanInputException($"{path}: {what} claims more data than its section holds (corrupt).");
            bytes *= shape[i];
        }
        if (bytes > s.Length - s.Position) throw new BreGanInputException($"{path}: {what} claims more data than its section holds (corrupt).");
        s.Position += bytes;
        return (dtype, shape);
    }

    /// <summary>A name read from a file, safe to show: printable, at most 40 characters.</summary>
    static string Shown(string name)
    {
        var s = new string(name.Select(c => char.IsControl(c) || char.IsSurrogate(c) || c == '\uFFFD' ? '?' : c).ToArray());
        return s.Length <= 40 ? s : s[..37] + "...";
    }

    static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>A module section must hold exactly the live module's state: names, types and shapes, in order.</summary>
    static void CheckModuleSection(Stream file, (long Offset, long Length) section, nn.Module module, string name, string path)
    {
        var expected = module.state_dict().Select(p => (p.Key, DType: (long)p.Value.dtype, p.Value.shape, Size: p.Value.ElementSize)).ToList();
        var window = new WindowStream(file, section.Offset, section.Length);
        using var r = new BinaryReader(window, Encoding.UTF8);
        long count = ReadVarLong(r, path);
        if (count != expected.Count)
            throw new BreGanInputException($"{path}: the {name} state has {count} tensors, this model has {expected.Count} (saved with another model config?).");
        foreach (var e in expected)
        {
            var key = r.ReadString();
            if (key != e.Key) throw new BreGanInputException($"{path}: the {name} state has '{Shown(key)}' where this model has '{e.Key}' (saved with another model config?).");
            var (dtype, shape) = SkipTensor(r, path, $"{name}.{key}", d => d == e.DType ? e.Size : null);
            if (!shape.SequenceEqual(e.shape))
                throw new BreGanInputException($"{path}: {name}.{key} is {Shape(shape)} in the checkpoint but {Shape(e.shape)} in this model (saved with another model config?).");
        }
        if (window.Position != section.Length) throw new BreGanInputException($"{path}: the {name} state has trailing bytes (corrupt).");
    }

    /// <summary>
    /// An Adam section must have the structure of the live optimizer's own serialization (same
    /// groups, states, tensor types and shapes). Other optimizers are checked by checksum and
    /// section bounds only.
    /// </summary>
    static void CheckOptimizerSection(Stream file, (long Offset, long Length) section, TorchSharp.Modules.OptimizerHelper optimizer, string name, string path)
    {
        if (optimizer.GetType().Name != "Adam") return;
        using var template = new MemoryStream();
        using (var w = new BinaryWriter(template, Encoding.UTF8, leaveOpen: true)) optimizer.save_state_dict(w);
        template.Position = 0;
        using var tr = new BinaryReader(template, Encoding.UTF8);
        var want = WalkAdam(tr, "live optimizer", name);
        var window = new WindowStream(file, section.Offset, section.Length);
        using var r = new BinaryReader(window, Encoding.UTF8);
        var got = WalkAdam(r, path, name);
        if (window.Position != section.Length) throw new BreGanInputException($"{path}: the {name} optimizer state has trailing bytes (corrupt).");
        if (got.Type != want.Type || got.Groups != want.Groups || got.Tensors.Count != want.Tensors.Count)
            throw new BreGanInputException($"{path}: the {name} optimizer state ({Shown(got.Type)}, {got.Groups} groups, {got.Tensors.Count} tensors) does not match this optimizer ({want.Type}, {want.Groups} groups, {want.Tensors.Count} tensors).");
        for (int i = 0; i < want.Tensors.Count; i++)
            if (got.Tensors[i].DType != want.Tensors[i].DType || !got.Tensors[i].Shape.SequenceEqual(want.Tensors[i].Shape))
                throw new BreGanInputException($"{path}: the {name} optimizer state's tensor {i} is {Shape(got.Tensors[i].Shape)}, this optimizer's is {Shape(want.Tensors[i].Shape)}.");
    }

    // TorchSharp's Adam.save_state_dict: type name; group and state counts (LEB128); per group
    // two doubles (base options), four doubles and two booleans; per state the step (int64),
    // exp_avg, exp_avg_sq and an optional max_exp_avg_sq.
    static (string Type, long Groups, List<(long DType, long[] Shape)> Tensors) WalkAdam(BinaryReader r, string path, string name)
    {
        const int OptionBytes = 6 * 8 + 2;
        var s = r.BaseStream;
        var type = r.ReadString();
        long groups = ReadVarLong(r, path), states = ReadVarLong(r, path);
        if (groups < 0 || groups > (s.Length - s.Position) / OptionBytes || states < 0 || states > s.Length - s.Position)
            throw new BreGanInputException($"{path}: the {name} optimizer state claims {groups} groups and {states} states (corrupt).");
        s.Position += groups * OptionBytes;
        var tensors = new List<(long, long[])>();
        static long? Size(long dtype) => dtype switch { 6 => 4, 7 => 8, 5 => 2, 15 => 2, _ => null }; // float32, float64, float16, bfloat16
        for (long i = 0; i < states; i++)
        {
            r.ReadInt64();
            tensors.Add(SkipTensor(r, path, $"{name} optimizer exp_avg {i}", Size));
            tensors.Add(SkipTensor(r, path, $"{name} optimizer exp_avg_sq {i}", Size));
            if (r.ReadBoolean()) tensors.Add(SkipTensor(r, path, $"{name} optimizer max_exp_avg_sq {i}", Size));
        }
        return (type, groups, tensors);
    }

    // ---- streams ----------------------------------------------------------------------------

    /// <summary>Computes SHA-256 of what is written through it; <see cref="WriteHashUnhashed"/> appends the digest.</summary>
    sealed class HashingStream(Stream inner) : Stream
    {
        readonly IncrementalHash sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
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
        public override void Write(ReadOnlySpan<byte> buffer) { sha.AppendData(buffer); inner.Write(buffer); }
        public override void WriteByte(byte value) => Write(new[] { value });
        public void WriteHashUnhashed() => inner.Write(sha.GetHashAndReset());
        protected override void Dispose(bool disposing) { if (disposing) sha.Dispose(); base.Dispose(disposing); }
    }

    /// <summary>A read-only, seekable window [offset, offset + length) of another stream; never closes it.</summary>
    sealed class WindowStream(Stream inner, long offset, long length) : Stream
    {
        long position;
        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position
        {
            get => position;
            set => position = value >= 0 && value <= length ? value : throw new EndOfStreamException($"position {value} is outside the section (0..{length})");
        }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - position);
            if (n <= 0) return 0;
            if (inner.Position != offset + position) inner.Position = offset + position;
            int read = inner.Read(buffer[..n]);
            position += read;
            return read;
        }
        public override long Seek(long o, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => o,
            SeekOrigin.Current => position + o,
            _ => length + o,
        };
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
