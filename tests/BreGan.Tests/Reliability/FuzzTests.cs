using System.Buffers.Binary;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BreGan.Data;
using BreGan.Experiments;
using BreGan.Tests.Data;
using BreGan.Training;
using SkiaSharp;

namespace BreGan.Tests.Reliability;

/// <summary>
/// Every loader fed random, truncated and bit-flipped inputs (seeded, so a failure names the case
/// that reproduces it). Each case must end in success or one <see cref="BreGanInputException"/>:
/// never another exception, never a hang, never a huge allocation from a corrupt length field.
/// Counts are bounded for CI (a few thousand cases in all); BREGAN_FUZZ_SCALE=10 runs ten times more.
/// </summary>
public class FuzzTests : IDisposable
{
    readonly TempDir dir = new();
    public void Dispose() => dir.Dispose();

    static int Cases(int n) => n * (int.TryParse(Environment.GetEnvironmentVariable("BREGAN_FUZZ_SCALE"), out int s) && s > 0 ? s : 1);

    // ---- the harness ------------------------------------------------------------------------

    /// <summary>Bytes allocated by one case beyond which a length field was trusted (the inputs are a few KB).</summary>
    const long AllocationLimit = 64L << 20;
    const long NativeLimit = 2L << 30;
    static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(20);

    sealed class Harness(string loader)
    {
        readonly List<string> failures = new();
        public int Succeeded, Refused;

        public void Case(string description, Action body)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true), peakBefore = VmPeakKb();
            var task = Task.Run(() =>
            {
                try { body(); Interlocked.Increment(ref Succeeded); }
                catch (BreGanInputException e)
                {
                    Interlocked.Increment(ref Refused);
                    if (e.Message.Contains('\n')) lock (failures) failures.Add($"{description}: message is not one line: {e.Message}");
                }
                catch (Exception e) { lock (failures) failures.Add($"{description}: {e.GetType().Name}: {e.Message.Split('\n')[0]}"); }
            });
            if (!task.Wait(HangLimit)) { failures.Add($"{description}: no answer within {HangLimit.TotalSeconds} s (hang)"); return; }
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            if (allocated > AllocationLimit) failures.Add($"{description}: allocated {allocated >> 20} MB");
            long reserved = (VmPeakKb() - peakBefore) << 10;
            if (reserved > NativeLimit) failures.Add($"{description}: the process's peak virtual memory grew by {reserved >> 20} MB (native allocation)");
        }

        public void AssertClean()
        {
            Assert.True(failures.Count == 0, $"{loader}: {failures.Count} bad outcomes, e.g.\n" + string.Join("\n", failures.Take(10)));
            Assert.True(Refused > 0, $"{loader}: no case was refused: the mutations do not reach the checks");
        }
    }

    /// <summary>
    /// Native allocations (Skia, TorchSharp) are invisible to the GC counter; on Linux the
    /// process's peak virtual size (VmPeak, a high-water mark) catches a huge one, even an untouched one.
    /// </summary>
    static long VmPeakKb() => !OperatingSystem.IsLinux() ? 0 : File.ReadLines("/proc/self/status")
        .Where(l => l.StartsWith("VmPeak:")).Select(l => long.Parse(l.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();


    /// <summary>Random, truncated, bit-flipped and field-overwritten versions of a valid input.</summary>
    static (string Kind, byte[] Bytes) Mutate(byte[] valid, Random rng, int headerBytes = 64)
    {
        var b = (byte[])valid.Clone();
        switch (rng.Next(8))
        {
            case 0: // random bytes, random length
                var r = new byte[rng.Next(0, Math.Max(2, valid.Length * 2))];
                rng.NextBytes(r);
                if (r.Length > 4 && rng.Next(2) == 0) valid.AsSpan(0, Math.Min(4, valid.Length)).CopyTo(r); // keep the magic sometimes
                return ("random", r);
            case 1: // truncated
                return ($"truncated", b[..rng.Next(0, b.Length)]);
            case 2: // bit flips anywhere
                int flips = rng.Next(1, 9);
                for (int i = 0; i < flips; i++) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                return ($"{flips} bit flips", b);
            case 3: // bit flips in the header, where the lengths live
                for (int i = 0, n = rng.Next(1, 4); i < n; i++) b[rng.Next(Math.Min(headerBytes, b.Length))] ^= (byte)(1 << rng.Next(8));
                return ("header bit flips", b);
            case 4: // an extreme 32-bit value (big or little endian) over a header field
            {
                int at = rng.Next(Math.Max(1, Math.Min(headerBytes, b.Length) - 4));
                uint v = new uint[] { 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0, 1, 0x00FFFFFF, 0x10000 }[rng.Next(7)];
                if (at + 4 <= b.Length)
                {
                    if (rng.Next(2) == 0) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
                    else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
                }
                return ($"0x{v:X8} at {at}", b);
            }
            case 5: // trailing junk
                var tail = new byte[rng.Next(1, 64)];
                rng.NextBytes(tail);
                return ("trailing junk", b.Concat(tail).ToArray());
            case 6: // a chunk removed
            {
                int at = rng.Next(b.Length), n = rng.Next(1, Math.Max(2, b.Length - at));
                return ("chunk removed", b[..at].Concat(b[Math.Min(b.Length, at + n)..]).ToArray());
            }
            default: // a chunk duplicated
            {
                int at = rng.Next(b.Length), n = rng.Next(1, Math.Max(2, Math.Min(256, b.Length - at)));
                return ("chunk duplicated", b[..(at + Math.Min(n, b.Length - at))].Concat(b[at..]).ToArray());
            }
        }
    }

    // ---- the loaders ------------------------------------------------------------------------

    [Fact]
    public void IdxLoaderSurvivesCorruptFiles()
    {
        var h = new Harness("IDX");
        var images = TestData.IdxImages(20, 6, 5);
        var labels = TestData.IdxLabels(TestData.Digits(20));
        var rng = new Random(7001);
        for (int i = 0; i < Cases(1200); i++)
        {
            bool gz = i % 3 == 0, labelsFile = i % 4 == 1;
            var source = labelsFile ? labels : images;
            var (kind, bytes) = Mutate(gz ? TestData.Gzip(source) : source, rng, gz ? 32 : 16);
            var imagesPath = dir[$"idx{i % 4}-images"];
            var labelsPath = dir[$"idx{i % 4}-labels"];
            File.WriteAllBytes(imagesPath, labelsFile ? images : bytes);
            File.WriteAllBytes(labelsPath, labelsFile ? bytes : labels);
            h.Case($"IDX case {i} ({(labelsFile ? "labels" : "images")}, {(gz ? "gzip" : "raw")}, {kind})", () =>
            {
                using var ds = ImageDatasets.LoadIdx(imagesPath, labelsPath);
            });
        }
        h.AssertClean();
    }

    [Fact]
    public void CifarLoaderSurvivesCorruptFiles()
    {
        var h = new Harness("CIFAR");
        var ten = TestData.CifarRecords(3, r => new[] { (byte)(r % 10) });
        var hundred = TestData.CifarRecords(3, r => new[] { (byte)(r % 20), (byte)(r % 100) });
        var rng = new Random(7002);
        for (int i = 0; i < Cases(500); i++)
        {
            bool is100 = i % 2 == 1;
            var (kind, bytes) = Mutate(is100 ? hundred : ten, rng);
            // Lengths that are whole records reach the per-record checks more often.
            if (rng.Next(3) == 0 && bytes.Length > 3074) bytes = bytes[..(bytes.Length / (is100 ? 3074 : 3073) * (is100 ? 3074 : 3073))];
            var path = dir[$"cifar{i % 2}.bin"];
            File.WriteAllBytes(path, bytes);
            h.Case($"CIFAR case {i} ({(is100 ? "100" : "10")}, {kind})", () =>
            {
                using var ds = is100 ? ImageDatasets.LoadCifar100(path) : ImageDatasets.LoadCifar10(path);
            });
        }
        h.AssertClean();
    }

    [Fact]
    public void ImageFolderLoaderSurvivesCorruptFiles()
    {
        var h = new Harness("image folder");
        var folder = dir["images"];
        TestData.WriteImage(Path.Combine(folder, "a.png"), 9, 7, SKEncodedImageFormat.Png, (x, y) => new SKColor((byte)(x * 20), (byte)(y * 30), 90));
        TestData.WriteImage(Path.Combine(folder, "b.jpg"), 8, 8, SKEncodedImageFormat.Jpeg, (x, y) => new SKColor(200, (byte)(x * 25), (byte)(y * 25)));
        var png = File.ReadAllBytes(Path.Combine(folder, "a.png"));
        var jpg = File.ReadAllBytes(Path.Combine(folder, "b.jpg"));
        var rng = new Random(7003);
        for (int i = 0; i < Cases(400); i++)
        {
            bool isPng = i % 2 == 0;
            var (kind, bytes) = i % 10 == 9 ? ("huge dimensions", HugeDimensions(isPng ? png : jpg, isPng, rng)) : Mutate(isPng ? png : jpg, rng, 200);
            // Alone (the folder then has nothing else to load) or beside the valid images.
            bool alone = i % 5 == 0;
            var target = alone ? dir["alone"] : folder;
            if (alone) { if (Directory.Exists(target)) Directory.Delete(target, true); Directory.CreateDirectory(target); }
            var path = Path.Combine(target, isPng ? "z.png" : "z.jpg");
            File.WriteAllBytes(path, bytes);
            h.Case($"image folder case {i} ({(isPng ? "png" : "jpeg")}, {kind}, {(alone ? "alone" : "with valid images")})", () =>
            {
                using var ds = ImageDatasets.LoadImageFolder(target, size: 8, channels: i % 3 == 0 ? 1 : 3, warn: _ => { });
                if (!alone) Assert.True(ds.Count >= 2);
            });
            File.Delete(path);
        }
        h.AssertClean();
    }

    /// <summary>A valid image whose header claims tens of thousands of pixels per side (PNG with a correct CRC).</summary>
    static byte[] HugeDimensions(byte[] valid, bool isPng, Random rng)
    {
        var b = (byte[])valid.Clone();
        uint w = (uint)rng.Next(20_000, 1 << 20), hgt = (uint)rng.Next(20_000, 1 << 20);
        if (isPng)
        {
            // IHDR: length(4) type(4) at 8; width at 16, height at 20; CRC over type+data at 29.
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), w);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), hgt);
            BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(29), Crc32(b.AsSpan(12, 17)));
        }
        else
        {
            // SOF0/SOF2 marker: FF C0 or FF C2, length(2), precision(1), height(2), width(2).
            for (int i = 2; i + 9 < b.Length; i++)
                if (b[i] == 0xFF && b[i + 1] is 0xC0 or 0xC2)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 5), (ushort)Math.Min(65535, hgt));
                    BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(i + 7), (ushort)Math.Min(65535, w));
                    break;
                }
        }
        return b;
    }

    /// <summary>PNG's CRC-32 (ISO 3309, reflected, polynomial 0xEDB88320).</summary>
    static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte x in data)
        {
            crc ^= x;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
        }
        return ~crc;
    }

    [Fact]
    public void ConfigJsonSurvivesCorruptText()
    {
        var h = new Harness("config JSON");
        var texts = Presets.Names.Select(n => Presets.Get(n).ToJson()).ToArray();
        var rng = new Random(7004);
        string[] values = { "null", "-1", "0", "1e309", "-1e309", "2147483648", "1.5", "\"NaN\"", "\"Infinity\"", "\"x\"", "true", "[]", "{}", "[[1]]", "[[1,2],[3]]", "\"\"", "99999999" };
        for (int i = 0; i < Cases(1500); i++)
        {
            var text = texts[rng.Next(texts.Length)];
            string kind;
            if (i % 2 == 0)
            {
                // Structured: one value replaced by a value of another type or range.
                var node = JsonNode.Parse(text)!.AsObject();
                var sections = node.Where(p => p.Value is JsonObject).Select(p => p.Key).ToList();
                var section = node[sections[rng.Next(sections.Count)]]!.AsObject();
                var key = section.Select(p => p.Key).ElementAt(rng.Next(section.Count));
                var value = values[rng.Next(values.Length)];
                section[key] = JsonNode.Parse(value);
                if (rng.Next(8) == 0) node[sections[rng.Next(sections.Count)]] = JsonNode.Parse(values[rng.Next(values.Length)]);
                text = node.ToJsonString();
                kind = $"{key}={value}";
            }
            else
            {
                var (k, bytes) = Mutate(Encoding.UTF8.GetBytes(text), rng, text.Length);
                text = Encoding.UTF8.GetString(bytes);
                kind = k;
            }
            var json = text;
            h.Case($"config case {i} ({kind})", () =>
            {
                var config = ExperimentConfig.FromJson(json, "fuzz.json").Validate();
                ExperimentRunner.Check(config);
            });
        }
        h.AssertClean();
    }

    [Fact]
    public void CheckpointLoaderSurvivesCorruptFiles()
    {
        var h = new Harness("checkpoint");
        var config = Presets.Get("ring8").With(new[] { "train.batch_size=8", "eval.mosaic=false" }).Validate();
        using var experiment = ExperimentRunner.Create(config);
        var variant = experiment.Variant;
        variant.DiscriminatorStep();
        variant.GeneratorStep();
        var valid = File.ReadAllBytes(Checkpoint.Save(dir["valid"], 1, config, variant));
        var path = dir["ckpt_0000001.bin"];
        var rng = new Random(7005);
        for (int i = 0; i < Cases(600); i++)
        {
            // Half the cases carry a recomputed checksum, so that the damage reaches the parser
            // behind it (as a buggy writer or another model's file would).
            bool resign = i % 2 == 1;
            var (kind, bytes) = Mutate(resign ? valid[..^32] : valid, rng, 1600);
            if (resign) bytes = bytes.Concat(SHA256.HashData(bytes)).ToArray();
            File.WriteAllBytes(path, bytes);
            int which = i % 3;
            h.Case($"checkpoint case {i} ({kind}{(resign ? ", checksum recomputed" : "")}, {new[] { "Load", "ReadHeader", "LoadGenerator" }[which]})", () =>
            {
                if (which == 0) Checkpoint.Load(path, variant);
                else if (which == 1) Checkpoint.ReadHeader(path);
                else Checkpoint.LoadGenerator(path, variant.Modules[0].Module);
            });
        }
        h.AssertClean();
        // The loader still loads a good file after all that.
        File.WriteAllBytes(path, valid);
        Assert.Equal(1, Checkpoint.Load(path, variant));
    }
}
