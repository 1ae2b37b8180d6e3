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

    private async Task RecordAsync(IRosterEvent message, CancellationToken ct)
    {
        var worker = message.Worker;
        var projectId = await project.IdAsync(ct);
        var data = new Dictionary<string, string>
        {
            ["worker_id"] = worker.WorkerId,
            ["employee_number"] = worker.EmployeeNumber,
            ["facility"] = worker.Facility.Name,
            ["cadre"] = worker.Job.Cadre,
            ["phone"] = worker.Phone ?? "",
        };
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO "{database.Schema}".roster_entities
                (worker_id, entity_uuid, revision, present, label, data, trace_parent, attempts, next_attempt_at, last_error, updated_at)
            VALUES (@workerId, @uuid, @revision, @present, @label, @data::jsonb, @traceParent, 0, now(), NULL, now())
            ON CONFLICT (worker_id) DO UPDATE SET revision = @revision, present = @present, label = @label, data = @data::jsonb,
                trace_parent = @traceParent, attempts = 0, next_attempt_at = now(), last_error = NULL, updated_at = now()
            WHERE roster_entities.revision < @revision
            """, new
        {
            workerId = worker.WorkerId,
            uuid = EntityIds.ForWorker(projectId, worker.WorkerId),
            revision = message.Revision,
            present = message is not WorkerLeftV1 && worker.Active,
            label = $"{worker.DisplayName} ({worker.EmployeeNumber})",
            data = JsonSerializer.Serialize(data),
            traceParent = Activity.Current?.Id,
        }, cancellationToken: ct));
        sync.Wake();
    }
}
