using OneClickSuite.Contracts;
using Wolverine;

namespace OneClickSuite.FineractAdapter.Enrolment;

/// <summary>Wolverine handler: every roster event converges the worker's Fineract client and account on its snapshot.</summary>
public sealed class RosterEventsHandler(WorkerEnrolment enrolment, ILogger<RosterEventsHandler> logger)
{
    /// <summary>How long one roster batch may take before Wolverine cancels it.</summary>
    public const int BatchTimeoutSeconds = 3600;

    public Task Handle(WorkerRegisteredV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);

    public Task Handle(WorkerChangedV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);

    public Task Handle(WorkerLeftV1 message, CancellationToken ct) => enrolment.ApplyAsync(message, ct);

    /// <summary>Payroll has paid the leaver everything owed: only now do their credits close.</summary>
    public Task Handle(WorkerPayClosedV1 message, CancellationToken ct) => enrolment.CloseAsync(message, ct);

    /// <summary>
    /// A batch's workers are enrolled side by side, a group at a time in one transaction, and their account links go out
    /// together in one message. A worker
    /// whose enrolment fails is handed on as its own single event (a cascaded message on this service's durable local
    /// queue), where it gets the retries with backoff and, if it keeps failing, the dead letter it would have had
    /// alone; the rest of the batch is not held up. A crash part-way redelivers the batch: the workers already
    /// enrolled are skipped by their revision and their links are published then. A batch may take minutes: its workers
    /// share the enrolment slots with every other batch being handled, so Wolverine's default execution timeout (60 s)
    /// cancelled whole batches of a bulk load on a busy machine and dead-lettered them with most workers not enrolled.
    /// Each call to Fineract keeps its own timeout.
    /// </summary>
    [Wolverine.Attributes.MessageTimeout(BatchTimeoutSeconds)]
    public async Task<OutgoingMessages> Handle(RosterBatchV1 batch, CancellationToken ct)
    {
        // A group of workers at a time, each group in one transaction (WorkerEnrolment.ApplyGroupAsync); the groups of
        // the other batches being handled fill the enrolment slots meanwhile.
        var failed = new List<IRosterEvent>();
        foreach (var group in batch.Events().Chunk(WorkerEnrolment.GroupSize))
        {
            foreach (var (message, error) in await enrolment.ApplyGroupAsync(group, ct))
            {
                logger.LogWarning(error, "Worker {WorkerId} revision {Revision} failed inside a roster batch; retried alone",
                    message.Worker.WorkerId, message.Revision);
                failed.Add(message);
            }
        }
        var handedOn = failed.Select(f => f.Worker.WorkerId).ToHashSet(StringComparer.Ordinal);
        await enrolment.PublishLinksAsync(batch.Changes.Select(c => c.Worker.WorkerId).Where(id => !handedOn.Contains(id)).Distinct().ToList(), ct);
        var retries = new OutgoingMessages();
        retries.AddRange(failed);
        return retries;
    }
}

/// <summary>How many workers are enrolled at once in this process, however many events and batches arrive together.</summary>
public sealed class EnrolmentSlots(int count)
{
    private readonly SemaphoreSlim _slots = new(count, count);

    public int Count { get; } = count;

    public async Task<IDisposable> TakeAsync(CancellationToken ct)
    {
        await _slots.WaitAsync(ct);
        return new Release(_slots);
    }

    private sealed class Release(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
