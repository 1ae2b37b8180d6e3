using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Suite;

public sealed record SyncCounts(int OnRoster, int InOdk, int InFineract, int IhrisQuarantined, int OdkFailing, int FineractPending);

public sealed record ActivityCounts(int Counted, int NotCounted, int Quarantined);

public sealed record PayRunCount(string Status, int Runs, decimal Total);

public sealed record PaymentTotals(int Paid, decimal PaidAmount, int Failed, int Requested);

public sealed record ChartPoint(string Label, decimal Value);

/// <summary>Activity of one worker in one month (a class: Dapper maps a text[] column to properties, not to constructor parameters).</summary>
public sealed class ActivityRow
{
    public string WorkerId { get; init; } = "";
    public string? Name { get; init; }
    public string? EmployeeNumber { get; init; }
    public DateTime Period { get; init; }
    public int Reports { get; init; }
    public int Counted { get; init; }
    public long HouseholdsVisited { get; init; }
    public long Referrals { get; init; }
    public string[] InstanceIds { get; init; } = [];
}

public sealed record ActivityPage(IReadOnlyList<ActivityRow> Rows, int Total);

public sealed record QuarantinedReport(string InstanceId, string Reason, string? Field, DateTime QuarantinedAt);

public sealed record QuarantinedWorker(long Id, string WorkerId, string Resource, string Field, string Reason, DateTime FirstSeen, DateTime LastSeen);

public sealed record EntityFailure(string WorkerId, int Attempts, string? LastError, DateTime NextAttemptAt);

/// <summary>Read-only counts and aggregates over the services' schemas for the Overview, Activity and Problems pages.</summary>
public sealed class SuiteStatistics(NpgsqlDataSource db)
{
    public async Task<SyncCounts> SyncAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<SyncCounts>(new CommandDefinition("""
            SELECT (SELECT count(*)::int FROM ihris_adapter.read_roster_workers WHERE on_roster) AS onroster,
                   (SELECT count(*)::int FROM odk_adapter.read_roster_entities WHERE present AND synced_revision >= revision) AS inodk,
                   (SELECT count(*)::int FROM fineract_adapter.read_worker_accounts WHERE savings_account_id IS NOT NULL AND NOT credits_blocked) AS infineract,
                   (SELECT count(*)::int FROM ihris_adapter.read_quarantine) AS ihrisquarantined,
                   (SELECT count(*)::int FROM odk_adapter.read_roster_entities WHERE revision > synced_revision AND last_error IS NOT NULL) AS odkfailing,
                   (SELECT count(*)::int FROM ihris_adapter.read_roster_workers r LEFT JOIN fineract_adapter.read_worker_accounts f USING (worker_id)
                     WHERE r.on_roster AND (f.savings_account_id IS NULL OR f.applied_revision < r.revision)) AS fineractpending
            """, cancellationToken: ct));
    }

    public async Task<ActivityCounts> ActivityAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<ActivityCounts>(new CommandDefinition("""
            SELECT (SELECT count(*)::int FROM odk_adapter.read_activity_submissions WHERE counted) AS counted,
                   (SELECT count(*)::int FROM odk_adapter.read_activity_submissions WHERE NOT counted) AS notcounted,
                   (SELECT count(*)::int FROM odk_adapter.read_activity_quarantine) AS quarantined
            """, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<PayRunCount>> PayRunsAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<PayRunCount>(new CommandDefinition(
            "SELECT status, count(*)::int AS runs, COALESCE(sum(total), 0) AS total FROM payroll.read_pay_runs GROUP BY status ORDER BY status",
            cancellationToken: ct))).AsList();
    }

    public async Task<PaymentTotals> PaymentsAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleAsync<PaymentTotals>(new CommandDefinition("""
            SELECT count(*) FILTER (WHERE status = 'paid')::int AS paid,
                   COALESCE(sum(amount) FILTER (WHERE status = 'paid'), 0) AS paidamount,
                   count(*) FILTER (WHERE status = 'failed')::int AS failed,
                   count(*) FILTER (WHERE status = 'requested')::int AS requested
            FROM payroll.read_payments
            """, cancellationToken: ct));
    }

    /// <summary>Money paid per day (settled payments), the last <paramref name="days"/> days.</summary>
    public async Task<IReadOnlyList<ChartPoint>> PaymentsPerDayAsync(int days, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, decimal Amount)>(new CommandDefinition("""
            SELECT date_trunc('day', settled_at)::date::timestamp AS day, sum(amount) AS amount
            FROM payroll.read_payments WHERE status = 'paid' AND settled_at >= now() - make_interval(days => @days)
            GROUP BY 1 ORDER BY 1
            """, new { days }, cancellationToken: ct));
        return rows.Select(r => new ChartPoint(r.Day.ToString("dd MMM"), r.Amount)).ToList();
    }

    /// <summary>What a run pays (or paid) per facility or per cadre; <paramref name="runId"/> null: every run not cancelled.</summary>
    public async Task<IReadOnlyList<ChartPoint>> PayByAsync(string dimension, Guid? runId, CancellationToken ct = default)
    {
        var group = dimension == "cadre" ? "l.cadre" : "COALESCE(w.facility_name, l.facility_id)";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ChartPoint>(new CommandDefinition($"""
            SELECT {group} AS label, sum(l.amount) AS value
            FROM payroll.read_pay_lines l LEFT JOIN payroll.read_workers w ON w.worker_id = l.worker_id
            WHERE NOT l.run_cancelled AND l.status NOT IN ('cancelled', 'to-recover') AND (@runId::uuid IS NULL OR l.run_id = @runId)
            GROUP BY 1 ORDER BY 2 DESC LIMIT 12
            """, new { runId }, cancellationToken: ct));
        return rows.AsList();
    }

    /// <summary>Activity reports per worker and month, newest month first.</summary>
    public async Task<ActivityPage> ActivityReportsAsync(string? search, int offset, int limit, CancellationToken ct = default)
    {
        search = string.IsNullOrWhiteSpace(search) ? null : search.Trim();
        var args = new { search = search is null ? null : "%" + search + "%", offset, limit };
        const string from = """
            FROM odk_adapter.read_activity_submissions s
            LEFT JOIN ihris_adapter.read_roster_workers r ON r.worker_id = s.worker_id
            WHERE s.worker_id IS NOT NULL AND s.period IS NOT NULL
              AND (@search::text IS NULL OR s.worker_id ILIKE @search OR r.employee_number ILIKE @search
                   OR (r.snapshot->>'givenName') || ' ' || (r.snapshot->>'familyName') ILIKE @search)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<ActivityRow>(new CommandDefinition($"""
            SELECT s.worker_id AS workerid, min((r.snapshot->>'givenName') || ' ' || (r.snapshot->>'familyName')) AS name,
                   min(r.employee_number) AS employeenumber, s.period::timestamp AS period,
                   count(*)::int AS reports, count(*) FILTER (WHERE s.counted)::int AS counted,
                   COALESCE(sum((s.counts->>'households_visited')::numeric) FILTER (WHERE s.counted), 0)::bigint AS householdsvisited,
                   COALESCE(sum((s.counts->>'referrals')::numeric) FILTER (WHERE s.counted), 0)::bigint AS referrals,
                   array_agg(s.instance_id ORDER BY s.instance_id) AS instanceids
            {from}
            GROUP BY s.worker_id, s.period
            ORDER BY s.period DESC, s.worker_id
            LIMIT @limit OFFSET @offset
            """, args, cancellationToken: ct));
        var total = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            $"SELECT count(*)::int FROM (SELECT 1 {from} GROUP BY s.worker_id, s.period) g", args, cancellationToken: ct));
        return new ActivityPage(rows.AsList(), total);
    }

    public async Task<IReadOnlyList<QuarantinedWorker>> IhrisQuarantineAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<QuarantinedWorker>(new CommandDefinition(
            "SELECT id, worker_id AS workerid, resource, field, reason, first_seen AS firstseen, last_seen AS lastseen FROM ihris_adapter.read_quarantine ORDER BY id",
            cancellationToken: ct))).AsList();
    }

    public async Task<IReadOnlyList<QuarantinedReport>> ActivityQuarantineAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<QuarantinedReport>(new CommandDefinition(
            "SELECT instance_id AS instanceid, reason, field, quarantined_at AS quarantinedat FROM odk_adapter.read_activity_quarantine ORDER BY quarantined_at DESC LIMIT 500",
            cancellationToken: ct))).AsList();
    }

    public async Task<IReadOnlyList<EntityFailure>> OdkFailuresAsync(CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<EntityFailure>(new CommandDefinition("""
            SELECT worker_id AS workerid, attempts, last_error AS lasterror, next_attempt_at AS nextattemptat FROM odk_adapter.read_roster_entities
            WHERE revision > synced_revision AND last_error IS NOT NULL ORDER BY next_attempt_at LIMIT 500
            """, cancellationToken: ct))).AsList();
    }

    /// <summary>The worker's Fineract savings account as the Fineract adapter recorded it.</summary>
    public async Task<(string? Name, long? ClientId, long? SavingsAccountId)> AccountOfAsync(string workerId, CancellationToken ct = default)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string? Name, long? ClientId, long? SavingsAccountId)>(new CommandDefinition("""
            SELECT (SELECT (snapshot->>'givenName') || ' ' || (snapshot->>'familyName') FROM ihris_adapter.read_roster_workers WHERE worker_id = @workerId),
                   f.client_id, f.savings_account_id
            FROM (SELECT @workerId AS workerid) w LEFT JOIN fineract_adapter.read_worker_accounts f ON f.worker_id = w.workerid
            """, new { workerId }, cancellationToken: ct));
        return row;
    }
}
