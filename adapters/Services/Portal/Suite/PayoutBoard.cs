using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Suite;

/// <summary>One batch of wallet payments at the mobile money provider, as the mobile money adapter records it.</summary>
public sealed record PayoutBatchRow(Guid BatchKey, DateTimeOffset CreatedAt, string Currency, int Payouts, decimal Total, string State,
    string? BatchId, int? CompletedCount, int? RejectionCount, string? LastError, DateTimeOffset UpdatedAt);

/// <summary>Payments per rail and outcome, as Payroll records them.</summary>
public sealed record RailTotalRow(string Rail, string Status, int Payments, decimal Amount);

/// <summary>
/// Each rail's progress and outcome, read-only from the services' read views: Payroll's payments per rail and status,
/// and the mobile money adapter's batches with what the provider completed and rejected.
/// </summary>
public sealed class PayoutBoard(NpgsqlDataSource db, ILogger<PayoutBoard> logger)
{
    public async Task<IReadOnlyList<RailTotalRow>> RailTotalsAsync(CancellationToken ct) =>
        await QueryAsync<RailTotalRow>("""
            SELECT rail, status, count(*)::int AS payments, COALESCE(sum(amount), 0) AS amount
            FROM payroll.read_payments GROUP BY rail, status ORDER BY rail, status
            """, ct);

    public async Task<IReadOnlyList<PayoutBatchRow>> RecentBatchesAsync(int limit, CancellationToken ct) =>
        await QueryAsync<PayoutBatchRow>($"""
            SELECT batch_key, created_at, currency, payouts, total, state, batch_id, completed_count, rejection_count, last_error, updated_at
            FROM mobile_money_adapter.read_batches ORDER BY created_at DESC LIMIT {Math.Clamp(limit, 1, 200)}
            """, ct);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return (await connection.QueryAsync<T>(new CommandDefinition(sql, cancellationToken: ct))).ToList();
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // The service has not created its views yet (it has not started once): nothing to show.
            logger.LogInformation("Payout board: {Message}", ex.MessageText);
            return [];
        }
    }
}
