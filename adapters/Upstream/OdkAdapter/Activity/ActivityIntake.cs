using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.OdkAdapter.Roster;

// "Activities", not "Activity": that name would hide System.Diagnostics.Activity in the sibling namespaces.
namespace OneClickSuite.OdkAdapter.Activities;

public sealed class ActivityIntakeOptions
{
    public const string SectionName = "Activity";

    public string FormId { get; set; } = "chw_activity";

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Only approved submissions count (the default); false counts every submission not rejected.</summary>
    public bool ApprovedOnly { get; set; } = true;

    /// <summary>The form's count fields that Payroll's rules may pay for.</summary>
    public List<string> CountedFields { get; set; } = ["households_visited", "referrals"];

    /// <summary>A count above this is taken for a typing error and quarantined.</summary>
    public int MaxPlausibleCount { get; set; } = 10_000;

    public int PageSize { get; set; } = 250;

    /// <summary>Re-reads this much before the cursor, so a submission changed in the same instant is not skipped.</summary>
    public TimeSpan CursorOverlap { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Reads CHW activity reports from ODK Central incrementally: OData filtered on <c>__system/updatedAt</c> (and
/// <c>submissionDate</c> for never-changed ones) after a cursor kept in PostgreSQL, paged with <c>$skiptoken</c>.
/// Each report is mapped from its entity uuid back to the worker; it counts when approved; a change of counts, worker,
/// period or review is published again (<see cref="ActivityCountedV1"/> or <see cref="ActivityWithdrawnV1"/>). A
/// report deleted in Central (it sets only <c>__system/deletedAt</c>) is withdrawn; one restored from Central's trash
/// (which changes no timestamp) is found by comparing the trash with what was withdrawn, and counts again.
/// Unreadable reports, unknown workers and impossible values are quarantined with a reason. The cursor, the stored
/// state and the published events commit together (outbox).
/// </summary>
public sealed class ActivityIntake(
    IServiceScopeFactory scopes,
    SuiteDatabase database,
    TransactionalOutbox outbox,
    Roster.OdkProject project,
    IOptions<ActivityIntakeOptions> options,
    MinistryCalendar calendar,
    TimeProvider clock,
    ILogger<ActivityIntake> logger) : BackgroundService
{
    public const string TelemetryName = "OneClickSuite.Activity";
    private static readonly ActivitySource Tracing = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Counted = Meter.CreateCounter<long>("activity.counted", description: "Activity reports published as counted");
    private static readonly Counter<long> Withdrawn = Meter.CreateCounter<long>("activity.withdrawn", description: "Activity reports that stopped counting");
    private static readonly Counter<long> Quarantined = Meter.CreateCounter<long>("activity.quarantined", description: "Activity reports set aside");

    public static readonly string Ddl = """
        CREATE TABLE IF NOT EXISTS activity_cursor (
            form_id     text PRIMARY KEY,
            since       timestamptz NOT NULL,
            polled_at   timestamptz NOT NULL);
        CREATE TABLE IF NOT EXISTS activity_submissions (
            instance_id  text PRIMARY KEY,
            worker_id    text,
            period       date,
            counts       jsonb,
            review_state text,
            counted      boolean NOT NULL,
            version      bigint NOT NULL,
            updated_at   timestamptz NOT NULL DEFAULT now());
        ALTER TABLE activity_submissions ADD COLUMN IF NOT EXISTS deleted boolean NOT NULL DEFAULT false;
        CREATE TABLE IF NOT EXISTS activity_quarantine (
            instance_id    text PRIMARY KEY,
            reason         text NOT NULL,
            field          text,
            submission     jsonb NOT NULL,
            version        bigint NOT NULL,
            quarantined_at timestamptz NOT NULL DEFAULT now());

        -- What the portal may read (ReadAccess): reports, whether they count, and those set aside.
        CREATE OR REPLACE VIEW read_activity_submissions AS SELECT * FROM activity_submissions;
        CREATE OR REPLACE VIEW read_activity_quarantine AS SELECT * FROM activity_quarantine;
        """ + "\n" + ReadAccess.GrantToPortal("odk_adapter", "read_activity_submissions", "read_activity_quarantine");

    private readonly SemaphoreSlim _polling = new(1, 1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodically.RunAsync(ct => PollOnceAsync(ct), () => options.Value.PollInterval, clock, logger, "Activity intake: poll failed", stoppingToken);

    /// <summary>
    /// Reads every submission changed since the cursor; answers how many were read. One poll at a time, in this
    /// process (the timer and POST /activity/poll) and across replicas (advisory lock): the timer waits its turn, a
    /// request (<paramref name="wait"/> false) gets <see cref="AlreadyRunning"/>.
    /// </summary>
    public async Task<int> PollOnceAsync(CancellationToken ct, bool wait = true)
    {
        // A request waits here for a poll running in this process (no connection held); another replica's poll is a 409.
        if (!wait && !await _polling.WaitAsync(TimeSpan.FromSeconds(30), ct)) throw new AlreadyRunning("an activity poll");
        if (wait) await _polling.WaitAsync(ct);
        try
        {
            await using var lockConnection = await database.DataSource.OpenConnectionAsync(ct);
            if (wait)
            {
                await using var acquire = new NpgsqlCommand($"SELECT pg_advisory_lock({AdvisoryLocks.ActivityPoll})", lockConnection);
                await acquire.ExecuteNonQueryAsync(ct);
            }
            else
            {
                await using var attempt = new NpgsqlCommand($"SELECT pg_try_advisory_lock({AdvisoryLocks.ActivityPoll})", lockConnection);
                if (await attempt.ExecuteScalarAsync(ct) is not true) throw new AlreadyRunning("an activity poll");
            }
            try
            {
                return await PollUnderLockAsync(ct);
            }
            finally
            {
                await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({AdvisoryLocks.ActivityPoll})", lockConnection);
                await release.ExecuteNonQueryAsync(CancellationToken.None);
            }
        }
        finally
        {
            _polling.Release();
        }
    }

    private async Task<int> PollUnderLockAsync(CancellationToken ct)
    {
        using var activity = Tracing.StartActivity("odk activity poll");
        var settings = options.Value;
        var projectId = await project.IdAsync(ct);
        using var scope = scopes.CreateScope();
        var odk = scope.ServiceProvider.GetRequiredService<OdkClient>();

        var since = await CursorAsync(settings.FormId, ct);
        var filter = since is { } at ? OdkOData.ChangedSince(at - settings.CursorOverlap) : null;
        var read = 0;
        await foreach (var page in odk.GetSubmissionPagesAsync(projectId, settings.FormId, filter, settings.PageSize, ct))
        {
            read += page.Count;
            await ApplyPageAsync(projectId, page, restored: false, ct);
        }
        read += await ApplyRestoresAsync(odk, projectId, ct);
        activity?.SetTag("activity.read", read);
        return read;
    }

    /// <summary>
    /// Reports withdrawn because they were deleted, and no longer in Central's trash: restored (they are in the feed
    /// again, and count as they did), or purged (gone for good; nothing more will happen to them).
    /// </summary>
    private async Task<int> ApplyRestoresAsync(OdkClient odk, long projectId, CancellationToken ct)
    {
        var formId = options.Value.FormId;
        List<string> withdrawn = [];
        await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
        await using (var command = new NpgsqlCommand($"SELECT instance_id FROM \"{database.Schema}\".activity_submissions WHERE deleted", connection))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) withdrawn.Add(reader.GetString(0));
        }
        if (withdrawn.Count == 0) return 0;

        var trash = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var page in odk.GetSubmissionPagesAsync(projectId, formId, OdkOData.Deleted, options.Value.PageSize, ct, select: "__id"))
        {
            foreach (var row in page) if ((string?)row["__id"] is { } id) trash.Add(id);
        }

        var applied = 0;
        foreach (var instanceId in withdrawn.Where(id => !trash.Contains(id)))
        {
            var found = await odk.GetSubmissionsPageAsync(projectId, formId, OdkOData.Submission(instanceId), null, 1, ct);
            if (found.Submissions.Count > 0)
            {
                logger.LogInformation("Activity report {InstanceId} was restored in ODK Central", instanceId);
                await ApplyPageAsync(projectId, found.Submissions, restored: true, ct);
                applied++;
                continue;
            }
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            await using var forget = new NpgsqlCommand($"DELETE FROM \"{database.Schema}\".activity_submissions WHERE instance_id = $1 AND deleted", connection)
            {
                Parameters = { new() { Value = instanceId } },
            };
            await forget.ExecuteNonQueryAsync(ct);
            logger.LogInformation("Activity report {InstanceId} was purged from ODK Central's trash", instanceId);
        }
        return applied;
    }

    private async Task<DateTimeOffset?> CursorAsync(string formId, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT since FROM \"{database.Schema}\".activity_cursor WHERE form_id = $1", connection)
        {
            Parameters = { new() { Value = formId } },
        };
        return await command.ExecuteScalarAsync(ct) is DateTime value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
    }

    /// <param name="restored">
    /// The reports were restored from Central's trash: a restore changes no timestamp, so they are applied as a version
    /// newer than the deletion, taken from the clock.
    /// </param>
    private async Task ApplyPageAsync(long projectId, IReadOnlyList<JsonObject> submissions, bool restored, CancellationToken ct)
    {
        var settings = options.Value;
        var schema = $"\"{database.Schema}\"";
        await using var tx = await outbox.BeginAsync(ct);
        DateTimeOffset? newest = null;
        foreach (var submission in submissions)
        {
            // A period in the future is the ministry's future: its today, not UTC's.
            var report = ActivityReport.Read(submission, settings, calendar.Today(clock));
            if (report.ChangedAt is { } changed && (newest is null || changed > newest)) newest = changed;
            if (restored) report = report with { Version = Math.Max(report.Version, clock.GetUtcNow().ToUnixTimeMilliseconds()) };
            if (report.InstanceId is null) continue; // without an id there is nothing to key it by; Central always sends one

            // The stored state of this submission, if any; an equal or newer version was already applied.
            string? previousWorker = null;
            DateOnly? previousPeriod = null;
            var wasCounted = false;
            await using (var read = tx.Command($"SELECT worker_id, period, counted, version FROM {schema}.activity_submissions WHERE instance_id = $1 FOR UPDATE"))
            {
                read.Parameters.Add(new() { Value = report.InstanceId });
                await using var r = await read.ExecuteReaderAsync(ct);
                if (await r.ReadAsync(ct))
                {
                    if (r.GetInt64(3) >= report.Version) continue;
                    previousWorker = r.IsDBNull(0) ? null : r.GetString(0);
                    previousPeriod = r.IsDBNull(1) ? null : r.GetFieldValue<DateOnly>(1);
                    wasCounted = r.GetBoolean(2);
                }
            }

            string? workerId = null;
            var problem = report.Deleted ? null : report.Problem;
            if (problem is null && !report.Deleted)
            {
                workerId = await WorkerOfAsync(tx, projectId, report.EntityUuid!.Value, ct);
                if (workerId is null) problem = ("the selected worker is not on the roster (unknown entity uuid)", "worker");
            }

            var counts = problem is null && !report.Deleted ? report.Counts : null;
            var countsNow = problem is null && report.CountsUnder(settings);
            await using (var upsert = tx.Command($"""
                INSERT INTO {schema}.activity_submissions (instance_id, worker_id, period, counts, review_state, counted, version, deleted)
                VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)
                ON CONFLICT (instance_id) DO UPDATE SET worker_id = excluded.worker_id, period = excluded.period, counts = excluded.counts,
                    review_state = excluded.review_state, counted = excluded.counted, version = excluded.version, deleted = excluded.deleted,
                    updated_at = now()
                """))
            {
                upsert.Parameters.Add(new() { Value = report.InstanceId });
                upsert.Parameters.Add(new() { Value = (object?)workerId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                upsert.Parameters.Add(new() { Value = (object?)report.Period ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Date });
                upsert.Parameters.Add(new() { Value = counts is null ? DBNull.Value : JsonSerializer.Serialize(counts), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                upsert.Parameters.Add(new() { Value = (object?)report.ReviewState ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                upsert.Parameters.Add(new() { Value = countsNow });
                upsert.Parameters.Add(new() { Value = report.Version });
                upsert.Parameters.Add(new() { Value = report.Deleted });
                await upsert.ExecuteNonQueryAsync(ct);
            }

            if (problem is { } why)
            {
                await using var quarantine = tx.Command($"""
                    INSERT INTO {schema}.activity_quarantine (instance_id, reason, field, submission, version) VALUES ($1, $2, $3, $4::jsonb, $5)
                    ON CONFLICT (instance_id) DO UPDATE SET reason = excluded.reason, field = excluded.field, submission = excluded.submission,
                        version = excluded.version, quarantined_at = now()
                    """);
                quarantine.Parameters.Add(new() { Value = report.InstanceId });
                quarantine.Parameters.Add(new() { Value = why.Reason });
                quarantine.Parameters.Add(new() { Value = (object?)why.Field ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
                quarantine.Parameters.Add(new() { Value = submission.ToJsonString() });
                quarantine.Parameters.Add(new() { Value = report.Version });
                await quarantine.ExecuteNonQueryAsync(ct);
                Quarantined.Add(1);
                logger.LogWarning("Activity report {InstanceId} quarantined: {Reason} ({Field})", report.InstanceId, why.Reason, why.Field);
            }
            else
            {
                await using var release = tx.Command($"DELETE FROM {schema}.activity_quarantine WHERE instance_id = $1");
                release.Parameters.Add(new() { Value = report.InstanceId });
                await release.ExecuteNonQueryAsync(ct);
            }

            if (countsNow)
            {
                await tx.PublishAsync(new ActivityCountedV1(report.InstanceId, workerId!, report.Period!.Value, counts!, report.ReviewState,
                    report.Version, report.SubmittedAt ?? clock.GetUtcNow()));
                Counted.Add(1);
            }
            else if (wasCounted && previousWorker is not null && previousPeriod is not null)
            {
                var reason = report.Deleted ? "deleted in ODK Central"
                    : problem?.Reason ?? (report.ReviewState is null ? "no longer approved" : $"review state is now {report.ReviewState}");
                await tx.PublishAsync(new ActivityWithdrawnV1(report.InstanceId, previousWorker, previousPeriod.Value, reason, report.Version));
                Withdrawn.Add(1);
            }
        }

        if (newest is { } cursor)
        {
            await using var save = tx.Command($"""
                INSERT INTO {schema}.activity_cursor (form_id, since, polled_at) VALUES ($1, $2, now())
                ON CONFLICT (form_id) DO UPDATE SET since = GREATEST({schema}.activity_cursor.since, excluded.since), polled_at = now()
                """);
            save.Parameters.Add(new() { Value = settings.FormId });
            save.Parameters.Add(new() { Value = cursor });
            await save.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>The worker whose entity the report selected, from the roster entity list this adapter keeps.</summary>
    private async Task<string?> WorkerOfAsync(OutboxTransaction tx, long projectId, Guid entityUuid, CancellationToken ct)
    {
        await using var command = tx.Command($"SELECT worker_id FROM \"{database.Schema}\".roster_entities WHERE entity_uuid = $1");
        command.Parameters.Add(new() { Value = entityUuid });
        return await command.ExecuteScalarAsync(ct) as string;
    }
}

/// <summary>One OData row of the activity form, read defensively: whatever cannot be trusted becomes a <see cref="Problem"/>.</summary>
public sealed record ActivityReport(
    string? InstanceId,
    Guid? EntityUuid,
    DateOnly? Period,
    Dictionary<string, int>? Counts,
    string? ReviewState,
    long Version,
    DateTimeOffset? SubmittedAt,
    DateTimeOffset? ChangedAt,
    (string Reason, string? Field)? Problem)
{
    /// <summary>Deleted in Central (<c>__system/deletedAt</c> set): it counts no more, whatever it says.</summary>
    public bool Deleted { get; init; }

    /// <summary>Whether the report counts towards pay: approved (or, when configured, anything not rejected).</summary>
    public bool CountsUnder(ActivityIntakeOptions options) =>
        Problem is null && !Deleted && (options.ApprovedOnly ? ReviewState == "approved" : ReviewState != "rejected");

    public static ActivityReport Read(JsonObject row, ActivityIntakeOptions options, DateOnly today)
    {
        var system = row["__system"] as JsonObject;
        var submittedAt = Instant(system?["submissionDate"]);
        // updatedAt stays null until a submission is first edited or reviewed (upstreams.md); a deletion sets deletedAt only.
        var deletedAt = Instant(system?["deletedAt"]);
        var changedAt = Latest(Instant(system?["updatedAt"]) ?? submittedAt, deletedAt);
        var version = changedAt?.ToUnixTimeMilliseconds() ?? 0;
        var review = Text(system?["reviewState"]);
        var instanceId = Text(row["__id"]) ?? Text(row["meta"]?["instanceID"]);

        ActivityReport Bad(string reason, string field, Guid? uuid = null, DateOnly? period = null) =>
            new(instanceId, uuid, period, null, review, version, submittedAt, changedAt, (reason, field)) { Deleted = deletedAt is not null };

        if (instanceId is null) return Bad("unreadable: no instance id", "__id");
        if (!Guid.TryParse(Text(row["worker"]), out var entityUuid)) return Bad("unreadable: worker is not an entity uuid", "worker");
        if (!DateOnly.TryParseExact(Text(row["period"]), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            return Bad("unreadable: period is not a date", "period", entityUuid);
        var period = new DateOnly(day.Year, day.Month, 1);
        if (period > new DateOnly(today.Year, today.Month, 1)) return Bad("impossible: the period is in the future", "period", entityUuid, period);

        var counts = new Dictionary<string, int>();
        foreach (var field in options.CountedFields)
        {
            var node = row[field];
            int value;
            if (node is JsonValue number && number.TryGetValue<int>(out var n)) value = n;
            else if (int.TryParse(Text(node), NumberStyles.Integer, CultureInfo.InvariantCulture, out n)) value = n;
            else return Bad($"unreadable: {field} is not a whole number", field, entityUuid, period);
            if (value < 0) return Bad($"impossible: {field} is negative ({value})", field, entityUuid, period);
            if (value > options.MaxPlausibleCount) return Bad($"impossible: {field} is {value}, above {options.MaxPlausibleCount}", field, entityUuid, period);
            counts[field] = value;
        }
        return new ActivityReport(instanceId, entityUuid, period, counts, review, version, submittedAt, changedAt, null) { Deleted = deletedAt is not null };
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Text(JsonNode? node) =>
        node is JsonValue value ? (value.TryGetValue<string>(out var text) ? text : value.ToJsonString().Trim('"')) : null;

    private static DateTimeOffset? Instant(JsonNode? node) =>
        DateTimeOffset.TryParse(Text(node), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}
