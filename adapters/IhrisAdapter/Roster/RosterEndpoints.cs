using Dapper;
using OneClickSuite.Messaging;

namespace OneClickSuite.IhrisAdapter.Roster;

public static class RosterEndpoints
{
    public static IEndpointRouteBuilder MapRosterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/roster/resync", (RosterSync sync, CancellationToken ct) =>
                AlreadyRunning.AnswerConflict(async () => Results.Ok(await sync.ResyncAsync(ct, wait: false))))
            .RequireSuitePolicy(SuiteIdentity.Operate);
        // The regular poll, now: for a person (or the demo) who just changed iHRIS and does not want to wait.
        endpoints.MapPost("/roster/poll", (RosterSync sync, CancellationToken ct) =>
                AlreadyRunning.AnswerConflict(async () => Results.Ok(await sync.SyncChangesAsync(ct, wait: false))))
            .RequireSuitePolicy(SuiteIdentity.Operate);

        endpoints.MapGet("/quarantine", async (SuiteDatabase database, CancellationToken ct) =>
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            var rows = await connection.QueryAsync<QuarantinedWorker>($"""
                SELECT id, worker_id, resource, field, reason, first_seen, last_seen
                FROM "{database.Schema}".quarantine ORDER BY id
                """);
            return Results.Ok(rows);
        }).RequireSuitePolicy(SuiteIdentity.Read);

        endpoints.MapPost("/quarantine/{id:long}/retry", (long id, SuiteDatabase database, RosterSync sync, CancellationToken ct) =>
            AlreadyRunning.AnswerConflict(async () =>
        {
            string? workerId;
            await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
            {
                workerId = await connection.QuerySingleOrDefaultAsync<string>(
                    $"SELECT worker_id FROM \"{database.Schema}\".quarantine WHERE id = @id", new { id });
            }
            if (workerId is null)
            {
                return Results.NotFound();
            }
            var result = await sync.SyncWorkerAsync(workerId, ct, wait: false);
            await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
            {
                var still = await connection.QuerySingleOrDefaultAsync<QuarantinedWorker>($"""
                    SELECT id, worker_id, resource, field, reason, first_seen, last_seen
                    FROM "{database.Schema}".quarantine WHERE worker_id = @workerId
                    """, new { workerId });
                return still is null
                    ? Results.Ok(new { workerId, released = true, result.Published })
                    : Results.UnprocessableEntity(still);
            }
        })).RequireSuitePolicy(SuiteIdentity.Operate);
        return endpoints;
    }
}
