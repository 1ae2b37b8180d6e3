using Dapper;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OneClickSuite.Messaging;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>Degraded when no roster poll has succeeded for <see cref="RosterOptions.StaleAfter"/> (a stuck cursor).</summary>
public sealed class RosterCursorHealthCheck(SuiteDatabase database, IOptions<RosterOptions> options, TimeProvider clock) : IHealthCheck
{
    private readonly DateTimeOffset _started = clock.GetUtcNow();

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        DateTime? lastSuccess;
        try
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(cancellationToken);
            lastSuccess = await connection.QuerySingleOrDefaultAsync<DateTime?>(
                $"SELECT last_success_at FROM \"{database.Schema}\".roster_cursor WHERE id = 1");
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.UndefinedTable)
        {
            lastSuccess = null;
        }
        var since = lastSuccess is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : _started;
        var age = clock.GetUtcNow() - since;
        return age > options.Value.StaleAfter
            ? HealthCheckResult.Degraded($"roster cursor not advanced for {age:g} (last successful read {(lastSuccess is null ? "never" : since.ToString("u"))})")
            : HealthCheckResult.Healthy($"last successful roster read {age.TotalSeconds:0}s ago");
    }
}
