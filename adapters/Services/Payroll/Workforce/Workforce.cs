using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Workforce;

/// <summary>
/// What Payroll knows about workers and their activity, kept current from events (roster, account links, counted
/// activity). Every method is idempotent and ignores what is older than what it already applied, so redelivered or
/// reordered messages change nothing. A roster change also works out the worker's holds again (a fix in iHRIS
/// releases them) and, for a leaver, whether their pay is closed.
/// </summary>
public sealed class Workforce(NpgsqlDataSource db, IOptionsMonitor<PayRuleSet> rules, MinistryCalendar calendar, PayHolds holds, Leavers leavers)
{
    /// <summary>
    /// Stores a roster snapshot: the raw roles and salary records pay is computed from, and the employment bounds.
    /// <paramref name="employedFrom"/>/<paramref name="employedUntil"/> null keeps what is stored. Answers whether it was
    /// newer than what Payroll held.
    /// </summary>
    public async Task<bool> ApplyWorkerAsync(WorkerSnapshot worker, long revision, DateOnly? employedFrom, DateOnly? employedUntil, CancellationToken ct)
    {
        var rule = rules.CurrentValue.RuleFor(worker.Job.Code, worker.Job.Cadre);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            INSERT INTO payroll.workers AS w (worker_id, employee_number, display_name, facility_id, facility_name, job_code, cadre,
                pay_kind, active, employed_from, employed_until, roster_revision, roles, salaries, birth_date, phone, person_key)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14::jsonb, $15, $16, $17)
            ON CONFLICT (worker_id) DO UPDATE SET
                employee_number = excluded.employee_number, display_name = excluded.display_name,
                facility_id = excluded.facility_id, facility_name = excluded.facility_name, job_code = excluded.job_code,
                cadre = excluded.cadre, pay_kind = excluded.pay_kind, active = excluded.active,
                employed_from = COALESCE(excluded.employed_from, w.employed_from),
                -- A worker who is active again (re-hired) has no end any more.
                employed_until = CASE WHEN excluded.active AND excluded.employed_until IS NULL THEN NULL
                                      ELSE COALESCE(excluded.employed_until, w.employed_until) END,
                roles = excluded.roles, salaries = excluded.salaries, birth_date = excluded.birth_date, phone = excluded.phone,
                person_key = excluded.person_key,
                roster_revision = excluded.roster_revision, updated_at = now()
            WHERE w.roster_revision < excluded.roster_revision
            """,
            worker.WorkerId, worker.EmployeeNumber, worker.DisplayName, worker.Facility.Id, worker.Facility.Name, worker.Job.Code,
            worker.Job.Cadre, rule is null ? null : rule.Kind == PayRuleKind.Salary ? "salary" : "incentive",
            worker.Active, employedFrom, employedUntil, revision, StoredWorker.ToJson(worker.Roles), StoredWorker.ToJson(worker.Salaries),
            worker.BirthDate, NormalisedPhone(worker.Phone), PersonKey(worker.DisplayName, worker.BirthDate));
        return await command.ExecuteNonQueryAsync(ct) > 0;
    }

    public async Task ApplyRosterEventAsync(IRosterEvent change, CancellationToken ct)
    {
        // iHRIS's role period bounds the employment; a leaver whose roles carry no end (made inactive, or deleted)
        // left on the day the change was seen, in the ministry's calendar.
        var until = change.Worker.EmployedUntil
                    ?? (change is WorkerLeftV1 ? calendar.DateOf(change.OccurredAt) : null);
        var worker = change.Worker;
        if (!await ApplyWorkerAsync(worker, change.Revision, worker.EmployedFrom, until, ct)) return;
        await holds.RefreshAsync(new StoredWorker(worker.WorkerId, worker.EmployeeNumber, worker.DisplayName, worker.Facility.Id, worker.Job.Code,
            worker.Job.Cadre, worker.Active, worker.EmployedFrom, until, worker.Roles, worker.Salaries, change.Revision), ct);
        if (!change.Worker.Active)
        {
            await leavers.CloseSettledAsync([change.Worker.WorkerId], ct);
        }
    }

    /// <summary>
    /// Name in lower case with spaces collapsed, and the birth date: "Sarah  NAKATO" born 1988-03-14 and "sarah nakato"
    /// born the same day are one key. Null without a birth date (a name alone is too common to mean one person).
    /// </summary>
    public static string? PersonKey(string name, string? birthDate) =>
        string.IsNullOrWhiteSpace(birthDate) ? null
            : string.Join(' ', name.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant() + "|" + birthDate.Trim();

    /// <summary>Digits only (and a leading +), so that "+256 700-100001" and "+256700100001" are one phone.</summary>
    public static string? NormalisedPhone(string? phone)
    {
        if (string.IsNullOrWhiteSpace(phone)) return null;
        var digits = new string(phone.Where(char.IsAsciiDigit).ToArray());
        return digits.Length == 0 ? null : (phone.TrimStart().StartsWith('+') ? "+" : "") + digits;
    }

    public async Task ApplyAccountLinkAsync(WorkerAccountLinkedV1 link, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, """
            INSERT INTO payroll.worker_accounts AS a (worker_id, fineract_client_id, savings_account_id, credits_blocked, revision)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (worker_id) DO UPDATE SET fineract_client_id = excluded.fineract_client_id,
                savings_account_id = excluded.savings_account_id, credits_blocked = excluded.credits_blocked,
                revision = excluded.revision
            WHERE a.revision < excluded.revision
            """, link.WorkerId, link.FineractClientId, link.SavingsAccountId, link.CreditsBlocked, link.Revision);
        await command.ExecuteNonQueryAsync(ct);
    }

    public Task ApplyActivityAsync(ActivityCountedV1 activity, CancellationToken ct) =>
        UpsertActivityAsync(activity.SubmissionId, activity.WorkerId, activity.Period, JsonSerializer.Serialize(activity.Counts),
            activity.ReviewState, counted: true, activity.SubmissionVersion, ct);

    public Task WithdrawActivityAsync(ActivityWithdrawnV1 withdrawn, CancellationToken ct) =>
        UpsertActivityAsync(withdrawn.SubmissionId, withdrawn.WorkerId, withdrawn.Period, "{}", withdrawn.Reason,
            counted: false, withdrawn.SubmissionVersion, ct);

    /// <summary>
    /// Stores the newest version of a submission. When it changes what a worker earns for a period that already has a
    /// pay line (in any run that is not cancelled), the (worker, period) is marked so that the next run adjusts it:
    /// a paid line is never rewritten.
    /// </summary>
    private async Task UpsertActivityAsync(string submissionId, string workerId, DateOnly period, string countsJson, string? reviewState,
        bool counted, long version, CancellationToken ct)
    {
        period = new DateOnly(period.Year, period.Month, 1);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // The previous version, if any: its worker and period are affected too (an edit may move a report).
        string? previousWorker = null;
        DateOnly? previousPeriod = null;
        await using (var read = connection.Sql(tx, "SELECT worker_id, period, submission_version FROM payroll.activities WHERE submission_id = $1 FOR UPDATE", submissionId))
        await using (var reader = await read.ExecuteReaderAsync(ct))
        {
            if (await reader.ReadAsync(ct))
            {
                if (reader.GetInt64(2) >= version)
                {
                    return; // already applied this version or a newer one
                }
                previousWorker = reader.GetString(0);
                previousPeriod = reader.GetFieldValue<DateOnly>(1);
            }
        }

        await using (var upsert = connection.Sql(tx, """
            INSERT INTO payroll.activities (submission_id, worker_id, period, counts, review_state, counted, submission_version)
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
            ON CONFLICT (submission_id) DO UPDATE SET worker_id = excluded.worker_id, period = excluded.period,
                counts = excluded.counts, review_state = excluded.review_state, counted = excluded.counted,
                submission_version = excluded.submission_version, updated_at = now()
            """, submissionId, workerId, period, countsJson, reviewState, counted, version))
        {
            await upsert.ExecuteNonQueryAsync(ct);
        }

        await MarkChangedIfPaidAsync(connection, tx, workerId, period, ct);
        if (previousWorker is not null && (previousWorker != workerId || previousPeriod != period))
        {
            await MarkChangedIfPaidAsync(connection, tx, previousWorker, previousPeriod!.Value, ct);
        }
        await tx.CommitAsync(ct);
    }

    private static async Task MarkChangedIfPaidAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string workerId, DateOnly period, CancellationToken ct)
    {
        await using var mark = connection.Sql(tx, """
            INSERT INTO payroll.activity_changes (worker_id, period)
            SELECT $1, $2 WHERE EXISTS (
                SELECT 1 FROM payroll.pay_lines WHERE worker_id = $1 AND period = $2 AND kind = 'incentive' AND NOT run_cancelled)
            ON CONFLICT (worker_id, period) DO UPDATE SET changed_at = now()
            """, workerId, period);
        await mark.ExecuteNonQueryAsync(ct);
    }
}
