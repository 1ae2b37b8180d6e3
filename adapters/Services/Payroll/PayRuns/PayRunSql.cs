using System.Globalization;
using Npgsql;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>What the pay run parts share: locks, role checks and the period's form.</summary>
internal static class PayRunSql
{
    public static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = connection.Sql(tx, sql, args);
        await command.ExecuteNonQueryAsync(ct);
    }

    public static async Task<string> LockRunAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, CancellationToken ct)
    {
        await using var read = connection.Sql(tx, "SELECT status FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", runId);
        return await read.ExecuteScalarAsync(ct) as string ?? throw PayrollRefusal.NotFound($"pay run {runId}");
    }

    public static async Task<string> LockLineAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, Guid lineId, CancellationToken ct)
    {
        await using var read = connection.Sql(tx, "SELECT status FROM payroll.pay_lines WHERE run_id = $1 AND id = $2 FOR UPDATE", runId, lineId);
        return await read.ExecuteScalarAsync(ct) as string ?? throw PayrollRefusal.NotFound($"line {lineId} of pay run {runId}");
    }

    public static void Require(Actor actor, params string[] roles)
    {
        if (!roles.Any(actor.Has))
            throw PayrollRefusal.Forbidden($"{actor.User} needs the role {string.Join(" or ", roles)}");
    }

    /// <summary>"2026-10" or any date in the month ("2026-10-01").</summary>
    public static DateOnly ParsePeriod(string? text)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month) ||
            DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out month))
        {
            return new DateOnly(month.Year, month.Month, 1);
        }
        throw PayrollRefusal.Invalid($"period '{text}' is not a month, e.g. 2026-10");
    }

    public static string Month(DateOnly period) => period.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}
