using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BreGan.Tests.Reporting;

/// <summary>A [Fact] that is skipped, with the reason, where Chromium is not installed.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Find() is null)
            Skip = "Chromium is not installed (apt-get install chromium): the report's browser test is skipped.";
    }
}

/// <summary>What a page showed in the browser.</summary>
/// <param name="Images">Every &lt;img&gt;: its src attribute and natural width (0 when it did not load).</param>
/// <param name="Errors">Console errors, uncaught exceptions and failed loads the browser logged.</param>
public sealed record PageCheck(IReadOnlyList<(string Src, int NaturalWidth)> Images, IReadOnlyList<string> Errors);

/// <summary>
/// Headless Chromium driven over the DevTools protocol (a WebSocket, no extra packages): load a
/// page, read what its images and console did, take a screenshot. Runs with no sandbox, no GPU
/// and background networking disabled.
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    static readonly string[] Candidates = { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" };

    /// <summary>The browser executable, or null when none is installed.</summary>
    public static string? Find() => Candidates.FirstOrDefault(File.Exists);

    readonly Process process;
    readonly string profile;
    readonly ClientWebSocket socket = new();
    readonly Dictionary<int, TaskCompletionSource<JsonObject>> pending = new();
    readonly List<JsonObject> events = new();
    readonly CancellationTokenSource stop = new();
    Task? reader;
    int nextId;

    HeadlessChromium(Process process, string profile)
    {
        this.process = process;
        this.profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync(int width = 1400, int height = 3000)
    {
        var exe = Find() ?? throw new InvalidOperationException("Chromium is not installed.");
        var profile = Directory.CreateTempSubdirectory("bregan-chromium-").FullName;
        var info = new ProcessStartInfo(exe)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                  "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                                  "--remote-debugging-port=0", $"--user-data-dir={profile}", $"--window-size={width},{height}", "about:blank" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, _) => { };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var browser = new HeadlessChromium(process, profile);
        try { await browser.ConnectAsync(); }
        catch { await browser.DisposeAsync(); throw; }
        return browser;
    }

    async Task ConnectAsync()
    {
        // Chromium writes the port it chose into the profile once it listens.
        var portFile = Path.Combine(profile, "DevToolsActivePort");
        var clock = Stopwatch.StartNew();
        string[] lines = Array.Empty<string>();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            if (process.HasExited) throw new InvalidOperationException($"Chromium exited with code {process.ExitCode}.");
            if (File.Exists(portFile) && (lines = File.ReadAllLines(portFile)).Length >= 2) break;
            await Task.Delay(100);
        }
        if (lines.Length < 2) throw new TimeoutException("Chromium did not open its DevTools port.");
        using var http = new HttpClient();
        var targets = JsonNode.Parse(await http.GetStringAsync($"http://127.0.0.1:{lines[0]}/json/list"))!.AsArray();
        var page = targets.OfType<JsonObject>().First(t => (string?)t["type"] == "page");
        await socket.ConnectAsync(new Uri((string)page["webSocketDebuggerUrl"]!), stop.Token);
        reader = Task.Run(ReadLoopAsync);
        await SendAsync("Page.enable");
        await SendAsync("Runtime.enable");
        await SendAsync("Log.enable");
    }

    async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        var message = new MemoryStream();
        try
        {
            while (!stop.IsCancellationRequested && socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, stop.Token);
                if (result.MessageType == WebSocketMessageType.Close) break;
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage) continue;
                var json = JsonNode.Parse(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length))!.AsObject();
                message.SetLength(0);
                if (json["id"] is JsonNode id)
                {
                    TaskCompletionSource<JsonObject>? waiter;
                    lock (pending) pending.Remove((int)id, out waiter);
                    waiter?.TrySetResult(json);
                }
                else lock (events) events.Add(json);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException) { }
        lock (pending) foreach (var w in pending.Values) w.TrySetException(new InvalidOperationException("DevTools connection closed."));
    }

    /// <summary>Sends a DevTools command and returns its result.</summary>
    public async Task<JsonObject> SendAsync(string method, JsonObject? parameters = null)
    {
        int id = Interlocked.Increment(ref nextId);
        var waiter = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pending) pending[id] = waiter;
        var text = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() }.ToJsonString();
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, stop.Token);
        var reply = await waiter.Task.WaitAsync(TimeSpan.FromSeconds(60));
        if (reply["error"] is JsonNode error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
        return reply["result"]?.AsObject() ?? new JsonObject();
    }

    /// <summary>Loads a page and waits for its load event (all images loaded or failed).</summary>
    public async Task<PageCheck> LoadAsync(string url)
    {
        int seen;
        lock (events) seen = events.Count;
        await SendAsync("Page.navigate", new JsonObject { ["url"] = url });
        var clock = Stopwatch.StartNew();
        while (true)
        {
            lock (events) if (events.Skip(seen).Any(e => (string?)e["method"] == "Page.loadEventFired")) break;
            if (clock.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException($"{url} did not finish loading.");
            await Task.Delay(50);
        }
        await Task.Delay(300); // late console messages
        var result = await SendAsync("Runtime.evaluate", new JsonObject
        {
            ["expression"] = "JSON.stringify(Array.from(document.images).map(i => [i.getAttribute('src'), i.naturalWidth]))",
            ["returnByValue"] = true,
        });
        var images = JsonNode.Parse((string)result["result"]!["value"]!)!.AsArray()
            .Select(i => ((string)i![0]!, (int)i[1]!)).ToList();
        var errors = new List<string>();
        lock (events)
            foreach (var e in events.Skip(seen))
            {
                var p = e["params"];
                switch ((string?)e["method"])
                {
                    case "Runtime.consoleAPICalled" when (string?)p!["type"] is "error" or "assert":
                        errors.Add("console: " + p["args"]?.ToJsonString());
                        break;
                    case "Runtime.exceptionThrown":
                        errors.Add("exception: " + p!["exceptionDetails"]?.ToJsonString());
                        break;
                    case "Log.entryAdded" when (string?)p!["entry"]!["level"] == "error":
                        errors.Add($"log: {(string?)p["entry"]!["text"]} {(string?)p["entry"]!["url"]}");
                        break;
                }
            }
        return new PageCheck(images, errors);
    }

    /// <summary>A PNG screenshot of the current page at the window size.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        var result = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png" });
        return Convert.FromBase64String((string)result["data"]!);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
                await SendAsync("Browser.close").WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or WebSocketException) { }
        stop.Cancel();
        if (reader is not null) await Task.WhenAny(reader, Task.Delay(2000));
        socket.Dispose();
        if (!process.WaitForExit(5000)) process.Kill(entireProcessTree: true);
        process.Dispose();
        try { Directory.Delete(profile, recursive: true); } catch (IOException) { }
    }
}
