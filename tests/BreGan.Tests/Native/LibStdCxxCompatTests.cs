using System.Diagnostics;
using System.Text;
using BreGan.Native;

namespace BreGan.Tests.Native;

public class LibStdCxxCompatTests
{
    static string NuGetRoot => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    static string OriginalShim => Path.Combine(NuGetRoot, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static string OutputShim => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    static bool OnLinuxX64 => OperatingSystem.IsLinux() && File.Exists(OriginalShim);

    [Fact]
    public void TorchSharpShimFromThePackageNeedsTheVersionStrongly()
    {
        if (!OnLinuxX64) return; // the fix only concerns Linux
        var bytes = File.ReadAllBytes(OriginalShim);
        var needs = LibStdCxxCompat.ReadVersionNeeds(bytes);
        Assert.Contains(needs, n => n.File == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.32" && !n.Weak);
        Assert.Contains(needs, n => n.Version.StartsWith("GLIBC_"));
        Assert.True(LibStdCxxCompat.NeedsPatch(bytes));
    }

    [Fact]
    public void PatchFlipsOnlyTheWeakFlagAndIsIdempotent()
    {
        if (!OnLinuxX64) return;
        var dir = Directory.CreateTempSubdirectory("bregan-elf-").FullName;
        try
        {
            var copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(OriginalShim, copy);
            var original = File.ReadAllBytes(copy);
            string result = LibStdCxxCompat.PatchFile(copy, systemLibStdCxx: null, force: true);
            Assert.StartsWith("patched", result);
            var patched = File.ReadAllBytes(copy);
            Assert.Equal(original.Length, patched.Length);
            var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
            Assert.Single(changed); // one byte of one vna_flags field
            var need = LibStdCxxCompat.ReadVersionNeeds(patched).Single(n => n.Version == "GLIBCXX_3.4.32");
            Assert.True(need.Weak);
            Assert.InRange(changed[0], need.FlagsOffset, need.FlagsOffset + 1);
            Assert.True(LibStdCxxCompat.IsPatched(patched));
            Assert.StartsWith("already patched", LibStdCxxCompat.PatchFile(copy, null, force: true));
            Assert.Equal(patched, File.ReadAllBytes(copy));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void PatchIsSkippedWhereTheSystemLibStdCxxHasTheVersion()
    {
        var system = LibStdCxxCompat.FindSystemLibStdCxx();
        if (!OnLinuxX64 || system is null) return;
        var dir = Directory.CreateTempSubdirectory("bregan-elf-").FullName;
        try
        {
            // A libstdc++ that defines GLIBCXX_3.4.32: the system's, with the name of one of its
            // versions renamed (same length) in a copy.
            var lib = File.ReadAllBytes(system);
            bool systemHasIt = LibStdCxxCompat.DefinesMissingVersion(lib);
            if (!systemHasIt)
            {
                var from = Encoding.ASCII.GetBytes("GLIBCXX_3.4.30\0");
                int at = lib.AsSpan().IndexOf(from);
                Assert.True(at >= 0);
                Encoding.ASCII.GetBytes("GLIBCXX_3.4.32\0").CopyTo(lib, at);
            }
            var newer = Path.Combine(dir, "libstdc++.so.6");
            File.WriteAllBytes(newer, lib);
            Assert.True(LibStdCxxCompat.DefinesMissingVersion(File.ReadAllBytes(newer)));

            var copy = Path.Combine(dir, "libLibTorchSharp.so");
            File.Copy(OriginalShim, copy);
            var before = File.ReadAllBytes(copy);
            Assert.StartsWith("skipped", LibStdCxxCompat.PatchFile(copy, newer));
            Assert.Equal(before, File.ReadAllBytes(copy));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BuildOutputIsPatchedExactlyWhenTheSystemNeedsIt()
    {
        var system = LibStdCxxCompat.FindSystemLibStdCxx();
        if (!OnLinuxX64 || system is null || !File.Exists(OutputShim)) return;
        bool systemHasIt = LibStdCxxCompat.DefinesMissingVersion(File.ReadAllBytes(system));
        var output = File.ReadAllBytes(OutputShim);
        Assert.Equal(!systemHasIt, LibStdCxxCompat.IsPatched(output));
        // And this very process loaded it: TorchSharp works.
        Assert.Equal(6.0, torch.arange(4).sum().item<long>());
        // The package cache is never modified.
        Assert.True(LibStdCxxCompat.NeedsPatch(File.ReadAllBytes(OriginalShim)));
    }

    [Fact]
    public void MalformedFilesAreRefusedCleanly()
    {
        Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.ReadVersionNeeds(new byte[10]));
        var elf = new byte[64];
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F'; elf[4] = 2; elf[5] = 1;
        elf[0x28] = 0xff; elf[0x3A] = 64; elf[0x3C] = 5; // section headers past the end
        Assert.Throws<InvalidDataException>(() => LibStdCxxCompat.ReadVersionNeeds(elf));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public void ConsumerApplicationByProjectReferenceRunsTorchSharp()
    {
        if (!OnLinuxX64) return;
        var repo = FindRepoRoot();
        var dir = Directory.CreateTempSubdirectory("bregan-consumer-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
                  <ItemGroup>
                    <ProjectReference Include="{repo}/src/BreGan/BreGan.csproj" />
                    <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(dir, "Program.cs"), """
                using TorchSharp;
                var h = torch.randn(8, 16);
                using var terms = BreGan.Bre.Compute(new[] { h });
                Console.WriteLine("consumer-ok " + (terms.Total.item<float>() >= 0));
                """);
            var (code, output) = Run("dotnet", $"run --project {dir}/Consumer.csproj", dir);
            Assert.True(code == 0, output);
            Assert.Contains("consumer-ok True", output);
        }
        finally { Directory.Delete(dir, true); }
    }

    internal static string FindRepoRoot()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "BreGan.slnx"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    internal static (int Code, string Output) Run(string file, string args, string cwd, int timeoutMs = 300_000)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { p.Kill(true); return (-1, "timed out"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
