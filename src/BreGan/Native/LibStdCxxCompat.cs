// The libstdc++ compatibility fix for TorchSharp's native shim (see README, "Troubleshooting").
//
// TorchSharp 0.107.0's libLibTorchSharp.so asks for the symbol version GLIBCXX_3.4.32 (GCC 13),
// only because GCC 13 emits a reference to std::ios_base_library_init() for <iostream>. Nothing
// ever calls that symbol, so marking the version requirement "weak" (VER_FLG_WEAK in its
// Elf64_Vernaux record) lets glibc's loader accept the library on systems with an older libstdc++
// (Debian 12, Ubuntu 22.04). Nothing else in the file changes.
//
// This one file serves two masters:
//  - the BreGan library compiles it (BREGAN_LIBRARY defined) so `bregan info` and the tests can
//    inspect libraries at run time;
//  - the MSBuild targets shipped with BreGan compile it as an inline task (RoslynCodeTaskFactory),
//    so the fix runs in every build that references BreGan, with no extra tool.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

#if BREGAN_LIBRARY
namespace BreGan.Native
{
#endif
    /// <summary>What an ELF file needs from, or defines for, one symbol version.</summary>
    public sealed class ElfVersionNeed
    {
        public string File = "";
        public string Version = "";
        public bool Weak;
        /// <summary>Byte offset of the two-byte vna_flags field.</summary>
        public long FlagsOffset;
    }

    /// <summary>
    /// Reads and patches the GNU symbol-version sections of 64-bit little-endian ELF files
    /// (x86-64 and AArch64 Linux). Pure functions over byte arrays, so they are easy to test.
    /// </summary>
    public static class LibStdCxxCompat
    {
        public const string LibStdCxx = "libstdc++.so.6";
        public const string MissingVersion = "GLIBCXX_3.4.32";
        public const ushort VerFlagWeak = 0x2;
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>The directories searched for the system's libstdc++, in order.</summary>
        public static readonly string[] SystemLibraryDirectories =
        {
            "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
        };

        /// <summary>The libstdc++.so.6 the dynamic loader would most likely pick, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            var dirs = new List<string>();
            var ld = Environment.GetEnvironmentVariable("LD_LIBRARY_PATH");
            if (!string.IsNullOrEmpty(ld)) dirs.AddRange(ld.Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries));
            dirs.AddRange(SystemLibraryDirectories);
            foreach (var d in dirs)
            {
                var p = Path.Combine(d, LibStdCxx);
                if (File.Exists(p)) return p;
            }
            return null;
        }

        static bool IsElf64Le(byte[] b) =>
            b.Length >= 64 && b[0] == 0x7f && b[1] == (byte)'E' && b[2] == (byte)'L' && b[3] == (byte)'F'
            && b[4] == 2 && b[5] == 1;

        static ushort U16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));
        static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);

        static void Check(bool ok, string what)
        {
            if (!ok) throw new InvalidDataException("Malformed ELF file: " + what + ".");
        }

        static string CString(byte[] b, long offset)
        {
            Check(offset >= 0 && offset < b.Length, "string offset out of range");
            long end = offset;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)offset, (int)(end - offset));
        }

        struct Section { public uint Type; public long Offset; public long Size; public uint Link; public uint Info; }

        static Section[] Sections(byte[] b)
        {
            Check(IsElf64Le(b), "not a 64-bit little-endian ELF file");
            long shoff = (long)U64(b, 0x28);
            int shentsize = U16(b, 0x3A), shnum = U16(b, 0x3C);
            Check(shentsize >= 64 && shoff > 0 && shoff + (long)shnum * shentsize <= b.Length, "section headers out of range");
            var s = new Section[shnum];
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                s[i] = new Section
                {
                    Type = U32(b, h + 4), Offset = (long)U64(b, h + 24), Size = (long)U64(b, h + 32),
                    Link = U32(b, h + 40), Info = U32(b, h + 44),
                };
                Check(s[i].Type == 8 /* NOBITS */ || s[i].Offset + s[i].Size <= b.Length, "section out of range");
            }
            return s;
        }

        /// <summary>Every symbol version the file needs (its .gnu.version_r section).</summary>
        public static List<ElfVersionNeed> ReadVersionNeeds(byte[] elf)
        {
            var result = new List<ElfVersionNeed>();
            var sections = Sections(elf);
            foreach (var sec in sections)
            {
                if (sec.Type != ShtGnuVerneed) continue;
                Check(sec.Link < sections.Length, "bad string table link");
                long strtab = sections[sec.Link].Offset;
                long need = sec.Offset;
                for (uint n = 0; n < sec.Info; n++)
                {
                    Check(need + 16 <= elf.Length, "verneed out of range");
                    int cnt = U16(elf, need + 2);
                    string file = CString(elf, strtab + U32(elf, need + 4));
                    long aux = need + U32(elf, need + 8);
                    for (int a = 0; a < cnt; a++)
                    {
                        Check(aux + 16 <= elf.Length, "vernaux out of range");
                        result.Add(new ElfVersionNeed
                        {
                            File = file,
                            Version = CString(elf, strtab + U32(elf, aux + 8)),
                            Weak = (U16(elf, aux + 4) & VerFlagWeak) != 0,
                            FlagsOffset = aux + 4,
                        });
                        uint nextAux = U32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += nextAux;
                    }
                    uint next = U32(elf, need + 12);
                    if (next == 0) break;
                    need += next;
                }
            }
            return result;
        }

        /// <summary>Every symbol version the file defines (its .gnu.version_d section).</summary>
        public static HashSet<string> ReadVersionDefinitions(byte[] elf)
        {
            var result = new HashSet<string>(StringComparer.Ordinal);
            var sections = Sections(elf);
            foreach (var sec in sections)
            {
                if (sec.Type != ShtGnuVerdef) continue;
                Check(sec.Link < sections.Length, "bad string table link");
                long strtab = sections[sec.Link].Offset;
                long def = sec.Offset;
                for (uint n = 0; n < sec.Info; n++)
                {
                    Check(def + 20 <= elf.Length, "verdef out of range");
                    long aux = def + U32(elf, def + 12);
                    Check(aux + 8 <= elf.Length, "verdaux out of range");
                    result.Add(CString(elf, strtab + U32(elf, aux)));
                    uint next = U32(elf, def + 16);
                    if (next == 0) break;
                    def += next;
                }
            }
            return result;
        }

        /// <summary>True when the given libstdc++ defines <see cref="MissingVersion"/>.</summary>
        public static bool DefinesMissingVersion(byte[] libStdCxx) =>
            ReadVersionDefinitions(libStdCxx).Contains(MissingVersion);

        /// <summary>
        /// Marks the file's requirement of GLIBCXX_3.4.32 from libstdc++.so.6 as weak. Returns the
        /// number of records changed (0 when already weak or not needed); idempotent.
        /// </summary>
        public static int MarkMissingVersionWeak(byte[] elf)
        {
            int changed = 0;
            foreach (var need in ReadVersionNeeds(elf))
            {
                if (need.File != LibStdCxx || need.Version != MissingVersion || need.Weak) continue;
                ushort flags = (ushort)(U16(elf, need.FlagsOffset) | VerFlagWeak);
                elf[need.FlagsOffset] = (byte)flags;
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
                changed++;
            }
            return changed;
        }

        /// <summary>True when the library needs GLIBCXX_3.4.32 and that need is marked weak.</summary>
        public static bool IsPatched(byte[] elf)
        {
            foreach (var need in ReadVersionNeeds(elf))
                if (need.File == LibStdCxx && need.Version == MissingVersion) return need.Weak;
            return false;
        }

        /// <summary>True when the library needs GLIBCXX_3.4.32 with a strong (unpatched) requirement.</summary>
        public static bool NeedsPatch(byte[] elf)
        {
            foreach (var need in ReadVersionNeeds(elf))
                if (need.File == LibStdCxx && need.Version == MissingVersion && !need.Weak) return true;
            return false;
        }

        /// <summary>
        /// Decides and applies the fix to one library file. The file is replaced atomically (write a
        /// temporary copy, then rename), so a hard link to a package cache is never written through.
        /// Returns a short description of what was done.
        /// </summary>
        public static string PatchFile(string libraryPath, string? systemLibStdCxx, bool force = false)
        {
            if (!File.Exists(libraryPath)) return "skipped: " + libraryPath + " does not exist";
            if (!force)
            {
                if (systemLibStdCxx == null) return "skipped: no system libstdc++.so.6 found";
                if (DefinesMissingVersion(File.ReadAllBytes(systemLibStdCxx)))
                    return "skipped: " + systemLibStdCxx + " already defines " + MissingVersion;
            }
            var bytes = File.ReadAllBytes(libraryPath);
            if (IsPatched(bytes)) return "already patched: " + libraryPath;
            if (MarkMissingVersionWeak(bytes) == 0) return "skipped: " + libraryPath + " does not need " + MissingVersion;
            var tmp = libraryPath + ".bregan-tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Replace(tmp, libraryPath, null); // a rename: never writes through a hard link
            return "patched: " + libraryPath;
        }
    }

#if !BREGAN_LIBRARY
    /// <summary>MSBuild task: applies <see cref="LibStdCxxCompat.PatchFile"/> to each given library.</summary>
    public sealed class BreGanPatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>Candidate paths of libLibTorchSharp.so; those that do not exist are ignored.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>auto (patch only when the system lacks the version), force, or off.</summary>
        public string Mode { get; set; } = "auto";

        /// <summary>Optional path of the libstdc++.so.6 to check instead of the system's.</summary>
        public string SystemLibStdCxx { get; set; } = "";

        /// <summary>The libraries that are patched after this task (newly or already).</summary>
        [Microsoft.Build.Framework.Output]
        public Microsoft.Build.Framework.ITaskItem[] PatchedLibraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            if (Mode == "off") return true;
            if (Mode != "auto" && Mode != "force")
            {
                Log.LogError("BreGanLibStdCxxCompat must be auto, force or off, not '" + Mode + "'.");
                return false;
            }
            var patched = new List<Microsoft.Build.Framework.ITaskItem>();
            string? system = string.IsNullOrEmpty(SystemLibStdCxx) ? LibStdCxxCompat.FindSystemLibStdCxx() : SystemLibStdCxx;
            foreach (var item in Libraries)
            {
                string path = item.GetMetadata("FullPath");
                if (!File.Exists(path)) continue;
                try
                {
                    string what = LibStdCxxCompat.PatchFile(path, system, Mode == "force");
                    var importance = what.StartsWith("patched") ? Microsoft.Build.Framework.MessageImportance.High
                                                               : Microsoft.Build.Framework.MessageImportance.Low;
                    Log.LogMessage(importance, "BreGan libstdc++ compatibility: " + what);
                    if (what.StartsWith("patched") || what.StartsWith("already patched")) patched.Add(item);
                }
                catch (Exception e)
                {
                    Log.LogWarning("BreGan libstdc++ compatibility: could not check " + path + ": " + e.Message);
                }
            }
            PatchedLibraries = patched.ToArray();
            return true;
        }
    }
#endif

#if BREGAN_LIBRARY
}
#endif
