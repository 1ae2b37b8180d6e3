using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using OneClickSuite.Testing;
using Xunit;
using static OneClickSuite.Roster.Tests.Convergence;

namespace OneClickSuite.Roster.Tests;

/// <summary>What the dashboard shows of the roster flow: one trace per worker change, counters, and health.</summary>
[Collection(RosterCollection.Name)]
public sealed class ObservabilityTests(RosterSuite suite)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_trace_follows_a_worker_from_the_iHRIS_read_through_RabbitMQ_to_the_Fineract_and_ODK_calls()
    {
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name.StartsWith("OneClickSuite.", StringComparison.Ordinal) || source.Name is "Wolverine" or "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        var counted = new ConcurrentDictionary<string, long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "OneClickSuite.Roster") l.EnableMeasurementEvents(instrument);
            },
        };
        meters.SetMeasurementEventCallback<long>((instrument, value, _, _) => counted.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value));
        meters.Start();

        var worker = RosterData.NewWorker("trace");
        await RosterData.PutManyAsync(suite.Ihris, [worker]);
        suite.Model.Set(worker);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [worker]), TimeSpan.FromSeconds(60));
        var renamed = worker with { Given = "Traced" };
        await RosterData.PutManyAsync(suite.Ihris, [renamed]);
        suite.Model.Set(renamed);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [renamed]), TimeSpan.FromSeconds(60));
        await EventuallyAsync(() =>
        {
            Assert.Contains(spans, s => s.OperationName == "odk upsert entity" && Tag(s, "worker.id") == worker.Id);
            return Task.CompletedTask;
        }, TimeSpan.FromSeconds(10));

        // The registration: enrolled in Fineract in the trace of its read in the iHRIS adapter; ODK's bulk create links to it.
        var registration = Enrolment(spans, worker.Id, revision: 1).TraceId;
        Assert.Contains(spans, s => s.TraceId == registration && s.OperationName == "roster read worker" && Tag(s, "worker.id") == worker.Id);
        Assert.Contains(spans, s => s.OperationName == "odk bulk create entities" && s.Links.Any(link => link.Context.TraceId == registration));

        // The rename: one trace from the read, through RabbitMQ (Wolverine's receive span), to the HTTP calls that
        // changed the client in Fineract and the entity in ODK.
        var rename = Enrolment(spans, worker.Id, revision: 2).TraceId;
        var trace = spans.Where(s => s.TraceId == rename).ToList();
        Assert.Contains(trace, s => s.OperationName == "roster read worker" && Tag(s, "worker.id") == worker.Id);
        Assert.Contains(trace, s => s.Source.Name == "Wolverine");
        Assert.Contains(trace, s => s.Source.Name == "System.Net.Http" && Tag(s, "http.request.method") == "PUT"
                                    && Tag(s, "url.full")?.StartsWith(suite.FineractUrl, StringComparison.Ordinal) == true);
        Assert.Contains(trace, s => s.OperationName == "odk upsert entity" && Tag(s, "worker.id") == worker.Id);
        Assert.Contains(trace, s => s.Source.Name == "System.Net.Http" && Tag(s, "url.full")?.StartsWith(suite.OdkUrl, StringComparison.Ordinal) == true);

        // The counters the dashboard charts moved with it.
        meters.RecordObservableInstruments();
        foreach (var name in new[] { "roster.workers.synced", "roster.fineract.synced", "roster.odk.synced" })
        {
            Assert.True(counted.GetValueOrDefault(name) >= 2, $"{name} counted {counted.GetValueOrDefault(name)}");
        }
        Assert.True(counted.ContainsKey("roster.odk.pending"), "the pending gauge is published");
    }

    [Fact]
    public async Task A_roster_cursor_that_stops_advancing_reports_the_iHRIS_adapter_degraded()
    {
        // Its own database (so the healthy adapter's cursor does not count) and an iHRIS that never answers.
        var database = await suite.Postgres.CreateDatabaseAsync("roster_stuck");
        await using var stuck = suite.StartIhrisAdapter(new()
        {
            ["ConnectionStrings:suite-db"] = database,
            ["Ihris:FhirUrl"] = $"http://127.0.0.1:{OneClickSuite.Testing.ServerProcess.FreePort()}/fhir",
            ["Roster:StaleAfter"] = "00:00:02",
        });
        using var http = stuck.CreateClient();
        await EventuallyAsync(async () => Assert.Equal("Degraded", await http.GetStringAsync("/health", Ct)), TimeSpan.FromSeconds(30));

        using var healthy = suite.IhrisAdapter.CreateClient();
        Assert.Equal("Healthy", await healthy.GetStringAsync("/health", Ct));
    }

    private static Activity Enrolment(IEnumerable<Activity> spans, string workerId, int revision) =>
        spans.FirstOrDefault(s => s.OperationName == "fineract enrol worker" && Tag(s, "worker.id") == workerId && Tag(s, "worker.revision") == revision.ToString())
        ?? throw new Xunit.Sdk.XunitException($"no Fineract enrolment span for {workerId} revision {revision}");

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();
}
