using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneClickSuite.StartBench;
using OneClickSuite.Testing;

// Start-up, memory and stop of the sandbox, as an evaluator meets them: `dotnet run --project AppHost` until the
// portal's signed-in page answers and every resource is healthy ("demo ready"), the demo, resident memory of every
// process the sandbox runs, then Ctrl+C and what is left running.
//   dotnet run -c Release --project tests/Benchmarks/StartBench [-- --fresh] [--warm-runs 2]
// --fresh also clones the repository to a new folder and starts from there: restore, build, package check and a new
// sandbox (initdb, broker, databases, seeding) included. NuGet's cache and the machine's packages are what they are.
var fresh = args.Contains("--fresh");
var warmRuns = Option("--warm-runs", 2);
var repository = Repository.Root;
var results = new List<JsonObject>();

if (fresh)
{
    var clone = Path.Combine(Path.GetTempPath(), $"oneclick-startbench-{DateTime.UtcNow:yyyyMMddHHmmss}");
    Run("git", ["clone", "-q", repository, clone]);
    results.Add(await Measure.RunAsync("fresh clone: dotnet run --project AppHost (restore, build, new sandbox)", clone, build: true));
}
for (var i = 1; i <= warmRuns; i++)
{
    results.Add(await Measure.RunAsync($"warm {i}: dotnet run --project AppHost (build up to date, sandbox started before)", repository, build: true));
}
results.Add(await Measure.RunAsync("warm: the AppHost alone (dotnet run --no-build)", repository, build: false));

var output = Path.Combine(repository, "artifacts", "benchmarks");
Directory.CreateDirectory(output);
await File.WriteAllTextAsync(Path.Combine(output, "start.json"), new JsonArray([.. results]).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written: {Path.Combine(output, "start.json")}");
return results.All(r => r["leftAfterStop"]!.AsArray().Count == 0 && r["demoSucceeded"]!.GetValue<bool>()) ? 0 : 1;

int Option(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
}

static void Run(string file, string[] arguments)
{
    using var process = Process.Start(new ProcessStartInfo(file, arguments)) ?? throw new InvalidOperationException(file);
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}");
}

namespace OneClickSuite.StartBench
{
    internal static partial class Measure
    {
        private const string Marker = "ONECLICK_STARTBENCH_RUN";

        public static async Task<JsonObject> RunAsync(string label, string repository, bool build)
        {
            Console.WriteLine($"── {label}");
            var run = Guid.NewGuid().ToString("N");
            var info = new ProcessStartInfo("dotnet", build ? ["run", "--project", "AppHost"] : ["run", "--project", "AppHost", "--no-build"])
            {
                WorkingDirectory = repository,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // Every process the sandbox starts inherits this, daemons included: that is how they are found and counted.
            info.Environment[Marker] = run;
            var clock = Stopwatch.StartNew();
            using var host = Process.Start(info) ?? throw new InvalidOperationException("dotnet run did not start");
            var ready = new TaskCompletionSource<(double Seconds, string Portal)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var log = new System.Text.StringBuilder();
            void Read(string? line)
            {
                if (line is null) return;
                lock (log) log.AppendLine(line);
                if (ReadyLine().Match(line) is { Success: true } match) ready.TrySetResult((clock.Elapsed.TotalSeconds, match.Groups["portal"].Value));
            }
            host.OutputDataReceived += (_, e) => Read(e.Data);
            host.ErrorDataReceived += (_, e) => Read(e.Data);
            host.BeginOutputReadLine();
            host.BeginErrorReadLine();

            var result = new JsonObject { ["run"] = label };
            try
            {
                // Ready, or the host gave up (a failed build, a start that threw): then say what it printed.
                var exited = host.WaitForExitAsync();
                if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(15))) != ready.Task) throw new TimeoutException();
                var (healthySeconds, portal) = await ready.Task;
                var secrets = Secrets(repository);
                using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(portal) };
                await SignInAsync(http, "viewer", secrets["Parameters:portal-viewer-password"]);
                var demoReady = clock.Elapsed.TotalSeconds;
                Console.WriteLine($"   every resource healthy at {healthySeconds:F1} s; signed-in page answered at {demoReady:F1} s");

                // As the dashboard's "Run the demo" command calls it: with the demo key, no session.
                using var dashboard = new HttpClient { BaseAddress = new Uri(portal), Timeout = TimeSpan.FromMinutes(5) };
                using var demoRequest = new HttpRequestMessage(HttpMethod.Post, "/api/demo/run");
                demoRequest.Headers.Add("X-Demo-Key", secrets["Parameters:portal-demo-key"]);
                var demoClock = Stopwatch.StartNew();
                using var demo = await dashboard.SendAsync(demoRequest);
                var demoBody = await demo.Content.ReadAsStringAsync();
                Console.WriteLine($"   demo: {(int)demo.StatusCode} in {demoClock.Elapsed.TotalSeconds:F1} s");
                await Task.Delay(TimeSpan.FromSeconds(5)); // let the services settle after the demo's burst

                var memory = Processes.Of(Marker, run).Select(Processes.Memory).Where(m => m is not null).Select(m => m!).ToList();
                var groups = memory.GroupBy(m => m.Role).Select(g => (Role: g.Key, Count: g.Count(), Pss: g.Sum(m => m.PssKiB), Rss: g.Sum(m => m.RssKiB)))
                    .OrderByDescending(g => g.Pss).ToList();
                Console.WriteLine($"   {"process",-34} {"n",3} {"PSS MiB",8} {"RSS MiB",8}");
                foreach (var g in groups) Console.WriteLine($"   {g.Role,-34} {g.Count,3} {g.Pss / 1024.0,8:F0} {g.Rss / 1024.0,8:F0}");
                var totalPss = memory.Sum(m => m.PssKiB) / 1024.0;
                Console.WriteLine($"   {"total (shared pages counted once)",-34} {memory.Count,3} {totalPss,8:F0} {memory.Sum(m => m.RssKiB) / 1024.0,8:F0}");

                result["healthySeconds"] = Math.Round(healthySeconds, 1);
                result["demoReadySeconds"] = Math.Round(demoReady, 1);
                result["demoSucceeded"] = demo.IsSuccessStatusCode;
                result["demoSeconds"] = Math.Round(demoClock.Elapsed.TotalSeconds, 1);
                result["totalPssMiB"] = Math.Round(totalPss);
                result["totalRssMiB"] = Math.Round(memory.Sum(m => m.RssKiB) / 1024.0);
                result["processes"] = new JsonArray([.. groups.Select(g => (JsonNode)new JsonObject
                {
                    ["process"] = g.Role, ["count"] = g.Count, ["pssMiB"] = Math.Round(g.Pss / 1024.0), ["rssMiB"] = Math.Round(g.Rss / 1024.0),
                })]);
                if (!demo.IsSuccessStatusCode) Console.WriteLine($"   demo failed: {demoBody}");
            }
            catch (TimeoutException)
            {
                lock (log) Console.WriteLine($"   never ready; the host printed:\n{log}");
                result["demoSucceeded"] = false;
            }

            // Ctrl+C, as a person stops it: the terminal's SIGINT reaches dotnet run and the AppHost.
            var stopClock = Stopwatch.StartNew();
            foreach (var pid in Processes.Of(Marker, run).Where(p => Processes.CommandLine(p) is { } c
                         && (c.Split(' ')[0].EndsWith("/AppHost", StringComparison.Ordinal) || c.StartsWith("dotnet run", StringComparison.Ordinal))))
            {
                Process.Start("kill", ["-INT", pid.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            }
            var left = Processes.Of(Marker, run);
            while (left.Count > 0 && stopClock.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(500);
                left = Processes.Of(Marker, run);
            }
            Console.WriteLine(left.Count == 0
                ? $"   stopped: nothing left running after {stopClock.Elapsed.TotalSeconds:F1} s"
                : $"   still running 60 s after Ctrl+C: {string.Join("; ", left.Select(p => $"{p} {Processes.CommandLine(p)}"))}");
            result["stopSeconds"] = Math.Round(stopClock.Elapsed.TotalSeconds, 1);
            result["leftAfterStop"] = new JsonArray([.. left.Select(p => (JsonNode)JsonValue.Create(Processes.CommandLine(p) ?? p.ToString(CultureInfo.InvariantCulture))!)]);
            foreach (var pid in left) Process.Start("kill", ["-KILL", pid.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            await host.WaitForExitAsync();
            return result;
        }

        [GeneratedRegex(@"OneClickSuite is ready in [0-9.]+ s: open the portal at (?<portal>http\S+)")]
        private static partial Regex ReadyLine();

        /// <summary>The AppHost's parameters as it generated and saved them (user secrets of the AppHost project).</summary>
        private static Dictionary<string, string> Secrets(string repository)
        {
            var project = File.ReadAllText(Path.Combine(repository, "AppHost", "AppHost.csproj"));
            var id = Regex.Match(project, "<UserSecretsId>(.+?)</UserSecretsId>").Groups[1].Value;
            var path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".microsoft", "usersecrets", id, "secrets.json");
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path))!;
        }

        private static async Task SignInAsync(HttpClient http, string user, string password)
        {
            using var signIn = await http.PostAsJsonAsync("/api/signin", new { name = user, password });
            signIn.EnsureSuccessStatusCode();
            using var page = await http.GetAsync("/");
            var html = await page.Content.ReadAsStringAsync();
            if (!page.IsSuccessStatusCode || page.RequestMessage?.RequestUri?.AbsolutePath == "/signin")
            {
                throw new InvalidOperationException($"the signed-in page did not answer: {(int)page.StatusCode} {page.RequestMessage?.RequestUri}");
            }
        }
    }

    internal sealed record ProcessMemory(int Pid, string Role, long PssKiB, long RssKiB);

    internal static class Processes
    {
        /// <summary>
        /// Every process whose environment carries the run's marker (inherited by all the sandbox starts, daemons
        /// included), and their descendants (PostgreSQL's backends write their titles over their environment).
        /// </summary>
        public static List<int> Of(string marker, string run)
        {
            var needle = $"{marker}={run}";
            var processes = ProcessTable.Read();
            return [.. processes.TreeOf(processes.Entries.Keys.Where(pid => pid != Environment.ProcessId && Carries(pid, needle)))];
        }

        private static bool Carries(int pid, string variable)
        {
            try { return File.ReadAllText($"/proc/{pid}/environ").Split('\0').Contains(variable); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return false; }
        }

        public static string? CommandLine(int pid)
        {
            try { return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim(); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        }

        public static ProcessMemory? Memory(int pid)
        {
            try
            {
                long pss = 0, rss = 0;
                foreach (var line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
                {
                    if (line.StartsWith("Pss:", StringComparison.Ordinal)) pss = Kib(line);
                    else if (line.StartsWith("Rss:", StringComparison.Ordinal)) rss = Kib(line);
                }
                return new ProcessMemory(pid, Role(CommandLine(pid) ?? "?"), pss, rss);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }

        private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

        /// <summary>A short name per kind of process: the program for .NET services, the server for the rest.</summary>
        private static string Role(string commandLine)
        {
            var program = commandLine.Split(' ')[0];
            if (commandLine.StartsWith("postgres", StringComparison.Ordinal) || program.EndsWith("/postgres", StringComparison.Ordinal)) return "PostgreSQL";
            if (program.Contains("/erts-", StringComparison.Ordinal) || program.Contains("rabbitmq", StringComparison.Ordinal)
                || commandLine.Contains("rabbit", StringComparison.Ordinal) || program.EndsWith("inet_gethost", StringComparison.Ordinal)
                || program == "erl_child_setup") return "RabbitMQ (Erlang, epmd)";
            if (program.EndsWith("/dcp", StringComparison.Ordinal)) return commandLine.Contains("monitor-process") ? "orchestrator: process monitors" : "orchestrator (DCP)";
            if (program.EndsWith("Aspire.Dashboard", StringComparison.Ordinal)) return "Aspire dashboard";
            if (program == "dotnet" && commandLine.StartsWith("dotnet run", StringComparison.Ordinal)) return "dotnet run (the command typed)";
            if (program.EndsWith("/AppHost", StringComparison.Ordinal)) return "AppHost";
            if (program is "bash" or "/bin/sh" or "sh" or "setsid" or "sleep" || program.EndsWith("/bash", StringComparison.Ordinal)) return "scripts";
            return Path.GetFileName(program);
        }
    }
}
