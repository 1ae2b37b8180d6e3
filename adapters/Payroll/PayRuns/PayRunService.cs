using OneClickSuite.Messaging;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// Pay runs from creation to completion. Every state change is one conditional UPDATE (or a row lock), so two people
/// or two replicas acting at once cannot both win.
/// </summary>
public sealed class PayRunService(NpgsqlDataSource db, IOptionsMonitor<PayRuleSet> rules, IPaymentOutbox outbox, TimeProvider clock,
    ILogger<PayRunService> logger)
{
    public static readonly ActivitySource Tracing = new("OneClickSuite.Payroll");

    // ---- creation ----

    public async Task<PayRunView> CreateAsync(NewPayRun request, Actor actor, CancellationToken ct)
    {
        Require(actor, Actor.MakerRole);
        var period = ParsePeriod(request.Period);
        var population = (request.Population ?? PopulationKind.Everyone).ToLowerInvariant();
        if (population is not (PopulationKind.Everyone or PopulationKind.Facility or PopulationKind.Cadre or PopulationKind.Worker))
            throw PayrollRefusal.Invalid("population must be everyone, facility, cadre or worker");
        if (population != PopulationKind.Everyone && string.IsNullOrWhiteSpace(request.PopulationValue))
            throw PayrollRefusal.Invalid($"population {population} needs a value (the facility id or the cadre)");
        if (actor.IsDemo && (population != PopulationKind.Worker || !request.PopulationValue!.StartsWith(Actor.DemoWorkerPrefix, StringComparison.Ordinal)))
            throw PayrollRefusal.Forbidden("the demo pays only a worker it registered itself");
        var ruleSet = rules.CurrentValue;
        using var activity = Tracing.StartActivity("payroll create run");

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Runs are created one at a time, so two runs for one period cannot both claim the same worker unnoticed.
        await using (var gate = connection.Sql(tx, $"SELECT pg_advisory_xact_lock({AdvisoryLocks.PayRunDrafting})"))
        {
            await gate.ExecuteNonQueryAsync(ct);
        }

        var (first, last) = PayCalculator.MonthOf(period);
        var workers = await LoadPopulationAsync(connection, tx, population, request.PopulationValue, first, last, ct);
        var alreadyPaid = await LoadExistingLinesAsync(connection, tx, first, ct);
        var activities = await LoadActivitiesAsync(connection, tx, first, ct);

        var runId = Guid.CreateVersion7();
        var lines = new List<NewLine>();
        var warnings = new List<string>();
        var skippedPaid = 0;
        foreach (var worker in workers)
        {
            var rule = ruleSet.RuleFor(worker.JobCode, worker.Cadre);
            if (rule is null)
            {
                warnings.Add($"{worker.EmployeeNumber} ({worker.JobCode}, {worker.Cadre}): no pay rule applies");
                continue;
            }
            var kind = rule.Kind == PayRuleKind.Salary ? LineKind.Salary : LineKind.Incentive;
            if (alreadyPaid.Contains((worker.WorkerId, kind)))
            {
                skippedPaid++;
                continue;
            }
            PayResult result;
            IReadOnlyList<string> submissions = [];
            if (rule.Kind == PayRuleKind.Salary)
            {
                if (worker.SalaryAmount is not { } monthly)
                {
                    warnings.Add($"{worker.EmployeeNumber}: rule \"{rule.Name}\" pays a salary but iHRIS records none");
                    continue;
                }
                result = PayCalculator.Salary(monthly, worker.SalaryCurrency ?? ruleSet.Currency, first, worker.EmployedFrom, worker.EmployedUntil);
            }
            else
            {
                var counted = activities.GetValueOrDefault(worker.WorkerId) ?? [];
                result = PayCalculator.Incentive(rule.Name, rule.Incentive!, ruleSet.Currency, counted);
                submissions = counted.Select(s => s.SubmissionId).ToList();
            }
            if (result.Amount <= 0)
            {
                continue;
            }
            lines.Add(new NewLine(worker, first, kind, result, submissions));
        }
        if (skippedPaid > 0)
        {
            warnings.Add($"{skippedPaid} worker(s) already have a line for {first:yyyy-MM} in another run and were left out");
        }

        lines.AddRange(await AdjustmentsAsync(connection, tx, population, request.PopulationValue, ruleSet, lines, ct));
        if (lines.Count == 0)
        {
            throw new PayrollRefusal(422, "nobody in this population has anything to be paid for this period" +
                                          (warnings.Count > 0 ? ": " + string.Join("; ", warnings.Take(5)) : ""));
        }

        var total = lines.Sum(l => l.Result.Amount);
        var now = clock.GetUtcNow();
        await using (var insert = connection.Sql(tx, """
            INSERT INTO payroll.pay_runs (id, period, population_kind, population_value, rule_set_version, status, line_count,
                total, currency, created_by, created_at)
            VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10)
            """, runId, first, population, request.PopulationValue, ruleSet.Version, lines.Count, total, ruleSet.Currency, actor.User, now))
        {
            await insert.ExecuteNonQueryAsync(ct);
        }
        await CopyLinesAsync(connection, runId, lines, ct);
        try
        {
            await tx.CommitAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw PayrollRefusal.Conflict("a worker in this run already has a line for this period in another run");
        }
        logger.LogInformation("Pay run {RunId} for {Period} ({Population} {Value}) created by {User}: {Lines} lines, {Total}",
            runId, first, population, request.PopulationValue, actor.User, lines.Count, total);
        var view = await GetAsync(runId, ct);
        return view with { Warnings = warnings };
    }

    private sealed record NewLine(PopulationWorker Worker, DateOnly Period, string Kind, PayResult Result, IReadOnlyList<string> Submissions);

    private sealed record PopulationWorker(string WorkerId, string EmployeeNumber, string Name, string FacilityId, string JobCode,
        string Cadre, decimal? SalaryAmount, string? SalaryCurrency, DateOnly? EmployedFrom, DateOnly? EmployedUntil);

    private static async Task<List<PopulationWorker>> LoadPopulationAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        string population, string? value, DateOnly first, DateOnly last, CancellationToken ct)
    {
        var filter = population switch
        {
            PopulationKind.Facility => "AND facility_id = $3",
            PopulationKind.Cadre => "AND lower(cadre) = lower($3)",
            PopulationKind.Worker => "AND worker_id = $3",
            _ => "",
        };
        // Employed on at least one day of the period; a leaver without a known last day is not paid.
        await using var command = connection.Sql(tx, $"""
            SELECT worker_id, employee_number, display_name, facility_id, job_code, cadre, salary_amount, salary_currency,
                   employed_from, employed_until
            FROM payroll.workers
            WHERE (employed_from IS NULL OR employed_from <= $2) AND (employed_until IS NULL OR employed_until >= $1)
              AND (active OR employed_until IS NOT NULL) {filter}
            ORDER BY worker_id
            """, first, last, value ?? "");
        var workers = new List<PopulationWorker>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            workers.Add(new PopulationWorker(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
                r.IsDBNull(6) ? null : r.GetDecimal(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.IsDBNull(8) ? null : r.GetFieldValue<DateOnly>(8), r.IsDBNull(9) ? null : r.GetFieldValue<DateOnly>(9)));
        }
        return workers;
    }

    private static async Task<HashSet<(string, string)>> LoadExistingLinesAsync(NpgsqlConnection connection, NpgsqlTransaction tx,
        DateOnly period, CancellationToken ct)
    {
        var existing = new HashSet<(string, string)>();
        await using var command = connection.Sql(tx,
            "SELECT worker_id, kind FROM payroll.pay_lines WHERE period = $1 AND kind <> 'adjustment' AND NOT run_cancelled", period);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) existing.Add((r.GetString(0), r.GetString(1)));
        return existing;
    }

    private static async Task<Dictionary<string, List<CountedSubmission>>> LoadActivitiesAsync(NpgsqlConnection connection,
        NpgsqlTransaction? tx, DateOnly period, CancellationToken ct, string? workerId = null)
    {
        var result = new Dictionary<string, List<CountedSubmission>>();
        await using var command = connection.Sql(tx, """
            SELECT worker_id, submission_id, counts::text FROM payroll.activities
            WHERE period = $1 AND counted AND ($2::text IS NULL OR worker_id = $2)
            ORDER BY worker_id, submission_id
            """, period, workerId);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var counts = JsonSerializer.Deserialize<Dictionary<string, int>>(r.GetString(2)) ?? [];
            if (!result.TryGetValue(r.GetString(0), out var list)) result[r.GetString(0)] = list = [];
            list.Add(new CountedSubmission(r.GetString(1), counts));
        }
        return result;
    }

    /// <summary>
    /// For every (worker, period) of the population whose activity changed after a line was made for it: the
    /// difference between what the rules give now and what earlier runs hold becomes an adjustment line.
    /// </summary>
    private async Task<List<NewLine>> AdjustmentsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string population, string? value,
        PayRuleSet ruleSet, IReadOnlyList<NewLine> regularLines, CancellationToken ct)
    {
        var filter = population switch
        {
            PopulationKind.Facility => "AND w.facility_id = $1",
            PopulationKind.Cadre => "AND lower(w.cadre) = lower($1)",
            PopulationKind.Worker => "AND w.worker_id = $1",
            _ => "",
        };
        var changed = new List<(PopulationWorker Worker, DateOnly Period)>();
        await using (var command = connection.Sql(tx, $"""
            SELECT w.worker_id, w.employee_number, w.display_name, w.facility_id, w.job_code, w.cadre, c.period
            FROM payroll.activity_changes c JOIN payroll.workers w ON w.worker_id = c.worker_id
            WHERE true {filter}
            ORDER BY w.worker_id, c.period
            """, value ?? ""))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                changed.Add((new PopulationWorker(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4),
                    r.GetString(5), null, null, null, null), r.GetFieldValue<DateOnly>(6)));
            }
        }

        var adjustments = new List<NewLine>();
        foreach (var (worker, period) in changed)
        {
            var rule = ruleSet.RuleFor(worker.JobCode, worker.Cadre);
            if (rule is not { Kind: PayRuleKind.Incentive, Incentive: { } scheme }) continue;
            var counted = (await LoadActivitiesAsync(connection, tx, period, ct, worker.WorkerId)).GetValueOrDefault(worker.WorkerId) ?? [];
            var now = PayCalculator.Incentive(rule.Name, scheme, ruleSet.Currency, counted);
            decimal committed;
            await using (var sum = connection.Sql(tx, """
                SELECT COALESCE(sum(amount), 0) FROM payroll.pay_lines
                WHERE worker_id = $1 AND period = $2 AND kind IN ('incentive', 'adjustment') AND NOT run_cancelled
                """, worker.WorkerId, period))
            {
                committed = (decimal)(await sum.ExecuteScalarAsync(ct))!;
            }
            // This run's own line for the period already pays what the activity gives now (the earlier line may have
            // been in a run that was cancelled since): it counts as committed, or the worker would be paid twice.
            committed += regularLines.Where(l => l.Worker.WorkerId == worker.WorkerId && l.Period == period).Sum(l => l.Result.Amount);
            var delta = now.Amount - committed;
            if (delta == 0)
            {
                await using var done = connection.Sql(tx, "DELETE FROM payroll.activity_changes WHERE worker_id = $1 AND period = $2",
                    worker.WorkerId, period);
                await done.ExecuteNonQueryAsync(ct);
                continue;
            }
            var text = $"Adjustment for {period:yyyy-MM}: activity changed after it was paid; now {PayCalculator.Money(now.Amount, now.Currency)} " +
                       $"instead of {PayCalculator.Money(committed, now.Currency)} ({now.Explanation})";
            if (delta < 0) text += "; negative: recovered from the worker, not paid";
            adjustments.Add(new NewLine(worker, period, LineKind.Adjustment, new PayResult(delta, now.Currency, text),
                counted.Select(s => s.SubmissionId).ToList()));
        }
        return adjustments;
    }

    private static async Task CopyLinesAsync(NpgsqlConnection connection, Guid runId, List<NewLine> lines, CancellationToken ct)
    {
        await using var writer = await connection.BeginBinaryImportAsync("""
            COPY payroll.pay_lines (id, run_id, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount,
                currency, explanation, submissions, status) FROM STDIN (FORMAT BINARY)
            """, ct);
        foreach (var line in lines)
        {
            await writer.StartRowAsync(ct);
            await writer.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct);
            await writer.WriteAsync(runId, NpgsqlDbType.Uuid, ct);
            await writer.WriteAsync(line.Worker.WorkerId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Worker.EmployeeNumber, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Worker.Name, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Worker.FacilityId, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Worker.Cadre, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Period, NpgsqlDbType.Date, ct);
            await writer.WriteAsync(line.Kind, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Result.Amount, NpgsqlDbType.Numeric, ct);
            await writer.WriteAsync(line.Result.Currency, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Result.Explanation, NpgsqlDbType.Text, ct);
            await writer.WriteAsync(line.Submissions.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text, ct);
            await writer.WriteAsync(LineStatus.Pending, NpgsqlDbType.Text, ct);
        }
        await writer.CompleteAsync(ct);
    }

    // ---- lifecycle ----

    public async Task<PayRunView> SubmitAsync(Guid runId, Actor actor, CancellationToken ct)
    {
        Require(actor, Actor.MakerRole);
        await TransitionAsync(runId, RunStatus.Draft, """
            UPDATE payroll.pay_runs SET status = 'submitted', submitted_by = $2, submitted_at = $3 WHERE id = $1 AND status = 'draft'
            """, ct, actor.User, clock.GetUtcNow());
        logger.LogInformation("Pay run {RunId} submitted by {User}", runId, actor.User);
        return await GetAsync(runId, ct);
    }

    public async Task<PayRunView> CancelAsync(Guid runId, Actor actor, string? reason, CancellationToken ct)
    {
        Require(actor, Actor.MakerRole, Actor.CheckerRole);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var status = await LockRunAsync(connection, tx, runId, ct);
        if (status is not (RunStatus.Draft or RunStatus.Submitted))
            throw PayrollRefusal.Conflict($"a {status} run cannot be cancelled: only draft and submitted runs can");
        await ExecuteAsync(connection, tx, """
            UPDATE payroll.pay_runs SET status = 'cancelled', cancelled_by = $2, cancelled_at = $3, cancel_reason = $4 WHERE id = $1
            """, ct, runId, actor.User, clock.GetUtcNow(), reason);
        // Adjustments of a cancelled run are still owed: the next run picks them up again.
        await ExecuteAsync(connection, tx, """
            INSERT INTO payroll.activity_changes (worker_id, period)
            SELECT worker_id, period FROM payroll.pay_lines WHERE run_id = $1 AND kind = 'adjustment'
            ON CONFLICT DO NOTHING
            """, ct, runId);
        await ExecuteAsync(connection, tx, "UPDATE payroll.pay_lines SET run_cancelled = true, status = 'cancelled' WHERE run_id = $1", ct, runId);
        await tx.CommitAsync(ct);
        logger.LogInformation("Pay run {RunId} cancelled by {User}: {Reason}", runId, actor.User, reason);
        return await GetAsync(runId, ct);
    }

    /// <summary>
    /// Maker–checker: the approver must hold the checker role and be neither the creator nor the submitter. Approval
    /// gives every payable line a payment id and sends its payment request in the same transaction.
    /// </summary>
    public async Task<PayRunView> ApproveAsync(Guid runId, Actor actor, CancellationToken ct)
    {
        Require(actor, Actor.CheckerRole);
        using var activity = Tracing.StartActivity("payroll approve run");
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        string status, createdBy;
        string? submittedBy;
        DateOnly period;
        await using (var read = connection.Sql(tx, "SELECT status, created_by, submitted_by, period FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", runId))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct)) throw PayrollRefusal.NotFound($"pay run {runId}");
            (status, createdBy, submittedBy, period) = (r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.GetFieldValue<DateOnly>(3));
        }
        if (status != RunStatus.Submitted)
            throw PayrollRefusal.Conflict($"only a submitted run can be approved; this one is {status}");
        if (string.Equals(actor.User, submittedBy, StringComparison.OrdinalIgnoreCase) ||
            string.Equals(actor.User, createdBy, StringComparison.OrdinalIgnoreCase))
            throw PayrollRefusal.Forbidden("maker–checker: the approver must be a different person from the one who created and submitted the run");
        if (actor.IsDemo != createdBy.StartsWith(DemoIdentities.Prefix, StringComparison.Ordinal))
            throw PayrollRefusal.Forbidden("the demo approves only the demo's own runs, and nobody approves those but the demo");

        var now = clock.GetUtcNow();
        await ExecuteAsync(connection, tx, "UPDATE payroll.pay_runs SET status = 'approved', approved_by = $2, approved_at = $3 WHERE id = $1",
            ct, runId, actor.User, now);
        await ExecuteAsync(connection, tx, "UPDATE payroll.pay_lines SET status = 'to-recover' WHERE run_id = $1 AND status = 'pending' AND amount < 0",
            ct, runId);
        var requests = await RequestPaymentsAsync(unit, runId, "l.run_id = $1 AND l.status = 'pending' AND l.amount > 0", runId, now, ct);
        await using (var disbursing = connection.Sql(tx, """
            UPDATE payroll.pay_runs SET status = CASE WHEN $2 THEN 'disbursing' ELSE 'completed' END, disbursing_at = $3,
                completed_at = CASE WHEN $2 THEN NULL ELSE $3 END
            WHERE id = $1
            """, runId, requests > 0, now))
        {
            await disbursing.ExecuteNonQueryAsync(ct);
        }
        await unit.CommitAsync(ct);
        logger.LogInformation("Pay run {RunId} for {Period} approved by {User}; {Count} payments requested", runId, period, actor.User, requests);
        return await GetAsync(runId, ct);
    }

    /// <summary>A failed line is paid again under a new payment id (a new Idempotency-Key: Fineract replays a stored failure for the old one).</summary>
    public async Task<PayLineView> RetryLineAsync(Guid runId, Guid lineId, Actor actor, CancellationToken ct)
    {
        Require(actor, Actor.MakerRole);
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        await LockRunAsync(connection, tx, runId, ct);
        var line = await LockLineAsync(connection, tx, runId, lineId, ct);
        if (line != LineStatus.Failed) throw PayrollRefusal.Conflict($"only a failed line can be retried; this one is {line}");
        var now = clock.GetUtcNow();
        await RequestPaymentsAsync(unit, runId, "l.id = $1", lineId, now, ct);
        await using (var reopen = connection.Sql(tx, "UPDATE payroll.pay_runs SET status = 'disbursing', completed_at = NULL WHERE id = $1", runId))
        {
            await reopen.ExecuteNonQueryAsync(ct);
        }
        await unit.CommitAsync(ct);
        logger.LogInformation("Line {LineId} of pay run {RunId} retried by {User}", lineId, runId, actor.User);
        return await GetLineAsync(runId, lineId, ct);
    }

    public async Task<PayLineView> WriteOffLineAsync(Guid runId, Guid lineId, Actor actor, string? reason, CancellationToken ct)
    {
        Require(actor, Actor.MakerRole);
        if (string.IsNullOrWhiteSpace(reason)) throw PayrollRefusal.Invalid("a write-off needs a reason");
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await LockRunAsync(connection, tx, runId, ct);
        var line = await LockLineAsync(connection, tx, runId, lineId, ct);
        if (line != LineStatus.Failed) throw PayrollRefusal.Conflict($"only a failed line can be written off; this one is {line}");
        await using (var writeOff = connection.Sql(tx, """
            UPDATE payroll.pay_lines SET status = 'written-off', written_off_by = $2, written_off_at = $3, write_off_reason = $4 WHERE id = $1
            """, lineId, actor.User, clock.GetUtcNow(), reason.Trim()))
        {
            await writeOff.ExecuteNonQueryAsync(ct);
        }
        await CompleteIfDoneAsync(connection, tx, runId, ct);
        await tx.CommitAsync(ct);
        logger.LogInformation("Line {LineId} of pay run {RunId} written off by {User}: {Reason}", lineId, runId, actor.User, reason);
        return await GetLineAsync(runId, lineId, ct);
    }

    /// <summary>Gives the selected lines a new payment id each, records the payments, and sends the requests (outbox).</summary>
    private static async Task<int> RequestPaymentsAsync(IPaymentTransaction unit, Guid runId, string where, object key,
        DateTimeOffset now, CancellationToken ct)
    {
        var (connection, tx) = (unit.Connection, unit.Transaction);
        var requests = new List<PaymentRequestedV1>();
        await using (var update = connection.Sql(tx, $"""
            WITH selected AS (
                SELECT l.id FROM payroll.pay_lines l WHERE {where} FOR UPDATE)
            UPDATE payroll.pay_lines l SET status = 'requested', payment_id = gen_random_uuid(), attempts = l.attempts + 1,
                failure_reason = NULL
            FROM selected WHERE l.id = selected.id
            RETURNING l.id, l.payment_id, l.worker_id, l.employee_number, l.amount, l.currency, l.period, l.attempts
            """, key))
        {
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct))
            {
                requests.Add(new PaymentRequestedV1(r.GetGuid(1), runId, r.GetGuid(0), r.GetString(2), r.GetString(3), r.GetDecimal(4),
                    r.GetString(5), r.GetFieldValue<DateOnly>(6), DateOnly.FromDateTime(now.UtcDateTime), null, null, now));
            }
        }
        if (requests.Count == 0) return 0;

        await using (var payments = connection.Sql(tx, """
            INSERT INTO payroll.payments (payment_id, line_id, run_id, attempt, amount, currency, status, requested_at, pay_date)
            SELECT l.payment_id, l.id, l.run_id, l.attempts, l.amount, l.currency, 'requested', $2, $3
            FROM payroll.pay_lines l WHERE l.payment_id = ANY($1)
            """, requests.Select(r => r.PaymentId).ToArray(), now, DateOnly.FromDateTime(now.UtcDateTime)))
        {
            await payments.ExecuteNonQueryAsync(ct);
        }

        var accounts = new Dictionary<string, (long ClientId, long SavingsId)>();
        await using (var read = connection.Sql(tx, """
            SELECT worker_id, fineract_client_id, savings_account_id FROM payroll.worker_accounts WHERE worker_id = ANY($1)
            """, (object)requests.Select(r => r.WorkerId).Distinct().ToArray()))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct)) accounts[r.GetString(0)] = (r.GetInt64(1), r.GetInt64(2));
        }
        var messages = requests
            .Select(m => accounts.TryGetValue(m.WorkerId, out var a) ? m with { ToClientId = a.ClientId, ToSavingsAccountId = a.SavingsId } : m)
            .ToList();
        foreach (var message in messages)
        {
            await unit.RequestAsync(message);
        }
        return messages.Count;
    }

    // ---- outcomes ----

    /// <summary>Records that a payment arrived. Idempotent: a repeated or late outcome changes nothing.</summary>
    public async Task RecordSettledAsync(PaymentSettledV1 settled, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? runId = null;
        await using (var update = connection.Sql(tx, """
            WITH p AS (
                UPDATE payroll.payments SET status = 'paid', settled_at = $2, fineract_transfer_id = $3, reason = NULL
                WHERE payment_id = $1 AND status <> 'paid'
                RETURNING run_id, line_id)
            UPDATE payroll.pay_lines l SET status = 'paid', paid_at = $2, fineract_transfer_id = $3, failure_reason = NULL
            FROM p WHERE l.id = p.line_id AND l.payment_id = $1
            RETURNING l.run_id
            """, settled.PaymentId, settled.SettledAt, settled.FineractTransferId))
        {
            runId = await update.ExecuteScalarAsync(ct) as Guid?;
        }
        if (runId is { } id)
        {
            await CompleteIfDoneAsync(connection, tx, id, ct);
        }
        await tx.CommitAsync(ct);
    }

    public async Task RecordFailedAsync(PaymentFailedV1 failed, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        Guid? runId;
        await using (var update = connection.Sql(tx, """
            WITH p AS (
                UPDATE payroll.payments SET status = 'failed', settled_at = $2, reason = $3, fineract_status = $4, fineract_code = $5
                WHERE payment_id = $1 AND status = 'requested'
                RETURNING run_id, line_id)
            UPDATE payroll.pay_lines l SET status = 'failed', failure_reason = $3
            FROM p WHERE l.id = p.line_id AND l.payment_id = $1 AND l.status = 'requested'
            RETURNING l.run_id
            """, failed.PaymentId, failed.FailedAt, failed.Reason, failed.FineractStatus, failed.FineractCode))
        {
            runId = await update.ExecuteScalarAsync(ct) as Guid?;
        }
        if (runId is { } id)
        {
            await CompleteIfDoneAsync(connection, tx, id, ct);
        }
        await tx.CommitAsync(ct);
        logger.LogWarning("Payment {PaymentId} failed: {Reason}", failed.PaymentId, failed.Reason);
    }

    /// <summary>
    /// A disbursing run with no payment in flight is completed, or completed with failures. The run's row is locked
    /// first: two outcomes recorded side by side would otherwise each see the other's line still requested, and
    /// neither would complete the run. After the lock, the check below reads what the other one committed.
    /// </summary>
    private static async Task CompleteIfDoneAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, CancellationToken ct)
    {
        await using (var lockRun = connection.Sql(tx, "SELECT 1 FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", runId))
        {
            await lockRun.ExecuteNonQueryAsync(ct);
        }
        await using var complete = connection.Sql(tx, """
            UPDATE payroll.pay_runs r SET completed_at = now(),
                status = CASE WHEN EXISTS (SELECT 1 FROM payroll.pay_lines WHERE run_id = r.id AND status IN ('failed', 'written-off'))
                              THEN 'completed-with-failures' ELSE 'completed' END
            WHERE r.id = $1 AND r.status IN ('disbursing', 'completed-with-failures')
              AND NOT EXISTS (SELECT 1 FROM payroll.pay_lines WHERE run_id = r.id AND status = 'requested')
            """, runId);
        await complete.ExecuteNonQueryAsync(ct);
    }

    // ---- reads ----

    public async Task<PayRunView> GetAsync(Guid runId, CancellationToken ct) =>
        (await ListAsync(runId, null, ct)).SingleOrDefault() ?? throw PayrollRefusal.NotFound($"pay run {runId}");

    public async Task<IReadOnlyList<PayRunView>> ListAsync(Guid? runId, string? period, CancellationToken ct)
    {
        DateOnly? periodStart = period is null ? null : ParsePeriod(period);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            SELECT r.id, r.period, r.population_kind, r.population_value, r.rule_set_version, r.status, r.line_count, r.total, r.currency,
                   r.created_by, r.created_at, r.submitted_by, r.submitted_at, r.approved_by, r.approved_at, r.disbursing_at,
                   r.completed_at, r.cancelled_by, r.cancelled_at, r.cancel_reason,
                   (SELECT jsonb_object_agg(status, n)::text FROM (SELECT status, count(*) AS n FROM payroll.pay_lines
                        WHERE run_id = r.id GROUP BY status) s)
            FROM payroll.pay_runs r
            WHERE ($1::uuid IS NULL OR r.id = $1) AND ($2::date IS NULL OR r.period = $2)
            ORDER BY r.created_at DESC
            LIMIT 200
            """, runId, periodStart);
        var runs = new List<PayRunView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            DateTimeOffset? At(int i) => r.IsDBNull(i) ? null : r.GetFieldValue<DateTimeOffset>(i);
            var byStatus = r.IsDBNull(20) ? [] : JsonSerializer.Deserialize<Dictionary<string, int>>(r.GetString(20)) ?? [];
            runs.Add(new PayRunView(r.GetGuid(0), r.GetFieldValue<DateOnly>(1).ToString("yyyy-MM", CultureInfo.InvariantCulture),
                r.GetString(2), Text(3), r.GetString(4), r.GetString(5), r.GetInt32(6), r.GetDecimal(7), r.GetString(8), r.GetString(9),
                r.GetFieldValue<DateTimeOffset>(10), Text(11), At(12), Text(13), At(14), At(15), At(16), Text(17), At(18), Text(19), byStatus));
        }
        return runs;
    }

    public async Task<IReadOnlyList<PayLineView>> GetLinesAsync(Guid runId, string? status, int offset, int limit, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + """
             WHERE run_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY employee_number, period, kind OFFSET $3 LIMIT $4
            """, runId, status, Math.Max(0, offset), Math.Clamp(limit, 1, 10_000));
        return await ReadLinesAsync(command, ct);
    }

    public async Task<PayLineView> GetLineAsync(Guid runId, Guid lineId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + " WHERE run_id = $1 AND id = $2", runId, lineId);
        return (await ReadLinesAsync(command, ct)).SingleOrDefault() ?? throw PayrollRefusal.NotFound($"line {lineId} of pay run {runId}");
    }

    /// <summary>Streams every line of a run (for the CSV export) without holding them all in memory.</summary>
    public async IAsyncEnumerable<PayLineView> StreamLinesAsync(Guid runId, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await GetAsync(runId, ct);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, LineSelect + " WHERE run_id = $1 ORDER BY employee_number, period, kind", runId);
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) yield return ReadLine(r);
    }

    private const string LineSelect = """
        SELECT id, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount, currency, explanation, submissions,
               status, payment_id, attempts, failure_reason, written_off_by, write_off_reason, paid_at, fineract_transfer_id
        FROM payroll.pay_lines
        """;

    private static async Task<List<PayLineView>> ReadLinesAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var lines = new List<PayLineView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) lines.Add(ReadLine(r));
        return lines;
    }

    private static PayLineView ReadLine(NpgsqlDataReader r)
    {
        string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
        Guid? paymentId = r.IsDBNull(13) ? null : r.GetGuid(13);
        return new PayLineView(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5),
            r.GetFieldValue<DateOnly>(6).ToString("yyyy-MM", CultureInfo.InvariantCulture), r.GetString(7), r.GetDecimal(8), r.GetString(9),
            r.GetString(10), r.GetFieldValue<string[]>(11), r.GetString(12), paymentId,
            paymentId is { } p ? PaymentReference.For(p) : null, r.GetInt32(14), Text(15), Text(16), Text(17),
            r.IsDBNull(18) ? null : r.GetFieldValue<DateTimeOffset>(18), r.IsDBNull(19) ? null : r.GetInt64(19));
    }

    // ---- helpers ----

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params object?[] args)
    {
        await using var command = connection.Sql(tx, sql, args);
        await command.ExecuteNonQueryAsync(ct);
    }

    private async Task TransitionAsync(Guid runId, string from, string sql, CancellationToken ct, params object?[] args)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, sql, [runId, .. args]);
        if (await command.ExecuteNonQueryAsync(ct) == 0)
        {
            var run = await GetAsync(runId, ct);
            throw PayrollRefusal.Conflict($"the run is {run.Status}; this needs a {from} run");
        }
    }

    private static async Task<string> LockRunAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, CancellationToken ct)
    {
        await using var read = connection.Sql(tx, "SELECT status FROM payroll.pay_runs WHERE id = $1 FOR UPDATE", runId);
        return await read.ExecuteScalarAsync(ct) as string ?? throw PayrollRefusal.NotFound($"pay run {runId}");
    }

    private static async Task<string> LockLineAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, Guid lineId, CancellationToken ct)
    {
        await using var read = connection.Sql(tx, "SELECT status FROM payroll.pay_lines WHERE run_id = $1 AND id = $2 FOR UPDATE", runId, lineId);
        return await read.ExecuteScalarAsync(ct) as string ?? throw PayrollRefusal.NotFound($"line {lineId} of pay run {runId}");
    }

    private static void Require(Actor actor, params string[] roles)
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
        throw PayrollRefusal.Invalid("period must be a month, e.g. 2026-10");
    }
}
