using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.MobileMoney;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.MobileMoneyAdapter.Payouts;

/// <summary>
/// Gathers queued payouts into batches and takes each batch through the provider's GSMA Mobile Money API v1.2:
/// <c>POST /batchtransactions</c> (X-CorrelationID = the batch's key, recorded before sending), the request state until
/// the provider has parsed it, <c>PATCH /batchtransactions/{id}</c> to approve it, the batch until it is completed, then
/// every completion and rejection, each matched to its payment by <c>requestingOrganisationTransactionReference</c>.
/// The outcomes are published in the same transaction that records them.
/// <para>Exactly once: a batch is sent again only under the same key, and only after the provider said it has no
/// response for that key (<c>GET /responses/{key}</c> answered 404) or refused the key as a duplicate (then it is
/// asked again); so a lost answer, a timeout or a crash between sending and recording never makes a second batch.
/// Callbacks only make the adapter ask sooner: nothing a callback says is believed without asking the provider.</para>
/// One dispatcher works at a time across replicas (an advisory lock).
/// </summary>
public sealed class BatchDispatcher(IServiceScopeFactory scopes, SuiteDatabase database, TransactionalOutbox outbox,
    IOptions<PayoutOptions> options, TimeProvider clock, ILogger<BatchDispatcher> logger)
    : LockedDispatcher(database.DataSource, AdvisoryLocks.MobileMoneyDispatch, "Mobile money dispatch", clock, logger)
{
    public const string TelemetryName = "OneClickSuite.MobileMoney";
    private static readonly ActivitySource Tracing = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("payouts.completed", description: "Wallet payments the provider completed");
    private static readonly Counter<long> Rejected = Meter.CreateCounter<long>("payouts.rejected", description: "Wallet payments the provider rejected");
    private static readonly Counter<long> BatchesSent = Meter.CreateCounter<long>("batches.sent", description: "Batches sent to the provider");

    private string S => $"\"{database.Schema}\"";

    /// <summary>One pass: form the batches that are due, then take each due batch one step further.</summary>
    protected override async Task PassAsync(CancellationToken ct)
    {
        while (await FormBatchAsync(ct))
        {
        }
        // A step that leaves its batch due at once (sent and parsed, parsed and to approve, approved and already
        // posted) is taken further in the same pass rather than after the next wait; every step that waits for
        // the provider or backs off after an error moves next_check_at into the future, so the passes end.
        for (var round = 0; round < 8; round++)
        {
            var due = await DueBatchesAsync(ct);
            if (due.Count == 0) break;
            foreach (var batch in due)
            {
                await StepAsync(batch, ct);
            }
        }
    }

    /// <summary>Takes queued payouts of one currency into a new batch when enough are waiting or the oldest waited long enough.</summary>
    private async Task<bool> FormBatchAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = Clock.GetUtcNow();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string? currency = null;
        await using (var due = new NpgsqlCommand($"""
            SELECT currency FROM {S}.payouts WHERE status = 'queued' GROUP BY currency
            HAVING count(*) >= $1 OR min(received_at) <= $2 ORDER BY min(received_at) LIMIT 1
            """, connection, tx) { Parameters = { new() { Value = settings.MaxBatchSize }, new() { Value = now - settings.BatchWindow } } })
        {
            currency = await due.ExecuteScalarAsync(ct) as string;
        }
        if (currency is null) return false;

        var key = Guid.CreateVersion7();
        await using (var take = new NpgsqlCommand($"""
            WITH picked AS (
                SELECT payment_id FROM {S}.payouts WHERE status = 'queued' AND currency = $1 ORDER BY received_at LIMIT $2),
            taken AS (
                UPDATE {S}.payouts p SET status = 'batched', batch_key = $3 FROM picked
                WHERE p.payment_id = picked.payment_id AND p.status = 'queued' RETURNING p.amount)
            INSERT INTO {S}.batches (batch_key, created_at, currency, payouts, total, state, callback_token, next_check_at)
            SELECT $3, $4, $1, count(*), COALESCE(sum(amount), 0), 'new', $5, $4 FROM taken HAVING count(*) > 0
            """, connection, tx)
        {
            Parameters =
            {
                new() { Value = currency }, new() { Value = settings.MaxBatchSize }, new() { Value = key }, new() { Value = now },
                new() { Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) },
            },
        })
        {
            if (await take.ExecuteNonQueryAsync(ct) == 0) return false;
        }
        await tx.CommitAsync(ct);
        return true;
    }

    private sealed record Batch(Guid Key, string State, string Currency, int Payouts, string Token, string? ServerCorrelationId, string? BatchId,
        Guid? ApproveKey, int Checks);

    private async Task<List<Batch>> DueBatchesAsync(CancellationToken ct)
    {
        var batches = new List<Batch>();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT batch_key, state, currency, payouts, callback_token, server_correlation_id, batch_id, approve_key, checks
            FROM {S}.batches WHERE state NOT IN ('settled', 'failed') AND next_check_at <= $1 ORDER BY next_check_at LIMIT 50
            """, connection) { Parameters = { new() { Value = Clock.GetUtcNow() } } };
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            batches.Add(new Batch(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4), r.IsDBNull(5) ? null : r.GetString(5),
                r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetGuid(7), r.GetInt32(8)));
        }
        return batches;
    }

    private async Task StepAsync(Batch batch, CancellationToken ct)
    {
        using var activity = Tracing.StartActivity($"mobile money batch {batch.State}");
        activity?.SetTag("batch.key", batch.Key);
        activity?.SetTag("batch.id", batch.BatchId);
        using var scope = scopes.CreateScope();
        var provider = scope.ServiceProvider.GetRequiredService<MobileMoneyClient>();
        try
        {
            switch (batch.State)
            {
                case BatchState.New: await SendAsync(provider, batch, ct); break;
                case BatchState.Unsure: await RecoverAsync(provider, batch, ct); break;
                case BatchState.Submitted: await FollowRequestAsync(provider, batch, ct); break;
                case BatchState.Created: await ApproveAsync(provider, batch, ct); break;
                case BatchState.Approved: await FollowBatchAsync(provider, batch, ct); break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever it was (the provider down, slow, answering nonsense), the batch stays where it is and is asked
            // about again later, a little later each time; the state already recorded says what is safe to do next.
            var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(batch.Checks, 6))));
            Logger.LogWarning(ex, "Batch {Key} ({State}): {Message}; next try in {Wait}", batch.Key, batch.State, ex.Message, wait);
            await UpdateAsync(batch.Key, "last_error = $2, checks = checks + 1, next_check_at = $3", ct, ex.Message, Clock.GetUtcNow() + wait);
            // A send whose answer did not come back may have reached the provider: from now on ask before sending again.
            if (batch.State == BatchState.New && ex is not MobileMoneyException { IsTransient: false })
                await UpdateAsync(batch.Key, "state = 'unsure'", ct);
        }
    }

    private Uri? CallbackUrl(Batch batch) => string.IsNullOrWhiteSpace(options.Value.CallbackBaseUrl)
        ? null
        : new Uri($"{options.Value.CallbackBaseUrl.TrimEnd('/')}/callbacks/batches/{batch.Key}/{batch.Token}");

    private async Task SendAsync(MobileMoneyClient provider, Batch batch, CancellationToken ct)
    {
        var settings = options.Value;
        var debit = new[] { new MmParty(settings.DebitIdentifierType, settings.DebitIdentifier
            ?? throw new InvalidOperationException("Payouts:DebitIdentifier is not set: the programme's disbursement account at the provider")) };
        var transactions = new List<MmTransactionRequest>(batch.Payouts);
        await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
        await using (var command = new NpgsqlCommand($"SELECT reference, msisdn, amount, currency FROM {S}.payouts WHERE batch_key = $1 ORDER BY reference",
                         connection) { Parameters = { new() { Value = batch.Key } } })
        await using (var r = await command.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                transactions.Add(new MmTransactionRequest(r.GetDecimal(2), r.GetString(3), settings.TransactionType, debit,
                    [new MmParty("msisdn", r.GetString(1))], r.GetString(0), "payroll " + r.GetString(0)));
            }
        }
        MmRequestState state;
        try
        {
            state = await provider.CreateBatchAsync(new MmBatchRequest(transactions, $"Payroll {batch.Key:N}", $"{transactions.Count} wallet payments"),
                batch.Key, CallbackUrl(batch), ct);
        }
        catch (MobileMoneyException ex) when (ex.Error?.ErrorCode == "duplicateRequest")
        {
            // The provider has this key already: an earlier send did arrive. Find out what became of it.
            await UpdateAsync(batch.Key, "state = 'unsure', next_check_at = $2", ct, Clock.GetUtcNow());
            return;
        }
        catch (MobileMoneyException ex) when (!ex.IsTransient)
        {
            await FailBatchAsync(batch, $"the provider refused the batch: {ex.Message}", ex.Error?.ErrorCode, ct);
            return;
        }
        BatchesSent.Add(1);
        await AcceptStateAsync(batch, state, ct);
    }

    /// <summary>The provider's request state: parsed (its object is the batch), refused, or still pending.</summary>
    private async Task AcceptStateAsync(Batch batch, MmRequestState state, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        switch (state.Status)
        {
            case "completed" when !string.IsNullOrEmpty(state.ObjectReference):
                await UpdateAsync(batch.Key, "state = 'created', server_correlation_id = $2, batch_id = $3, next_check_at = $4, checks = 0, last_error = NULL",
                    ct, state.ServerCorrelationId, state.ObjectReference, now);
                break;
            case "failed":
                await FailBatchAsync(batch, $"the provider could not take the batch: {state.Error?.Description ?? state.Error?.ErrorCode ?? "no reason given"}",
                    state.Error?.ErrorCode, ct);
                break;
            default:
                await UpdateAsync(batch.Key, "state = 'submitted', server_correlation_id = $2, next_check_at = $3, checks = 0, last_error = NULL",
                    ct, state.ServerCorrelationId, now + options.Value.PollEvery);
                break;
        }
    }

    /// <summary>A send whose answer was lost: the provider says whether it made the batch (a link to it) or never saw it.</summary>
    private async Task RecoverAsync(MobileMoneyClient provider, Batch batch, CancellationToken ct)
    {
        var link = await provider.FindResponseLinkAsync(batch.Key, ct);
        if (link is null)
        {
            // Never received (or still being parsed: then sending again under the same key is refused as a duplicate).
            await UpdateAsync(batch.Key, "state = 'new', next_check_at = $2", ct, Clock.GetUtcNow());
            return;
        }
        var id = Uri.UnescapeDataString(link.TrimEnd('/').Split('/')[^1]);
        if (link.Contains("/requeststates/", StringComparison.OrdinalIgnoreCase))
        {
            // Received, still being parsed: follow its request state.
            await UpdateAsync(batch.Key, "state = 'submitted', server_correlation_id = $2, next_check_at = $3, checks = 0, last_error = NULL", ct, id,
                Clock.GetUtcNow());
            return;
        }
        var batchId = id;
        Logger.LogInformation("Batch {Key} was made by the provider as {BatchId} though its answer was lost", batch.Key, batchId);
        await UpdateAsync(batch.Key, "state = 'created', batch_id = $2, next_check_at = $3, checks = 0, last_error = NULL", ct, batchId, Clock.GetUtcNow());
    }

    private async Task FollowRequestAsync(MobileMoneyClient provider, Batch batch, CancellationToken ct)
    {
        var state = await provider.GetRequestStateAsync(batch.ServerCorrelationId!, ct);
        await AcceptStateAsync(batch, state with { ServerCorrelationId = batch.ServerCorrelationId! }, ct);
    }

    private async Task ApproveAsync(MobileMoneyClient provider, Batch batch, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        if (!options.Value.ApproveBatches)
        {
            await UpdateAsync(batch.Key, "state = 'approved', next_check_at = $2", ct, now);
            return;
        }
        var approveKey = batch.ApproveKey ?? Guid.CreateVersion7();
        if (batch.ApproveKey is null) await UpdateAsync(batch.Key, "approve_key = $2", ct, approveKey);
        try
        {
            await provider.ApproveBatchAsync(batch.BatchId!, approveKey, CallbackUrl(batch), ct);
        }
        catch (MobileMoneyException ex) when (!ex.IsTransient)
        {
            // Approved already (an earlier approval whose answer was lost), or executing: the batch itself says.
            var current = await provider.GetBatchAsync(batch.BatchId!, ct);
            if (current.BatchStatus is not ("approved" or "completed")) throw;
            Logger.LogInformation("Batch {BatchId} was already {Status}: {Message}", batch.BatchId, current.BatchStatus, ex.Message);
        }
        // A small batch is executed by the time the approval is answered: look again soon, then every PollEvery.
        await UpdateAsync(batch.Key, "state = 'approved', next_check_at = $2, checks = 0, last_error = NULL", ct, now + TimeSpan.FromSeconds(1));
    }

    private async Task FollowBatchAsync(MobileMoneyClient provider, Batch batch, CancellationToken ct)
    {
        var current = await provider.GetBatchAsync(batch.BatchId!, ct);
        if (current.BatchStatus != "completed")
        {
            await UpdateAsync(batch.Key, "next_check_at = $2, checks = 0, last_error = NULL", ct, Clock.GetUtcNow() + options.Value.PollEvery);
            return;
        }
        var pageSize = Math.Max(1, options.Value.PageSize);
        var completions = new List<MmCompletion>();
        for (var offset = 0; ; offset += pageSize)
        {
            var page = await provider.GetCompletionsAsync(batch.BatchId!, offset, pageSize, ct);
            completions.AddRange(page.Items);
            if (page.Items.Count < pageSize || (page.Available is { } all && offset + page.Items.Count >= all)) break;
        }
        var rejections = new List<MmRejection>();
        for (var offset = 0; ; offset += pageSize)
        {
            var page = await provider.GetRejectionsAsync(batch.BatchId!, offset, pageSize, ct);
            rejections.AddRange(page.Items);
            if (page.Items.Count < pageSize || (page.Available is { } all && offset + page.Items.Count >= all)) break;
        }
        await SettleAsync(batch, current, completions, rejections, ct);
    }

    /// <summary>
    /// Records every completion and rejection against its payment and publishes the outcomes: each chunk of
    /// <see cref="SettleChunk"/> payments in one transaction, its outcomes a thousand to a message
    /// (<see cref="PaymentOutcomesV1"/>: RabbitMQ takes a hundred messages in the time it takes a few thousand). A payment is settled only while it is still batched, so a pass that stops half way and
    /// starts again settles the rest and repeats nothing; the batch is marked settled by the last transaction.
    /// </summary>
    private async Task SettleAsync(Batch batch, MmBatch current, List<MmCompletion> completions, List<MmRejection> rejections, CancellationToken ct)
    {
        var done = completions.Where(c => c.RequestingOrganisationTransactionReference is not null).ToList();
        var refused = rejections.Where(x => x.RequestingOrganisationTransactionReference is not null).ToList();
        for (var i = 0; i < Math.Max(done.Count, refused.Count); i += SettleChunk)
        {
            await using var unit = await outbox.BeginAsync(ct);
            var settled = await SettleCompletionsAsync(unit, batch, done.Skip(i).Take(SettleChunk).ToList(), ct);
            var failed = await SettleRejectionsAsync(unit, batch, refused.Skip(i).Take(SettleChunk).ToList(), ct);
            foreach (var message in PaymentOutcomesV1.Chunk(settled, failed)) await unit.PublishAsync(message);
            await unit.CommitAsync(ct);
            Completed.Add(settled.Count);
            Rejected.Add(failed.Count);
        }

        // Payouts the provider named neither completed nor rejected: a person must look (never guessed either way).
        var now = Clock.GetUtcNow();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        long open;
        await using (var left = new NpgsqlCommand($"SELECT count(*) FROM {S}.payouts WHERE batch_key = $1 AND status = 'batched'", connection))
        {
            left.Parameters.Add(new() { Value = batch.Key });
            open = (long)(await left.ExecuteScalarAsync(ct))!;
        }
        await using (var update = new NpgsqlCommand($"""
            UPDATE {S}.batches SET state = 'settled', completed_count = $2, rejection_count = $3, last_error = $4, updated_at = $5 WHERE batch_key = $1
            """, connection))
        {
            update.Parameters.Add(new() { Value = batch.Key });
            update.Parameters.Add(new() { Value = current.CompletedCount ?? completions.Count });
            update.Parameters.Add(new() { Value = current.RejectionCount ?? rejections.Count });
            update.Parameters.Add(new() { Value = open == 0 ? DBNull.Value : $"{open} payments neither completed nor rejected by the provider: ask the provider" });
            update.Parameters.Add(new() { Value = now });
            await update.ExecuteNonQueryAsync(ct);
        }
        if (open > 0) Logger.LogError("Batch {BatchId}: {Open} payments neither completed nor rejected by the provider", batch.BatchId, open);
        Logger.LogInformation("Batch {BatchId} settled: {Completed} completed, {Rejected} rejected", batch.BatchId, completions.Count, rejections.Count);
    }

    /// <summary>Payments settled per transaction.</summary>
    private const int SettleChunk = 20_000;

    private async Task<List<PaymentSettledV1>> SettleCompletionsAsync(OutboxTransaction unit, Batch batch, List<MmCompletion> done, CancellationToken ct)
    {
        if (done.Count == 0) return [];
        var now = Clock.GetUtcNow();
        var settled = new List<PaymentSettledV1>();
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts p SET status = 'completed', provider_reference = c.provider_reference, settled_at = c.completed_at
            FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(reference, provider_reference, completed_at)
            WHERE p.reference = c.reference AND p.batch_key = $4 AND p.status = 'batched'
            RETURNING p.payment_id, c.provider_reference, c.completed_at
            """))
        {
            update.Parameters.Add(new() { Value = done.Select(c => c.RequestingOrganisationTransactionReference!).ToArray() });
            update.Parameters.Add(new() { Value = done.Select(c => c.TransactionReference).ToArray() });
            update.Parameters.Add(new() { Value = done.Select(c => c.CompletionDate ?? now).ToArray() });
            update.Parameters.Add(new() { Value = batch.Key });
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) settled.Add(PayoutOutcomes.Settled(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)));
        }
        return settled;
    }

    private async Task<List<PaymentFailedV1>> SettleRejectionsAsync(OutboxTransaction unit, Batch batch, List<MmRejection> refused, CancellationToken ct)
    {
        if (refused.Count == 0) return [];
        var now = Clock.GetUtcNow();
        var failed = new List<PaymentFailedV1>();
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts p SET status = 'rejected', settled_at = x.rejected_at,
                reason = 'the mobile money provider rejected the payment to worker ' || p.worker_id || ': ' || x.reason
            FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS x(reference, reason, rejected_at)
            WHERE p.reference = x.reference AND p.batch_key = $4 AND p.status = 'batched'
            RETURNING p.payment_id, p.reason, x.rejected_at
            """))
        {
            update.Parameters.Add(new() { Value = refused.Select(x => x.RequestingOrganisationTransactionReference!).ToArray() });
            update.Parameters.Add(new() { Value = refused.Select(x => x.RejectionReason).ToArray() });
            update.Parameters.Add(new() { Value = refused.Select(x => x.RejectionDate ?? now).ToArray() });
            update.Parameters.Add(new() { Value = batch.Key });
            await using var r = await update.ExecuteReaderAsync(ct);
            // The reason as stored, so that an outcome published again for a repeated request reads the same.
            while (await r.ReadAsync(ct)) failed.Add(new PaymentFailedV1(r.GetGuid(0), r.GetString(1), null, "rejected", r.GetFieldValue<DateTimeOffset>(2)));
        }
        return failed;
    }

    /// <summary>The provider refused the whole batch: nothing moved, every payout in it fails with the reason.</summary>
    private async Task FailBatchAsync(Batch batch, string reason, string? code, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        await using var unit = await outbox.BeginAsync(ct);
        var failed = new List<PaymentFailedV1>();
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts SET status = 'rejected', reason = 'worker ' || worker_id || ': ' || $2, settled_at = $3
            WHERE batch_key = $1 AND status = 'batched'
            RETURNING payment_id, reason
            """))
        {
            update.Parameters.Add(new() { Value = batch.Key });
            update.Parameters.Add(new() { Value = reason });
            update.Parameters.Add(new() { Value = now });
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) failed.Add(new PaymentFailedV1(r.GetGuid(0), r.GetString(1), null, code ?? "batch-refused", now));
        }
        foreach (var message in PaymentOutcomesV1.Chunk([], failed)) await unit.PublishAsync(message);
        await using (var update = unit.Command($"UPDATE {S}.batches SET state = 'failed', last_error = $2, updated_at = $3 WHERE batch_key = $1"))
        {
            update.Parameters.Add(new() { Value = batch.Key });
            update.Parameters.Add(new() { Value = reason });
            update.Parameters.Add(new() { Value = now });
            await update.ExecuteNonQueryAsync(ct);
        }
        await unit.CommitAsync(ct);
        Rejected.Add(failed.Count);
        Logger.LogError("Batch {Key} refused by the provider: {Reason}", batch.Key, reason);
    }

    private Task UpdateAsync(Guid key, string set, CancellationToken ct, params object?[] args) =>
        database.ExecuteAsync($"UPDATE {S}.batches SET {set}, updated_at = now() WHERE batch_key = $1", ct, [key, .. args]);

    /// <summary>A callback named this batch with its token: ask the provider about it now. False when the batch or token is unknown.</summary>
    public async Task<bool?> PokeAsync(Guid key, string token, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        string? known;
        await using (var read = new NpgsqlCommand($"SELECT callback_token FROM {S}.batches WHERE batch_key = $1", connection) { Parameters = { new() { Value = key } } })
        {
            known = await read.ExecuteScalarAsync(ct) as string;
        }
        if (known is null) return null;
        if (!CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(known), System.Text.Encoding.ASCII.GetBytes(token))) return false;
        await using (var poke = new NpgsqlCommand($"UPDATE {S}.batches SET next_check_at = least(next_check_at, now()) WHERE batch_key = $1 AND state NOT IN ('settled', 'failed')",
                         connection) { Parameters = { new() { Value = key } } })
        {
            await poke.ExecuteNonQueryAsync(ct);
        }
        Wake();
        return true;
    }
}
