using Dapper;
using Npgsql;

namespace OneClickSuite.Portal.Suite;

/// <summary>Where one worker stands in one system.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<SyncState>))]
public enum SyncState
{
    Linked,
    Pending,
    Failed,
    Quarantined,
    Left,
}

public sealed record WorkerRow(
    string WorkerId,
    string? EmployeeNumber,
    string? Name,
    string? FacilityName,
    string? Cadre,
    bool OnRoster,
    SyncState Ihris,
    string? IhrisDetail,
    long? QuarantineId,
    SyncState Odk,
    string? OdkDetail,
    SyncState Fineract,
    string? FineractDetail,
    long? SavingsAccountId);

public sealed record WorkerPage(IReadOnlyList<WorkerRow> Workers, int Total, int Offset, int Limit);

public sealed record WorkerQuery(string? Search = null, string? State = null, int Offset = 0, int Limit = 50);

/// <summary>
/// The roster as every system sees it: one read-only query over the adapters' own tables (iHRIS roster and quarantine,
/// ODK entity sync, Fineract enrolment). Ordered by employee number, paged by offset; search by name, employee number
/// or worker id. A worker quarantined before ever reaching the roster appears too, with the reason.
/// </summary>
public sealed class WorkerDirectory(NpgsqlDataSource db)
{
    public const int MaxLimit = 200;

    /// <summary>Filters on <see cref="WorkerQuery.State"/>: every worker, or those stuck somewhere.</summary>
    public static readonly string[] StateFilters = ["all", "quarantined", "pending", "failed"];

    // Workers are chosen from the roster alone, in the order of its unique employee-number index, so a page reads
    // only its own rows; the few workers quarantined before ever reaching the roster come first. The other systems are
    // joined for the page's rows only. The search matches the start of the employee number or worker id, or any part of
    // the name, case-insensitively.
    private const string RosterFilter = """
        FROM ihris_adapter.read_roster_workers r
        WHERE (@search::text IS NULL OR lower(r.employee_number) LIKE @prefix OR lower(r.worker_id) LIKE @prefix
               OR lower(COALESCE(r.snapshot->>'givenName', '') || ' ' || COALESCE(r.snapshot->>'familyName', '')) LIKE @contains)
          AND (@state = 'all'
               OR (@state = 'quarantined' AND EXISTS (SELECT 1 FROM ihris_adapter.read_quarantine q WHERE q.worker_id = r.worker_id))
               OR (@state = 'failed' AND EXISTS (SELECT 1 FROM odk_adapter.read_roster_entities o
                                                 WHERE o.worker_id = r.worker_id AND o.last_error IS NOT NULL AND o.revision > o.synced_revision))
               -- Not yet in ODK's list, or no Fineract account yet (hashed look-ups: one pass over each table).
               OR (@state = 'pending' AND r.on_roster
                   AND (r.worker_id NOT IN (SELECT o.worker_id FROM odk_adapter.read_roster_entities o WHERE o.revision <= o.synced_revision)
                        OR r.worker_id NOT IN (SELECT f.worker_id FROM fineract_adapter.read_worker_accounts f WHERE f.savings_account_id IS NOT NULL))))
        """;

    private const string Orphans = """
        SELECT q.worker_id FROM ihris_adapter.read_quarantine q
        WHERE NOT EXISTS (SELECT 1 FROM ihris_adapter.read_roster_workers r WHERE r.worker_id = q.worker_id)
          AND @state IN ('all', 'quarantined')
          AND (@search::text IS NULL OR lower(q.worker_id) LIKE @prefix)
        ORDER BY q.worker_id
        """;

    private const string Details = """
        SELECT w.worker_id, r.employee_number,
               NULLIF(TRIM(COALESCE(r.snapshot->>'givenName', '') || ' ' || COALESCE(r.snapshot->>'familyName', '')), '') AS name,
               r.snapshot->'facility'->>'name' AS facility_name, r.snapshot->'job'->>'cadre' AS cadre,
               COALESCE(r.on_roster, false) AS on_roster, r.revision,
               q.id AS quarantine_id, q.field AS quarantine_field, q.reason AS quarantine_reason,
               o.worker_id IS NOT NULL AS in_odk, o.revision AS odk_revision, o.synced_revision AS odk_synced_revision,
               o.present AS odk_present, o.attempts AS odk_attempts, o.last_error AS odk_error,
               f.worker_id IS NOT NULL AS in_fineract, f.client_id, f.savings_account_id, f.credits_blocked, f.applied_revision
        FROM unnest(@ids) AS w(worker_id)
        LEFT JOIN ihris_adapter.read_roster_workers r ON r.worker_id = w.worker_id
        LEFT JOIN ihris_adapter.read_quarantine q ON q.worker_id = w.worker_id
        LEFT JOIN odk_adapter.read_roster_entities o ON o.worker_id = w.worker_id
        LEFT JOIN fineract_adapter.read_worker_accounts f ON f.worker_id = w.worker_id
        """;

    public async Task<WorkerPage> SearchAsync(WorkerQuery query, CancellationToken ct = default)
    {
        var limit = Math.Clamp(query.Limit, 1, MaxLimit);
        var offset = Math.Max(0, query.Offset);
        var search = string.IsNullOrWhiteSpace(query.Search) ? null : query.Search.Trim().ToLowerInvariant();
        var state = StateFilters.Contains(query.State) ? query.State! : "all";
        var filter = new
        {
            search,
            prefix = search is null ? null : Like(search) + "%",
            contains = search is null ? null : "%" + Like(search) + "%",
            state,
        };

        await using var connection = await db.OpenConnectionAsync(ct);
        List<string> orphans;
        try
        {
            orphans = (await connection.QueryAsync<string>(new CommandDefinition(Orphans, filter, cancellationToken: ct))).AsList();
        }
        catch (PostgresException ex) when (SuiteNotReady.Is(ex))
        {
            // The iHRIS adapter has not created (or granted) its read views yet: nobody to show so far.
            return new WorkerPage([], 0, offset, limit);
        }
        var ids = orphans.Skip(offset).Take(limit).ToList();
        var page = new { filter.search, filter.prefix, filter.contains, filter.state, limit = limit - ids.Count, offset = Math.Max(0, offset - orphans.Count) };
        int rosterTotal;
        if (search is null && state == "all")
        {
            // Browsing: walk the index for the page; the total is a plain count.
            if (page.limit > 0)
                ids.AddRange(await connection.QueryAsync<string>(new CommandDefinition(
                    $"SELECT r.worker_id {RosterFilter} ORDER BY r.employee_number LIMIT @limit OFFSET @offset", page, cancellationToken: ct)));
            rosterTotal = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT count(*)::int FROM ihris_adapter.read_roster_workers", cancellationToken: ct));
        }
        else
        {
            // Searching or filtering reads every candidate once, counting them in the same pass.
            var matches = (await connection.QueryAsync<(string WorkerId, long Total)>(new CommandDefinition(
                $"SELECT r.worker_id, count(*) OVER () {RosterFilter} ORDER BY r.employee_number LIMIT greatest(@limit, 1) OFFSET @offset",
                page, cancellationToken: ct))).AsList();
            ids.AddRange(matches.Take(page.limit).Select(m => m.WorkerId));
            rosterTotal = matches.Count > 0 ? (int)matches[0].Total
                : page.offset == 0 ? 0
                : await connection.ExecuteScalarAsync<int>(new CommandDefinition($"SELECT count(*)::int {RosterFilter}", filter, cancellationToken: ct));
        }

        var rows = ids.Count == 0
            ? []
            : (await connection.QueryAsync<Row>(new CommandDefinition(Details, new { ids = ids.ToArray() }, cancellationToken: ct))).ToDictionary(r => r.WorkerId);
        return new WorkerPage(ids.Where(rows.ContainsKey).Select(id => ToWorker(rows[id])).ToList(), orphans.Count + rosterTotal, offset, limit);
    }

    private static string Like(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static WorkerRow ToWorker(Row row)
    {
        var (ihris, ihrisDetail) = row.QuarantineId is not null
            ? (SyncState.Quarantined, $"{row.QuarantineField}: {row.QuarantineReason}")
            : row.OnRoster ? (SyncState.Linked, $"revision {row.Revision}") : (SyncState.Left, "no longer on the roster");

        // Quarantined before reaching the roster: nothing went further yet.
        var held = row.QuarantineId is not null && row.Revision is null;
        var (odk, odkDetail) = !row.InOdk
            ? (row.OnRoster || held ? SyncState.Pending : SyncState.Left, row.OnRoster ? "not yet in the list" : held ? "held until iHRIS is fixed" : null)
            : row.OdkRevision <= row.OdkSyncedRevision
                ? (row.OdkPresent == true ? SyncState.Linked : SyncState.Left, row.OdkPresent == true ? "in health_workers" : "removed from the list")
                : row.OdkError is not null
                    ? (SyncState.Failed, $"{row.OdkError} (attempt {row.OdkAttempts})")
                    : (SyncState.Pending, "update waiting");

        var (fineract, fineractDetail) = !row.InFineract
            ? (row.OnRoster || held ? SyncState.Pending : SyncState.Left, row.OnRoster ? "no client yet" : held ? "held until iHRIS is fixed" : null)
            : row.SavingsAccountId is null
                ? (SyncState.Pending, row.ClientId is null ? "no client yet" : $"client {row.ClientId}, no account yet")
                : row.CreditsBlocked == true
                    ? (SyncState.Left, $"account {row.SavingsAccountId}, credits blocked")
                    : row.AppliedRevision < (row.Revision ?? 0)
                        ? (SyncState.Pending, $"account {row.SavingsAccountId}, update waiting")
                        : (SyncState.Linked, $"account {row.SavingsAccountId}");

        return new WorkerRow(row.WorkerId, row.EmployeeNumber, row.Name, row.FacilityName, row.Cadre, row.OnRoster,
            ihris, ihrisDetail, row.QuarantineId, odk, odkDetail, fineract, fineractDetail, row.SavingsAccountId);
    }

    private sealed class Row
    {
        public string WorkerId { get; init; } = "";
        public string? EmployeeNumber { get; init; }
        public string? Name { get; init; }
        public string? FacilityName { get; init; }
        public string? Cadre { get; init; }
        public bool OnRoster { get; init; }
        public long? Revision { get; init; }
        public long? QuarantineId { get; init; }
        public string? QuarantineField { get; init; }
        public string? QuarantineReason { get; init; }
        public bool InOdk { get; init; }
        public long? OdkRevision { get; init; }
        public long? OdkSyncedRevision { get; init; }
        public bool? OdkPresent { get; init; }
        public int? OdkAttempts { get; init; }
        public string? OdkError { get; init; }
        public bool InFineract { get; init; }
        public long? ClientId { get; init; }
        public long? SavingsAccountId { get; init; }
        public bool? CreditsBlocked { get; init; }
        public long? AppliedRevision { get; init; }
    }
}
