using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// Wolverine handler: records what the entity list should hold for each worker (newer revisions only) and wakes the
/// <see cref="EntityListSync"/>, which writes to Central in batches.
/// </summary>
public sealed class RosterEventsHandler(SuiteDatabase database, OdkProject project, EntityListSync sync)
{
    // Workers recorded per transaction when a batch arrives: one lock, read and write statement for all of them. Small
    // enough that 16 batches at once stay far below PostgreSQL's shared lock table (64 per connection by default).
    private const int RecordChunk = 50;

    public Task Handle(WorkerRegisteredV1 message, CancellationToken ct) => RecordAsync([message], ct);

    public Task Handle(WorkerChangedV1 message, CancellationToken ct) => RecordAsync([message], ct);

    public Task Handle(WorkerLeftV1 message, CancellationToken ct) => RecordAsync([message], ct);

    public async Task Handle(RosterBatchV1 batch, CancellationToken ct)
    {
        foreach (var chunk in batch.Events().Chunk(RecordChunk))
        {
            await RecordAsync(chunk, ct);
        }
    }

    private async Task RecordAsync(IReadOnlyList<IRosterEvent> messages, CancellationToken ct)
    {
        var projectId = await project.IdAsync(ct);
        // One event per worker: the newest, if a batch should ever hold two.
        var newest = messages.GroupBy(m => m.Worker.WorkerId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(m => m.Revision)!)
            .OrderBy(m => m.Worker.WorkerId, StringComparer.Ordinal)
            .ToList();
        var ids = newest.Select(m => m.Worker.WorkerId).ToArray();

        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Events of one worker are recorded one at a time: FOR UPDATE below locks nothing while the worker has no row
        // yet, and two first inserts racing would collide on the entity uuid. Taken in worker order, so two
        // transactions locking several workers cannot deadlock.
        await connection.ExecuteAsync(
            "SELECT pg_advisory_xact_lock(hashtext(@prefix || id)) FROM unnest(@ids) WITH ORDINALITY AS w(id, n) ORDER BY n",
            new { ids, prefix = AdvisoryLocks.OdkRosterWorker }, transaction);
        var known = (await connection.QueryAsync<KnownEntity>($"""
            SELECT worker_id AS WorkerId, revision, present, synced_revision AS SyncedRevision, generation, odk_version AS OdkVersion
            FROM "{database.Schema}".roster_entities
            WHERE worker_id = ANY(@ids) FOR UPDATE
            """, new { ids }, transaction)).ToDictionary(k => k.WorkerId, StringComparer.Ordinal);

        var rows = new List<EntityRow>();
        foreach (var message in newest)
        {
            var worker = message.Worker;
            known.TryGetValue(worker.WorkerId, out var row);
            if (row is not null && row.Revision >= message.Revision)
            {
                continue; // a duplicate or an older event: already recorded something newer
            }
            var present = message is not WorkerLeftV1 && worker.Active;
            // A worker keeps their entity's uuid: one who comes back after their entity was deleted gets it restored
            // (EntityWriter). Rows written before restore was used may carry a later generation; they keep it.
            var generation = row?.Generation ?? 0;
            var data = new Dictionary<string, string>
            {
                ["worker_id"] = worker.WorkerId,
                ["employee_number"] = worker.EmployeeNumber,
                ["facility"] = worker.Facility.Name,
                ["cadre"] = worker.Job.Cadre,
                ["phone"] = worker.Phone ?? "",
            };
            rows.Add(new EntityRow(worker.WorkerId, EntityIds.ForWorker(projectId, worker.WorkerId, generation), generation,
                message.Revision, present, $"{worker.DisplayName} ({worker.EmployeeNumber})", JsonSerializer.Serialize(data)));
        }
        if (rows.Count == 0)
        {
            return;
        }
        await connection.ExecuteAsync($"""
            INSERT INTO "{database.Schema}".roster_entities
                (worker_id, entity_uuid, generation, revision, present, label, data, trace_parent, attempts, next_attempt_at, last_error, updated_at)
            SELECT r.worker_id, r.uuid, r.generation, r.revision, r.present, r.label, r.data::jsonb, @traceParent, 0, now(), NULL, now()
            FROM unnest(@workerIds, @uuids, @generations, @revisions, @presents, @labels, @datas)
                AS r(worker_id, uuid, generation, revision, present, label, data)
            ON CONFLICT (worker_id) DO UPDATE SET entity_uuid = excluded.entity_uuid, generation = excluded.generation,
                revision = excluded.revision, present = excluded.present, label = excluded.label, data = excluded.data,
                trace_parent = excluded.trace_parent, attempts = 0, next_attempt_at = now(), last_error = NULL, updated_at = now()
            """, new
        {
            workerIds = rows.Select(r => r.WorkerId).ToArray(),
            uuids = rows.Select(r => r.Uuid).ToArray(),
            generations = rows.Select(r => r.Generation).ToArray(),
            revisions = rows.Select(r => r.Revision).ToArray(),
            presents = rows.Select(r => r.Present).ToArray(),
            labels = rows.Select(r => r.Label).ToArray(),
            datas = rows.Select(r => r.Data).ToArray(),
            traceParent = Activity.Current?.Id,
        }, transaction);
        await transaction.CommitAsync(ct);
        sync.Wake();
    }

    private sealed record KnownEntity(string WorkerId, long Revision, bool Present, long SyncedRevision, int Generation, int? OdkVersion);

    private sealed record EntityRow(string WorkerId, Guid Uuid, int Generation, long Revision, bool Present, string Label, string Data);
}
