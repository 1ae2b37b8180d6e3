using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Suite;

/// <summary>One batch at a provider (the mobile money provider or Payment Hub), as the rail's adapter records it.</summary>
public sealed record PayoutBatchRow(Guid BatchKey, DateTimeOffset CreatedAt, string Currency, int Payouts, decimal Total, string State,
    string? BatchId, int? CompletedCount, int? RejectionCount, string? LastError, DateTimeOffset UpdatedAt);

/// <summary>A worker's current destination other than their Fineract account, as last approved.</summary>
public sealed record DestinationRow(string WorkerId, string? WorkerName, string Rail, string Payee, string? HolderName, string RequestedBy,
    string DecidedBy, DateTimeOffset DecidedAt);

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

    /// <summary>The newest batches of a rail: <c>mobile-money</c> or <c>payment-hub</c>.</summary>
    public async Task<IReadOnlyList<PayoutBatchRow>> RecentBatchesAsync(string rail, int limit, CancellationToken ct) =>
        await QueryAsync<PayoutBatchRow>(rail switch
        {
            "mobile-money" => $"""
                SELECT batch_key, created_at, currency, payouts, total, state, batch_id, completed_count, rejection_count, last_error, updated_at
                FROM mobile_money_adapter.read_batches ORDER BY created_at DESC LIMIT {Math.Clamp(limit, 1, 200)}
                """,
            "payment-hub" => $"""
                SELECT batch_key, created_at, currency, payouts, total, state, batch_id, completed_count, failed_count AS rejection_count, last_error, updated_at
                FROM payment_hub_adapter.read_batches ORDER BY created_at DESC LIMIT {Math.Clamp(limit, 1, 200)}
                """,
            _ => throw new ArgumentOutOfRangeException(nameof(rail), rail, "a rail with batches"),
        }, ct);

    /// <summary>Workers paid elsewhere than their Fineract account, as the last approved change says.</summary>
    public async Task<IReadOnlyList<DestinationRow>> DestinationsAsync(int limit, CancellationToken ct) =>
        await QueryAsync<DestinationRow>($"""
            SELECT d.worker_id, w.display_name AS worker_name, d.rail, COALESCE(d.msisdn, d.payment_mode || ' ' || d.payee_value) AS payee,
                   d.holder_name, d.requested_by, d.decided_by, d.decided_at
            FROM (SELECT DISTINCT ON (worker_id) * FROM payroll.read_payout_destinations WHERE status = 'approved'
                  ORDER BY worker_id, decided_at DESC) d
            LEFT JOIN payroll.read_workers w ON w.worker_id = d.worker_id
            WHERE d.rail <> 'fineract' ORDER BY d.decided_at DESC LIMIT {Math.Clamp(limit, 1, 500)}
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
