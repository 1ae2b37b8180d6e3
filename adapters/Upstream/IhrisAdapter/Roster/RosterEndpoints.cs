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

        // Held full reads (a short read is not a mass leaving): a person confirms or dismisses them on the portal.
        endpoints.MapGet("/roster/holds", async (SuiteDatabase database, CancellationToken ct) =>
            Results.Ok(await ReadHoldsAsync(database, "ORDER BY id DESC LIMIT 50", null, ct)))
            .RequireSuitePolicy(SuiteIdentity.Read);
        endpoints.MapPost("/roster/holds/{id:long}/confirm", (long id, HoldDecision? decision, HttpContext http, SuiteDatabase database,
                RosterSync sync, CancellationToken ct) =>
            AlreadyRunning.AnswerConflict(async () =>
            {
                var hold = await OpenHoldAsync(database, id, ct);
                if (hold is null) return Results.Problem(statusCode: 409, title: $"roster hold {id} is not open (already decided, or not found)");
                // A fresh full read: only the workers of the hold that are still missing leave.
                var result = await sync.ResyncAsync(ct, wait: false, confirmed: hold.WorkerIds.ToHashSet(StringComparer.Ordinal));
                var retired = await DecideAsync(database, id, RosterHold.Confirmed, http.User.Identity?.Name, decision?.Reason, result.Retired, ct);
                return retired is null
                    ? Results.Problem(statusCode: 409, title: $"roster hold {id} was decided meanwhile")
                    : Results.Ok(retired);
            }))
            .RequireSuitePolicy(SuiteIdentity.Operate);
        endpoints.MapPost("/roster/holds/{id:long}/dismiss", async (long id, HoldDecision? decision, HttpContext http, SuiteDatabase database,
                CancellationToken ct) =>
            {
                var dismissed = await DecideAsync(database, id, RosterHold.Dismissed, http.User.Identity?.Name, decision?.Reason, 0, ct);
                return dismissed is null
                    ? Results.Problem(statusCode: 409, title: $"roster hold {id} is not open (already decided, or not found)")
                    : Results.Ok(dismissed);
            })
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

    public sealed record HoldDecision(string? Reason);

    private const string HoldColumns = "id, held_at, roster_size, missing, worker_ids, status, decided_by, decided_at, reason, retired";

    private static async Task<RosterHold?> OpenHoldAsync(SuiteDatabase database, long id, CancellationToken ct) =>
        (await ReadHoldsAsync(database, "WHERE id = $1 AND status = 'held'", id, ct)).SingleOrDefault();

    private static async Task<List<RosterHold>> ReadHoldsAsync(SuiteDatabase database, string where, long? id, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand($"""SELECT {HoldColumns} FROM "{database.Schema}".roster_holds {where}""", connection);
        if (id is { } key) command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = key });
        return await ReadAsync(command, ct);
    }

    private static async Task<RosterHold?> DecideAsync(SuiteDatabase database, long id, string status, string? by, string? reason, int retired,
        CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new Npgsql.NpgsqlCommand($"""
            UPDATE "{database.Schema}".roster_holds SET status = $2, decided_by = $3, decided_at = now(), reason = $4, retired = $5
            WHERE id = $1 AND status = 'held'
            RETURNING {HoldColumns}
            """, connection)
        {
            Parameters =
            {
                new() { Value = id }, new() { Value = status }, new() { Value = by ?? "unknown" },
                new() { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }, new() { Value = retired },
            },
        };
        return (await ReadAsync(command, ct)).SingleOrDefault();
    }

    private static async Task<List<RosterHold>> ReadAsync(Npgsql.NpgsqlCommand command, CancellationToken ct)
    {
        var holds = new List<RosterHold>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            holds.Add(new RosterHold(r.GetInt64(0), r.GetDateTime(1), r.GetInt32(2), r.GetInt32(3), r.GetFieldValue<string[]>(4), r.GetString(5),
                Text(6), r.IsDBNull(7) ? null : r.GetDateTime(7), Text(8), r.IsDBNull(9) ? null : r.GetInt32(9)));
        }
        return holds;
    }
}
