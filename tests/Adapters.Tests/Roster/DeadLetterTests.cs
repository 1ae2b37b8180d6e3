using Microsoft.Extensions.Hosting;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using OneClickSuite.Testing;
using Xunit;
using static OneClickSuite.Roster.Tests.Convergence;

namespace OneClickSuite.Roster.Tests;

[Collection(RosterCollection.Name)]
public sealed class DeadLetterTests(RosterSuite suite)
{
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_permanent_Fineract_refusal_is_dead_lettered_with_its_error_and_can_be_replayed()
    {
        // Fineract allows one client per mobile number: the second worker with the same phone is refused (403).
        var first = RosterData.NewWorker("dlq");
        var second = RosterData.NewWorker("dlq") with { Phone = first.Phone };
        await RosterData.PutManyAsync(suite.Ihris, [first]);
        suite.Model.Set(first);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [first]), TimeSpan.FromSeconds(60));
        // Written together with two good workers, so one read publishes the three as one batch: the refused worker
        // must not hold up the others, and must still end as its own dead letter.
        TestWorker[] neighbours = [RosterData.NewWorker("dlq"), RosterData.NewWorker("dlq")];
        await RosterData.PutManyAsync(suite.Ihris, [second, .. neighbours]);
        foreach (var neighbour in neighbours) suite.Model.Set(neighbour);

        using var http = TestIdentity.ClientAs(suite.FineractAdapter, "roster-test", SuiteIdentity.Clerk);
        JsonObject letter = [];
        await EventuallyAsync(async () =>
        {
            var letters = await http.GetFromJsonAsync<JsonArray>("/dead-letters", Ct);
            letter = letters!.OfType<JsonObject>().Single(l => ((string?)l["exceptionMessage"] ?? "").Contains("mobile", StringComparison.OrdinalIgnoreCase));
        }, TimeSpan.FromSeconds(60));
        Assert.Contains("FineractException", (string?)letter["exceptionType"]);
        Assert.Contains("WorkerRegisteredV1", (string?)letter["messageType"]);
        // Sent by the Fineract adapter itself: the batch handed the refused worker on as its own event.
        Assert.Equal("fineract-adapter", (string?)letter["source"]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [first, .. neighbours]), TimeSpan.FromSeconds(60));

        // A replica that tolerates no dead letter reports itself degraded while this one waits.
        await using var strict = suite.StartFineractAdapter(new() { ["Messaging:DeadLetterThreshold"] = "0" });
        using var strictHttp = TestIdentity.ClientAs(strict, "roster-test", SuiteIdentity.Clerk);
        Assert.Equal("Degraded", await strictHttp.GetStringAsync("/health", Ct));

        // Fixed in iHRIS: the new revision goes through; replaying the old message then changes nothing.
        var fixedWorker = second with { Phone = "+256733444555" };
        await RosterData.PutManyAsync(suite.Ihris, [fixedWorker]);
        suite.Model.Set(fixedWorker);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [first, fixedWorker, .. neighbours]), TimeSpan.FromSeconds(60));

        var replay = await http.PostAsync($"/dead-letters/{(string?)letter["id"]}/replay", null, Ct);
        Assert.Equal(HttpStatusCode.Accepted, replay.StatusCode);
        await EventuallyAsync(async () =>
        {
            var letters = await http.GetFromJsonAsync<JsonArray>("/dead-letters", Ct);
            Assert.DoesNotContain(letters!.OfType<JsonObject>(), l => (string?)l["id"] == (string?)letter["id"]);
        }, TimeSpan.FromSeconds(60));
        Assert.Equal("Healthy", await strictHttp.GetStringAsync("/health", Ct));
        await AssertMatchesRosterAsync(suite);
    }

    [Fact]
    public void A_roster_batch_may_run_longer_than_Wolverines_default_execution_timeout()
    {
        // Sixteen batches of 500 share the enrolment slots: on a busy machine one takes minutes. Wolverine's default (60 s)
        // cancelled them part-way and dead-lettered them with most of their workers not enrolled.
        var handlers = (Wolverine.Runtime.Handlers.HandlerGraph?)suite.FineractAdapter.Services.GetService(typeof(Wolverine.Runtime.Handlers.HandlerGraph));
        Assert.NotNull(handlers);
        var chain = handlers.ChainFor(typeof(OneClickSuite.Contracts.RosterBatchV1));
        Assert.NotNull(chain);
        Assert.True(chain.ExecutionTimeoutInSeconds >= 600, $"RosterBatchV1 times out after {chain.ExecutionTimeoutInSeconds?.ToString() ?? "the default"} s");
    }
}
