using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>
/// A leaver's account refuses credits only once they have been paid everything owed: Payroll, not the roster, says
/// when (<see cref="WorkerPayClosedV1"/>, which the Fineract adapter turns into <c>blockCredit</c>). A leaver is closed
/// when nothing of theirs is unsettled (no line pending, requested or failed) and either their final month (the
/// month of their last day) has a paid or written-off line, or that month is older than the previous month, which an
/// ordinary run no longer pays. So the final, prorated pay always arrives first, and nothing arrives after it.
/// </summary>
public sealed class Leavers(IPayrollOutbox outbox, MinistryCalendar calendar, TimeProvider clock, ILogger<Leavers> logger)
{
    /// <summary>Closes the settled leavers among <paramref name="workerIds"/> (every leaver when null); answers how many.</summary>
    public async Task<int> CloseSettledAsync(IReadOnlyCollection<string>? workerIds, CancellationToken ct)
    {
        var today = calendar.Today(clock);
        var previous = new DateOnly(today.Year, today.Month, 1).AddMonths(-1);
        var now = clock.GetUtcNow();
        await using var unit = await outbox.BeginAsync(ct);
        var closed = new List<WorkerPayClosedV1>();
        await using (var command = unit.Connection.Sql(unit.Transaction, """
            WITH settled AS (
                SELECT w.worker_id, date_trunc('month', w.employed_until)::date AS final_period, w.roster_revision
                FROM payroll.workers w
                WHERE NOT w.active AND w.employed_until IS NOT NULL AND ($1::text[] IS NULL OR w.worker_id = ANY($1))
                  AND NOT EXISTS (SELECT 1 FROM payroll.worker_closures c WHERE c.worker_id = w.worker_id AND c.roster_revision >= w.roster_revision)
                  AND NOT EXISTS (SELECT 1 FROM payroll.pay_lines l WHERE l.worker_id = w.worker_id AND NOT l.run_cancelled
                                  AND l.status IN ('pending', 'requested', 'failed'))
                  AND (date_trunc('month', w.employed_until)::date < $2
                       OR EXISTS (SELECT 1 FROM payroll.pay_lines l WHERE l.worker_id = w.worker_id AND NOT l.run_cancelled
                                  AND l.kind <> 'adjustment' AND l.period >= date_trunc('month', w.employed_until)::date
                                  AND l.status IN ('paid', 'written-off')))
                FOR UPDATE OF w SKIP LOCKED)
            INSERT INTO payroll.worker_closures (worker_id, final_period, roster_revision, closed_at)
            SELECT worker_id, final_period, roster_revision, $3 FROM settled
            ON CONFLICT (worker_id) DO UPDATE SET final_period = excluded.final_period, roster_revision = excluded.roster_revision,
                closed_at = excluded.closed_at
            RETURNING worker_id, final_period, roster_revision
            """, workerIds?.ToArray(), previous, now))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                closed.Add(new WorkerPayClosedV1(r.GetString(0), r.GetFieldValue<DateOnly>(1), r.GetInt64(2), now));
            }
        }
        foreach (var message in closed)
        {
            await unit.PublishAsync(message);
        }
        await unit.CommitAsync(ct);
        foreach (var message in closed)
        {
            logger.LogInformation("Leaver {WorkerId} has been paid everything owed up to {FinalPeriod:yyyy-MM}: their account may now refuse credits",
                message.WorkerId, message.FinalPeriod);
        }
        return closed.Count;
    }
}

/// <summary>
/// Closes settled leavers every <see cref="PayrollOptions.LeaverSweepEvery"/>: a leaver's final month ages past the
/// previous month without any event, so time alone can settle them.
/// </summary>
public sealed class LeaverSweeper(Leavers leavers, IOptions<PayrollOptions> options, TimeProvider clock, ILogger<LeaverSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await leavers.CloseSettledAsync(null, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Closing settled leavers failed; trying again later");
            }
            await Task.Delay(options.Value.LeaverSweepEvery, clock, stoppingToken);
        }
    }
}
