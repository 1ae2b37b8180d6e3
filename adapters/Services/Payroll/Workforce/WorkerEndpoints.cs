using System.Globalization;
using Npgsql;
using OneClickSuite.Payroll.Data;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>
/// Read-only view of what Payroll knows about a worker: the portal and the demo ask it whether a new worker and their
/// reports have arrived, instead of probing with draft runs.
/// </summary>
public static class WorkerEndpoints
{
    public static void MapWorkers(this WebApplication app)
    {
        app.MapGet("/workers/{workerId}", async (string workerId, string? period, NpgsqlDataSource db, CancellationToken ct) =>
            {
                DateOnly? month = null;
                if (!string.IsNullOrEmpty(period))
                {
                    if (!DateOnly.TryParseExact(period + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
                    {
                        return Results.Problem($"period: '{period}' is not a month (yyyy-MM)", statusCode: 400);
                    }
                    month = parsed;
                }
                var worker = await ReadAsync(db, workerId, month, ct);
                return worker is null ? Results.Problem($"worker {workerId}: payroll has not received this worker", statusCode: 404) : Results.Ok(worker);
            })
            .WithTags("Workers")
            .RequireSuitePolicy(SuiteIdentity.Read)
            .WithSummary("A worker as Payroll knows them, with their ODK activity for a month (period=yyyy-MM) or for every month");
    }

    private static async Task<PayrollWorkerView?> ReadAsync(NpgsqlDataSource db, string workerId, DateOnly? month, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        PayrollWorkerView? worker = null;
        await using (var command = connection.Sql(null, """
            SELECT w.employee_number, w.display_name, w.facility_id, w.facility_name, w.cadre, COALESCE(w.pay_kind, 'none'), w.active,
                   a.savings_account_id, COALESCE(a.credits_blocked, false)
            FROM payroll.workers w LEFT JOIN payroll.worker_accounts a ON a.worker_id = w.worker_id
            WHERE w.worker_id = $1
            """, workerId))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return null;
            worker = new PayrollWorkerView(workerId, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetBoolean(6), reader.IsDBNull(7) ? null : reader.GetInt64(7), reader.GetBoolean(8),
                month?.ToString("yyyy-MM", CultureInfo.InvariantCulture), []);
        }

        var activity = new List<PayrollActivityView>();
        await using (var command = connection.Sql(null, """
            SELECT submission_id, period, counted, review_state, counts::text FROM payroll.activities
            WHERE worker_id = $1 AND ($2::date IS NULL OR period = $2) ORDER BY period, submission_id
            """, workerId, month))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                activity.Add(new PayrollActivityView(reader.GetString(0), DateOnly.FromDateTime(reader.GetDateTime(1)), reader.GetBoolean(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4)));
            }
        }
        return worker with { Activity = activity };
    }
}
