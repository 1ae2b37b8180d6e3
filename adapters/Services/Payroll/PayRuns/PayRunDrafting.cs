using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.Workforce;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// Drafting a run: who is in it, what each is owed (<see cref="WorkerPay"/> for salaries, <see cref="PayCalculator"/>
/// for incentives), who is set aside and why, adjustments of earlier periods, and the checks the approver will see.
/// Runs are drafted one at a time (advisory lock), so two runs for one period cannot both claim a worker unnoticed.
/// </summary>
public sealed class PayRunDrafting(
    NpgsqlDataSource db,
    IOptionsMonitor<PayRuleSet> rules,
    RunChecks checks,
    PayRunQueries queries,
    MinistryCalendar calendar,
    TimeProvider clock,
    ILogger<PayRunDrafting> logger)
{
    public static readonly ActivitySource Tracing = new("OneClickSuite.Payroll");

    /// <summary>Set-aside workers named one by one in a run's warnings, at most; the rest are counted (all are on the holds list).</summary>
    private const int NamedSetAside = 200;

    public async Task<PayRunView> CreateAsync(NewPayRun request, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        var period = PayRunSql.ParsePeriod(request.Period);
        var population = (request.Population ?? PopulationKind.Everyone).ToLowerInvariant();
        if (population is not (PopulationKind.Everyone or PopulationKind.Facility or PopulationKind.Cadre or PopulationKind.Worker))
            throw PayrollRefusal.Invalid("population must be everyone, facility, cadre or worker");
        if (population != PopulationKind.Everyone && string.IsNullOrWhiteSpace(request.PopulationValue))
            throw PayrollRefusal.Invalid($"population {population} needs a value (the facility id or the cadre)");
        if (actor.IsDemo && (population != PopulationKind.Worker || !request.PopulationValue!.StartsWith(Actor.DemoWorkerPrefix, StringComparison.Ordinal)))
            throw PayrollRefusal.Forbidden("the demo pays only a worker it registered itself");
        var today = calendar.Today(clock);
        var reason = CheckPeriod(period, today, request.Reason);
        var ruleSet = rules.CurrentValue;
        var pay = new WorkerPay(ruleSet, calendar);
        using var activity = Tracing.StartActivity("payroll create run");

        await using var connection = await db.OpenConnectionAsync(ct);
        var (first, last) = PayCalculator.MonthOf(period);
        var workers = await LoadPopulationAsync(connection, population, request.PopulationValue, first, ct);
        if (population == PopulationKind.Worker && workers.SingleOrDefault() is { } one &&
            pay.Employment(one.Facts, first, last).FirstEmployed is { } firstDay && firstDay > last)
        {
            throw new PayrollRefusal(422, $"{one.EmployeeNumber} {one.Name} was first employed on {firstDay:yyyy-MM-dd}: " +
                                          $"a run is never for a period before a worker's first employment ({PayRunSql.Month(period)})");
        }

        // What each worker is owed, and who is set aside: a hold for the run's month, the current or the previous one.
        var current = new DateOnly(today.Year, today.Month, 1);
        var previous = current.AddMonths(-1);
        DateOnly[] months = [.. new[] { period, current, previous }.Distinct()];
        var evaluated = new List<(StoredWorker Worker, PayRule Rule, SalaryPay? Salary, EmploymentDays Employment)>();
        var problems = new Dictionary<string, IReadOnlyList<PayProblem>>(StringComparer.Ordinal);
        var warnings = new List<string>();
        foreach (var worker in workers)
        {
            var rule = ruleSet.RuleFor(worker.JobCode, worker.Cadre);
            if (rule is null)
            {
                warnings.Add($"{worker.EmployeeNumber} ({worker.JobCode}, {worker.Cadre}): no pay rule applies");
                continue;
            }
            var salaried = rule.Kind == PayRuleKind.Salary;
            var found = new List<PayProblem>();
            SalaryPay? salary = null;
            EmploymentDays employment = new([], null, []);
            // Nothing is paid while anything keeps the run's month, the current or the previous one from being paid;
            // for a leaver gone before the previous month, the run's own month and their final month (as PayHolds).
            DateOnly[] workerMonths = !worker.Active && worker.EmployedUntil is { } until && until < previous
                ? [.. new[] { period, new DateOnly(until.Year, until.Month, 1) }.Distinct()]
                : months;
            foreach (var month in workerMonths)
            {
                if (salaried)
                {
                    var monthPay = pay.Salary(worker.Facts, month, rule.Name);
                    if (month == period) salary = monthPay;
                    found.AddRange(monthPay.Problems.Where(p => !found.Contains(p)));
                }
                else
                {
                    var days = pay.Employment(worker.Facts, month, PayCalculator.MonthOf(month).Last);
                    if (month == period) employment = days;
                    found.AddRange(days.Problems.Where(p => !found.Contains(p)));
                }
            }
            problems[worker.WorkerId] = found;
            evaluated.Add((worker, rule, salary, employment));
        }
        // Holds are recorded whatever becomes of the run, so the Problems page shows them at once.
        await PayHolds.SyncAsync(connection, null, workers.Select(w => w.WorkerId).ToArray(), problems, ct);

        await using var tx = await connection.BeginTransactionAsync(ct);
        await PayRunSql.ExecuteAsync(connection, tx, $"SELECT pg_advisory_xact_lock({AdvisoryLocks.PayRunDrafting})", ct);
        var alreadyPaid = await LoadExistingLinesAsync(connection, tx, first, ct);
        var activities = await LoadActivitiesAsync(connection, tx, first, ct);

        var lines = new List<NewLine>();
        var skippedPaid = 0;
        var setAside = 0;
        var setAsideIds = new List<string>();
        foreach (var (worker, rule, salary, employment) in evaluated)
        {
            var kind = rule.Kind == PayRuleKind.Salary ? LineKind.Salary : LineKind.Incentive;
            if (alreadyPaid.Contains((worker.WorkerId, kind)))
            {
                skippedPaid++;
                continue;
            }
            if (problems[worker.WorkerId] is { Count: > 0 } held)
            {
                setAsideIds.Add(worker.WorkerId);
                if (++setAside <= NamedSetAside)
                    warnings.Add($"{worker.EmployeeNumber} {worker.Name}: set aside, nothing paid until fixed: {string.Join("; ", held)}");
                continue;
            }
            PayResult result;
            IReadOnlyList<string> submissions = [];
            if (salary is not null)
            {
                result = new PayResult(salary.Amount, salary.Currency, salary.Explanation);
            }
            else
            {
                if (employment.Count == 0) continue; // not employed on any day of the month
                var counted = activities.GetValueOrDefault(worker.WorkerId) ?? [];
                result = PayCalculator.Incentive(rule.Name, rule.Incentive!, ruleSet.Currency, counted, Currencies.MinorDigitsOf(ruleSet.Currency, ruleSet) ?? 2);
                submissions = counted.Select(s => s.SubmissionId).ToList();
            }
            if (result.Amount <= 0)
            {
                continue;
            }
            lines.Add(new NewLine(worker, first, kind, result, submissions));
        }
        if (setAside > NamedSetAside)
        {
            warnings.Add($"… and {setAside - NamedSetAside} more set aside (all are on Payroll's holds list)");
        }
        if (skippedPaid > 0)
        {
            warnings.Add($"{skippedPaid} worker(s) already have a line for {first:yyyy-MM} in another run and were left out");
        }

        lines.AddRange(await AdjustmentsAsync(connection, tx, population, request.PopulationValue, ruleSet, lines, problems, ct));
        if (lines.Count == 0)
        {
            throw new PayrollRefusal(422, "nobody in this population has anything to be paid for this period" +
                                          (warnings.Count > 0 ? ": " + string.Join("; ", warnings.Take(5)) : ""));
        }

        var runId = Guid.CreateVersion7();
        var total = lines.Sum(l => l.Result.Amount);
        var now = clock.GetUtcNow();
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO payroll.pay_runs (id, period, population_kind, population_value, rule_set_version, status, line_count,
                total, currency, created_by, created_at, period_reason, warnings, set_aside)
            VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10, $11, $12, $13)
            """, ct, runId, first, population, request.PopulationValue, ruleSet.Version, lines.Count, total, ruleSet.Currency, actor.User, now,
            reason, warnings.ToArray(), setAsideIds.ToArray());
        await CopyLinesAsync(connection, runId, lines, ct);
        await checks.ComputeAsync(connection, tx, runId, today, ct);
        try
        {
            await tx.CommitAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw PayrollRefusal.Conflict("a worker in this run already has a line for this period in another run");
        }
        logger.LogInformation("Pay run {RunId} for {Period} ({Population} {Value}) created by {User}: {Lines} lines, {Total}, {SetAside} set aside{Reason}",
            runId, first, population, request.PopulationValue, actor.User, lines.Count, total, setAside,
            reason is null ? "" : $"; period outside the current and previous months because: {reason}");
        return await queries.GetAsync(runId, ct);
    }

    /// <summary>
    /// A run is for the current or the previous month; any other month needs the clerk's stated reason (kept with the
    /// run). A month that has not begun is never run.
    /// </summary>
    internal string? CheckPeriod(DateOnly period, DateOnly today, string? reason)
    {
        var current = new DateOnly(today.Year, today.Month, 1);
        var previous = current.AddMonths(-1);
        if (period > current)
            throw new PayrollRefusal(422, $"{PayRunSql.Month(period)} has not begun (today is {today:yyyy-MM-dd} in {calendar.Zone.Id})");
        if (period == current || period == previous) return string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (string.IsNullOrWhiteSpace(reason))
            throw PayrollRefusal.Invalid($"{PayRunSql.Month(period)} is neither the current month ({PayRunSql.Month(current)}) nor the previous one " +
                                         $"({PayRunSql.Month(previous)}): state a reason to run it");
        return reason.Trim();
    }

    private sealed record NewLine(StoredWorker Worker, DateOnly Period, string Kind, PayResult Result, IReadOnlyList<string> Submissions);

    private static string PopulationFilter(string population, string parameter) => population switch
    {
        PopulationKind.Facility => $"AND w.facility_id = {parameter}",
        PopulationKind.Cadre => $"AND lower(w.cadre) = lower({parameter})",
        PopulationKind.Worker => $"AND w.worker_id = {parameter}",
        _ => "",
    };

    /// <summary>The population's workers who may have been employed in the month (a leaver whose last day is before it is not).</summary>
    private static async Task<List<StoredWorker>> LoadPopulationAsync(NpgsqlConnection connection, string population, string? value, DateOnly first,
        CancellationToken ct)
    {
        await using var command = connection.Sql(null, $"""
            SELECT {StoredWorker.Columns} FROM payroll.workers w
            WHERE (w.employed_until IS NULL OR w.employed_until >= $1) AND (w.active OR w.employed_until IS NOT NULL)
              {PopulationFilter(population, "$2")}
            ORDER BY w.worker_id
            """, first, value ?? "");
        var workers = new List<StoredWorker>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) workers.Add(StoredWorker.Read(r));
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
    /// difference between what the rules give now and what earlier runs hold becomes an adjustment line. A worker set
    /// aside gets none until released.
    /// </summary>
    private async Task<List<NewLine>> AdjustmentsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string population, string? value,
        PayRuleSet ruleSet, IReadOnlyList<NewLine> regularLines, IReadOnlyDictionary<string, IReadOnlyList<PayProblem>> problems, CancellationToken ct)
    {
        var changed = new List<(StoredWorker Worker, DateOnly Period)>();
        await using (var command = connection.Sql(tx, $"""
            SELECT {StoredWorker.Columns}, c.period
            FROM payroll.activity_changes c JOIN payroll.workers w ON w.worker_id = c.worker_id
            WHERE true {PopulationFilter(population, "$1")}
            ORDER BY w.worker_id, c.period
            """, value ?? ""))
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                changed.Add((StoredWorker.Read(r), r.GetFieldValue<DateOnly>(12)));
            }
        }

        var adjustments = new List<NewLine>();
        foreach (var (worker, period) in changed)
        {
            var rule = ruleSet.RuleFor(worker.JobCode, worker.Cadre);
            if (rule is not { Kind: PayRuleKind.Incentive, Incentive: { } scheme }) continue;
            if (problems.TryGetValue(worker.WorkerId, out var held) && held.Count > 0) continue;
            var counted = (await LoadActivitiesAsync(connection, tx, period, ct, worker.WorkerId)).GetValueOrDefault(worker.WorkerId) ?? [];
            var now = PayCalculator.Incentive(rule.Name, scheme, ruleSet.Currency, counted, Currencies.MinorDigitsOf(ruleSet.Currency, ruleSet) ?? 2);
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
                await PayRunSql.ExecuteAsync(connection, tx, "DELETE FROM payroll.activity_changes WHERE worker_id = $1 AND period = $2", ct,
                    worker.WorkerId, period);
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
}
