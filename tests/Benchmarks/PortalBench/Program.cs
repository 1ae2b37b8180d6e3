using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Npgsql;
using OneClickSuite.Portal.Suite;
using OneClickSuite.Portal.Tests;
using OneClickSuite.Testing;

// The Workers page at N workers (default 50,000; first argument): times the page's query (first page, searches, a deep
// page, a filter) through the same code the page uses, then GET /workers rendered on the server for a signed-in
// person. Prints p50/p95 in milliseconds; the goal is under 300 ms.
var workers = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 50_000;
const int Rounds = 30;
const double GoalMs = 300;

var pg = await PostgresServer.StartSharedAsync();
var connectionString = await pg.CreateDatabaseAsync("portal_bench");
await using var db = NpgsqlDataSource.Create(connectionString);
var seeding = Stopwatch.StartNew();
await SuiteSchemas.CreateAsync(db);
await SuiteSchemas.SeedWorkersAsync(db, workers);
Console.WriteLine($"seeded {workers:N0} workers in {seeding.Elapsed.TotalSeconds:F1} s ({connectionString})");

Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
var directory = new WorkerDirectory(db);
var slowest = 0.0;
var queries = new (string Name, WorkerQuery Query)[]
{
    ("first page", new WorkerQuery()),
    ("search by name", new WorkerQuery(Search: "achieng")),
    ("search by employee number", new WorkerQuery(Search: "EMP-0421")),
    ("search by worker id", new WorkerQuery(Search: "w-4999")),
    ("deep page", new WorkerQuery(Offset: workers - 50)),
    ("pending filter", new WorkerQuery(State: "pending")),
};
foreach (var (name, query) in queries)
{
    var page = await directory.SearchAsync(query); // warm-up
    var times = await TimeAsync(() => directory.SearchAsync(query));
    Report($"query  {name} ({page.Total:N0} match)", times);
}

await using var portal = new WebApplicationFactory<PortalApp>().WithWebHostBuilder(web =>
{
    web.UseEnvironment("Production");
    web.UseContentRoot(Path.Combine(Repository.Root, "adapters", "Services", "Portal"));
    web.UseSetting("ConnectionStrings:suite-db", connectionString);
    web.UseSetting("Portal:Users:bench:Password", "bench-password-1");
    web.UseSetting("Portal:Users:bench:Role", "viewer");
    foreach (var system in new[] { "Fineract", "Odk", "Ihris" }) web.UseSetting($"{system}:BaseUrl", "http://127.0.0.1:9");
});
using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
(await client.PostAsJsonAsync("/api/signin", new { name = "bench", password = "bench-password-1" })).EnsureSuccessStatusCode();
foreach (var (name, path) in new[] { ("GET /workers", "/workers"), ("GET /workers?search=achieng", "/workers?search=achieng"),
             ("GET /workers deep page", $"/workers?offset={workers - 50}") })
{
    (await client.GetAsync(path)).EnsureSuccessStatusCode(); // warm-up
    var times = await TimeAsync(async () =>
    {
        using var response = await client.GetAsync(path);
        response.EnsureSuccessStatusCode();
        var html = await response.Content.ReadAsStringAsync();
        if (!html.Contains("data-worker=")) throw new InvalidOperationException($"{path} rendered no worker");
    });
    Report($"page   {name}", times);
}

Console.WriteLine(slowest < GoalMs
    ? $"OK: every p95 under {GoalMs} ms at {workers:N0} workers (slowest p95 {slowest:F1} ms)"
    : $"SLOW: slowest p95 {slowest:F1} ms at {workers:N0} workers (goal {GoalMs} ms)");
return slowest < GoalMs ? 0 : 1;

async Task<List<double>> TimeAsync(Func<Task> action)
{
    var times = new List<double>();
    for (var i = 0; i < Rounds; i++)
    {
        var stopwatch = Stopwatch.StartNew();
        await action();
        times.Add(stopwatch.Elapsed.TotalMilliseconds);
    }
    times.Sort();
    return times;
}

void Report(string name, List<double> sorted)
{
    var p50 = sorted[sorted.Count / 2];
    var p95 = sorted[(int)Math.Ceiling(sorted.Count * 0.95) - 1];
    slowest = Math.Max(slowest, p95);
    Console.WriteLine($"{name,-58} p50 {p50,7:F1} ms   p95 {p95,7:F1} ms");
}
