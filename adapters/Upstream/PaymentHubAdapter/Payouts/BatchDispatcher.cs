using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>
/// Gathers queued payouts into batches and takes each batch through Mifos Payment Hub EE: <c>POST /batchtransactions</c>
/// (a raw batch, each payment's reference as its <c>requestId</c>), then the batch's transfers
/// (<c>/api/v1/batch/detail</c>) until each is COMPLETED or FAILED, matched to its payment by
/// <c>clientCorrelationId</c>. The outcomes are published in the same transaction that records them.
/// <para>Exactly once: PH-EE has no idempotency (a resent batch is a second batch that pays everyone again), so a
/// batch is marked <c>unsure</c> before its request leaves and is never sent a second time. When no batch id came back
/// (lost 202, timeout, 5xx, crash) its payments are looked up by requestId (<c>/api/v1/transfers</c>): found, the batch
/// id is adopted; a payment still not listed when the grace period (<see cref="PayoutOptions.LookupGrace"/>) has passed
/// since the send is queued again for a new batch. Callbacks only make the adapter ask sooner.</para>
/// One dispatcher works at a time across replicas (an advisory lock).
/// </summary>
public sealed class BatchDispatcher(IServiceScopeFactory scopes, SuiteDatabase database, TransactionalOutbox outbox,
    IOptions<PayoutOptions> options, TimeProvider clock, ILogger<BatchDispatcher> logger, BatchAuthorizations authorizations)
    : LockedDispatcher(database.DataSource, AdvisoryLocks.PaymentHubDispatch, "Payment Hub dispatch", clock, logger)
{
    public const string TelemetryName = "OneClickSuite.PaymentHub";
    private static readonly ActivitySource Tracing = new(TelemetryName);
    private static readonly Meter Meter = new(TelemetryName);
    private static readonly Counter<long> Completed = Meter.CreateCounter<long>("payouts.completed", description: "Payments Payment Hub completed");
    private static readonly Counter<long> Failed = Meter.CreateCounter<long>("payouts.failed", description: "Payments Payment Hub failed");
    private static readonly Counter<long> Requeued = Meter.CreateCounter<long>("payouts.requeued",
        description: "Payments of a batch whose answer was lost that Payment Hub never listed, queued again");
    private static readonly Counter<long> BatchesSent = Meter.CreateCounter<long>("batches.sent", description: "Batches sent to Payment Hub");

    /// <summary>Payments looked up per pass while the grace period runs: enough to find a batch that did arrive.</summary>
    private const int EarlyLookups = 3;

    private string S => $"\"{database.Schema}\"";

    /// <summary>One pass: form the batches that are due, then take each due batch one step further.</summary>
    protected override async Task PassAsync(CancellationToken ct)
    {
        while (await FormBatchAsync(ct))
        {
        }
        foreach (var batch in await DueBatchesAsync(ct))
        {
            await StepAsync(batch, ct);
        }
        // After the batches: one just sent has its Payment Hub id now, so a request about it can be decided.
        using (var scope = scopes.CreateScope())
        {
            await authorizations.AnswerDueAsync(scope.ServiceProvider.GetRequiredService<PaymentHubClient>(), ct);
        }
    }

    /// <summary>
    /// Takes queued payouts of one currency into a new batch when enough are waiting or the oldest waited long enough.
    /// At most one payment per payee: PH-EE fails the later of two rows with the same payee, payee type, amount and
    /// currency in one batch as "Duplicate transaction." (DeDuplicationRoute), so the second waits for the next batch.
    /// </summary>
    private async Task<bool> FormBatchAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var now = Clock.GetUtcNow();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string? currency;
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
            WITH candidates AS (
                SELECT DISTINCT ON (payee_key, payee_value) payment_id, received_at FROM {S}.payouts
                WHERE status = 'queued' AND currency = $1 ORDER BY payee_key, payee_value, received_at),
            picked AS (SELECT payment_id FROM candidates ORDER BY received_at LIMIT $2),
            taken AS (
                UPDATE {S}.payouts p SET status = 'batched', batch_key = $3 FROM picked
                WHERE p.payment_id = picked.payment_id AND p.status = 'queued' RETURNING p.amount)
            INSERT INTO {S}.batches (batch_key, created_at, currency, payouts, total, state, callback_token, next_check_at)
            SELECT $3, $4, $1, count(*), COALESCE(sum(amount), 0), 'new', $5, $4 FROM taken HAVING count(*) > 0
            """, connection, tx)
        {
            Parameters =
            {
                new() { Value = currency }, new() { Value = Math.Max(1, settings.MaxBatchSize) }, new() { Value = key }, new() { Value = now },
                new() { Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) },
            },
        })
        {
            if (await take.ExecuteNonQueryAsync(ct) == 0) return false;
        }
        await tx.CommitAsync(ct);
        return true;
    }

    private sealed record Batch(Guid Key, string State, string Currency, int Payouts, string Token, DateTimeOffset? SentAt, string? BatchId,
        string? Refusal, int Checks);

    private async Task<List<Batch>> DueBatchesAsync(CancellationToken ct)
    {
        var batches = new List<Batch>();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"""
            SELECT batch_key, state, currency, payouts, callback_token, sent_at, batch_id, refusal, checks
            FROM {S}.batches WHERE state NOT IN ('settled', 'failed', 'abandoned') AND next_check_at <= $1 ORDER BY next_check_at LIMIT 50
            """, connection) { Parameters = { new() { Value = Clock.GetUtcNow() } } };
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            batches.Add(new Batch(r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetInt32(3), r.GetString(4),
                r.IsDBNull(5) ? null : r.GetFieldValue<DateTimeOffset>(5), r.IsDBNull(6) ? null : r.GetString(6), r.IsDBNull(7) ? null : r.GetString(7),
                r.GetInt32(8)));
        }
        return batches;
    }

    private async Task StepAsync(Batch batch, CancellationToken ct)
    {
        using var activity = Tracing.StartActivity($"payment hub batch {batch.State}");
        activity?.SetTag("batch.key", batch.Key);
        activity?.SetTag("batch.id", batch.BatchId);
        using var scope = scopes.CreateScope();
        var hub = scope.ServiceProvider.GetRequiredService<PaymentHubClient>();
        try
        {
            switch (batch.State)
            {
                case BatchState.New: await SendAsync(hub, batch, ct); break;
                case BatchState.Unsure: await ResolveAsync(hub, batch, ct); break;
                case BatchState.Submitted: await FollowAsync(hub, batch, ct); break;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever it was (Payment Hub down, slow, answering nonsense), the batch stays where it is and is asked
            // about again later, a little later each time; the state already recorded says what is safe to do next
            // (a batch whose request may have left is already 'unsure': it is looked up, never sent again).
            var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(batch.Checks, 6))));
            Logger.LogWarning(ex, "Batch {Key} ({State}): {Message}; next try in {Wait}", batch.Key, batch.State, ex.Message, wait);
            await UpdateAsync(batch.Key, "last_error = $2, checks = checks + 1, next_check_at = $3", ct, ex.Message, Clock.GetUtcNow() + wait);
        }
    }

    private string? CallbackUrl(Batch batch) => string.IsNullOrWhiteSpace(options.Value.CallbackBaseUrl)
        ? null
        : $"{options.Value.CallbackBaseUrl.TrimEnd('/')}/callbacks/batches/{batch.Key}/{batch.Token}";

    /// <summary>
    /// Sends the batch once. It becomes <c>unsure</c> (with its send time) in the database before the request leaves,
    /// so a crash, a lost answer or an error can never lead to a second POST of the same payments.
    /// </summary>
    private async Task SendAsync(PaymentHubClient hub, Batch batch, CancellationToken ct)
    {
        var settings = options.Value;
        var payments = new List<PaymentHubPayment>(batch.Payouts);
        var sentAt = Clock.GetUtcNow();
        await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await using (var mark = new NpgsqlCommand($"""
                UPDATE {S}.batches SET state = 'unsure', sent_at = $2, next_check_at = $3, updated_at = now() WHERE batch_key = $1 AND state = 'new'
                """, connection, tx) { Parameters = { new() { Value = batch.Key }, new() { Value = sentAt }, new() { Value = sentAt + settings.PollEvery } } })
            {
                if (await mark.ExecuteNonQueryAsync(ct) == 0) return;
            }
            await using (var command = new NpgsqlCommand($"""
                UPDATE {S}.payouts SET sends = sends + 1 WHERE batch_key = $1 AND status = 'batched'
                RETURNING reference, payment_mode, payee_key, payee_value, amount, currency, period
                """, connection, tx) { Parameters = { new() { Value = batch.Key } } })
            await using (var r = await command.ExecuteReaderAsync(ct))
            {
                while (await r.ReadAsync(ct))
                {
                    var mode = r.GetString(1);
                    var payer = settings.Payers.TryGetValue(mode, out var p) && !string.IsNullOrWhiteSpace(p.Value) ? new PaymentHubParty(p.Key, p.Value) : null;
                    payments.Add(new PaymentHubPayment(r.GetString(0), mode, r.GetDecimal(4), r.GetString(5), new PaymentHubParty(r.GetString(2), r.GetString(3)),
                        payer, "Salary " + DateOnly.FromDateTime(r.GetDateTime(6)).ToString("yyyy-MM", CultureInfo.InvariantCulture)));
                }
            }
            await tx.CommitAsync(ct);
        }
        payments.Sort((a, b) => string.CompareOrdinal(a.RequestId, b.RequestId));
        PaymentHubSubmission submission;
        try
        {
            submission = await hub.SubmitRawBatchAsync(payments, batch.Key.ToString(), settings.Purpose, CallbackUrl(batch), ct);
        }
        catch (PaymentHubException ex) when (ex.StatusCode is >= 400 and < 500 && !ex.IsTransient)
        {
            // Refused before any batch exists (headers, signature, file checks all come before the batch is created).
            await FailBatchAsync(batch.Key, $"Payment Hub refused the batch: {ex.Message}", "batch-refused", ct);
            return;
        }
        catch (PaymentHubException ex) when (!ex.IsTransient)
        {
            // The bulk processor's catch-all 500: most likely nothing was created, but only its records can say so.
            await UpdateAsync(batch.Key, "refusal = $2, last_error = $2", ct, $"Payment Hub refused the batch: {ex.Message}");
            return;
        }
        BatchesSent.Add(1);
        await UpdateAsync(batch.Key, "state = 'submitted', batch_id = $2, next_check_at = $3, checks = 0, last_error = NULL", ct,
            submission.BatchId, Clock.GetUtcNow() + settings.PollEvery);
        Logger.LogInformation("Batch {Key} sent: {Count} payments, Payment Hub batch {BatchId}", batch.Key, payments.Count, submission.BatchId);
    }

    /// <summary>
    /// The batch's request may have reached Payment Hub but no batch id came back. Its payments are looked up by
    /// requestId: the batch that holds them is adopted; those Payment Hub still does not list once the grace period has
    /// passed since the send are queued again (or, when Payment Hub refused the request, failed).
    /// </summary>
    private async Task ResolveAsync(PaymentHubClient hub, Batch batch, CancellationToken ct)
    {
        var settings = options.Value;
        var now = Clock.GetUtcNow();
        var graceOver = now >= (batch.SentAt ?? now) + settings.LookupGrace;
        var open = await OpenReferencesAsync(batch.Key, ct);
        if (open.Count == 0)
        {
            await UpdateAsync(batch.Key, "state = 'abandoned', last_error = NULL", ct);
            return;
        }
        // Before the grace period ends a few lookups find a batch that did arrive; after it, every payment is asked for.
        string? found = null;
        foreach (var reference in graceOver ? open : open.Take(EarlyLookups))
        {
            found = await FindBatchOfAsync(hub, reference, ct);
            if (found is not null) break;
        }
        if (found is null)
        {
            if (!graceOver)
            {
                await UpdateAsync(batch.Key, "next_check_at = $2, checks = 0, last_error = $3", ct, now + settings.PollEvery,
                    "no answer to the submission; Payment Hub does not list its payments yet");
                return;
            }
            // Every payment asked for, after the grace period, and Payment Hub lists none of them: the batch never arrived.
            if (batch.Refusal is not null) await FailBatchAsync(batch.Key, batch.Refusal, "batch-refused", ct);
            else await RequeueAsync(batch.Key, open, BatchState.Abandoned, null, ct);
            return;
        }

        var listed = (await hub.GetAllTransfersAsync(found, settings.PageSize, ct)).Select(t => t.ClientCorrelationId).ToHashSet(StringComparer.Ordinal);
        var missing = open.Where(reference => !listed.Contains(reference)).ToList();
        if (missing.Count > 0 && !graceOver)
        {
            // Part of the batch is listed: the rest may still be on its way into the operations app.
            await UpdateAsync(batch.Key, "next_check_at = $2, checks = 0, last_error = $3", ct, now + settings.PollEvery,
                $"Payment Hub batch {found} lists {open.Count - missing.Count} of {open.Count} payments so far");
            return;
        }
        var elsewhere = new List<string>();
        var absent = new List<string>();
        foreach (var reference in missing)
        {
            if (await FindBatchOfAsync(hub, reference, ct) is null) absent.Add(reference);
            else elsewhere.Add(reference);
        }
        if (elsewhere.Count > 0)
        {
            Logger.LogError("Batch {Key}: payments {References} are in another Payment Hub batch than {BatchId}: ask Payment Hub", batch.Key,
                string.Join(", ", elsewhere.Take(10)), found);
        }
        await RequeueAsync(batch.Key, absent, BatchState.Submitted, found, ct);
        if (elsewhere.Count > 0)
            await UpdateAsync(batch.Key, "last_error = $2", ct, $"{elsewhere.Count} payments are in another Payment Hub batch than {found}: ask Payment Hub");
        Logger.LogWarning("Batch {Key}: the answer was lost; Payment Hub holds it as {BatchId}{Requeued}", batch.Key, found,
            absent.Count > 0 ? $"; {absent.Count} payments it never listed are queued again" : "");
    }

    /// <summary>The Payment Hub batch holding a transfer with this requestId (<c>/api/v1/transfers?clientCorrelationId=</c>), or null.</summary>
    private static async Task<string?> FindBatchOfAsync(PaymentHubClient hub, string reference, CancellationToken ct)
    {
        var page = await hub.FindTransfersAsync(reference, 0, 20, ct);
        return page.Content.FirstOrDefault(t => t.ClientCorrelationId == reference && !string.IsNullOrEmpty(t.BatchId))?.BatchId;
    }

    private async Task<List<string>> OpenReferencesAsync(Guid key, CancellationToken ct)
    {
        var references = new List<string>();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT reference FROM {S}.payouts WHERE batch_key = $1 AND status = 'batched' ORDER BY reference",
            connection) { Parameters = { new() { Value = key } } };
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) references.Add(r.GetString(0));
        return references;
    }

    /// <summary>Puts payments Payment Hub never listed back in the queue (a new batch takes them) and moves the batch on, in one transaction.</summary>
    private async Task RequeueAsync(Guid key, List<string> references, string state, string? batchId, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        int requeued;
        await using (var update = new NpgsqlCommand($"""
            UPDATE {S}.payouts SET status = 'queued', batch_key = NULL WHERE batch_key = $1 AND status = 'batched' AND reference = ANY($2)
            """, connection, tx) { Parameters = { new() { Value = key }, new() { Value = references.ToArray() } } })
        {
            requeued = await update.ExecuteNonQueryAsync(ct);
        }
        await using (var update = new NpgsqlCommand($"""
            UPDATE {S}.batches SET state = $2, batch_id = COALESCE($3, batch_id), recovered_at = CASE WHEN $3 IS NOT NULL THEN $5 END,
                resent_count = $4, next_check_at = $5, checks = 0, last_error = NULL, updated_at = $5 WHERE batch_key = $1
            """, connection, tx)
        {
            Parameters = { new() { Value = key }, new() { Value = state }, new() { Value = (object?)batchId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text }, new() { Value = requeued }, new() { Value = now } },
        })
        {
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        Requeued.Add(requeued);
        if (requeued > 0)
        {
            Logger.LogWarning("Batch {Key}: {Count} payments Payment Hub never listed are queued for another batch", key, requeued);
            Wake();
        }
    }

    /// <summary>
    /// Reads the batch's transfers and records every payment whose transfer is final: COMPLETED settles it, FAILED fails it
    /// with PH-EE's errorInformation; the batch is settled when none is left. (The summary's status says nothing per
    /// payment: "UNKNOWN" there means finished with failures.)
    /// </summary>
    private async Task FollowAsync(PaymentHubClient hub, Batch batch, CancellationToken ct)
    {
        var settings = options.Value;
        var transfers = await hub.GetAllTransfersAsync(batch.BatchId!, settings.PageSize, ct);
        var byReference = transfers.Where(t => t.ClientCorrelationId is not null).GroupBy(t => t.ClientCorrelationId!, StringComparer.Ordinal).ToList();
        var completed = new List<PaymentHubTransfer>();
        var failed = new List<PaymentHubTransfer>();
        foreach (var group in byReference)
        {
            if (group.FirstOrDefault(t => t.Status == PaymentHubTransferStatus.Completed) is { } done) completed.Add(done);
            else if (group.All(t => t.Status == PaymentHubTransferStatus.Failed)) failed.Add(group.Last());
        }
        var inProgress = transfers.Count(t => t.Status == PaymentHubTransferStatus.InProgress);
        await SettleAsync(batch, completed, failed, inProgress, ct);
    }

    /// <summary>Records every final transfer against its payment and publishes the outcomes (<see cref="PaymentOutcomesV1"/>), in one transaction.</summary>
    private async Task SettleAsync(Batch batch, List<PaymentHubTransfer> completions, List<PaymentHubTransfer> failures, int inProgress, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        await using var unit = await outbox.BeginAsync(ct);
        var settledMessages = new List<PaymentSettledV1>();
        var failedMessages = new List<PaymentFailedV1>();
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts p SET status = 'completed', provider_reference = c.provider_reference, settled_at = c.completed_at
            FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS c(reference, provider_reference, completed_at)
            WHERE p.reference = c.reference AND p.batch_key = $4 AND p.status = 'batched'
            RETURNING p.payment_id, c.provider_reference, c.completed_at
            """))
        {
            update.Parameters.Add(new() { Value = completions.Select(c => c.ClientCorrelationId!).ToArray() });
            update.Parameters.Add(new() { Value = completions.Select(c => c.TransactionId ?? c.Id.ToString(CultureInfo.InvariantCulture)).ToArray() });
            update.Parameters.Add(new() { Value = completions.Select(c => c.CompletedAt ?? now).ToArray() });
            update.Parameters.Add(new() { Value = batch.Key });
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) settledMessages.Add(PayoutOutcomes.Settled(r.GetGuid(0), r.GetString(1), r.GetFieldValue<DateTimeOffset>(2)));
        }
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts p SET status = 'failed', reason = 'Payment Hub failed the payment to worker ' || p.worker_id || ': ' || x.reason,
                provider_reference = x.provider_reference, settled_at = x.failed_at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS x(reference, reason, provider_reference, failed_at)
            WHERE p.reference = x.reference AND p.batch_key = $5 AND p.status = 'batched'
            RETURNING p.payment_id, p.reason, p.settled_at
            """))
        {
            update.Parameters.Add(new() { Value = failures.Select(x => x.ClientCorrelationId!).ToArray() });
            update.Parameters.Add(new() { Value = failures.Select(x => string.IsNullOrWhiteSpace(x.ErrorInformation) ? "no reason given" : x.ErrorInformation).ToArray() });
            update.Parameters.Add(new() { Value = failures.Select(x => x.TransactionId ?? "").ToArray() });
            update.Parameters.Add(new() { Value = failures.Select(x => x.CompletedAt ?? now).ToArray() });
            update.Parameters.Add(new() { Value = batch.Key });
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) failedMessages.Add(new PaymentFailedV1(r.GetGuid(0), r.GetString(1), null, PaymentHubTransferStatus.Failed, r.GetFieldValue<DateTimeOffset>(2)));
        }
        foreach (var message in PaymentOutcomesV1.Chunk(settledMessages, failedMessages)) await unit.PublishAsync(message);
        var (settled, refused) = (settledMessages.Count, failedMessages.Count);
        long open, done, lost;
        await using (var count = unit.Command($"""
            SELECT count(*) FILTER (WHERE status = 'batched'), count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status = 'failed')
            FROM {S}.payouts WHERE batch_key = $1
            """))
        {
            count.Parameters.Add(new() { Value = batch.Key });
            await using var r = await count.ExecuteReaderAsync(ct);
            await r.ReadAsync(ct);
            (open, done, lost) = (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
        }
        // Payments left with no transfer in progress: PH-EE ended them in another status (UNKNOWN, EXCEPTION) or does
        // not list them: a person must look (never guessed either way); the batch keeps being read meanwhile.
        var stuck = open > 0 && inProgress == 0 ? $"{open} payments have no COMPLETED or FAILED transfer and none is in progress: ask Payment Hub" : null;
        await using (var update = unit.Command($"""
            UPDATE {S}.batches SET state = CASE WHEN $2 = 0 THEN 'settled' ELSE state END, completed_count = $3, failed_count = $4,
                next_check_at = $5, checks = 0, last_error = $6, updated_at = $7 WHERE batch_key = $1
            """))
        {
            update.Parameters.Add(new() { Value = batch.Key });
            update.Parameters.Add(new() { Value = open });
            update.Parameters.Add(new() { Value = (int)done });
            update.Parameters.Add(new() { Value = (int)lost });
            update.Parameters.Add(new() { Value = now + options.Value.PollEvery });
            update.Parameters.Add(new() { Value = (object?)stuck ?? DBNull.Value });
            update.Parameters.Add(new() { Value = now });
            await update.ExecuteNonQueryAsync(ct);
        }
        await unit.CommitAsync(ct);
        Completed.Add(settled);
        Failed.Add(refused);
        if (stuck is not null) Logger.LogError("Batch {BatchId}: {Stuck}", batch.BatchId, stuck);
        if (open == 0) Logger.LogInformation("Batch {BatchId} settled: {Completed} completed, {Failed} failed", batch.BatchId, done, lost);
    }

    /// <summary>Payment Hub refused the whole batch: nothing moved, every payout in it fails with the reason.</summary>
    private async Task FailBatchAsync(Guid key, string reason, string code, CancellationToken ct)
    {
        var now = Clock.GetUtcNow();
        await using var unit = await outbox.BeginAsync(ct);
        var failed = new List<PaymentFailedV1>();
        await using (var update = unit.Command($"""
            UPDATE {S}.payouts SET status = 'failed', reason = 'worker ' || worker_id || ': ' || $2, settled_at = $3 WHERE batch_key = $1 AND status = 'batched'
            RETURNING payment_id, reason
            """))
        {
            update.Parameters.Add(new() { Value = key });
            update.Parameters.Add(new() { Value = reason });
            update.Parameters.Add(new() { Value = now });
            await using var r = await update.ExecuteReaderAsync(ct);
            while (await r.ReadAsync(ct)) failed.Add(new PaymentFailedV1(r.GetGuid(0), r.GetString(1), null, code, now));
        }
        foreach (var message in PaymentOutcomesV1.Chunk([], failed)) await unit.PublishAsync(message);
        await using (var update = unit.Command($"UPDATE {S}.batches SET state = 'failed', failed_count = $4, last_error = $2, updated_at = $3 WHERE batch_key = $1"))
        {
            update.Parameters.Add(new() { Value = key });
            update.Parameters.Add(new() { Value = reason });
            update.Parameters.Add(new() { Value = now });
            update.Parameters.Add(new() { Value = failed.Count });
            await update.ExecuteNonQueryAsync(ct);
        }
        await unit.CommitAsync(ct);
        Failed.Add(failed.Count);
        Logger.LogError("Batch {Key} refused by Payment Hub: {Reason}", key, reason);
    }

    private Task UpdateAsync(Guid key, string set, CancellationToken ct, params object?[] args) =>
        database.ExecuteAsync($"UPDATE {S}.batches SET {set}, updated_at = now() WHERE batch_key = $1", ct, [key, .. args]);

    /// <summary>A callback named this batch with its token: ask Payment Hub about it now. False when the token is wrong, null when the batch is unknown.</summary>
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
        // Brings the next look forward; what the batch is and which payments it holds are read from Payment Hub.
        await using (var poke = new NpgsqlCommand($"UPDATE {S}.batches SET next_check_at = least(next_check_at, now()) WHERE batch_key = $1 AND state IN ('submitted', 'unsure')",
                         connection) { Parameters = { new() { Value = key } } })
        {
            await poke.ExecuteNonQueryAsync(ct);
        }
        Wake();
        return true;
    }
}
