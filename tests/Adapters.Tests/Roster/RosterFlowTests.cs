using Microsoft.Extensions.Hosting;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Practitioner = Hl7.Fhir.Model.Practitioner;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Contracts;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Testing;
using Wolverine;
using Xunit;
using static OneClickSuite.Roster.Tests.Convergence;

namespace OneClickSuite.Roster.Tests;

[Collection(RosterCollection.Name)]
public sealed class RosterFlowTests(RosterSuite suite)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registered_changed_and_ended_workers_are_followed_by_Fineract_and_ODK()
    {
        var workers = Enumerable.Range(0, 3).Select(_ => RosterData.NewWorker("flow"))
            .Concat(Enumerable.Range(0, 2).Select(_ => RosterData.NewWorker("flow", chw: true))).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        var renamed = workers[0] with { Given = "Renamed", Phone = "+256799000111" };
        var ended = workers[1] with { Ended = true };
        var deactivated = workers[3] with { PractitionerActive = false };
        await PutAsync([renamed, ended, deactivated]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // The events carry the employment dates from the role period, for salary proration in Payroll.
        await using (var connection = new NpgsqlConnection(suite.SuiteDb))
        {
            var dates = (await connection.QueryAsync<(string WorkerId, string? From, string? Until)>(
                "SELECT worker_id, snapshot->>'employedFrom', snapshot->>'employedUntil' FROM ihris_adapter.roster_workers WHERE worker_id = ANY(@ids)",
                new { ids = new[] { renamed.Id, ended.Id } })).ToDictionary(d => d.WorkerId);
            Assert.Equal(("2023-01-01", (string?)null), (dates[renamed.Id].From, dates[renamed.Id].Until));
            Assert.Equal(("2023-01-01", (string?)"2024-12-31"), (dates[ended.Id].From, dates[ended.Id].Until));
        }

        // A leaver's account takes no more money: Fineract refuses credits (blockCredit sub-status).
        var client = await suite.Fineract.GetClientByExternalIdAsync(ended.Id, Ct);
        var account = (await suite.Fineract.GetClientSavingsAccountsAsync(client!.Id, Ct)).Single();
        var paymentType = (await suite.Fineract.ListPaymentTypesAsync(Ct)).First();
        var refused = await Assert.ThrowsAsync<FineractException>(() => suite.Fineract.DepositAsync(new FineractDeposit(
            account.Id, 10m, DateOnly.FromDateTime(DateTime.UtcNow), paymentType.Id, null, null, Guid.NewGuid().ToString("N")), Ct));
        Assert.Equal(403, refused.StatusCode);
        Assert.True(refused.HasCode("error.msg.savings.account.credit.transaction.not.allowed"), refused.Message);

        // Re-hired: the same client and account come back into use.
        await PutAsync([ended with { Ended = false }]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
    }

    [Fact]
    public async Task A_suite_that_lost_its_own_state_converges_on_the_entities_Central_kept()
    {
        var workers = Enumerable.Range(0, 3).Select(_ => RosterData.NewWorker("lost")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // Central keeps deleted entities' uuids for good (409.19 since v2025.1). Two of the three entities are deleted
        // in Central, and the ODK adapter forgets all three, as if the suite's database had been lost.
        foreach (var worker in workers.Take(2))
            await suite.Odk.DeleteEntityAsync(suite.OdkProjectId, "health_workers", EntityIds.ForWorker(suite.OdkProjectId, worker.Id).ToString(), Ct);
        var ids = workers.Select(w => w.Id).ToArray();
        var events = new List<IRosterEvent>();
        await using (var connection = new NpgsqlConnection(suite.SuiteDb))
        {
            await connection.ExecuteAsync("DELETE FROM odk_adapter.roster_entities WHERE worker_id = ANY(@ids)", new { ids });
            foreach (var (json, revision) in await connection.QueryAsync<(string, long)>(
                         "SELECT snapshot::text, revision FROM ihris_adapter.roster_workers WHERE worker_id = ANY(@ids)", new { ids }))
            {
                var snapshot = System.Text.Json.JsonSerializer.Deserialize<WorkerSnapshot>(json, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
                events.Add(new WorkerRegisteredV1(snapshot, revision, DateTimeOffset.UtcNow));
            }
        }

        // Every worker published again in one batch: one bulk create, refused as a whole (409.19 and 409.3), then one
        // by one, restoring the deleted entities and bringing them up to date.
        using (var scope = suite.IhrisAdapter.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().PublishAsync(RosterBatchV1.Of(events, DateTimeOffset.UtcNow));
        }
        await EventuallyAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(suite.SuiteDb);
            Assert.Equal(3, await connection.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM odk_adapter.roster_entities WHERE worker_id = ANY(@ids) AND synced_revision = revision", new { ids }));
            await AssertMatchesRosterAsync(suite);
        }, Deadline);
        await AssertNoDeadLettersAsync();
    }

    [Fact]
    public async Task A_hundred_resync_calls_at_once_are_answered_and_leave_the_adapter_working()
    {
        // Each call once waited for the roster lock holding a pooled connection: a hundred of them starved the adapter's
        // own inbox. Now they wait their turn in the process (no connection held) and a change still flows meanwhile.
        using var http = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-test", SuiteIdentity.Clerk);
        var storm = Task.WhenAll(Enumerable.Range(0, 100).Select(async _ =>
        {
            using var response = await http.PostAsync("/roster/resync", null, Ct);
            return response.StatusCode;
        }));
        var worker = RosterData.NewWorker("during-storm");
        await PutAsync([worker]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
        Assert.All(await storm, status => Assert.Contains(status, new[] { HttpStatusCode.OK, HttpStatusCode.Conflict }));
        using var health = suite.IhrisAdapter.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/alive", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_full_resync_and_every_event_delivered_twice_duplicate_nothing()
    {
        var workers = Enumerable.Range(0, 4).Select(_ => RosterData.NewWorker("dup")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        using var http = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-test", SuiteIdentity.Clerk);
        // The suite is shared: a change an earlier test made in iHRIS may still wait for the next poll. Poll now, so the
        // resync below has nothing left to publish unless it duplicates.
        await NowAsync(http, "/roster/poll");
        var resync = await (await NowAsync(http, "/roster/resync")).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(0, (int)resync!["published"]!);

        // Publish every worker's current event twice more, alone and in a batch, plus a stale one that would rename a worker.
        using var scope = suite.IhrisAdapter.Services.CreateScope();
        var bus = scope.ServiceProvider.GetRequiredService<IMessageBus>();
        var copies = new List<IRosterEvent>();
        await using (var connection = new NpgsqlConnection(suite.SuiteDb))
        {
            var stored = await connection.QueryAsync<(string Snapshot, long Revision, bool OnRoster)>(
                "SELECT snapshot::text, revision, on_roster FROM ihris_adapter.roster_workers");
            foreach (var (json, revision, onRoster) in stored)
            {
                var snapshot = System.Text.Json.JsonSerializer.Deserialize<WorkerSnapshot>(json, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
                for (var copy = 0; copy < 2; copy++)
                {
                    if (onRoster) await bus.PublishAsync(new WorkerRegisteredV1(snapshot, revision, DateTimeOffset.UtcNow));
                    else await bus.PublishAsync(new WorkerLeftV1(snapshot, revision, DateTimeOffset.UtcNow));
                }
                await bus.PublishAsync(new WorkerChangedV1(snapshot with { GivenName = "Stale" }, revision - 1, DateTimeOffset.UtcNow));
                copies.Add(onRoster ? new WorkerRegisteredV1(snapshot, revision, DateTimeOffset.UtcNow) : new WorkerLeftV1(snapshot, revision, DateTimeOffset.UtcNow));
                copies.Add(new WorkerChangedV1(snapshot with { GivenName = "Stale batch" }, revision - 1, DateTimeOffset.UtcNow));
            }
        }
        for (var copy = 0; copy < 2; copy++) await bus.PublishAsync(RosterBatchV1.Of(copies, DateTimeOffset.UtcNow));

        // A real change after the copies: once it has arrived, the copies ahead of it in the queues have been handled.
        var sentinel = RosterData.NewWorker("dup-sentinel");
        await PutAsync([sentinel]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
        await AssertNoDeadLettersAsync();
    }

    [Fact]
    public async Task Once_changes_are_older_than_the_overlap_a_poll_reads_nothing_again()
    {
        var workers = Enumerable.Range(0, 20).Select(_ => RosterData.NewWorker("quiet")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // A poll goes back the overlap (5 s) before the newest change while that change is recent ...
        using var http = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-test", SuiteIdentity.Clerk);
        var early = await (await http.PostAsync("/roster/poll", null, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.True((int)early!["read"]! > 0, $"a poll right after the writes re-reads them: {early}");

        // ... and stops doing so once a poll has started twice the overlap after it: nothing is read again, where every
        // poll used to re-read the last seconds of changes (and a bulk load's last seconds as a full read).
        await Task.Delay(TimeSpan.FromSeconds(11), Ct);
        (await http.PostAsync("/roster/poll", null, Ct)).EnsureSuccessStatusCode();
        var quiet = await (await http.PostAsync("/roster/poll", null, Ct)).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal((0, false), ((int)quiet!["read"]!, (bool)quiet["full"]!));

        // A change after the quiet spell is still found.
        var renamed = workers[3] with { Given = "Later" + workers[3].Given };
        await PutAsync([renamed]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
    }

    [Fact]
    public async Task Adapters_stopped_in_the_middle_of_a_batch_resume_without_duplicates()
    {
        var workers = Enumerable.Range(0, 60).Select(_ => RosterData.NewWorker("crash")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(suite.FineractDb);
            var enrolled = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM m_client WHERE external_id LIKE 'crash-%'");
            Assert.True(enrolled >= 5, $"{enrolled} enrolled so far");
        }, Deadline);
        await suite.RestartFineractAndOdkAdaptersAsync();
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), TimeSpan.FromSeconds(90));
    }

    [Fact]
    public async Task A_RabbitMQ_restart_in_the_middle_of_the_flow_loses_nothing()
    {
        var workers = Enumerable.Range(0, 30).Select(_ => RosterData.NewWorker("mq")).ToList();
        await PutAsync(workers.Take(15));
        await suite.Rabbit.RestartAsync();
        await PutAsync(workers.Skip(15));
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), TimeSpan.FromSeconds(120));
    }

    [Fact]
    public async Task Two_replicas_of_every_adapter_at_once_converge_without_duplicates()
    {
        await using var ihrisReplica = suite.StartIhrisAdapter();
        await using var fineractReplica = suite.StartFineractAdapter();
        await using var odkReplica = suite.StartOdkAdapter();
        _ = ihrisReplica.Services;
        _ = fineractReplica.Services;
        _ = odkReplica.Services;

        // Both replicas consume from the same durable queue, so they really share (and could collide on) the work.
        var factory = new RabbitMQ.Client.ConnectionFactory { Uri = suite.Rabbit.AmqpUri };
        await using (var amqp = await factory.CreateConnectionAsync(Ct))
        await using (var channel = await amqp.CreateChannelAsync(cancellationToken: Ct))
        {
            foreach (var queue in new[] { "fineract-adapter.roster", "odk-adapter.roster" })
            {
                await EventuallyAsync(async () =>
                {
                    var state = await channel.QueueDeclarePassiveAsync(queue, Ct);
                    Assert.True(state.ConsumerCount >= 2, $"{queue} has {state.ConsumerCount} consumer(s)");
                }, Deadline);
            }
        }

        var workers = Enumerable.Range(0, 40).Select(_ => RosterData.NewWorker("replica")).ToList();
        await PutAsync(workers);
        await PutAsync(workers.Take(10).Select(w => w with { Given = "Second" + w.Given }));
        await PutAsync(workers.Skip(10).Take(5).Select(w => w with { Ended = true }));
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), TimeSpan.FromSeconds(120));
        await AssertNoDeadLettersAsync();
    }

    [Fact]
    public async Task Workers_deleted_in_iHRIS_leave_at_the_next_poll_without_a_full_resync()
    {
        var workers = Enumerable.Range(0, 2).Select(_ => RosterData.NewWorker("deleted")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // One loses their only role; the other is deleted altogether (references first, as HAPI insists).
        await suite.Ihris.DeleteAsync<Hl7.Fhir.Model.PractitionerRole>(workers[0].Id + "-role", Ct);
        await suite.Ihris.DeleteAsync<Hl7.Fhir.Model.PractitionerRole>(workers[1].Id + "-role", Ct);
        await suite.Ihris.DeleteAsync<Hl7.Fhir.Model.Basic>(workers[1].Id + "-salary", Ct);
        await suite.Ihris.DeleteAsync<Hl7.Fhir.Model.Practitioner>(workers[1].Id, Ct);
        // They left today: their final pay is owed, so their accounts stay open until Payroll has paid it.
        foreach (var worker in workers) suite.Model.Set(worker with { PractitionerActive = false });

        // Left: gone from ODK's list, their Fineract accounts still open for the final pay — with no resync asked for.
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
        await using var connection = new NpgsqlConnection(suite.SuiteDb);
        var onRoster = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM ihris_adapter.roster_workers WHERE on_roster AND worker_id = ANY(@ids)", new { ids = workers.Select(w => w.Id).ToArray() });
        Assert.Equal(0, onRoster);
    }

    [Fact]
    public async Task A_leavers_account_takes_their_final_pay_and_refuses_credits_once_Payroll_has_closed_their_pay()
    {
        var leaver = RosterData.NewWorker("final-pay");
        await PutAsync([leaver]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [leaver]), Deadline);
        var left = leaver with { PractitionerActive = false };
        await PutAsync([left]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [left]), Deadline);

        // Left this month: the final pay can still land.
        var client = await suite.Fineract.GetClientByExternalIdAsync(leaver.Id, Ct);
        var account = (await suite.Fineract.GetClientSavingsAccountsAsync(client!.Id, Ct)).Single();
        var paymentType = (await suite.Fineract.ListPaymentTypesAsync(Ct)).First();
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await suite.Fineract.DepositAsync(new FineractDeposit(account.Id, 10m, today, paymentType.Id, null, null, Guid.NewGuid().ToString("N")), Ct);

        // Payroll says it has paid everything owed (at the revision of the leaving): from now on, nothing more lands.
        long revision;
        await using (var connection = new NpgsqlConnection(suite.SuiteDb))
        {
            revision = await connection.ExecuteScalarAsync<long>("SELECT revision FROM ihris_adapter.roster_workers WHERE worker_id = @id", new { id = leaver.Id });
        }
        using (var scope = suite.Payroll.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<IMessageBus>().PublishAsync(
                new WorkerPayClosedV1(leaver.Id, new DateOnly(today.Year, today.Month, 1), revision, DateTimeOffset.UtcNow));
        }
        await EventuallyAsync(async () =>
        {
            var refused = await Assert.ThrowsAsync<FineractException>(() => suite.Fineract.DepositAsync(new FineractDeposit(
                account.Id, 10m, today, paymentType.Id, null, null, Guid.NewGuid().ToString("N")), Ct));
            Assert.True(refused.HasCode("error.msg.savings.account.credit.transaction.not.allowed"), refused.Message);
        }, Deadline);
        suite.Model.Set(left with { Ended = true });
    }

    [Fact]
    public async Task A_full_read_that_would_retire_more_than_the_share_of_the_roster_is_held_until_a_person_decides()
    {
        var workers = Enumerable.Range(0, 3).Select(_ => RosterData.NewWorker("short-read")).ToList();
        await PutAsync(workers);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // An adapter that reads an iHRIS answering almost nothing: its full read would retire the whole roster.
        var emptyIhris = await suite.StartEmptyIhrisAsync();
        await using var shortReader = suite.StartIhrisAdapter(new() { ["Ihris:FhirUrl"] = emptyIhris, ["Ihris:BaseUrl"] = emptyIhris, ["Ihris:PollInterval"] = "01:00:00" });
        using var shortHttp = TestIdentity.ClientAs(shortReader, "roster-test", SuiteIdentity.Clerk);
        using var http = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-test", SuiteIdentity.Clerk);
        using var viewer = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-viewer", SuiteIdentity.Viewer);

        var read = await (await NowAsync(shortHttp, "/roster/resync")).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(0, (int)read!["published"]!);
        var onRoster = await OnRosterAsync();
        Assert.Equal(onRoster, (int)read["held"]!);

        // Nothing left: ODK still lists them, Fineract accounts stay open.
        await AssertMatchesRosterAsync(suite);
        var hold = (await viewer.GetFromJsonAsync<JsonArray>("/roster/holds", Ct))!.OfType<JsonObject>().First();
        Assert.Equal(("held", onRoster, onRoster), ((string?)hold["status"], (int)hold["missing"]!, (int)hold["rosterSize"]!));
        Assert.All(workers, w => Assert.Contains(w.Id, hold["workerIds"]!.AsArray().Select(id => (string?)id)));
        var id = (long)hold["id"]!;

        // A viewer cannot decide; a person dismisses it (the read was short), and nobody leaves.
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/roster/holds/{id}/dismiss", new { reason = "no" }, Ct)).StatusCode);
        var dismissed = await (await http.PostAsJsonAsync($"/roster/holds/{id}/dismiss", new { reason = "iHRIS was being restored" }, Ct))
            .Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(("dismissed", "roster-test", "iHRIS was being restored"),
            ((string?)dismissed!["status"], (string?)dismissed["decidedBy"], (string?)dismissed["reason"]));
        Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsJsonAsync($"/roster/holds/{id}/confirm", new { reason = "late" }, Ct)).StatusCode);

        // Held again; confirmed: a fresh full read decides, and only those still missing from iHRIS leave (here none).
        await NowAsync(shortHttp, "/roster/resync");
        var again = (long)(await viewer.GetFromJsonAsync<JsonArray>("/roster/holds", Ct))!.OfType<JsonObject>().First(h => (string?)h["status"] == "held")["id"]!;
        var confirmed = await (await NowAsync(http, $"/roster/holds/{again}/confirm")).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal(("confirmed", "roster-test", 0), ((string?)confirmed!["status"], (string?)confirmed["decidedBy"], (int)confirmed["retired"]!));
        Assert.Equal(onRoster, await OnRosterAsync());
        await AssertMatchesRosterAsync(suite);

        // A read that finds the people but lost their roles is just as short: held, nobody leaves.
        var shortClient = new IhrisClient(new HttpClient { BaseAddress = new Uri(emptyIhris + "/") },
            Microsoft.Extensions.Options.Options.Create(new IhrisOptions { FhirUrl = emptyIhris }));
        await FhirRoster.PutResourcesAsync(shortClient, suite.Model.All.Where(w => w.Active).SelectMany(w => FhirRoster.Resources(w, null).OfType<Practitioner>()), Ct);
        var roleless = await (await NowAsync(shortHttp, "/roster/resync")).Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.Equal((0, onRoster), ((int)roleless!["published"]!, (int)roleless["held"]!));
        Assert.Equal(onRoster, await OnRosterAsync());
        await AssertMatchesRosterAsync(suite);
    }

    [Fact]
    public async Task An_end_date_that_passes_without_any_edit_in_iHRIS_is_noticed_by_the_daily_full_read()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var worker = RosterData.NewWorker("ends-today") with { EndsOn = today.ToString("yyyy-MM-dd") };
        await PutAsync([worker]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // A day later nothing in iHRIS has changed, so no incremental read sees the worker again; the full read that is
        // due by then does.
        var tomorrow = new ShiftedClock(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));
        await using (var later = suite.StartIhrisAdapterAt(tomorrow, new() { ["Ihris:PollInterval"] = "01:00:00" }))
        {
            using var http = TestIdentity.ClientAs(later, "roster-test", SuiteIdentity.Clerk);
            await EventuallyAsync(async () =>
            {
                // Its own poller may run the due full read first; either way, the worker is read again.
                var poll = await http.PostAsync("/roster/poll", null, Ct);
                Assert.True(poll.IsSuccessStatusCode || poll.StatusCode == HttpStatusCode.Conflict, $"poll answered {poll.StatusCode}");
                await using var connection = new NpgsqlConnection(suite.SuiteDb);
                Assert.False(await connection.ExecuteScalarAsync<bool>(
                    "SELECT on_roster FROM ihris_adapter.roster_workers WHERE worker_id = @id", new { id = worker.Id }), "still on the roster");
            }, Deadline);
        }
        // Left (their final pay owed: the account stays open), gone from ODK.
        suite.Model.Set(worker with { PractitionerActive = false });
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);

        // The test's clock ran ahead: put the cursor back on today's, and make the worker inactive in iHRIS too, so that
        // today's reads agree that they have left.
        await using (var connection = new NpgsqlConnection(suite.SuiteDb))
        {
            await connection.ExecuteAsync("UPDATE ihris_adapter.roster_cursor SET read_at = now(), last_full_read_at = now()");
        }
        await PutAsync([worker with { PractitionerActive = false }]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite), Deadline);
    }

    /// <summary>
    /// A read now: the adapter refuses one while its own poll runs (409), so ask again shortly, as the demo does.
    /// </summary>
    private async Task<HttpResponseMessage> NowAsync(HttpClient http, string path)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await http.PostAsync(path, null, Ct);
            if (response.StatusCode != HttpStatusCode.Conflict || attempt == 40) return response.EnsureSuccessStatusCode();
            await Task.Delay(250, Ct);
        }
    }

    private async Task<int> OnRosterAsync()
    {
        await using var connection = new NpgsqlConnection(suite.SuiteDb);
        return await connection.ExecuteScalarAsync<int>("SELECT count(*)::int FROM ihris_adapter.roster_workers WHERE on_roster");
    }

    private sealed class ShiftedClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + ahead;
    }

    [Fact]
    public async Task Twenty_percent_of_Fineract_and_ODK_calls_failing_still_converges_exactly()
    {
        foreach (var mode in new[] { "error", "lost-response" })
        {
            await RosterSuite.SetFaultsAsync(suite.FineractUrl, new { failureRate = 0.2, mode });
            await RosterSuite.SetFaultsAsync(suite.OdkUrl, new { failureRate = 0.2, mode });
            try
            {
                var workers = Enumerable.Range(0, 20).Select(_ => RosterData.NewWorker("fault-" + mode)).ToList();
                await PutAsync(workers);
                await PutAsync(workers.Take(5).Select(w => w with { Family = "Changed" + w.Family }));
                await PutAsync(workers.Skip(5).Take(3).Select(w => w with { Ended = true }));
                await EventuallyAsync(() => AssertMatchesRosterAsync(suite), TimeSpan.FromSeconds(120));
            }
            finally
            {
                await RosterSuite.SetFaultsAsync(suite.FineractUrl, null);
                await RosterSuite.SetFaultsAsync(suite.OdkUrl, null);
            }
        }
    }

    [Fact]
    public async Task Bad_records_are_quarantined_with_their_reason_and_the_rest_keeps_flowing()
    {
        var good = RosterData.NewWorker("good");
        var noName = RosterData.NewWorker("bad-name") with { Given = "", Family = "" };
        var noIdentifier = RosterData.NewWorker("bad-id") with { EmployeeNumber = "" };
        var badPhone = RosterData.NewWorker("bad-phone") with { Phone = "call me maybe" };
        var duplicate = RosterData.NewWorker("bad-dup") with { EmployeeNumber = good.EmployeeNumber };
        var unknownFacility = RosterData.NewWorker("bad-facility");

        await PutAsync([good]);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [good]), Deadline);
        // HAPI refuses a role that names a Location that does not exist (HAPI-1094), so the bad one is a district.
        await suite.Ihris.UpdateAsync(new Hl7.Fhir.Model.Location
        {
            Id = "a-district",
            Meta = new Hl7.Fhir.Model.Meta { Profile = ["http://ihris.org/fhir/StructureDefinition/ihris-jurisdiction"] },
            Name = "A District",
        }, Ct);
        await RosterData.PutAsync(suite.Ihris, unknownFacility, locationId: "a-district");
        await PutAsync([noName, noIdentifier, badPhone, duplicate], track: false);

        using var http = TestIdentity.ClientAs(suite.IhrisAdapter, "roster-test", SuiteIdentity.Clerk);
        var expected = new (TestWorker Worker, string Resource, string Field)[]
        {
            (noName, $"Practitioner/{noName.Id}", "name"),
            (noIdentifier, $"Practitioner/{noIdentifier.Id}", "identifier"),
            (badPhone, $"Practitioner/{badPhone.Id}", "telecom"),
            (duplicate, $"Practitioner/{duplicate.Id}", "identifier"),
            (unknownFacility, $"PractitionerRole/{unknownFacility.Id}-role", "location"),
        };
        JsonArray quarantine = [];
        await EventuallyAsync(async () =>
        {
            quarantine = (await http.GetFromJsonAsync<JsonArray>("/quarantine", Ct))!;
            foreach (var (worker, resource, field) in expected)
            {
                var entry = quarantine.OfType<JsonObject>().SingleOrDefault(q => (string?)q["workerId"] == worker.Id);
                Assert.True(entry is not null, $"{worker.Id} not quarantined");
                Assert.Equal(resource, (string?)entry["resource"]);
                Assert.Equal(field, (string?)entry["field"]);
                Assert.Contains(resource, (string?)entry["reason"]);
            }
        }, Deadline);
        Assert.Contains("already belongs to Practitioner/" + good.Id,
            (string?)quarantine.OfType<JsonObject>().Single(q => (string?)q["workerId"] == duplicate.Id)["reason"]);

        // None of them reached Fineract or ODK; the good one did.
        await AssertMatchesRosterAsync(suite, [good, noName with { Ended = true }, badPhone with { Ended = true }, unknownFacility with { Ended = true }]);

        // Fixed upstream, then retried: released and enrolled.
        var fixedPhone = badPhone with { Phone = "+256711222333" };
        await RosterData.PutAsync(suite.Ihris, fixedPhone);
        var id = (long)quarantine.OfType<JsonObject>().Single(q => (string?)q["workerId"] == badPhone.Id)["id"]!;
        var retry = await http.PostAsync($"/quarantine/{id}/retry", null, Ct);
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        suite.Model.Set(fixedPhone);
        await EventuallyAsync(() => AssertMatchesRosterAsync(suite, [good, fixedPhone]), Deadline);

        // Still broken: the retry says so and keeps it in quarantine.
        var stillBad = (long)quarantine.OfType<JsonObject>().Single(q => (string?)q["workerId"] == noName.Id)["id"]!;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await http.PostAsync($"/quarantine/{stillBad}/retry", null, Ct)).StatusCode);
    }

    private async Task PutAsync(IEnumerable<TestWorker> workers, bool track = true)
    {
        var list = workers.ToList();
        await RosterData.PutManyAsync(suite.Ihris, list);
        if (track)
        {
            foreach (var worker in list) suite.Model.Set(worker);
        }
    }

    private async Task AssertNoDeadLettersAsync()
    {
        foreach (var (name, client) in new[] { ("fineract-adapter", TestIdentity.ClientAs(suite.FineractAdapter, "roster-test", SuiteIdentity.Clerk)), ("odk-adapter", TestIdentity.ClientAs(suite.OdkAdapter, "roster-test", SuiteIdentity.Clerk)) })
        {
            var letters = await client.GetFromJsonAsync<JsonArray>("/dead-letters", Ct);
            Assert.True(letters!.Count == 0, $"{name} has dead letters: {letters.ToJsonString()}");
        }
    }
}
