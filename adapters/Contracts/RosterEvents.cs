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

/// <summary>RabbitMQ fanout exchanges the roster events are published to; each consumer binds its own queue.</summary>
public static class RosterExchanges
{
    /// <summary><see cref="WorkerRegisteredV1"/>, <see cref="WorkerChangedV1"/>, <see cref="WorkerLeftV1"/>.</summary>
    public const string Roster = "roster";

    /// <summary><see cref="WorkerAccountLinkedV1"/>.</summary>
    public const string Accounts = "roster-accounts";
}
