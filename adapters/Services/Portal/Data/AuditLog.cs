using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Data;

public sealed record AuditEntry(long Id, DateTime At, string Actor, string Action, string Target, string Outcome, string? Detail);

/// <summary>Who did what to which record, and how it ended: every submission, approval, rejection, retry, replay and demo run.</summary>
public sealed class AuditLog(NpgsqlDataSource db)
{
    public async Task RecordAsync(string actor, string action, string target, string outcome, string? detail = null,
        CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO portal.audit (actor, action, target, outcome, detail) VALUES (@actor, @action, @target, @outcome, @detail)",
            new { actor, action, target, outcome, detail }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<AuditEntry>> RecentAsync(int limit, string? target = null, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AuditEntry>(new CommandDefinition("""
            SELECT id, at, actor, action, target, outcome, detail FROM portal.audit
            WHERE @target::text IS NULL OR target = @target
            ORDER BY id DESC LIMIT @limit
            """, new { limit, target }, cancellationToken: ct));
        return rows.AsList();
    }
}
