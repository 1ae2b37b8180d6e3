using Dapper;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.FineractAdapter.Enrolment;

public sealed class EnrolmentOptions
{
    public const string SectionName = "Enrolment";

    /// <summary>The savings product staff are paid into (created by Bootstrap).</summary>
    public string SalaryProductName { get; set; } = "Staff salary account";
}

/// <summary>
/// Gives a worker a Fineract client (externalId = worker id) with an active savings account in the staff salary
/// product, keeps name and phone current, and blocks credits to a leaver's account once Payroll says their pay is
/// closed (<see cref="WorkerPayClosedV1"/>: their final pay has settled), never on the leaving itself, which would
/// refuse that final pay. Every step looks before it acts, so a repeated or duplicated event changes nothing and a
/// create whose answer was lost is found by external id.
/// </summary>
public sealed class WorkerEnrolment(
    FineractClient fineract,
    SuiteDatabase database,
    TransactionalOutbox outbox,
    SalaryProduct salaryProduct,
    EnrolmentSlots slots,
    TimeProvider clock,
    ILogger<WorkerEnrolment> logger)
{
    /// <summary>
    /// Converges the worker and records the result. <paramref name="publishLink"/> false leaves the account link to
    /// the caller (a batch publishes its workers' links together, see <see cref="PublishLinksAsync"/>).
    /// </summary>
    public async Task ApplyAsync(IRosterEvent message, CancellationToken ct, bool publishLink = true)
    {
        var worker = message.Worker;
        using var activity = EnrolmentTelemetry.Source.StartActivity("fineract enrol worker");
        activity?.SetTag("worker.id", worker.WorkerId);
        activity?.SetTag("worker.revision", message.Revision);
        activity?.SetTag("roster.event", message.GetType().Name);

        // Events of one worker are applied one at a time, whichever replica or thread receives them: the lock lasts
        // until this transaction ends, and the transaction also records the result (and its outbox message).
        await using var tx = await outbox.BeginAsync(ct);
        try
        {
            await tx.Connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext(@id))",
                new { id = AdvisoryLocks.FineractEnrolment + worker.WorkerId }, tx.Transaction, cancellationToken: ct));
            // The slot only once the lock is held: a group of a batch holds its workers' locks while it waits for
            // slots, so an event waiting for one of those locks must not sit on a slot meanwhile.
            using var slot = await slots.TakeAsync(ct);
            var known = await tx.Connection.QuerySingleOrDefaultAsync<WorkerAccount>($"""
                {SelectAccounts} WHERE worker_id = @id
                """, new { id = worker.WorkerId }, tx.Transaction);
            if (known is not null && known.AppliedRevision >= message.Revision)
            {
                activity?.SetTag("roster.skipped", "already applied");
                return;
            }
            // A leaver whose pay Payroll has already closed (the closure may arrive before the leaving itself).
            var closed = message is WorkerLeftV1 && await tx.Connection.ExecuteScalarAsync<bool>(new CommandDefinition($"""
                SELECT EXISTS (SELECT 1 FROM "{database.Schema}".pay_closures WHERE worker_id = @id AND roster_revision >= @revision)
                """, new { id = worker.WorkerId, revision = message.Revision }, tx.Transaction, cancellationToken: ct));
            var account = await ConvergeAsync(message, known, closed, ct);
            await RecordAsync(tx, message, account, publishLink, ct);
            EnrolmentTelemetry.Synced.Add(1);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            EnrolmentTelemetry.Failed.Add(1);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    /// <summary>Workers of a roster batch converged in one transaction (see <see cref="ApplyGroupAsync"/>).</summary>
    public const int GroupSize = 50;

    /// <summary>
    /// Converges a group of workers (part of a roster batch, at most <see cref="GroupSize"/>) in one transaction: their
    /// locks, what this adapter recorded of them and the leavers' pay closures are read with one statement each, the
    /// workers are converged with Fineract side by side (each in an enrolment slot), and the results are recorded with
    /// one statement. Per worker, that is what <see cref="ApplyAsync"/> does with five round trips to PostgreSQL. A
    /// worker whose calls fail records nothing and is answered with its error, for the caller to hand on alone.
    /// </summary>
    public async Task<IReadOnlyCollection<(IRosterEvent Message, Exception Error)>> ApplyGroupAsync(IReadOnlyList<IRosterEvent> group,
        CancellationToken ct)
    {
        // One event per worker, the newest (each converges on its whole snapshot); in worker order, so that two
        // transactions locking some of the same workers cannot deadlock.
        var events = group.GroupBy(m => m.Worker.WorkerId, StringComparer.Ordinal)
            .Select(g => g.MaxBy(m => m.Revision)!)
            .OrderBy(m => m.Worker.WorkerId, StringComparer.Ordinal)
            .ToList();
        var ids = events.Select(m => m.Worker.WorkerId).ToArray();
        await using var tx = await outbox.BeginAsync(ct);
        // The same per-worker locks as a single event takes, all of them before any slot (a single event, too, takes
        // its slot only once it holds its lock): whoever holds a slot waits for no lock, so slots always come free.
        await tx.Connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(hashtext(@prefix || id)) FROM unnest(@ids) WITH ORDINALITY AS w(id, n) ORDER BY n",
            new { ids, prefix = AdvisoryLocks.FineractEnrolment }, tx.Transaction, cancellationToken: ct));
        var known = (await tx.Connection.QueryAsync<WorkerAccount>(new CommandDefinition($"""
                {SelectAccounts} WHERE worker_id = ANY(@ids)
                """, new { ids }, tx.Transaction, cancellationToken: ct)))
            .ToDictionary(a => a.WorkerId, StringComparer.Ordinal);
        var pending = events.Where(m => !(known.TryGetValue(m.Worker.WorkerId, out var k) && k.AppliedRevision >= m.Revision)).ToList();
        var leavers = pending.OfType<WorkerLeftV1>().ToList();
        var closed = leavers.Count == 0
            ? new HashSet<string>(StringComparer.Ordinal)
            : (await tx.Connection.QueryAsync<string>(new CommandDefinition($"""
                SELECT p.worker_id FROM "{database.Schema}".pay_closures p
                JOIN unnest(@ids, @revisions) AS l(id, revision) ON p.worker_id = l.id AND p.roster_revision >= l.revision
                """, new { ids = leavers.Select(l => l.Worker.WorkerId).ToArray(), revisions = leavers.Select(l => l.Revision).ToArray() },
                tx.Transaction, cancellationToken: ct))).ToHashSet(StringComparer.Ordinal);

        var applied = new System.Collections.Concurrent.ConcurrentQueue<(IRosterEvent Message, WorkerAccount? Account)>();
        var failed = new System.Collections.Concurrent.ConcurrentQueue<(IRosterEvent Message, Exception Error)>();
        await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = slots.Count, CancellationToken = ct },
            async (message, token) =>
            {
                var worker = message.Worker;
                using var slot = await slots.TakeAsync(token);
                using var activity = EnrolmentTelemetry.Source.StartActivity("fineract enrol worker");
                activity?.SetTag("worker.id", worker.WorkerId);
                activity?.SetTag("worker.revision", message.Revision);
                activity?.SetTag("roster.event", message.GetType().Name);
                try
                {
                    applied.Enqueue((message, await ConvergeAsync(message, known.GetValueOrDefault(worker.WorkerId), closed.Contains(worker.WorkerId), token)));
                    EnrolmentTelemetry.Synced.Add(1);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    EnrolmentTelemetry.Failed.Add(1);
                    activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
                    failed.Enqueue((message, ex));
                }
            });
        if (!applied.IsEmpty)
        {
            var rows = applied.Select(a => a.Account ?? new WorkerAccount(a.Message.Worker.WorkerId, a.Message.Worker.EmployeeNumber, null, null, false,
                a.Message.Revision, null)).ToList();
            await tx.Connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO "{database.Schema}".worker_accounts
                    (worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision, client_fields, updated_at)
                SELECT a.worker_id, a.employee_number, a.client_id, a.savings_account_id, a.credits_blocked, a.applied_revision, a.client_fields, now()
                FROM unnest(@ids, @numbers, @clients::bigint[], @savings::bigint[], @blocked, @revisions, @fields::text[])
                    AS a(worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision, client_fields)
                ON CONFLICT (worker_id) DO UPDATE SET employee_number = excluded.employee_number, client_id = excluded.client_id,
                    savings_account_id = excluded.savings_account_id, credits_blocked = excluded.credits_blocked,
                    client_fields = excluded.client_fields, applied_revision = excluded.applied_revision, updated_at = now()
                WHERE worker_accounts.applied_revision < excluded.applied_revision
                """, new
            {
                ids = rows.Select(r => r.WorkerId).ToArray(),
                numbers = rows.Select(r => r.EmployeeNumber).ToArray(),
                clients = rows.Select(r => r.ClientId).ToArray(),
                savings = rows.Select(r => r.SavingsAccountId).ToArray(),
                blocked = rows.Select(r => r.CreditsBlocked).ToArray(),
                revisions = rows.Select(r => r.AppliedRevision).ToArray(),
                fields = rows.Select(r => r.ClientFields).ToArray(),
            }, tx.Transaction, cancellationToken: ct));
        }
        await tx.CommitAsync(ct);
        return failed;
    }

    private async Task<WorkerAccount?> ConvergeAsync(IRosterEvent message, WorkerAccount? known, bool payClosed, CancellationToken ct)
    {
        var worker = message.Worker;
        var leaving = message is WorkerLeftV1;
        var clientFields = ClientFieldsHash(worker);

        // What this adapter recorded is the starting point, so a change costs only the calls it needs (a new worker:
        // one create; a rename: one update; a move to another facility: none). Fineract is asked only where the
        // record is missing or an earlier attempt stopped half-way.
        long? clientId = known?.ClientId;
        long? savingsId = known?.SavingsAccountId;
        var blocked = known?.CreditsBlocked ?? false;
        var fieldsCurrent = known?.ClientFields == clientFields;

        if (clientId is null)
        {
            // A new worker is one create; only a duplicate external id (enrolled by hand, or under another key) or a
            // leaver needs the lookup.
            var found = leaving ? await fineract.GetClientByExternalIdAsync(worker.WorkerId, ct) : null;
            if (found is null && leaving)
            {
                // Left before ever being enrolled: nothing to open, nothing to block.
                return null;
            }
            if (found is null)
            {
                (clientId, savingsId, found) = await CreateClientAsync(worker, message.Revision, ct);
                fieldsCurrent = found is null;
            }
            if (found is not null)
            {
                clientId = found.Id;
                fieldsCurrent = found.Firstname == worker.GivenName && found.Lastname == worker.FamilyName
                                && (found.MobileNo ?? "") == (worker.Phone ?? "");
                savingsId = null; // read below: this adapter has no record of its account
            }
        }
        var client = clientId ?? throw new InvalidOperationException($"Fineract answered no client id for worker {worker.WorkerId}.");
        if (!fieldsCurrent && !leaving)
        {
            await fineract.UpdateClientAsync(client, worker.GivenName, worker.FamilyName, worker.Phone ?? "", ct);
        }

        if (savingsId is null)
        {
            savingsId = await EnsureSavingsAccountAsync(client, ct);
            blocked = (await fineract.GetSavingsAccountAsync(savingsId.Value, ct: ct)).SubStatus?.BlockCredit == true;
        }
        // A leaver's account stays open for their final pay; Payroll closes it (WorkerPayClosedV1) once that has settled.
        if (leaving && payClosed && !blocked)
        {
            await BlockCreditsAsync(savingsId.Value, ct);
            blocked = true;
            logger.LogInformation("Worker {WorkerId} left and was paid everything owed: credits blocked on savings account {SavingsId}",
                worker.WorkerId, savingsId);
        }
        else if (!leaving && blocked)
        {
            await UnblockCreditsAsync(savingsId.Value, ct);
            blocked = false;
            logger.LogInformation("Worker {WorkerId} is back: credits unblocked on savings account {SavingsId}", worker.WorkerId, savingsId);
        }
        return new WorkerAccount(worker.WorkerId, worker.EmployeeNumber, client, savingsId, blocked, message.Revision,
            leaving && !fieldsCurrent ? known?.ClientFields : clientFields);
    }

    /// <summary>
    /// Payroll has paid the leaver everything owed: credits to their account are blocked from now on. Ignored when a
    /// newer roster event has been applied since the leaving Payroll saw (the worker came back).
    /// </summary>
    public async Task CloseAsync(WorkerPayClosedV1 closed, CancellationToken ct)
    {
        using var activity = EnrolmentTelemetry.Source.StartActivity("fineract close leaver");
        activity?.SetTag("worker.id", closed.WorkerId);
        await using var tx = await outbox.BeginAsync(ct);
        await tx.Connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtext(@id))",
            new { id = AdvisoryLocks.FineractEnrolment + closed.WorkerId }, tx.Transaction, cancellationToken: ct));
        // Lock first, then the slot (see ApplyAsync).
        using var slot = await slots.TakeAsync(ct);
        await tx.Connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO "{database.Schema}".pay_closures (worker_id, roster_revision) VALUES (@id, @revision)
            ON CONFLICT (worker_id) DO UPDATE SET roster_revision = GREATEST(pay_closures.roster_revision, excluded.roster_revision), closed_at = now()
            """, new { id = closed.WorkerId, revision = closed.RosterRevision }, tx.Transaction, cancellationToken: ct));
        var known = await tx.Connection.QuerySingleOrDefaultAsync<WorkerAccount>($"""
            {SelectAccounts} WHERE worker_id = @id
            """, new { id = closed.WorkerId }, tx.Transaction);
        // Only once this adapter has applied the very leaving Payroll saw: before, that leaving blocks when it arrives
        // (the closure is recorded); after a newer event (the worker came back), the closure no longer applies.
        if (known is not { SavingsAccountId: { } savingsId } || known.AppliedRevision != closed.RosterRevision || known.CreditsBlocked)
        {
            activity?.SetTag("fineract.skipped", known is null ? "not enrolled" : known.CreditsBlocked ? "already blocked"
                : known.AppliedRevision < closed.RosterRevision ? "leaving not applied yet" : "a newer roster event since");
            await tx.CommitAsync(ct);
            return;
        }
        await BlockCreditsAsync(savingsId, ct);
        await tx.Connection.ExecuteAsync($"""
            UPDATE "{database.Schema}".worker_accounts SET credits_blocked = true, updated_at = now() WHERE worker_id = @id
            """, new { id = closed.WorkerId }, tx.Transaction);
        await tx.CommitAsync(ct);
        logger.LogInformation("Worker {WorkerId} was paid everything owed up to {FinalPeriod:yyyy-MM}: credits blocked on savings account {SavingsId}",
            closed.WorkerId, closed.FinalPeriod, savingsId);
    }

    /// <summary>
    /// One call: the client, active, with an approved and active account in the salary product (Fineract opens it when
    /// <c>savingsProductId</c> comes with an active client). The Idempotency-Key makes a retry after a lost answer
    /// replay the first one instead of failing on the duplicate external id. It names the revision too: Fineract also
    /// replays a refusal, so a worker fixed upstream (a new revision) must be tried afresh.
    /// </summary>
    private async Task<(long? ClientId, long? SavingsId, FineractClientRecord? Existing)> CreateClientAsync(WorkerSnapshot worker, long revision, CancellationToken ct)
    {
        var productId = await salaryProduct.IdAsync(ct);
        try
        {
            var created = await fineract.CreateClientAsync(new NewFineractClient
            {
                Firstname = worker.GivenName,
                Lastname = worker.FamilyName,
                ExternalId = worker.WorkerId,
                MobileNo = worker.Phone,
                ActivationDate = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime),
                SavingsProductId = productId,
            }, idempotencyKey: $"enrol-{worker.WorkerId}-{revision}", ct: ct);
            logger.LogInformation("Fineract client {ClientId} created for worker {WorkerId} with savings account {SavingsId}",
                created.ClientId, worker.WorkerId, created.SavingsId);
            return (created.ClientId, created.SavingsId, null);
        }
        catch (FineractException ex) when (ex.HasCode("error.msg.client.duplicate.externalId"))
        {
            // Created meanwhile under another key (a worker enrolled before keys were used, or by hand): use that one.
            var existing = await fineract.GetClientByExternalIdAsync(worker.WorkerId, ct)
                           ?? throw new InvalidOperationException($"Fineract refuses externalId {worker.WorkerId} as a duplicate but has no such client.");
            return (existing.Id, null, existing);
        }
    }

    /// <summary>What the client record holds of the worker: a change of anything else needs no call to Fineract.</summary>
    private static string ClientFieldsHash(WorkerSnapshot worker) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes($"{worker.GivenName}\u001f{worker.FamilyName}\u001f{worker.Phone}")));

    /// <summary>The client's account in the salary product, opened (approved and activated) when missing.</summary>
    private async Task<long> EnsureSavingsAccountAsync(long clientId, CancellationToken ct)
    {
        var productId = await salaryProduct.IdAsync(ct);
        var accounts = await fineract.GetClientSavingsAccountsAsync(clientId, ct);
        var account = accounts.FirstOrDefault(a => a.ProductId == productId && a.Status?.Active == true)
                      ?? accounts.FirstOrDefault(a => a.ProductId == productId && a.Status?.Closed != true);
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var savingsId = account?.Id ?? await fineract.CreateSavingsAccountAsync(clientId, productId, today, ct);
        if (account?.Status?.Active != true)
        {
            var current = await fineract.GetSavingsAccountAsync(savingsId, ct: ct);
            if (current.Status?.Id == 100)
            {
                await fineract.ApproveSavingsAccountAsync(savingsId, today, ct);
            }
            await fineract.ActivateSavingsAccountAsync(savingsId, today, ct);
        }
        return savingsId;
    }

    private async Task BlockCreditsAsync(long savingsId, CancellationToken ct)
    {
        try
        {
            await fineract.BlockCreditsAsync(savingsId, ct: ct);
        }
        catch (FineractException ex) when (ex.HasCode("error.msg.savings.account.already.blocked"))
        {
            // A retry after a lost answer: already done.
        }
    }

    private async Task UnblockCreditsAsync(long savingsId, CancellationToken ct)
    {
        try
        {
            await fineract.UnblockCreditsAsync(savingsId, ct);
        }
        catch (FineractException ex) when (ex.HasCode("error.msg.savings.account.not.blocked"))
        {
            // A retry after a lost answer: already done.
        }
    }

    private async Task RecordAsync(OutboxTransaction tx, IRosterEvent message, WorkerAccount? account, bool publishLink, CancellationToken ct)
    {
        await tx.Connection.ExecuteAsync($"""
            INSERT INTO "{database.Schema}".worker_accounts
                (worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision, client_fields, updated_at)
            VALUES (@WorkerId, @EmployeeNumber, @ClientId, @SavingsAccountId, @CreditsBlocked, @AppliedRevision, @ClientFields, now())
            ON CONFLICT (worker_id) DO UPDATE SET employee_number = @EmployeeNumber, client_id = @ClientId,
                savings_account_id = @SavingsAccountId, credits_blocked = @CreditsBlocked, client_fields = @ClientFields,
                applied_revision = @AppliedRevision, updated_at = now()
            WHERE worker_accounts.applied_revision < @AppliedRevision
            """, account ?? new WorkerAccount(message.Worker.WorkerId, message.Worker.EmployeeNumber, null, null, false, message.Revision, null),
            tx.Transaction);
        if (publishLink && account is { ClientId: { } clientId, SavingsAccountId: { } savingsId })
        {
            await tx.PublishAsync(LinkOf(account, clientId, savingsId));
        }
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// One message with the current account link of every worker among <paramref name="workerIds"/> that has a client
    /// and an account, read from what this adapter recorded (so a batch redelivered after a crash publishes the links
    /// the first delivery recorded but never sent; a link sent twice changes nothing downstream).
    /// </summary>
    public async Task PublishLinksAsync(IReadOnlyCollection<string> workerIds, CancellationToken ct)
    {
        await using var tx = await outbox.BeginAsync(ct);
        var links = (await tx.Connection.QueryAsync<WorkerAccount>($"""
            {SelectAccounts}
            WHERE worker_id = ANY(@ids) AND client_id IS NOT NULL AND savings_account_id IS NOT NULL
            """, new { ids = workerIds.ToArray() }, tx.Transaction))
            .Select(a => LinkOf(a, a.ClientId!.Value, a.SavingsAccountId!.Value))
            .ToList();
        if (links.Count > 0)
        {
            await tx.PublishAsync(new WorkerAccountLinksV1(links));
        }
        await tx.CommitAsync(ct);
    }

    private string SelectAccounts =>
        $"""SELECT worker_id, employee_number, client_id, savings_account_id, credits_blocked, applied_revision, client_fields FROM "{database.Schema}".worker_accounts""";

    private WorkerAccountLinkedV1 LinkOf(WorkerAccount account, long clientId, long savingsId) =>
        new(account.WorkerId, account.EmployeeNumber, clientId, savingsId, account.CreditsBlocked, account.AppliedRevision, clock.GetUtcNow());
}

/// <summary>The id of the staff salary product, looked up by name once.</summary>
public sealed class SalaryProduct(IServiceScopeFactory scopes, IOptions<EnrolmentOptions> options)
{
    private long? _id;

    public async Task<long> IdAsync(CancellationToken ct)
    {
        if (_id is { } id)
        {
            return id;
        }
        using var scope = scopes.CreateScope();
        var fineract = scope.ServiceProvider.GetRequiredService<FineractClient>();
        var product = await fineract.FindSavingsProductByNameAsync(options.Value.SalaryProductName, ct)
                      ?? throw new InvalidOperationException(
                          $"Fineract has no savings product \"{options.Value.SalaryProductName}\": run Bootstrap first.");
        _id = product.Id;
        return product.Id;
    }
}
