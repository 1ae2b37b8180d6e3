using Dapper;
using Npgsql;
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
    /// ever registered (credits blocked for leavers), one entity per active worker, names and phones current.
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

        var entities = await suite.Odk.ListEntitiesAsync(suite.OdkProjectId, "health_workers");
        var entityWorkers = entities.Select(e => e.CurrentVersion?.Data?.GetValueOrDefault("worker_id") ?? "").ToList();
        Assert.Equal(entityWorkers.Count, entityWorkers.Distinct().Count());

        foreach (var worker in workers)
        {
            if (worker.Active)
            {
                Assert.True(clients.TryGetValue(worker.Id, out var client), $"no Fineract client for {worker.Id}");
                Assert.Equal((worker.Given, worker.Family, worker.Phone), (client.Firstname, client.Lastname, client.MobileNo));
                Assert.Equal((1L, 0L, 1L), (client.Accounts, client.Blocked, client.Active));

                var entity = entities.SingleOrDefault(e => e.CurrentVersion?.Data?.GetValueOrDefault("worker_id") == worker.Id);
                Assert.True(entity is not null, $"no ODK entity for {worker.Id}");
                Assert.Equal(worker.Label, entity.CurrentVersion!.Label);
                Assert.Equal(worker.Phone ?? "", entity.CurrentVersion.Data!["phone"]);
            }
            else
            {
                if (clients.TryGetValue(worker.Id, out var client))
                {
                    Assert.Equal((1L, 1L), (client.Accounts, client.Blocked));
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
