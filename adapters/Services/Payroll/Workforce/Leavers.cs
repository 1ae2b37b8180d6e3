using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>
/// A leaver's account refuses credits only once they have been paid everything owed: Payroll, not the roster, says
/// when (<see cref="WorkerPayClosedV1"/>, which the Fineract adapter turns into <c>blockCredit</c>). A leaver is closed
/// when nothing of theirs is unsettled (no line pending, requested or failed), nothing holds them (<see cref="PayHolds"/>
/// keeps a hold on a final month nobody could compute), and either their final month (the month of their last day) has
/// a paid or written-off line, or a run for everyone for that month was approved that did not set them aside (they
/// were owed nothing in it). A
/// leaver whose final month is older than the previous month and than Payroll's first run for everyone left before
/// Payroll paid anybody: closed at once, and whatever held them goes with it. A final month that no run ever paid
/// (a month skipped) keeps the account open until a run for it is made. So the final, prorated pay always arrives
/// first, and nothing arrives after it.
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
            WITH first_run AS (
                SELECT min(period) AS period FROM payroll.pay_runs
                WHERE population_kind = 'everyone' AND approved_at IS NOT NULL AND cancelled_at IS NULL),
            leavers AS (
                SELECT w.worker_id, date_trunc('month', w.employed_until)::date AS final_period, w.roster_revision
                FROM payroll.workers w
                WHERE NOT w.active AND w.employed_until IS NOT NULL AND ($1::text[] IS NULL OR w.worker_id = ANY($1))
                  AND NOT EXISTS (SELECT 1 FROM payroll.worker_closures c WHERE c.worker_id = w.worker_id AND c.roster_revision >= w.roster_revision)
                  AND NOT EXISTS (SELECT 1 FROM payroll.pay_lines l WHERE l.worker_id = w.worker_id AND NOT l.run_cancelled
                                  AND l.status IN ('pending', 'requested', 'failed'))
                FOR UPDATE OF w SKIP LOCKED),
            settled AS (
                SELECT v.* FROM leavers v
                WHERE (v.final_period < $2 AND v.final_period < COALESCE((SELECT period FROM first_run), $2))
                   OR (NOT EXISTS (SELECT 1 FROM payroll.pay_holds h WHERE h.worker_id = v.worker_id)
                       AND (EXISTS (SELECT 1 FROM payroll.pay_lines l WHERE l.worker_id = v.worker_id AND NOT l.run_cancelled
                                    AND l.kind <> 'adjustment' AND l.period >= v.final_period AND l.status IN ('paid', 'written-off'))
                            OR EXISTS (SELECT 1 FROM payroll.pay_runs r WHERE r.population_kind = 'everyone' AND r.period = v.final_period
                                       AND r.approved_at IS NOT NULL AND r.cancelled_at IS NULL AND NOT v.worker_id = ANY(r.set_aside))))),
            released AS (
                DELETE FROM payroll.pay_holds h USING settled s WHERE h.worker_id = s.worker_id)
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
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodically.RunAsync(ct => leavers.CloseSettledAsync(null, ct), () => options.Value.LeaverSweepEvery, clock, logger,
            "Closing settled leavers failed", stoppingToken);
}
