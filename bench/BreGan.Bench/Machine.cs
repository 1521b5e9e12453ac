/// <summary>What the numbers were measured on.</summary>
static class Machine
{
    public static string Describe()
    {
        string cpu = "unknown CPU";
        if (File.Exists("/proc/cpuinfo"))
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? cpu;
        return $"{cpu}; {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; .NET {Environment.Version}; load average {LoadAverage()}";
    }

    /// <summary>The 1, 5 and 15 minute load averages (Linux), to judge how quiet the machine was.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
