using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>What one read did; <see cref="Held"/>: workers a mass leaving would have retired, held for a person to confirm.</summary>
/// <summary>What a read did; <c>Retired</c>: of <c>Published</c>, the leavings of workers missing from a full read.</summary>
public sealed record SyncResult(int Read, int Published, int Quarantined, bool Full, int Held = 0, int Retired = 0);

/// <summary>
/// Compares what iHRIS says with what was last published and publishes the difference: each worker's new state and
/// its event are committed in one transaction with Wolverine's outbox. One sync runs at a time across all replicas.
/// </summary>
public sealed class RosterSync(
    IServiceScopeFactory scopes,
    SuiteDatabase database,
    TransactionalOutbox outbox,
    IOptions<RosterOptions> options,
    JobCatalog jobs,
    MinistryCalendar calendar,
    TimeProvider clock,
    ILogger<RosterSync> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Reads what changed since the cursor (everything on the first run, and whenever the last full read is older than
    /// <see cref="RosterOptions.FullReadEvery"/>) and publishes it. The poller waits its turn; a request
    /// (<paramref name="wait"/> false) gets <see cref="AlreadyRunning"/> while another read runs.
    /// </summary>
    public Task<SyncResult> SyncChangesAsync(CancellationToken ct, bool wait = true) => ExclusiveAsync(wait, async (ihris, connection) =>
    {
        var cursor = await connection.QuerySingleOrDefaultAsync<(DateTime? LastUpdated, DateTime? ReadAt, DateTime? LastFullRead)>(
            "SELECT last_updated, read_at, last_full_read_at FROM roster_cursor WHERE id = 1");
        var readAt = clock.GetUtcNow();
        RosterRead? read = null;
        var fullReadDue = cursor.LastFullRead is not { } full || readAt - Utc(full) >= options.Value.FullReadEvery;
        if (cursor.LastUpdated is { } last && !fullReadDue)
        {
            read = await new RosterReader(ihris, options.Value).ReadChangedAsync(Since(Utc(last), cursor.ReadAt is { } at ? Utc(at) : null), ct);
        }
        read ??= new RosterReader(ihris, options.Value).ReadAll();
        read.ReadAt = readAt;
        return await ApplyAsync(read, ct);
    }, ct);

    /// <summary>
    /// Where the next read starts. iHRIS (HAPI) stamps a resource before its commit is visible, so a read goes back
    /// <see cref="RosterOptions.CursorOverlap"/> before the newest change it has seen — but only while that change is
    /// recent: once a read started well after it (twice the overlap, a margin for clocks), everything stamped up to it
    /// was visible to that read. Without this, a bulk load's last seconds were re-read at every poll, and more than
    /// <see cref="RosterOptions.FullSyncThreshold"/> of them turned every poll into a full read.
    /// </summary>
    public DateTimeOffset Since(DateTimeOffset lastUpdated, DateTimeOffset? readAt) =>
        readAt is { } at && at - lastUpdated >= 2 * options.Value.CursorOverlap ? lastUpdated : lastUpdated - options.Value.CursorOverlap;

    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    /// <summary>
    /// Reads the whole roster and publishes whatever differs; anyone no longer in iHRIS leaves, unless so many would
    /// that the read is held (<see cref="RosterOptions.MassLeavingShare"/>). <paramref name="confirmed"/>: the workers
    /// of a held read a person confirmed; those still missing now leave, whatever their number.
    /// </summary>
    public Task<SyncResult> ResyncAsync(CancellationToken ct, bool wait = true, IReadOnlySet<string>? confirmed = null) =>
        ExclusiveAsync(wait, async (ihris, _) =>
        {
            var read = new RosterReader(ihris, options.Value).ReadAll();
            read.ReadAt = clock.GetUtcNow();
            return await ApplyAsync(read, ct, confirmed: confirmed);
        }, ct);

    /// <summary>Re-reads one worker from iHRIS (after a fix upstream) and publishes it if it is now valid.</summary>
    public Task<SyncResult> SyncWorkerAsync(string workerId, CancellationToken ct, bool wait = true) => ExclusiveAsync(wait, async (ihris, _) =>
    {
        var source = await new RosterReader(ihris, options.Value).ReadWorkerAsync(workerId, ct);
        return await ApplyAsync(RosterRead.Of([source], null, complete: false), ct, advanceCursor: false);
    }, ct);

    /// <summary>How long a request waits in this process for a read already running here, holding no connection.</summary>
    public static readonly TimeSpan RequestWait = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _reading = new(1, 1);

    private async Task<SyncResult> ExclusiveAsync(bool wait, Func<IhrisClient, NpgsqlConnection, Task<SyncResult>> sync, CancellationToken ct)
    {
        // One read at a time in this process: a request waits its turn here, where waiting costs no pooled connection.
        if (wait) await _reading.WaitAsync(ct);
        else if (!await _reading.WaitAsync(RequestWait, ct)) throw new AlreadyRunning("a roster read");
        try
        {
            return await ExclusiveAcrossReplicasAsync(wait, sync, ct);
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task<SyncResult> ExclusiveAcrossReplicasAsync(bool wait, Func<IhrisClient, NpgsqlConnection, Task<SyncResult>> sync, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync($"SET search_path TO \"{database.Schema}\"");
        if (wait)
            await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(@key)", new { key = AdvisoryLocks.RosterRead }, cancellationToken: ct));
        else if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLocks.RosterRead }, cancellationToken: ct)))
            throw new AlreadyRunning("a roster read");
        try
        {
            using var scope = scopes.CreateScope();
            var ihris = scope.ServiceProvider.GetRequiredService<IhrisClient>();
            await jobs.LoadAsync(ihris, ct);
            return await sync(ihris, connection);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            RosterTelemetry.Failed.Add(1);
            throw;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLocks.RosterRead });
        }
    }

    private async Task<SyncResult> ApplyAsync(RosterRead read, CancellationToken ct, bool advanceCursor = true,
        IReadOnlySet<string>? confirmed = null)
    {
        var builder = new WorkerRecordBuilder(jobs, calendar);
        var now = clock.GetUtcNow();
        int count = 0, published = 0, quarantined = 0;
        // In a full read, a worker read without any role is counted with the missing ones: a read that lost the roles
        // (a failed include, a short page) is as short as one that lost the people.
        var roleless = read.Complete ? new List<string>() : null;
        // A full read keeps only who it saw, to find who is gone; each page is written and let go.
        var seen = read.Complete ? new HashSet<string>(StringComparer.Ordinal) : null;
        await foreach (var chunk in read.PagesAsync(ct))
        {
            var (p, q) = await ApplyChunkAsync(builder, chunk, now, roleless, ct);
            count += chunk.Count;
            published += p;
            quarantined += q;
            foreach (var worker in chunk) seen?.Add(worker.PractitionerId);
        }
        int held = 0, retired = 0;
        if (read.Complete)
        {
            seen!.ExceptWith(roleless!);
            (retired, held) = await RetireMissingAsync([.. seen], now, confirmed, ct);
            published += retired;
        }
        if (advanceCursor)
        {
            await using var connection = await database.DataSource.OpenConnectionAsync(ct);
            // The newest change seen never moves back; read_at is this read's start, which saw everything up to it.
            await connection.ExecuteAsync($"""
                INSERT INTO "{database.Schema}".roster_cursor (id, last_updated, last_success_at, read_at, last_full_read_at)
                VALUES (1, @mark, now(), @readAt, @fullAt)
                ON CONFLICT (id) DO UPDATE SET
                    last_updated = GREATEST(COALESCE(@mark, roster_cursor.last_updated), roster_cursor.last_updated),
                    last_success_at = now(),
                    read_at = GREATEST(@readAt, roster_cursor.read_at),
                    last_full_read_at = GREATEST(@fullAt, roster_cursor.last_full_read_at)
                """, new
            {
                mark = read.HighWaterMark?.UtcDateTime, readAt = read.ReadAt?.UtcDateTime,
                fullAt = read.Complete ? (read.ReadAt ?? now).UtcDateTime : (DateTime?)null,
            });
        }
        if (published > 0 || quarantined > 0 || held > 0)
        {
            logger.LogInformation("Roster: read {Read} workers ({Kind}), published {Published} changes, {Quarantined} quarantined, {Held} leavings held",
                count, read.Complete ? "full" : "changes", published, quarantined, held);
        }
        return new SyncResult(count, published, quarantined, read.Complete, held, retired);
    }

    private async Task<(int Published, int Quarantined)> ApplyChunkAsync(
        WorkerRecordBuilder builder, IReadOnlyList<WorkerSource> chunk, DateTimeOffset now, List<string>? roleless, CancellationToken ct)
    {
        var built = chunk.Select(source =>
        {
            using var activity = RosterTelemetry.Source.StartActivity("roster read worker");
            activity?.SetTag("worker.id", source.PractitionerId);
            var (snapshot, problem) = builder.Build(source, now);
            return (source.PractitionerId, snapshot, problem, context: activity?.Context);
        }).ToList();

        await using var tx = await outbox.BeginAsync(ct);
        var connection = tx.Connection;
        await connection.ExecuteAsync($"SET LOCAL search_path TO \"{database.Schema}\"", transaction: tx.Transaction);
        var ids = chunk.Select(c => c.PractitionerId).ToArray();
        var stored = (await connection.QueryAsync<StoredWorker>(
                "SELECT worker_id, employee_number, content_hash, on_roster, revision, snapshot::text AS snapshot FROM roster_workers WHERE worker_id = ANY(@ids)",
                new { ids }, tx.Transaction))
            .ToDictionary(w => w.WorkerId, StringComparer.Ordinal);
        var numbers = built.Where(b => b.snapshot is not null).Select(b => b.snapshot!.EmployeeNumber).Distinct().ToArray();
        var numberOwners = (await connection.QueryAsync<(string EmployeeNumber, string WorkerId)>(
                "SELECT employee_number, worker_id FROM roster_workers WHERE employee_number = ANY(@numbers)", new { numbers }, tx.Transaction))
            .ToDictionary(o => o.EmployeeNumber, o => o.WorkerId, StringComparer.Ordinal);

        // Decide everything in memory first, then write the chunk with a handful of statements: per-worker round
        // trips were what limited the roster's throughput.
        var problems = new List<(string WorkerId, QuarantineReason Problem)>();
        var valid = new List<string>();
        var rows = new List<(string WorkerId, string Number, string Hash, bool OnRoster, long Revision, string Snapshot)>();
        var messages = new List<(IRosterEvent Message, ActivityContext? Parent)>();
        foreach (var (workerId, built1, problem1, parent) in built)
        {
            var snapshot = built1;
            var problem = problem1;
            stored.TryGetValue(workerId, out var previous);
            if (snapshot is not null && numberOwners.TryGetValue(snapshot.EmployeeNumber, out var owner) && owner != workerId)
            {
                problem = new QuarantineReason($"Practitioner/{workerId}", "identifier",
                    $"Practitioner/{workerId}: identifier (employee number) {snapshot.EmployeeNumber} already belongs to Practitioner/{owner}");
                snapshot = null;
            }
            if (problem is not null)
            {
                problems.Add((workerId, problem));
                continue;
            }
            valid.Add(workerId);

            if (snapshot is null)
            {
                // No role at all: a practitioner who never was, or no longer is, on the roster. In a full read, they leave
                // with the missing ones (RetireMissingAsync), held with them when there are too many.
                if (previous is { OnRoster: true } && roleless is not null)
                {
                    roleless.Add(workerId);
                    continue;
                }
                if (previous is { OnRoster: true })
                {
                    snapshot = JsonSerializer.Deserialize<WorkerSnapshot>(previous.Snapshot, Json)! with { Active = false };
                }
                else
                {
                    continue;
                }
            }
            numberOwners[snapshot.EmployeeNumber] = workerId;

            // Serialized once: the hash is of the very text stored.
            var json = JsonSerializer.Serialize(snapshot, Json);
            var hash = HashOf(json);
            if (previous is not null && previous.ContentHash == hash)
            {
                continue;
            }
            var wasOnRoster = previous?.OnRoster ?? false;
            var revision = (previous?.Revision ?? 0) + 1;
            IRosterEvent? message = (snapshot.Active, wasOnRoster) switch
            {
                (true, false) => new WorkerRegisteredV1(snapshot, revision, now),
                (true, true) => new WorkerChangedV1(snapshot, revision, now),
                (false, true) => new WorkerLeftV1(snapshot, revision, now),
                _ => null,
            };
            rows.Add((workerId, snapshot.EmployeeNumber, hash, snapshot.Active,
                message is null ? previous?.Revision ?? 0 : revision, json));
            if (message is not null)
            {
                messages.Add((message, parent));
            }
        }

        var quarantined = 0;
        foreach (var (workerId, problem) in problems)
        {
            if (await QuarantineAsync(tx, workerId, problem))
            {
                quarantined++;
            }
        }
        if (valid.Count > 0)
        {
            await connection.ExecuteAsync("DELETE FROM quarantine WHERE worker_id = ANY(@valid)", new { valid = valid.ToArray() }, tx.Transaction);
        }
        if (rows.Count > 0)
        {
            // In input order, one statement: unnest keeps the arrays' order, so a number handed from one worker to
            // another inside the chunk is released before it is taken, as it was row by row.
            await connection.ExecuteAsync("""
                INSERT INTO roster_workers (worker_id, employee_number, content_hash, on_roster, revision, snapshot, updated_at)
                SELECT w.id, w.number, w.hash, w.on_roster, w.revision, w.snapshot::jsonb, now()
                FROM unnest(@ids, @numbers, @hashes, @onRoster, @revisions, @snapshots) AS w(id, number, hash, on_roster, revision, snapshot)
                ON CONFLICT (worker_id) DO UPDATE SET employee_number = excluded.employee_number, content_hash = excluded.content_hash,
                    on_roster = excluded.on_roster, revision = excluded.revision, snapshot = excluded.snapshot, updated_at = now()
                """, new
            {
                ids = rows.Select(r => r.WorkerId).ToArray(),
                numbers = rows.Select(r => r.Number).ToArray(),
                hashes = rows.Select(r => r.Hash).ToArray(),
                onRoster = rows.Select(r => r.OnRoster).ToArray(),
                revisions = rows.Select(r => r.Revision).ToArray(),
                snapshots = rows.Select(r => r.Snapshot).ToArray(),
            }, tx.Transaction);
        }
        await PublishAsync(tx, messages, now);
        await tx.CommitAsync(ct);
        RosterTelemetry.Synced.Add(messages.Count);
        RosterTelemetry.Quarantined.Add(quarantined);
        return (messages.Count, quarantined);
    }

    /// <summary>
    /// After a full read: whoever is on the roster here but was not read any more (or was read without any role; they
    /// are not in <paramref name="seen"/>) has left. When that is more than
    /// <see cref="RosterOptions.MassLeavingShare"/> of the roster, the read was probably short (a partial answer, a
    /// filter, a restore in progress), not a mass leaving: nobody leaves, and the list is held for a person to confirm.
    /// Answers (retired, held).
    /// </summary>
    private async Task<(int Retired, int Held)> RetireMissingAsync(string[] seen, DateTimeOffset now, IReadOnlySet<string>? confirmed,
        CancellationToken ct)
    {
        await using var tx = await outbox.BeginAsync(ct);
        var gone = (await tx.Connection.QueryAsync<StoredWorker>($"""
            SELECT worker_id, employee_number, content_hash, on_roster, revision, snapshot::text AS snapshot
            FROM "{database.Schema}".roster_workers WHERE on_roster AND NOT (worker_id = ANY(@seen))
            """, new { seen }, tx.Transaction)).ToList();
        if (confirmed is not null)
        {
            gone = gone.Where(w => confirmed.Contains(w.WorkerId)).ToList();
        }
        else if (gone.Count > 0)
        {
            var rosterSize = await tx.Connection.ExecuteScalarAsync<int>(
                $"""SELECT count(*)::int FROM "{database.Schema}".roster_workers WHERE on_roster""", transaction: tx.Transaction);
            if (gone.Count > options.Value.MassLeavingShare * rosterSize)
            {
                await HoldAsync(tx, rosterSize, gone.Select(g => g.WorkerId).Order(StringComparer.Ordinal).ToArray());
                await tx.CommitAsync(ct);
                logger.LogWarning("Roster: a full read would retire {Missing} of {Size} workers (more than {Share:P0}): held until a person confirms",
                    gone.Count, rosterSize, options.Value.MassLeavingShare);
                return (0, gone.Count);
            }
        }
        if (confirmed is null)
        {
            // A later full read within the share replaces an open hold: what it retires now is what is really gone.
            await tx.Connection.ExecuteAsync($"""
                UPDATE "{database.Schema}".roster_holds SET status = 'superseded', decided_by = 'roster', decided_at = now(),
                    reason = @reason, retired = @retired WHERE status = 'held'
                """, new { reason = $"a later full read found {gone.Count} missing, within the share", retired = gone.Count }, tx.Transaction);
        }
        var left = new List<(IRosterEvent Message, ActivityContext? Parent)>();
        foreach (var worker in gone)
        {
            var snapshot = JsonSerializer.Deserialize<WorkerSnapshot>(worker.Snapshot, Json)! with { Active = false };
            await tx.Connection.ExecuteAsync($"""
                UPDATE "{database.Schema}".roster_workers SET on_roster = false, revision = @revision, content_hash = @hash,
                    snapshot = @snapshot::jsonb, updated_at = now() WHERE worker_id = @id
                """, new { id = worker.WorkerId, revision = worker.Revision + 1, hash = Hash(snapshot), snapshot = JsonSerializer.Serialize(snapshot, Json) },
                tx.Transaction);
            left.Add((new WorkerLeftV1(snapshot, worker.Revision + 1, now), null));
        }
        await PublishAsync(tx, left, now);
        await tx.CommitAsync(ct);
        RosterTelemetry.Synced.Add(gone.Count);
        return (gone.Count, 0);
    }

    /// <summary>The open hold, created or brought up to date with this read's list.</summary>
    private async Task HoldAsync(OutboxTransaction tx, int rosterSize, string[] workerIds)
    {
        var updated = await tx.Connection.ExecuteAsync($"""
            UPDATE "{database.Schema}".roster_holds SET held_at = now(), roster_size = @rosterSize, missing = @missing, worker_ids = @workerIds
            WHERE status = 'held'
            """, new { rosterSize, missing = workerIds.Length, workerIds }, tx.Transaction);
        if (updated == 0)
        {
            await tx.Connection.ExecuteAsync($"""
                INSERT INTO "{database.Schema}".roster_holds (roster_size, missing, worker_ids) VALUES (@rosterSize, @missing, @workerIds)
                """, new { rosterSize, missing = workerIds.Length, workerIds }, tx.Transaction);
        }
    }

    /// <summary>
    /// Many changes go out as one <see cref="RosterBatchV1"/> (per-message costs dominate a bulk load otherwise); its
    /// span links every worker's read span. A few go out one event each, each in its worker's trace.
    /// </summary>
    private async Task PublishAsync(OutboxTransaction tx, List<(IRosterEvent Message, ActivityContext? Parent)> messages, DateTimeOffset now)
    {
        if (messages.Count < Math.Max(2, options.Value.BatchThreshold))
        {
            foreach (var (message, parent) in messages)
            {
                await PublishAsync(tx, message, parent);
            }
            return;
        }
        var links = messages.Where(m => m.Parent is not null).Select(m => new ActivityLink(m.Parent!.Value));
        using var activity = RosterTelemetry.Source.StartActivity("roster publish RosterBatchV1", ActivityKind.Producer,
            parentContext: default, links: links);
        activity?.SetTag("roster.changes", messages.Count);
        await tx.PublishAsync(RosterBatchV1.Of(messages.Select(m => m.Message).ToList(), now));
    }

    private static async Task PublishAsync(OutboxTransaction tx, IRosterEvent message, ActivityContext? parent)
    {
        // One span per published worker, child of its read span: Wolverine copies it into the envelope, so the
        // Fineract and ODK handlers continue the same trace.
        using var activity = RosterTelemetry.Source.StartActivity($"roster publish {message.GetType().Name}", ActivityKind.Producer,
            parent ?? default);
        activity?.SetTag("worker.id", message.Worker.WorkerId);
        activity?.SetTag("worker.revision", message.Revision);
        switch (message)
        {
            case WorkerRegisteredV1 registered: await tx.PublishAsync(registered); break;
            case WorkerChangedV1 changed: await tx.PublishAsync(changed); break;
            case WorkerLeftV1 left: await tx.PublishAsync(left); break;
        }
    }

    /// <summary>True when the record is newly quarantined or for a new reason.</summary>
    private static async Task<bool> QuarantineAsync(OutboxTransaction tx, string workerId, QuarantineReason problem)
    {
        var changed = await tx.Connection.ExecuteAsync("""
            INSERT INTO quarantine (worker_id, resource, field, reason) VALUES (@workerId, @resource, @field, @reason)
            ON CONFLICT (worker_id) DO UPDATE SET resource = @resource, field = @field, reason = @reason, last_seen = now()
                WHERE quarantine.reason IS DISTINCT FROM @reason
            """, new { workerId, resource = problem.Resource, field = problem.Field, reason = problem.Reason }, tx.Transaction);
        await tx.Connection.ExecuteAsync("UPDATE quarantine SET last_seen = now() WHERE worker_id = @workerId", new { workerId }, tx.Transaction);
        return changed > 0;
    }

    public static string Hash(WorkerSnapshot snapshot) => HashOf(JsonSerializer.Serialize(snapshot, Json));

    private static string HashOf(string json) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(json)));
}
