using Npgsql;

namespace OneClickSuite.Portal.Suite;

/// <summary>One batch at a provider (the mobile money provider or Payment Hub), as the rail's adapter records it.</summary>
public sealed record PayoutBatchRow(Guid BatchKey, DateTimeOffset CreatedAt, string Currency, int Payouts, decimal Total, string State,
    string? BatchId, int? CompletedCount, int? RejectionCount, string? LastError, DateTimeOffset UpdatedAt, bool? Authorized = null);

/// <summary>A worker's current destination other than their Fineract account, as last approved.</summary>
public sealed record DestinationRow(string WorkerId, string? WorkerName, string Rail, string Payee, string? HolderName, string RequestedBy,
    string DecidedBy, DateTimeOffset DecidedAt);

/// <summary>Payments per rail and outcome, as Payroll records them.</summary>
public sealed record RailTotalRow(string Rail, string Status, int Payments, decimal Amount);

/// <summary>
/// Each rail's progress and outcome, read-only from the services' read views: Payroll's payments per rail and status,
/// each rail adapter's batches with what the provider completed and rejected, and who is paid where.
/// </summary>
public sealed class PayoutBoard(NpgsqlDataSource db, ILogger<PayoutBoard> logger)
{
    public Task<IReadOnlyList<RailTotalRow>> RailTotalsAsync(CancellationToken ct) =>
        QueryAsync("""
            SELECT rail, status, count(*)::int, COALESCE(sum(amount), 0) FROM payroll.read_payments GROUP BY rail, status ORDER BY rail, status
            """, r => new RailTotalRow(r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetDecimal(3)), ct);

    /// <summary>The newest batches of a rail: <c>mobile-money</c> or <c>payment-hub</c>.</summary>
    public Task<IReadOnlyList<PayoutBatchRow>> RecentBatchesAsync(string rail, int limit, CancellationToken ct)
    {
        // Payment Hub asks the adapter to authorize each batch; the mobile money provider does not.
        var (schema, rejected, authorized) = rail switch
        {
            "mobile-money" => ("mobile_money_adapter", "rejection_count", "NULL::boolean"),
            "payment-hub" => ("payment_hub_adapter", "failed_count", "authorized"),
            _ => throw new ArgumentOutOfRangeException(nameof(rail), rail, "a rail with batches"),
        };
        return QueryAsync($"""
            SELECT batch_key, created_at, currency, payouts, total, state, batch_id, completed_count, {rejected}, last_error, updated_at, {authorized}
            FROM {schema}.read_batches ORDER BY created_at DESC LIMIT {Math.Clamp(limit, 1, 200)}
            """, r => new PayoutBatchRow(r.GetGuid(0), r.GetFieldValue<DateTimeOffset>(1), r.GetString(2), r.GetInt32(3), r.GetDecimal(4), r.GetString(5),
                Text(r, 6), r.IsDBNull(7) ? null : r.GetInt32(7), r.IsDBNull(8) ? null : r.GetInt32(8), Text(r, 9), r.GetFieldValue<DateTimeOffset>(10),
                r.IsDBNull(11) ? null : r.GetBoolean(11)), ct);
    }

    /// <summary>Workers paid elsewhere than their Fineract account, as the last approved change says.</summary>
    public Task<IReadOnlyList<DestinationRow>> DestinationsAsync(int limit, CancellationToken ct) =>
        QueryAsync($"""
            SELECT d.worker_id, w.display_name, d.rail, COALESCE(d.msisdn, d.payment_mode || ' ' || d.payee_value, ''),
                   d.holder_name, d.requested_by, d.decided_by, d.decided_at
            FROM (SELECT DISTINCT ON (worker_id) * FROM payroll.read_payout_destinations WHERE status = 'approved'
                  ORDER BY worker_id, decided_at DESC) d
            LEFT JOIN payroll.read_workers w ON w.worker_id = d.worker_id
            WHERE d.rail <> 'fineract' ORDER BY d.decided_at DESC LIMIT {Math.Clamp(limit, 1, 500)}
            """, r => new DestinationRow(r.GetString(0), Text(r, 1), r.GetString(2), r.GetString(3), Text(r, 4), r.GetString(5), r.GetString(6),
                r.GetFieldValue<DateTimeOffset>(7)), ct);

    private static string? Text(NpgsqlDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken ct)
    {
        try
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var rows = new List<T>();
            while (await reader.ReadAsync(ct)) rows.Add(read(reader));
            return rows;
        }
        catch (PostgresException ex) when (SuiteNotReady.Is(ex))
        {
            logger.LogInformation("Payout board: {Message}", ex.MessageText);
            return [];
        }
    }
}

/// <summary>
/// A service whose read views the portal asks for has not finished creating them, or granting them, yet (it starts
/// beside the portal, not before it): a page shows nothing for it rather than failing.
/// </summary>
public static class SuiteNotReady
{
    public static bool Is(PostgresException ex) => ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName
        or PostgresErrorCodes.InsufficientPrivilege;
}
