using OneClickSuite.Contracts;

namespace OneClickSuite.FineractAdapter.Enrolment;

/// <summary>Wolverine handler: every roster event converges the worker's Fineract client and account on its snapshot.</summary>
public sealed class RosterEventsHandler(WorkerEnrolment enrolment)
{
    public Task Handle(WorkerRegisteredV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);

    public Task Handle(WorkerChangedV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);

    public Task Handle(WorkerLeftV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);
}
