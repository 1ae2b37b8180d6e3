using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// What the approver sees before money moves, computed by the server per line, set-wise in PostgreSQL (a 100,000-line
/// run is checked in seconds):
/// <list type="bullet">
/// <item><b>blocking</b> (money may go to the wrong person): a worker not active in iHRIS on the pay date (unless it
/// is a leaver's final pay for days they worked); two workers who look like one person (same name and birth date, or
/// the same phone); two workers paid into the same account or wallet; a wallet whose holder, as its provider names
/// them, is not the worker.</item>
/// <item><b>warnings</b>: a leaver's final pay; incentives without an approved report behind them (stipend only, or
/// reports not approved); an amount that moved more than <see cref="CheckOptions.AmountChangeShare"/> from the
/// worker's last paid amount; a first-time payee; no account known yet; a payout destination changed since the
/// worker was last paid; the run's total against the same workers' previous period.</item>
/// </list>
/// Checks are computed when the run is drafted, again when it is submitted and again inside the approval, so the
/// approver decides on today's facts. A blocking check holds the approval until resolved: the approver records why the
/// payment may go ahead (who, when and why are kept). A resolved check stays resolved while it still applies.
/// </summary>
public sealed class RunChecks(IOptions<PayrollOptions> options, TimeProvider clock)
{
    /// <summary>
    /// Works the run's checks out again inside <paramref name="tx"/>; <paramref name="payDate"/>: the ministry's today.
    /// <paramref name="measured"/> hears how long each step took (the benchmark prints it).
    /// </summary>
    public async Task ComputeAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId, DateOnly payDate, CancellationToken ct,
        Action<string, TimeSpan>? measured = null)
    {
        var settings = options.Value.Checks;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        void Step(string name)
        {
            measured?.Invoke(name, watch.Elapsed);
            watch.Restart();
        }
        await PayRunSql.ExecuteAsync(connection, tx, """
            CREATE TEMP TABLE IF NOT EXISTS fresh_checks (line_id uuid, worker_id text, kind text, subject text, blocking boolean, detail text)
                ON COMMIT DROP;
            TRUNCATE fresh_checks;
            """, ct);
        await PayRunSql.ExecuteAsync(connection, tx, """
            CREATE TEMP TABLE IF NOT EXISTS run_workers (worker_id text PRIMARY KEY, line_id uuid NOT NULL) ON COMMIT DROP;
            TRUNCATE run_workers;
            """, ct);
        // One line per worker stands for them (their regular line before an adjustment).
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO run_workers SELECT DISTINCT ON (worker_id) worker_id, id FROM payroll.pay_lines WHERE run_id = $1
                ORDER BY worker_id, kind = 'adjustment', period DESC
            """, ct, runId);
        await PayRunSql.ExecuteAsync(connection, tx, "ANALYZE run_workers", ct);
        // Where each is paid for this run: their approved destination as of the run's drafting (fineract when none).
        await PayRunSql.ExecuteAsync(connection, tx, """
            CREATE TEMP TABLE IF NOT EXISTS run_destinations (worker_id text PRIMARY KEY, line_id uuid NOT NULL, rail text NOT NULL,
                msisdn text, holder_name text, decided_at timestamptz) ON COMMIT DROP;
            TRUNCATE run_destinations;
            """, ct);
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO run_destinations
            SELECT rw.worker_id, rw.line_id, COALESCE(d.rail, 'fineract'), d.msisdn, d.holder_name, d.decided_at
            FROM run_workers rw CROSS JOIN (SELECT created_at FROM payroll.pay_runs WHERE id = $1) r
            LEFT JOIN LATERAL (
                SELECT d.rail, d.msisdn, d.holder_name, d.decided_at FROM payroll.payout_destinations d
                WHERE d.worker_id = rw.worker_id AND d.status = 'approved' AND d.decided_at <= r.created_at
                ORDER BY d.decided_at DESC LIMIT 1) d ON true
            """, ct, runId);

        Step("prepare");

        // Not active in iHRIS on the pay date: a leaver's final pay for days worked, or (blocking) someone paid who is gone.
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT l.id, l.worker_id,
                   CASE WHEN w.employed_until >= l.period THEN 'leaver-final-pay' ELSE 'not-active-on-pay-date' END, '',
                   NOT COALESCE(w.employed_until >= l.period, false),
                   CASE WHEN w.worker_id IS NULL THEN 'not on the roster Payroll holds'
                        WHEN w.employed_until >= l.period THEN 'final pay of a leaver: last day ' || to_char(w.employed_until, 'YYYY-MM-DD')
                        WHEN w.employed_until IS NOT NULL THEN 'not active in iHRIS on the pay date ' || to_char($2::date, 'YYYY-MM-DD')
                                                               || ': last day ' || to_char(w.employed_until, 'YYYY-MM-DD')
                                                               || ', before the period paid (' || to_char(l.period, 'YYYY-MM') || ')'
                        ELSE 'not active in iHRIS on the pay date ' || to_char($2::date, 'YYYY-MM-DD') END
            FROM payroll.pay_lines l LEFT JOIN payroll.workers w ON w.worker_id = l.worker_id
            WHERE l.run_id = $1 AND (w.worker_id IS NULL OR NOT w.active OR w.employed_until < $2)
            """, ct, runId, payDate);

        Step("not-active");

        // Incentives without an approved report behind them.
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT l.id, l.worker_id, 'incentive-without-approved-report', '', false,
                   CASE WHEN cardinality(l.submissions) = 0
                        THEN 'no approved activity report for ' || to_char(l.period, 'YYYY-MM') || ': only the stipend is paid'
                        ELSE 'reports counted that are not approved: ' || (
                            SELECT string_agg(a.submission_id || ' (' || COALESCE(a.review_state, 'not reviewed') || ')', ', ')
                            FROM payroll.activities a WHERE a.submission_id = ANY(l.submissions) AND a.review_state IS DISTINCT FROM 'approved') END
            FROM payroll.pay_lines l
            WHERE l.run_id = $1 AND l.kind = 'incentive'
              AND (cardinality(l.submissions) = 0 OR EXISTS (
                    SELECT 1 FROM payroll.activities a WHERE a.submission_id = ANY(l.submissions) AND a.review_state IS DISTINCT FROM 'approved'))
            """, ct, runId);

        Step("no-approved-report");

        // An amount that moved more than the set share from the worker's last paid amount of the same kind.
        await PayRunSql.ExecuteAsync(connection, tx, """
            WITH last_paid AS (
                SELECT DISTINCT ON (p.worker_id, p.kind) p.worker_id, p.kind, p.amount, p.period
                FROM payroll.pay_lines p JOIN run_workers rw ON rw.worker_id = p.worker_id
                WHERE p.status = 'paid' AND p.kind <> 'adjustment' AND p.run_id <> $1
                ORDER BY p.worker_id, p.kind, p.period DESC, p.paid_at DESC)
            INSERT INTO fresh_checks
            SELECT l.id, l.worker_id, 'amount-changed', '', false,
                   to_char(l.amount, 'FM999999999990.00') || ' ' || l.currency || ' is ' ||
                   to_char(round(100 * (l.amount - lp.amount) / lp.amount, 1), 'FMS999990.0') || '% from ' ||
                   to_char(lp.amount, 'FM999999999990.00') || ' paid for ' || to_char(lp.period, 'YYYY-MM')
            FROM payroll.pay_lines l JOIN last_paid lp ON lp.worker_id = l.worker_id AND lp.kind = l.kind
            WHERE l.run_id = $1 AND l.kind <> 'adjustment' AND lp.amount > 0 AND abs(l.amount - lp.amount) > $2 * lp.amount
            """, ct, runId, settings.AmountChangeShare);

        Step("amount-changed");

        // First-time payees: nothing was ever paid to them.
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT rw.line_id, rw.worker_id, 'first-time-payee', '', false, 'first payment to this worker'
            FROM run_workers rw
            WHERE NOT EXISTS (SELECT 1 FROM payroll.pay_lines p WHERE p.worker_id = rw.worker_id AND p.status = 'paid')
            """, ct);

        Step("first-time-payee");

        // Two workers who look like one person: same name and birth date, or same phone (among the active and this run's).
        await PayRunSql.ExecuteAsync(connection, tx, """
            WITH pairs AS (
                SELECT rw.line_id, rw.worker_id, o.worker_id AS other, o.display_name || ' (' || o.employee_number || ')' AS other_name,
                       'same name and birth date ' || p.birth_date AS why
                FROM run_workers rw JOIN payroll.workers p ON p.worker_id = rw.worker_id
                JOIN payroll.workers o ON o.person_key = p.person_key AND o.worker_id <> p.worker_id
                WHERE p.person_key IS NOT NULL AND (o.active OR EXISTS (SELECT 1 FROM run_workers x WHERE x.worker_id = o.worker_id))
                UNION ALL
                SELECT rw.line_id, rw.worker_id, o.worker_id, o.display_name || ' (' || o.employee_number || ')', 'same phone ' || p.phone
                FROM run_workers rw JOIN payroll.workers p ON p.worker_id = rw.worker_id
                JOIN payroll.workers o ON o.phone = p.phone AND o.worker_id <> p.worker_id
                WHERE p.phone IS NOT NULL AND (o.active OR EXISTS (SELECT 1 FROM run_workers x WHERE x.worker_id = o.worker_id)))
            INSERT INTO fresh_checks
            SELECT line_id, worker_id, 'possible-duplicate-person', other, true,
                   'looks like ' || min(other_name) || ': ' || string_agg(why, ' and ' ORDER BY why)
            FROM pairs GROUP BY line_id, worker_id, other
            """, ct);
        Step("duplicates");

        // Two workers of the run paid into one account.
        await PayRunSql.ExecuteAsync(connection, tx, """
            WITH accounts AS MATERIALIZED (
                SELECT rw.line_id, rw.worker_id, a.savings_account_id,
                       COALESCE(w.display_name, rw.worker_id) || ' (' || COALESCE(w.employee_number, rw.worker_id) || ')' AS who
                FROM run_workers rw JOIN payroll.worker_accounts a ON a.worker_id = rw.worker_id
                LEFT JOIN payroll.workers w ON w.worker_id = rw.worker_id),
            shared AS (
                SELECT savings_account_id, array_agg(worker_id) AS workers, array_agg(who) AS whos
                FROM accounts GROUP BY savings_account_id HAVING count(*) > 1)
            INSERT INTO fresh_checks
            SELECT a.line_id, a.worker_id, 'shared-destination-account', a.savings_account_id::text, true,
                   'paid into savings account #' || a.savings_account_id || ', as ' ||
                   array_to_string(array_remove(s.whos, a.who), ', ')
            FROM accounts a JOIN shared s ON s.savings_account_id = a.savings_account_id
            """, ct);
        Step("shared-account");

        // No account known yet: the payment would fail until enrolment reaches Fineract (only for those paid there).
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT rd.line_id, rd.worker_id, 'no-account-yet', '', false, 'no Fineract savings account known for this worker yet'
            FROM run_destinations rd
            WHERE rd.rail = 'fineract' AND NOT EXISTS (SELECT 1 FROM payroll.worker_accounts a WHERE a.worker_id = rd.worker_id)
            """, ct);

        Step("no-account");

        await WalletChecksAsync(connection, tx, ct);

        Step("wallets");

        // The run's total against the same workers' lines of the previous period.
        await PayRunSql.ExecuteAsync(connection, tx, """
            WITH run AS (SELECT period, currency FROM payroll.pay_runs WHERE id = $1),
            now_total AS (SELECT COALESCE(sum(amount), 0) AS total FROM payroll.pay_lines WHERE run_id = $1 AND kind <> 'adjustment'),
            before_total AS (
                SELECT COALESCE(sum(p.amount), 0) AS total, count(*) AS lines FROM payroll.pay_lines p JOIN run_workers rw ON rw.worker_id = p.worker_id
                WHERE NOT p.run_cancelled AND p.kind <> 'adjustment' AND p.period = (SELECT (period - interval '1 month')::date FROM run))
            INSERT INTO fresh_checks
            SELECT NULL, NULL, 'total-against-previous-period', '', false,
                   'total ' || to_char(n.total, 'FM999999999990.00') || ' ' || r.currency || ' against ' ||
                   to_char(b.total, 'FM999999999990.00') || ' for the same workers in ' ||
                   to_char((r.period - interval '1 month')::date, 'YYYY-MM') ||
                   CASE WHEN b.lines = 0 THEN ' (nothing then)'
                        ELSE ' (' || to_char(round(100 * (n.total - b.total) / NULLIF(b.total, 0), 1), 'FMS999990.0') || '%)' ||
                             CASE WHEN abs(n.total - b.total) > $2 * b.total THEN ': moved more than ' || to_char(100 * $2, 'FM990') || '%' ELSE '' END
                   END
            FROM run r, now_total n, before_total b
            """, ct, runId, settings.TotalChangeShare);

        // Keyed, so that the merge below finds each check by its key whatever the planner knows of either table.
        await PayRunSql.ExecuteAsync(connection, tx, """
            CREATE INDEX IF NOT EXISTS fresh_checks_key ON fresh_checks (kind, subject, COALESCE(line_id, '00000000-0000-0000-0000-000000000000'::uuid));
            ANALYZE fresh_checks;
            """, ct);
        Step("total");

        // Merge: a check no longer found is cleared (kept, for the record); a new one added; one still found keeps
        // its resolution.
        var now = clock.GetUtcNow();
        await PayRunSql.ExecuteAsync(connection, tx, """
            UPDATE payroll.run_checks c SET cleared_at = $2
            WHERE c.run_id = $1 AND c.cleared_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM fresh_checks f WHERE f.kind = c.kind AND f.subject = c.subject
                    AND COALESCE(f.line_id, '00000000-0000-0000-0000-000000000000'::uuid) = COALESCE(c.line_id, '00000000-0000-0000-0000-000000000000'::uuid))
            """, ct, runId, now);
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO payroll.run_checks (run_id, line_id, worker_id, kind, subject, blocking, detail, computed_at)
            SELECT DISTINCT ON (kind, line_id, subject) $1, line_id, worker_id, kind, subject, blocking, detail, $2 FROM fresh_checks
            ON CONFLICT (run_id, kind, COALESCE(line_id, '00000000-0000-0000-0000-000000000000'::uuid), subject)
            DO UPDATE SET blocking = excluded.blocking, detail = excluded.detail, computed_at = excluded.computed_at, cleared_at = NULL
            """, ct, runId, now);
        await PayRunSql.ExecuteAsync(connection, tx, "UPDATE payroll.pay_runs SET checks_computed_at = $2 WHERE id = $1", ct, runId, now);
        Step("merge");
    }

    /// <summary>
    /// Checks of the workers paid into mobile wallets: <b>blocking</b> when the name the provider gave for the wallet is
    /// not the worker's (<see cref="Payouts.WalletNames.SamePerson"/>), or two workers of the run are paid into one
    /// wallet; a <b>warning</b> when the destination changed since the worker was last paid (the commonest payroll fraud
    /// is a quiet change of payee, so the approver sees each one).
    /// </summary>
    private static async Task WalletChecksAsync(NpgsqlConnection connection, NpgsqlTransaction tx, CancellationToken ct)
    {
        var mismatched = new List<(Guid LineId, string WorkerId, string Detail)>();
        await using (var read = connection.Sql(tx, """
            SELECT rd.line_id, rd.worker_id, rd.msisdn, rd.holder_name, COALESCE(w.display_name, '')
            FROM run_destinations rd LEFT JOIN payroll.workers w ON w.worker_id = rd.worker_id
            WHERE rd.rail = 'mobile-money'
            """))
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var (msisdn, holder, name) = (r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4));
                if (holder is null)
                    mismatched.Add((r.GetGuid(0), r.GetString(1), $"the provider did not say who holds wallet {msisdn}"));
                else if (!Payouts.WalletNames.SamePerson(name, holder))
                    mismatched.Add((r.GetGuid(0), r.GetString(1), $"wallet {msisdn} is held by \"{holder}\", not by \"{name}\""));
            }
        }
        if (mismatched.Count > 0)
        {
            await PayRunSql.ExecuteAsync(connection, tx, """
                INSERT INTO fresh_checks
                SELECT line_id, worker_id, 'wallet-name-mismatch', '', true, detail FROM unnest($1::uuid[], $2::text[], $3::text[]) AS m(line_id, worker_id, detail)
                """, ct, mismatched.Select(m => m.LineId).ToArray(), mismatched.Select(m => m.WorkerId).ToArray(), mismatched.Select(m => m.Detail).ToArray());
        }
        await PayRunSql.ExecuteAsync(connection, tx, """
            WITH shared AS (
                SELECT msisdn FROM run_destinations WHERE rail = 'mobile-money' GROUP BY msisdn HAVING count(*) > 1)
            INSERT INTO fresh_checks
            SELECT rd.line_id, rd.worker_id, 'shared-destination-wallet', rd.msisdn, true,
                   'paid into wallet ' || rd.msisdn || ', as ' || (
                       SELECT string_agg(COALESCE(w.display_name, o.worker_id) || ' (' || COALESCE(w.employee_number, o.worker_id) || ')', ', ')
                       FROM run_destinations o LEFT JOIN payroll.workers w ON w.worker_id = o.worker_id
                       WHERE o.msisdn = rd.msisdn AND o.worker_id <> rd.worker_id)
            FROM run_destinations rd JOIN shared s ON s.msisdn = rd.msisdn
            WHERE rd.rail = 'mobile-money'
            """, ct);
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT rd.line_id, rd.worker_id, 'payout-destination-changed', '', false,
                   'paid ' || CASE WHEN rd.rail = 'mobile-money' THEN 'into wallet ' || rd.msisdn
                                   WHEN rd.rail = 'payment-hub' THEN 'through Payment Hub to ' || d.payee_key || ' ' || d.payee_value
                                   ELSE 'into their Fineract savings account' END ||
                   ' since ' || to_char(rd.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC (changed by ' || d.requested_by ||
                   ', approved by ' || d.decided_by || ')'
            FROM run_destinations rd JOIN payroll.payout_destinations d
                ON d.worker_id = rd.worker_id AND d.status = 'approved' AND d.decided_at = rd.decided_at
            WHERE EXISTS (SELECT 1 FROM payroll.pay_lines p WHERE p.worker_id = rd.worker_id AND p.status = 'paid' AND p.paid_at < rd.decided_at)
            """, ct);
        // Payment Hub reaches other providers without a name lookup: only the two people who changed the destination vouch for it.
        await PayRunSql.ExecuteAsync(connection, tx, """
            INSERT INTO fresh_checks
            SELECT rd.line_id, rd.worker_id, 'payee-not-verified', '', false,
                   'paid through Payment Hub to a payee whose holder no provider confirmed; the change was asked for and approved by two people'
            FROM run_destinations rd WHERE rd.rail = 'payment-hub'
            """, ct);
    }

    /// <summary>The blocking checks not resolved, for the refusal of an approval (the first few, and how many).</summary>
    public static async Task<(int Count, IReadOnlyList<string> First)> OpenBlockingAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid runId,
        CancellationToken ct)
    {
        await using var command = connection.Sql(tx, """
            SELECT c.kind, COALESCE(l.employee_number || ' ' || l.worker_name, c.worker_id, 'the run'), c.detail, count(*) OVER ()
            FROM payroll.run_checks c LEFT JOIN payroll.pay_lines l ON l.id = c.line_id
            WHERE c.run_id = $1 AND c.blocking AND c.cleared_at IS NULL AND c.resolved_at IS NULL
            ORDER BY c.id LIMIT 5
            """, runId);
        var first = new List<string>();
        var count = 0;
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            first.Add($"{r.GetString(1)}: {r.GetString(0)}, {r.GetString(2)}");
            count = (int)r.GetInt64(3);
        }
        return (count, first);
    }
}
