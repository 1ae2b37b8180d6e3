using System.Diagnostics;
using System.Text;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>A national-size roster. Opt-in (IHRIS_SCALE_TEST=1): loading 100,000 resources takes a minute or two.</summary>
public sealed class ScaleTests
{
    private const int Workers = 50_000;

    [Fact]
    public async Task Roster_page_with_two_includes_stays_fast_at_50000_workers()
    {
        if (Environment.GetEnvironmentVariable("IHRIS_SCALE_TEST") != "1")
        {
            Assert.Skip("Set IHRIS_SCALE_TEST=1 to load 50,000 workers and time the roster search.");
        }
        await using var host = await IhrisHost.StartAsync();
        var load = Stopwatch.StartNew();
        for (var start = 0; start < Workers; start += 5_000)
        {
            var json = new StringBuilder("{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[");
            for (var i = start; i < start + 5_000; i++)
            {
                if (i > start) json.Append(',');
                json.Append($$$"""
                    {"resource":{"resourceType":"Practitioner","id":"w{{{i}}}","active":true,"identifier":[{"system":"urn:emp","value":"E{{{i}}}"}],"name":[{"family":"Worker","given":["N{{{i}}}"]}]},"request":{"method":"PUT","url":"Practitioner/w{{{i}}}"}},
                    {"resource":{"resourceType":"PractitionerRole","id":"r{{{i}}}","active":true,"practitioner":{"reference":"Practitioner/w{{{i}}}"},"location":[{"reference":"Location/f{{{i % 50}}}"}]},"request":{"method":"PUT","url":"PractitionerRole/r{{{i}}}"}}
                    """);
                if (i < 50) json.Append($$$""",{"resource":{"resourceType":"Location","id":"f{{{i}}}","name":"Facility {{{i}}}"},"request":{"method":"PUT","url":"Location/f{{{i}}}"}}""");
            }
            json.Append("]}");
            var (status, body) = await host.SendAsync(HttpMethod.Post, "/fhir", IhrisHost.Fhir(json.ToString()));
            Assert.True(status == 200, body?.ToJsonString());
        }
        load.Stop();

        const string roster = "/fhir/PractitionerRole?_include=PractitionerRole:practitioner&_include=PractitionerRole:location&_count=200";
        await host.GetOkAsync(roster);
        var timings = new List<double>();
        string? next = roster;
        for (var page = 0; page < 20 && next is not null; page++)
        {
            var watch = Stopwatch.StartNew();
            var bundle = await host.GetOkAsync(next);
            timings.Add(watch.Elapsed.TotalMilliseconds);
            Assert.Equal(200, IhrisHost.Entries(bundle, "match").Count());
            next = IhrisHost.NextLink(bundle);
        }
        var poll = Stopwatch.StartNew();
        var recent = await host.GetOkAsync($"/fhir/PractitionerRole?_lastUpdated=gt{Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(-1).ToString("o"))}&_include=PractitionerRole:practitioner&_count=200");
        poll.Stop();

        timings.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"load {Workers * 2 + 50} resources: {load.Elapsed.TotalSeconds:F1} s; roster page median {timings[timings.Count / 2]:F1} ms, max {timings[^1]:F1} ms; lastUpdated poll {poll.Elapsed.TotalMilliseconds:F1} ms (total {recent["total"]})");
        Assert.True(timings[timings.Count / 2] < 250, $"median page {timings[timings.Count / 2]:F1} ms");
    }
}
