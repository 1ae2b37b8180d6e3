using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// Makes Central's entity list equal to <c>roster_entities</c>: new workers created in bulk (all-or-nothing in
/// Central; on 409.3 one by one), changed ones patched with <c>baseVersion</c> (409.15: re-read, retry), leavers
/// deleted so forms no longer offer them. One replica writes at a time (advisory lock); failures back off per row.
/// </summary>
public sealed class EntityListSync(
    SuiteDatabase database,
    OdkProject project,
    IServiceScopeFactory scopes,
    IOptions<RosterListOptions> options,
    ILogger<EntityListSync> logger) : BackgroundService
{
    public const string TelemetryName = "OneClickSuite.Roster";
    public static readonly ActivitySource Source = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Synced = Meter.CreateCounter<long>("roster.odk.synced", description: "Entity writes that reached Central");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("roster.odk.failed", description: "Entity writes that failed (retried with backoff)");

    private readonly SemaphoreSlim _wake = new(0);
    private long _pending;

    /// <summary>Rows waiting to be written to Central, for the pending gauge.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            _wake.Release();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Meter.CreateObservableGauge("roster.odk.pending", () => Pending, description: "Entity writes waiting for Central");
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Collect for one batch window after the first wake-up, so new workers go to Central together.
                await _wake.WaitAsync(options.Value.BatchWindow, stoppingToken);
                await Task.Delay(options.Value.BatchWindow, stoppingToken);
                while (await SyncOnceAsync(stoppingToken) >= options.Value.BatchSize)
                {
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Entity list sync failed; trying again shortly");
                await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private const int WriteParallelism = 8;

    /// <summary>Writes one batch of pending rows; answers how many it took.</summary>
    public async Task<int> SyncOnceAsync(CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        if (!await connection.ExecuteScalarAsync<bool>("SELECT pg_try_advisory_lock(@key)", new { key = AdvisoryLocks.EntityListSync }))
        {
            return 0;
        }
        try
        {
            var schema = database.Schema;
            Interlocked.Exchange(ref _pending, await connection.ExecuteScalarAsync<long>(
                $"SELECT count(*) FROM \"{schema}\".roster_entities WHERE revision > synced_revision"));
            var batch = (await connection.QueryAsync<PendingEntity>($"""
                SELECT worker_id, entity_uuid, revision, present, label, data::text AS data, trace_parent, odk_version, attempts
                FROM "{schema}".roster_entities
                WHERE revision > synced_revision AND next_attempt_at <= now()
                ORDER BY next_attempt_at LIMIT @limit
                """, new { limit = options.Value.BatchSize })).ToList();
            if (batch.Count == 0)
            {
                return 0;
            }

            var projectId = await project.IdAsync(ct);
            using var scope = scopes.CreateScope();
            var odk = scope.ServiceProvider.GetRequiredService<OdkClient>();
            var writer = new EntityWriter(odk, projectId, options.Value.EntityList);

            var creates = batch.Where(e => e.Present && e.OdkVersion is null).ToList();
            if (creates.Count > 0)
            {
                await CreateAsync(connection, writer, creates, ct);
            }
            // Changes and deletions are one request each; several at a time (each worker's row is its own), so a
            // hundred renames reach Central in well under a second of requests.
            await Parallel.ForEachAsync(batch.Except(creates), new ParallelOptions { MaxDegreeOfParallelism = WriteParallelism, CancellationToken = ct },
                async (entity, token) =>
                {
                    await using var own = await database.DataSource.OpenConnectionAsync(token);
                    await WriteOneAsync(own, entity, () => entity.Present ? writer.UpsertAsync(entity, token) : writer.DeleteAsync(entity, token));
                });
            return batch.Count;
        }
        finally
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = AdvisoryLocks.EntityListSync });
        }
    }

    private async Task CreateAsync(Npgsql.NpgsqlConnection connection, EntityWriter writer, List<PendingEntity> creates, CancellationToken ct)
    {
        using var activity = Source.StartActivity("odk bulk create entities", ActivityKind.Client,
            parentContext: default, links: creates.Select(LinkOf).OfType<ActivityLink>());
        activity?.SetTag("odk.entities", creates.Count);
        try
        {
            await writer.CreateManyAsync(creates, ct);
            // One statement for the whole batch: Central created every entity at version 1.
            await connection.ExecuteAsync($"""
                UPDATE "{database.Schema}".roster_entities r
                SET synced_revision = c.revision, odk_version = 1, attempts = 0, last_error = NULL, updated_at = now()
                FROM unnest(@workers, @revisions) AS c(worker_id, revision)
                WHERE r.worker_id = c.worker_id AND r.synced_revision < c.revision
                """, new { workers = creates.Select(e => e.WorkerId).ToArray(), revisions = creates.Select(e => e.Revision).ToArray() });
            Synced.Add(creates.Count);
            return;
        }
        catch (OdkException ex) when (ex.Code is "409.3" or "409.19")
        {
            // Some already exist (an earlier create whose answer was lost, 409.3) or belong to deleted entities (a
            // leaver coming back, or the suite's own state lost while Central kept its entities, 409.19 since v2025.1):
            // Central created none, so go one by one; each is then updated or restored as it needs.
            activity?.AddEvent(new ActivityEvent($"{ex.Code}: falling back to one by one"));
        }
        catch (Exception ex) when (ex is OdkException or HttpRequestException or TimeoutException)
        {
            foreach (var entity in creates)
            {
                await MarkFailedAsync(connection, entity, ex);
            }
            return;
        }
        foreach (var entity in creates)
        {
            await WriteOneAsync(connection, entity, () => writer.UpsertAsync(entity, ct));
        }
    }

    private async Task WriteOneAsync(Npgsql.NpgsqlConnection connection, PendingEntity entity, Func<Task<int?>> write)
    {
        using var activity = Source.StartActivity(entity.Present ? "odk upsert entity" : "odk delete entity", ActivityKind.Client,
            ParentOf(entity));
        activity?.SetTag("worker.id", entity.WorkerId);
        activity?.SetTag("odk.entity", entity.EntityUuid);
        try
        {
            var version = await write();
            await MarkSyncedAsync(connection, entity, version);
            Synced.Add(1);
        }
        catch (Exception ex) when (ex is OdkException or HttpRequestException or TimeoutException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            await MarkFailedAsync(connection, entity, ex);
        }
    }

    private Task MarkSyncedAsync(Npgsql.NpgsqlConnection connection, PendingEntity entity, int? version) =>
        connection.ExecuteAsync($"""
            UPDATE "{database.Schema}".roster_entities
            SET synced_revision = @revision, odk_version = @version, attempts = 0, last_error = NULL, updated_at = now()
            WHERE worker_id = @workerId AND synced_revision < @revision
            """, new { workerId = entity.WorkerId, revision = entity.Revision, version });

    private async Task MarkFailedAsync(Npgsql.NpgsqlConnection connection, PendingEntity entity, Exception ex)
    {
        Failed.Add(1);
        var attempts = entity.Attempts + 1;
        var backoff = TimeSpan.FromMilliseconds(Math.Min(options.Value.MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, attempts)));
        logger.LogWarning("ODK entity {Uuid} of worker {WorkerId}: attempt {Attempts} failed ({Error}); retrying in {Backoff}",
            entity.EntityUuid, entity.WorkerId, attempts, ex.Message, backoff);
        if (attempts == options.Value.MaxAttempts)
        {
            logger.LogError(ex, "ODK entity {Uuid} of worker {WorkerId} failed {Attempts} times; still retrying every {Backoff}",
                entity.EntityUuid, entity.WorkerId, attempts, options.Value.MaxBackoff);
        }
        await connection.ExecuteAsync($"""
            UPDATE "{database.Schema}".roster_entities
            SET attempts = @attempts, next_attempt_at = now() + @backoff, last_error = @error, updated_at = now()
            WHERE worker_id = @workerId AND revision = @revision
            """, new { workerId = entity.WorkerId, revision = entity.Revision, attempts, backoff, error = ex.Message });
    }

    private static ActivityContext ParentOf(PendingEntity entity) =>
        entity.TraceParent is { } parent && ActivityContext.TryParse(parent, null, out var context) ? context : default;

    private static ActivityLink? LinkOf(PendingEntity entity) =>
        ParentOf(entity) is { TraceId: var traceId } context && traceId != default ? new ActivityLink(context) : null;
}

/// <summary>Entity calls to Central for one project and entity list.</summary>
internal sealed class EntityWriter(OdkClient odk, long projectId, string entityList)
{
    public Task CreateManyAsync(IReadOnlyCollection<PendingEntity> entities, CancellationToken ct) =>
        odk.CreateEntitiesAsync(projectId, entityList, entities.Select(ToNew).ToList(), "oneclicksuite-roster", ct);

    /// <summary>Creates the entity or brings it up to date; answers its version in Central.</summary>
    public async Task<int?> UpsertAsync(PendingEntity entity, CancellationToken ct)
    {
        var uuid = entity.EntityUuid.ToString();
        var wanted = DataOf(entity);
        for (var attempt = 0; ; attempt++)
        {
            var current = await odk.GetEntityAsync(projectId, entityList, uuid, ct);
            if (current is null or { DeletedAt: not null })
            {
                try
                {
                    var created = await odk.CreateEntityAsync(projectId, entityList, ToNew(entity), ct);
                    return created.CurrentVersion?.Version ?? 1;
                }
                catch (OdkException ex) when (ex.Code == "409.3" && attempt < 3)
                {
                    continue; // created meanwhile (a lost answer): read it and compare
                }
                catch (OdkException ex) when (ex.Code == "409.19" && attempt < 3)
                {
                    // The uuid is a deleted entity's (the worker left and came back): restore it, then bring it up to date.
                    await odk.RestoreEntityAsync(projectId, entityList, uuid, ct);
                    continue;
                }
            }
            var version = current.CurrentVersion?.Version ?? 1;
            if (current.CurrentVersion?.Label == entity.Label && SameData(current.CurrentVersion.Data, wanted))
            {
                return version;
            }
            try
            {
                var updated = await odk.UpdateEntityAsync(projectId, entityList, uuid, entity.Label, wanted, version, ct);
                return updated.CurrentVersion?.Version ?? version + 1;
            }
            catch (OdkException ex) when (ex.Code == "409.15" && attempt < 3)
            {
                // Someone changed it since we read it: read again and retry on the new version.
            }
        }
    }

    public async Task<int?> DeleteAsync(PendingEntity entity, CancellationToken ct)
    {
        try
        {
            await odk.DeleteEntityAsync(projectId, entityList, entity.EntityUuid.ToString(), ct);
        }
        catch (OdkException ex) when (ex.StatusCode == 404)
        {
            // Never created, or deleted by an earlier attempt whose answer was lost.
        }
        return null;
    }

    private static OdkNewEntity ToNew(PendingEntity entity) => new(entity.EntityUuid.ToString(), entity.Label, DataOf(entity));

    private static Dictionary<string, string> DataOf(PendingEntity entity) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(entity.Data) ?? [];

    private static bool SameData(IReadOnlyDictionary<string, string?>? current, Dictionary<string, string> wanted) =>
        current is not null && wanted.All(p => current.TryGetValue(p.Key, out var value) && (value ?? "") == p.Value);
}
