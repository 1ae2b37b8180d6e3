using System.Diagnostics;
using System.Text.Json;
using Dapper;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// Wolverine handler: records what the entity list should hold for the worker (newer revisions only) and wakes the
/// <see cref="EntityListSync"/>, which writes to Central in batches.
/// </summary>
public sealed class RosterEventsHandler(SuiteDatabase database, OdkProject project, EntityListSync sync)
{
    public Task Handle(WorkerRegisteredV1 message, CancellationToken ct) => RecordAsync(message, ct);

    public Task Handle(WorkerChangedV1 message, CancellationToken ct) => RecordAsync(message, ct);

    public Task Handle(WorkerLeftV1 message, CancellationToken ct) => RecordAsync(message, ct);

    /// <summary>A batch is recorded change by change, each under its worker's lock as when it comes alone.</summary>
    public async Task Handle(RosterBatchV1 batch, CancellationToken ct)
    {
        foreach (var message in batch.Events())
        {
            await RecordAsync(message, ct, wake: false);
        }
        sync.Wake();
    }

    private async Task RecordAsync(IRosterEvent message, CancellationToken ct, bool wake = true)
    {
        var worker = message.Worker;
        var projectId = await project.IdAsync(ct);
        var present = message is not WorkerLeftV1 && worker.Active;
        var data = new Dictionary<string, string>
        {
            ["worker_id"] = worker.WorkerId,
            ["employee_number"] = worker.EmployeeNumber,
            ["facility"] = worker.Facility.Name,
            ["cadre"] = worker.Job.Cadre,
            ["phone"] = worker.Phone ?? "",
        };

        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        // Events of one worker are recorded one at a time: FOR UPDATE below locks nothing while the worker has no row
        // yet, and two first inserts racing would collide on the entity uuid.
        await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(hashtext(@key))", new { key = "odk-roster:" + worker.WorkerId }, transaction);
        var known = await connection.QuerySingleOrDefaultAsync<(long Revision, bool Present, long SyncedRevision, int Generation, int? OdkVersion)?>($"""
            SELECT revision, present, synced_revision, generation, odk_version FROM "{database.Schema}".roster_entities
            WHERE worker_id = @id FOR UPDATE
            """, new { id = worker.WorkerId }, transaction);
        if (known is { } row && row.Revision >= message.Revision)
        {
            return; // a duplicate or an older event: already recorded something newer
        }
        // A worker coming back after their entity was deleted needs a new uuid: Central never reuses one.
        var generation = known is { Present: false, OdkVersion: null } previous && previous.SyncedRevision == previous.Revision && present
            && previous.SyncedRevision > 0
            ? previous.Generation + 1
            : known?.Generation ?? 0;
        await connection.ExecuteAsync($"""
            INSERT INTO "{database.Schema}".roster_entities
                (worker_id, entity_uuid, generation, revision, present, label, data, trace_parent, attempts, next_attempt_at, last_error, updated_at)
            VALUES (@workerId, @uuid, @generation, @revision, @present, @label, @data::jsonb, @traceParent, 0, now(), NULL, now())
            ON CONFLICT (worker_id) DO UPDATE SET entity_uuid = @uuid, generation = @generation, revision = @revision,
                present = @present, label = @label, data = @data::jsonb, trace_parent = @traceParent, attempts = 0,
                next_attempt_at = now(), last_error = NULL, updated_at = now()
            """, new
        {
            workerId = worker.WorkerId,
            uuid = EntityIds.ForWorker(projectId, worker.WorkerId, generation),
            generation,
            revision = message.Revision,
            present,
            label = $"{worker.DisplayName} ({worker.EmployeeNumber})",
            data = JsonSerializer.Serialize(data),
            traceParent = Activity.Current?.Id,
        }, transaction);
        await transaction.CommitAsync(ct);
        if (wake) sync.Wake();
    }
}
