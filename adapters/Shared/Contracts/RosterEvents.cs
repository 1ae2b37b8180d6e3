namespace OneClickSuite.Contracts;

/// <summary>
/// Common shape of the roster events. <see cref="Revision"/> increases by one with every change the iHRIS adapter
/// publishes for a worker: a consumer applies an event only when its revision is newer than the one it applied last,
/// which makes redelivery, duplicates and out-of-order arrival harmless.
/// </summary>
public interface IRosterEvent
{
    WorkerSnapshot Worker { get; }

    long Revision { get; }

    DateTimeOffset OccurredAt { get; }
}

/// <summary>A worker became active on the roster (new, or re-hired after leaving).</summary>
public sealed record WorkerRegisteredV1(WorkerSnapshot Worker, long Revision, DateTimeOffset OccurredAt) : IRosterEvent;

/// <summary>An active worker's names, phone, facility, job or pay changed.</summary>
public sealed record WorkerChangedV1(WorkerSnapshot Worker, long Revision, DateTimeOffset OccurredAt) : IRosterEvent;

/// <summary>A worker left: every role ended or the Practitioner was made inactive. The snapshot is the last one known.</summary>
public sealed record WorkerLeftV1(WorkerSnapshot Worker, long Revision, DateTimeOffset OccurredAt) : IRosterEvent;

/// <summary>
/// Many workers' changes in one message: what a bulk load or a re-sync publishes, so that each consumer handles (and
/// its inbox stores) one message per chunk instead of one per worker. Each change means exactly what its single
/// event means and carries the same revision; <see cref="Events"/> gives them back as those events.
/// </summary>
public sealed record RosterBatchV1(IReadOnlyList<RosterChange> Changes, DateTimeOffset OccurredAt)
{
    public IEnumerable<IRosterEvent> Events() => Changes.Select(change => change.ToEvent(OccurredAt));

    public static RosterBatchV1 Of(IReadOnlyCollection<IRosterEvent> events, DateTimeOffset occurredAt) =>
        new(events.Select(RosterChange.From).ToList(), occurredAt);
}

public enum RosterChangeKind
{
    Registered,
    Changed,
    Left,
}

/// <summary>One worker's change inside a <see cref="RosterBatchV1"/>.</summary>
public sealed record RosterChange(RosterChangeKind Kind, WorkerSnapshot Worker, long Revision)
{
    public IRosterEvent ToEvent(DateTimeOffset occurredAt) => Kind switch
    {
        RosterChangeKind.Registered => new WorkerRegisteredV1(Worker, Revision, occurredAt),
        RosterChangeKind.Changed => new WorkerChangedV1(Worker, Revision, occurredAt),
        _ => new WorkerLeftV1(Worker, Revision, occurredAt),
    };

    public static RosterChange From(IRosterEvent message) => message switch
    {
        WorkerRegisteredV1 => new(RosterChangeKind.Registered, message.Worker, message.Revision),
        WorkerChangedV1 => new(RosterChangeKind.Changed, message.Worker, message.Revision),
        WorkerLeftV1 => new(RosterChangeKind.Left, message.Worker, message.Revision),
        _ => throw new ArgumentException($"Unknown roster event {message.GetType().Name}.", nameof(message)),
    };
}

/// <summary>RabbitMQ fanout exchanges the roster events are published to; each consumer binds its own queue.</summary>
public static class RosterExchanges
{
    /// <summary><see cref="WorkerRegisteredV1"/>, <see cref="WorkerChangedV1"/>, <see cref="WorkerLeftV1"/>, <see cref="RosterBatchV1"/>.</summary>
    public const string Roster = "roster";

    /// <summary><see cref="WorkerAccountLinkedV1"/>.</summary>
    public const string Accounts = "roster-accounts";
}
