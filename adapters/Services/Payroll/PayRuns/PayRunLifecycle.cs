using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// A run from draft to disbursing: submit, cancel, resolve a check, approve; retry or write off a failed line. Every
/// state change is one conditional UPDATE or happens under the run's row lock, so two people or two replicas acting
/// at once cannot both win.
/// </summary>
public sealed class PayRunLifecycle(
    NpgsqlDataSource db,
    IOptionsMonitor<PayRuleSet> rules,
    IPayrollOutbox outbox,
    RunChecks checks,
    PayRunQueries queries,
    MinistryCalendar calendar,
    TimeProvider clock,
    ILogger<PayRunLifecycle> logger)
{
    /// <summary>Submits a draft; its checks are worked out again on today's facts.</summary>
    public async Task<PayRunView> SubmitAsync(Guid runId, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var status = await PayRunSql.LockRunAsync(connection, tx, runId, ct);
        if (status != RunStatus.Draft) throw PayrollRefusal.Conflict($"the run is {status}; this needs a draft run");
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_runs SET status = 'submitted', submitted_by = $2, submitted_at = $3 WHERE id = $1",
            ct, runId, actor.User, clock.GetUtcNow());
        await checks.ComputeAsync(connection, tx, runId, calendar.Today(clock), ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Pay run {RunId} submitted by {User}", runId, actor.User);
        return await queries.GetAsync(runId, ct);
    }

    public async Task<PayRunView> CancelAsync(Guid runId, Actor actor, string? reason, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole, Actor.CheckerRole);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var status = await PayRunSql.LockRunAsync(connection, tx, runId, ct);
        if (status is not (RunStatus.Draft or RunStatus.Submitted))
            throw PayrollRefusal.Conflict($"a {status} run cannot be cancelled: only draft and submitted runs can");
        await PayRunSql.ExecuteAsync(connection, tx, """
            UPDATE payroll.pay_runs SET status = 'cancelled', cancelled_by = $2, cancelled_at = $3, cancel_reason = $4 WHERE id = $1
            """, ct, runId, actor.User, clock.GetUtcNow(), reason);
        // Adjustments of a cancelled run are still owed: the next run picks them up again.
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO payroll.activity_changes (worker_id, period)
            SELECT worker_id, period FROM payroll.pay_lines WHERE run_id = $1 AND kind = 'adjustment'
            ON CONFLICT DO NOTHING
            """, ct, runId);
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_lines SET run_cancelled = true, status = 'cancelled' WHERE run_id = $1", ct, runId);
        await tx.CommitAsync(ct);
        logger.LogInformation("Pay run {RunId} cancelled by {User}: {Reason}", runId, actor.User, reason);
        return await queries.GetAsync(runId, ct);
    }

    /// <summary>
    /// The approver records why a blocking check may go ahead (or a warning was looked at). Maker–checker holds: the
    /// run's maker cannot resolve its checks. Who, when and why are kept with the check.
    /// </summary>
    public async Task<RunCheckView> ResolveCheckAsync(Guid runId, long checkId, Actor actor, string? reason, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.CheckerRole);
        if (string.IsNullOrWhiteSpace(reason)) throw PayrollRefusal.Invalid("resolving a check needs the reason it may go ahead");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var (status, createdBy, submittedBy) = await ReadRunAsync(connection, tx, runId, ct);
        if (status is not (RunStatus.Draft or RunStatus.Submitted))
            throw PayrollRefusal.Conflict($"the run is {status}: checks are resolved before approval");
        RequireChecker(actor, createdBy, submittedBy);
        await using (var resolve = connection.Sql(tx, """
            UPDATE payroll.run_checks SET resolved_by = $3, resolved_at = $4, resolution = $5
            WHERE run_id = $1 AND id = $2 AND cleared_at IS NULL AND resolved_at IS NULL
            """, runId, checkId, actor.User, clock.GetUtcNow(), reason.Trim()))
        {
            if (await resolve.ExecuteNonQueryAsync(ct) == 0)
                throw PayrollRefusal.Conflict($"check {checkId} of run {runId} is not open (resolved already, cleared, or not found)");
        }
        await tx.CommitAsync(ct);
        logger.LogInformation("Check {CheckId} of pay run {RunId} resolved by {User}: {Reason}", checkId, runId, actor.User, reason);
        return (await queries.GetChecksAsync(runId, open: false, 0, 10_000, ct)).Single(c => c.Id == checkId);
    }

    /// <summary>
    /// Maker–checker: the approver must hold the checker role and be neither the creator nor the submitter. The checks
    /// are worked out again first; an unresolved blocking one refuses the approval. Approval gives every payable line
    /// in the funding currency a payment id and sends its payment request in the same transaction.
    /// </summary>
    public async Task<PayRunView> ApproveAsync(Guid runId, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.CheckerRole);
        using var activity = PayRunDrafting.Tracing.StartActivity("payroll approve run");
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        var (status, createdBy, submittedBy) = await ReadRunAsync(connection, tx, runId, ct);
        if (status != RunStatus.Submitted)
            throw PayrollRefusal.Conflict($"only a submitted run can be approved; this one is {status}");
        RequireChecker(actor, createdBy, submittedBy);
        if (actor.IsDemo != createdBy.StartsWith(DemoIdentities.Prefix, StringComparison.Ordinal))
            throw PayrollRefusal.Forbidden("the demo approves only the demo's own runs, and nobody approves those but the demo");

        var today = calendar.Today(clock);
        await checks.ComputeAsync(connection, tx, runId, today, ct);
        var (blocking, first) = await RunChecks.OpenBlockingAsync(connection, tx, runId, ct);
        if (blocking > 0)
        {
            // The checks just computed are kept for the approver to see, though the approval is refused.
            await unit.CommitAsync(ct);
            throw PayrollRefusal.Conflict($"{blocking} check(s) that indicate money may go to the wrong person must be resolved first: " +
                                          string.Join("; ", first));
        }

        var now = clock.GetUtcNow();
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_runs SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1",
            ct, runId, actor.User, now);
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_lines SET status = 'to-recover' WHERE run_id = $1 AND status = 'pending' AND amount < 0",
            ct, runId);
        var requests = await PaymentRequests.RequestAsync(unit, "l.run_id = $1 AND l.status = 'pending' AND l.amount > 0", runId,
            rules.CurrentValue.Currency, today, now, ct);
        await PayRunSql.ExecuteAsync(connection, tx, """
            UPDATE payroll.pay_runs SET status = CASE WHEN $2 THEN 'disbursing' ELSE 'completed' END, disbursing_at = $3,
                completed_at = CASE WHEN $2 THEN NULL ELSE $3 END
            WHERE id = $1
            """, ct, runId, requests > 0, now);
        await unit.CommitAsync(ct);
        logger.LogInformation("Pay run {RunId} approved by {User}; {Count} payments requested", runId, actor.User, requests);
        return await queries.GetAsync(runId, ct);
    }

    /// <summary>A failed line is paid again under a new payment id (a new Idempotency-Key: Fineract replays a stored failure for the old one).</summary>
    public async Task<PayLineView> RetryLineAsync(Guid runId, Guid lineId, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        await PayRunSql.LockRunAsync(connection, tx, runId, ct);
        var line = await PayRunSql.LockLineAsync(connection, tx, runId, lineId, ct);
        if (line != LineStatus.Failed) throw PayrollRefusal.Conflict($"only a failed line can be retried; this one is {line}");
        var now = clock.GetUtcNow();
        await PaymentRequests.RequestAsync(unit, "l.id = $1", lineId, rules.CurrentValue.Currency, calendar.Today(clock), now, ct,
            currentDestination: true);
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_runs SET status = 'disbursing', completed_at = NULL WHERE id = $1", ct, runId);
        await unit.CommitAsync(ct);
        logger.LogInformation("Line {LineId} of pay run {RunId} retried by {User}", lineId, runId, actor.User);
        return await queries.GetLineAsync(runId, lineId, ct);
    }

    public async Task<PayLineView> WriteOffLineAsync(Guid runId, Guid lineId, Actor actor, string? reason, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        if (string.IsNullOrWhiteSpace(reason)) throw PayrollRefusal.Invalid("a write-off needs a reason");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await PayRunSql.LockRunAsync(connection, tx, runId, ct);
        var line = await PayRunSql.LockLineAsync(connection, tx, runId, lineId, ct);
        if (line != LineStatus.Failed) throw PayrollRefusal.Conflict($"only a failed line can be written off; this one is {line}");
        await PayRunSql.ExecuteAsync(connection, tx, """
            UPDATE payroll.pay_lines SET status = 'written-off', written_off_by = $2, written_off_at = $3, write_off_reason = $4 WHERE id = $1
            """, ct, lineId, actor.User, clock.GetUtcNow(), reason.Trim());
        await PaymentOutcomes.CompleteIfDoneAsync(connection, tx, runId, ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Line {LineId} of pay run {RunId} written off by {User}: {Reason}", lineId, runId, actor.User, reason);
        return await queries.GetLineAsync(runId, lineId, ct);
    }

    private static async Task<(string Status, string CreatedBy, string? SubmittedBy)> ReadRunAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        Guid runId, CancellationToken ct)
    {
        await using var read = connection.Sql(tx, "SELECT status, created_by, submitted_by FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", runId);
        await using var r = await read.ExecuteReaderAsync(ct);
        if (!await r.ReadAsync(ct)) throw PayrollRefusal.NotFound($"pay run {runId}");
        return (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2));
    }

    private static void RequireChecker(Actor actor, string createdBy, string? submittedBy)
    {
        if (string.Equals(actor.User, submittedBy, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(actor.User, createdBy, StringComparison.OrdinalIgnoreCase))
            throw PayrollRefusal.Forbidden("maker–checker: the approver must be a different person from the one who created and submitted the run");
    }
}
