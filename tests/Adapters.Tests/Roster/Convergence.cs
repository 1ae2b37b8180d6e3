using Dapper;
using Npgsql;
using OneClickSuite.OdkAdapter.Roster;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Roster.Tests;

public static class Convergence
{
    /// <summary>Retries <paramref name="check"/> until it passes or the deadline passes (then its last failure is thrown).</summary>
    public static async Task EventuallyAsync(Func<Task> check, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>
    /// Fineract and ODK hold exactly the roster in <see cref="RosterModel"/>: one client with one account per worker
    /// ever registered, one entity per active worker, names and phones current. A leaver's credits are blocked once
    /// Payroll has closed their pay: at once for one whose role ended long ago (nothing an ordinary run pays is owed),
    /// not yet for one who left this month (their final pay is owed).
    /// Read from the emulators' own tables, so the check itself does not trip over injected faults.
    /// </summary>
    public static async Task AssertMatchesRosterAsync(RosterSuite suite, IReadOnlyCollection<TestWorker>? expected = null)
    {
        var workers = (expected ?? suite.Model.All).ToList();
        await using var fineract = new NpgsqlConnection(suite.FineractDb);
        var clients = (await fineract.QueryAsync<(string ExternalId, string? Firstname, string? Lastname, string? MobileNo, long Accounts, long Blocked, long Active)>("""
            SELECT c.external_id, c.firstname, c.lastname, c.mobile_no,
                   count(s.id) AS accounts, count(s.id) FILTER (WHERE s.sub_status_enum = 500) AS blocked,
                   count(s.id) FILTER (WHERE s.status_enum = 300) AS active
            FROM m_client c LEFT JOIN m_savings_account s ON s.client_id = c.id
            WHERE c.external_id IS NOT NULL GROUP BY c.id
            """)).ToDictionary(c => c.ExternalId);

        await using var odk = new NpgsqlConnection(suite.OdkDb);
        var entities = (await odk.QueryAsync<(Guid Uuid, string Label, string? WorkerId, string? Phone)>("""
            SELECT uuid, label, data->>'worker_id', data->>'phone' FROM odk.entities WHERE deleted_at IS NULL
            """)).ToList();
        var entityWorkers = entities.Select(e => e.WorkerId ?? "").ToList();
        Assert.Equal(entityWorkers.Count, entityWorkers.Distinct().Count());

        foreach (var worker in workers)
        {
            if (worker.Active)
            {
                Assert.True(clients.TryGetValue(worker.Id, out var client), $"no Fineract client for {worker.Id}");
                Assert.Equal((worker.Given, worker.Family, worker.Phone), (client.Firstname, client.Lastname, client.MobileNo));
                Assert.Equal((1L, 0L, 1L), (client.Accounts, client.Blocked, client.Active));

                var entity = entities.SingleOrDefault(e => e.WorkerId == worker.Id);
                Assert.True(entity.WorkerId is not null, $"no ODK entity for {worker.Id}");
                Assert.Contains(entity.Uuid, Enumerable.Range(0, 4).Select(g => EntityIds.ForWorker(suite.OdkProjectId, worker.Id, g)));
                Assert.Equal((worker.Label, worker.Phone ?? ""), (entity.Label, entity.Phone));
            }
            else
            {
                if (clients.TryGetValue(worker.Id, out var client))
                {
                    Assert.True((1L, worker.Ended ? 1L : 0L) == (client.Accounts, client.Blocked),
                        $"{worker.Id} ({(worker.Ended ? "ended long ago" : "left this month")}): {client.Accounts} account(s), {client.Blocked} blocked");
                }
                Assert.DoesNotContain(worker.Id, entityWorkers);
            }
        }
        if (expected is null)
        {
            // Nothing beyond the roster: no stray client or entity.
            var known = workers.Select(w => w.Id).ToHashSet();
            Assert.Equal([], clients.Keys.Where(id => !known.Contains(id)).ToList());
            Assert.Equal([], entityWorkers.Where(id => !known.Contains(id)).ToList());
        }
    }
}
