using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Messaging;

/// <summary>Outcomes of payments from the rails' adapters, one or many to a message. All are idempotent: a repeat changes nothing.</summary>
public sealed class PaymentOutcomeHandler
{
    public Task Handle(PaymentSettledV1 settled, PaymentOutcomes outcomes, CancellationToken ct) => outcomes.RecordSettledAsync(settled, ct);

    public Task Handle(PaymentFailedV1 failed, PaymentOutcomes outcomes, CancellationToken ct) => outcomes.RecordFailedAsync(failed, ct);

    public async Task Handle(PaymentOutcomesV1 many, PaymentOutcomes outcomes, CancellationToken ct)
    {
        foreach (var settled in many.Settled) await outcomes.RecordSettledAsync(settled, ct);
        foreach (var failed in many.Failed) await outcomes.RecordFailedAsync(failed, ct);
    }
}

/// <summary>Workers' queries about their statements (from the ODK adapter): each becomes a dispute for a clerk.</summary>
public sealed class PayQueryHandler
{
    public Task Handle(PayQueryReceivedV1 query, Statements.Disputes disputes, CancellationToken ct) => disputes.ReceiveAsync(query, ct);
}

/// <summary>Roster events and account links keep Payroll's worker list current (older revisions are ignored).</summary>
public sealed class RosterHandler
{
    public Task Handle(WorkerRegisteredV1 change, Workforce.Workforce workforce, CancellationToken ct) => workforce.ApplyRosterEventAsync(change, ct);

    public Task Handle(WorkerChangedV1 change, Workforce.Workforce workforce, CancellationToken ct) => workforce.ApplyRosterEventAsync(change, ct);

    public Task Handle(WorkerLeftV1 change, Workforce.Workforce workforce, CancellationToken ct) => workforce.ApplyRosterEventAsync(change, ct);

    public async Task Handle(RosterBatchV1 batch, Workforce.Workforce workforce, CancellationToken ct)
    {
        foreach (var change in batch.Events()) await workforce.ApplyRosterEventAsync(change, ct);
    }

    public Task Handle(WorkerAccountLinkedV1 link, Workforce.Workforce workforce, CancellationToken ct) => workforce.ApplyAccountLinkAsync(link, ct);

    public async Task Handle(WorkerAccountLinksV1 links, Workforce.Workforce workforce, CancellationToken ct)
    {
        foreach (var link in links.Links) await workforce.ApplyAccountLinkAsync(link, ct);
    }
}

/// <summary>Counted and withdrawn ODK activity (older submission versions are ignored).</summary>
public sealed class ActivityHandler
{
    public Task Handle(ActivityCountedV1 activity, Workforce.Workforce workforce, CancellationToken ct) => workforce.ApplyActivityAsync(activity, ct);

    public Task Handle(ActivityWithdrawnV1 withdrawn, Workforce.Workforce workforce, CancellationToken ct) => workforce.WithdrawActivityAsync(withdrawn, ct);
}
