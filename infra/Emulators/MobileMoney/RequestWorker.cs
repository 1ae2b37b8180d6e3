using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// Completes asynchronous requests: parses submitted batches, posts approved ones, posts single transactions, and
/// sends the callbacks. Requests are claimed from PostgreSQL (FOR UPDATE SKIP LOCKED), so several loops and several
/// processes share the work, and a request a crashed process had claimed is taken up again after its claim expires.
/// </summary>
public sealed class RequestWorker(NpgsqlDataSource db, IOptions<ProviderOptions> options, ProviderFaults faults, Callbacks callbacks,
    ILogger<RequestWorker> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);
    private readonly ProviderOptions _options = options.Value;

    /// <summary>Held by whatever moves money, so postings never interleave (and never deadlock on wallet rows).</summary>
    private const long PostingLock = 7265101;

    public void Signal()
    {
        if (_signal.CurrentCount < 16) _signal.Release();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, _options.Workers)).Select(_ => LoopAsync(stoppingToken)));

    private async Task LoopAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await TryProcessOneAsync(stoppingToken)) continue;
                await _signal.WaitAsync(TimeSpan.FromMilliseconds(500), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                logger.LogWarning(ex, "Request processing failed; trying again");
                await Task.Delay(1_000, stoppingToken);
            }
        }
    }

    private sealed record Claimed(Guid Id, Guid? ClientCorrelationId, string Kind, string? CallbackUrl, string? Target);

    private async Task<bool> TryProcessOneAsync(CancellationToken ct)
    {
        Claimed? claimed;
        await using (var command = db.CreateCommand("""
            UPDATE mm_request SET claimed_until = now() + interval '10 minutes'
            WHERE server_correlation_id = (
                SELECT server_correlation_id FROM mm_request
                WHERE status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
                ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING server_correlation_id, client_correlation_id, kind, callback_url, target
            """))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return false;
            claimed = new Claimed(reader.GetGuid(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }

        string? callbackBody;
        try
        {
            callbackBody = claimed.Kind switch
            {
                RequestKinds.CreateBatch => await CreateBatchAsync(claimed, ct),
                RequestKinds.ApproveBatch => await ApproveBatchAsync(claimed, ct),
                RequestKinds.CreateTransaction => await CreateTransactionAsync(claimed, ct),
                _ => throw new InvalidOperationException($"unknown request kind {claimed.Kind}"),
            };
        }
        catch (Exception ex) when (ex is JsonException or FormatException or OverflowException)
        {
            logger.LogError(ex, "Request {Request} failed", claimed.Id);
            var error = new GsmaError("internal", "genericError", "The request could not be processed.");
            await FailAsync(claimed.Id, error, ct);
            callbackBody = error.ToJson().ToJsonString();
        }
        if (claimed.CallbackUrl is not null && callbackBody is not null)
            callbacks.Send(claimed.Id, claimed.ClientCorrelationId, claimed.CallbackUrl, callbackBody);
        return true;
    }

    private async Task FailAsync(Guid id, GsmaError error, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            UPDATE mm_request SET status = 'failed', error = $2::jsonb, body = NULL, completed_at = now() WHERE server_correlation_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = error.ToJson().ToJsonString() });
        await command.ExecuteNonQueryAsync(ct);
    }

    private static async Task CompleteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string objectReference, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            UPDATE mm_request SET status = 'completed', object_reference = $2, body = NULL, completed_at = now() WHERE server_correlation_id = $1
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = objectReference });
        await command.ExecuteNonQueryAsync(ct);
    }

    // Batches

    /// <summary>
    /// Parses a submitted batch: each record either parses (status "parsed") or is rejected with the rule it
    /// breaks; the batch is then "created" (maker–checker) or posted at once (one-shot).
    /// Callback: the batch (batchTransactionsSuccessEvent, body responseBatchTransaction).
    /// </summary>
    private async Task<string?> CreateBatchAsync(Claimed claimed, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var existing = await FindBatchAsync(connection, claimed.Id, ct);
        if (existing is null)
        {
            byte[] body;
            await using (var read = new NpgsqlCommand("SELECT body FROM mm_request WHERE server_correlation_id = $1", connection))
            {
                read.Parameters.Add(new NpgsqlParameter { Value = claimed.Id });
                body = (byte[])(await read.ExecuteScalarAsync(ct))!;
            }
            existing = await ParseBatchAsync(connection, claimed, body, ct);
        }
        var (pk, batchId) = existing.Value;
        if (!_options.RequiresApproval)
        {
            await using (var approve = new NpgsqlCommand("""
                UPDATE mm_batch SET status = 'approved', approval_date = now(), modification_date = now(), processing_flag = true
                WHERE id = $1 AND status = 'created'
                """, connection))
            {
                approve.Parameters.Add(new NpgsqlParameter { Value = pk });
                await approve.ExecuteNonQueryAsync(ct);
            }
            await ExecuteBatchAsync(connection, pk, claimed.Id, batchId, ct);
        }
        var batch = await Representations.BatchAsync(connection, batchId, ct);
        return batch!.ToJsonString();
    }

    private static async Task<(long Pk, string BatchId)?> FindBatchAsync(NpgsqlConnection connection, Guid request, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT id, batch_id FROM mm_batch WHERE create_request = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = request });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? (reader.GetInt64(0), reader.GetString(1)) : null;
    }

    private async Task<(long Pk, string BatchId)> ParseBatchAsync(NpgsqlConnection connection, Claimed claimed, byte[] body, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        Gsma.OptionalString(root, "batchTitle", 256, out var title, caseInsensitive: true);
        Gsma.OptionalString(root, "batchDescription", 256, out var description, caseInsensitive: true);
        var scheduled = OptionalDate(root, "scheduledStartDate");
        var requested = OptionalDate(root, "requestDate");
        var transactions = root.GetProperty("transactions");
        var batchId = Guid.NewGuid().ToString();

        await using var transaction = await connection.BeginTransactionAsync(ct);
        long pk;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO mm_batch (batch_id, create_request, status, title, description, scheduled_start_date, request_date,
                                  record_count, parsing_success_count, parse_rejection_count, rejection_count)
            VALUES ($1, $2, 'created', $3, $4, $5, $6, $7, 0, 0, 0) RETURNING id
            """, connection, transaction))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = batchId });
            insert.Parameters.Add(new NpgsqlParameter { Value = claimed.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)title ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)description ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)scheduled ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)requested ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            insert.Parameters.Add(new NpgsqlParameter { Value = transactions.GetArrayLength() });
            pk = (long)(await insert.ExecuteScalarAsync(ct))!;
        }

        var parsed = 0;
        var rejected = 0;
        await using (var importer = await connection.BeginBinaryImportAsync("""
            COPY mm_batch_txn (batch_id, seq, status, type, amount, currency, credit_party, debit_party, credit_key, credit_value,
                               debit_key, debit_value, requesting_reference, description, rejection_no, rejection_reason, rejection_date)
            FROM STDIN (FORMAT BINARY)
            """, ct))
        {
            var now = DateTimeOffset.UtcNow;
            var seq = 0;
            foreach (var record in transactions.EnumerateArray())
            {
                seq++;
                var problem = Records.Check(record, requireDebitParty: true, requireType: true);
                string? reason = problem is null ? null : Records.Reason(problem);
                (string Key, string Value)? credit = null, debit = null;
                if (reason is null)
                {
                    credit = Gsma.ResolvableParty(record.GetProperty("creditParty"));
                    debit = Gsma.ResolvableParty(record.GetProperty("debitParty"));
                    if (credit is null || debit is null)
                        reason = $"identifierError: the {(credit is null ? "credit" : "debit")} party names no msisdn, accountid or walletid.";
                }
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(pk, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(seq, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync(reason is null ? "parsed" : "rejected", NpgsqlDbType.Text, ct);
                await WriteStringAsync(importer, record, "type", ct);
                if (reason is null)
                {
                    var currency = record.GetProperty("currency").GetString()!;
                    Gsma.ParseAmount(record.GetProperty("amount").GetString(), currency, out var value);
                    await importer.WriteAsync(value, NpgsqlDbType.Numeric, ct);
                    await importer.WriteAsync(currency, NpgsqlDbType.Text, ct);
                }
                else
                {
                    await importer.WriteNullAsync(ct);
                    await WriteStringAsync(importer, record, "currency", ct);
                }
                await importer.WriteAsync(PartyJson(record, "creditParty"), NpgsqlDbType.Jsonb, ct);
                await importer.WriteAsync(PartyJson(record, "debitParty"), NpgsqlDbType.Jsonb, ct);
                await WriteNullableAsync(importer, credit?.Key, ct);
                await WriteNullableAsync(importer, credit?.Value, ct);
                await WriteNullableAsync(importer, debit?.Key, ct);
                await WriteNullableAsync(importer, debit?.Value, ct);
                await WriteStringAsync(importer, record, "requestingOrganisationTransactionReference", ct, 256);
                await WriteStringAsync(importer, record, "descriptionText", ct, 160);
                if (reason is null)
                {
                    parsed++;
                    await importer.WriteNullAsync(ct);
                    await importer.WriteNullAsync(ct);
                    await importer.WriteNullAsync(ct);
                }
                else
                {
                    rejected++;
                    await importer.WriteAsync(rejected, NpgsqlDbType.Integer, ct);
                    await importer.WriteAsync(reason, NpgsqlDbType.Text, ct);
                    await importer.WriteAsync(now, NpgsqlDbType.TimestampTz, ct);
                }
            }
            await importer.CompleteAsync(ct);
        }

        await using (var counts = new NpgsqlCommand("""
            UPDATE mm_batch SET parsing_success_count = $2, parse_rejection_count = $3, rejection_count = $3, modification_date = now()
            WHERE id = $1
            """, connection, transaction))
        {
            counts.Parameters.Add(new NpgsqlParameter { Value = pk });
            counts.Parameters.Add(new NpgsqlParameter { Value = parsed });
            counts.Parameters.Add(new NpgsqlParameter { Value = rejected });
            await counts.ExecuteNonQueryAsync(ct);
        }
        if (_options.RequiresApproval) await CompleteAsync(connection, transaction, claimed.Id, batchId, ct);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Batch {BatchId} parsed: {Parsed} parsed, {Rejected} rejected", batchId, parsed, rejected);
        return (pk, batchId);
    }

    private static DateTimeOffset? OptionalDate(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var date)
            ? date.ToUniversalTime() : null;

    private static string PartyJson(JsonElement record, string name) =>
        record.ValueKind == JsonValueKind.Object && record.TryGetProperty(name, out var parties) && parties.ValueKind == JsonValueKind.Array
            ? parties.GetRawText() : "[]";

    private static Task WriteStringAsync(NpgsqlBinaryImporter importer, JsonElement record, string name, CancellationToken ct, int max = 256)
    {
        string? text = null;
        if (record.ValueKind == JsonValueKind.Object && record.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
        {
            text = value.GetString()!;
            if (text.Length > max) text = text[..max];
        }
        return WriteNullableAsync(importer, text, ct);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter importer, string? value, CancellationToken ct)
    {
        if (value is null) await importer.WriteNullAsync(ct);
        else await importer.WriteAsync(value, NpgsqlDbType.Text, ct);
    }

    /// <summary>Posts an approved batch. Callback: {"result":"success"} (batchTransactionsUpdateSuccessEvent).</summary>
    private async Task<string?> ApproveBatchAsync(Claimed claimed, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        long pk;
        await using (var find = new NpgsqlCommand("SELECT id FROM mm_batch WHERE batch_id = $1", connection))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = claimed.Target! });
            pk = (long)(await find.ExecuteScalarAsync(ct))!;
        }
        await ExecuteBatchAsync(connection, pk, claimed.Id, claimed.Target!, ct);
        return new JsonObject { ["result"] = "success" }.ToJsonString();
    }

    /// <summary>
    /// Posts every parsed record of an approved batch in one database transaction, set-based: resolve both parties,
    /// reject what cannot be paid (unknown or closed account, currency, same parties, the rejectionRate fault, and —
    /// in request order, per debit account — the records the balance no longer covers), move the money, number the
    /// completions and rejections, complete the batch and the request that asked for it.
    /// </summary>
    private async Task ExecuteBatchAsync(NpgsqlConnection connection, long pk, Guid request, string batchId, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        async Task<int> RunAsync(string sql, params object[] parameters)
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
            return await command.ExecuteNonQueryAsync(ct);
        }
        await RunAsync($"SELECT pg_advisory_xact_lock({PostingLock})");
        string? status;
        await using (var find = new NpgsqlCommand("SELECT status FROM mm_batch WHERE id = $1 FOR UPDATE", connection, transaction))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = pk });
            status = await find.ExecuteScalarAsync(ct) as string;
        }
        if (status != "approved")
        {
            // Posted already (a claim that expired while the first attempt finished): only the request remains.
            await CompleteAsync(connection, transaction, request, batchId, ct);
            await transaction.CommitAsync(ct);
            return;
        }

        await RunAsync("""
            CREATE TEMP TABLE mm_exec ON COMMIT DROP AS
            SELECT t.seq, t.amount, t.currency, ci.wallet_id AS credit_id, cw.status AS credit_status, cw.currency AS credit_currency,
                   di.wallet_id AS debit_id, dw.status AS debit_status, dw.currency AS debit_currency, NULL::text AS reason
            FROM mm_batch_txn t
            LEFT JOIN mm_wallet_identifier ci ON ci.key = t.credit_key AND ci.value = t.credit_value
            LEFT JOIN mm_wallet cw ON cw.id = ci.wallet_id
            LEFT JOIN mm_wallet_identifier di ON di.key = t.debit_key AND di.value = t.debit_value
            LEFT JOIN mm_wallet dw ON dw.id = di.wallet_id
            WHERE t.batch_id = $1 AND t.status = 'parsed'
            """, pk);
        await RunAsync("ANALYZE mm_exec");
        await RunAsync("SELECT id FROM mm_wallet WHERE id IN (SELECT DISTINCT debit_id FROM mm_exec) ORDER BY id FOR UPDATE");
        await RunAsync("""
            UPDATE mm_exec SET reason = CASE
                WHEN debit_id IS NULL THEN 'identifierError: the debit party is not an account of this provider.'
                WHEN debit_status <> 'active' THEN 'incorrectState: the debit party''s account is not active.'
                WHEN credit_id IS NULL THEN 'identifierError: the credit party is not an account of this provider.'
                WHEN credit_status <> 'active' THEN 'incorrectState: the credit party''s account is not active.'
                WHEN credit_id = debit_id THEN 'samePartiesError: the debit and credit parties are the same.'
                WHEN currency <> debit_currency OR currency <> credit_currency THEN 'currencyNotSupported: an account is held in another currency.'
                WHEN random() < $1 THEN 'genericError: the provider declined the transaction.'
            END
            """, faults.Current.RejectionRate);
        await RunAsync("""
            UPDATE mm_exec e SET reason = 'insufficientFunds: the debit party''s balance does not cover the transaction.'
            FROM (SELECT x.seq, sum(x.amount) OVER (PARTITION BY x.debit_id ORDER BY x.seq) AS running, w.balance
                  FROM mm_exec x JOIN mm_wallet w ON w.id = x.debit_id WHERE x.reason IS NULL) r
            WHERE r.seq = e.seq AND r.running > r.balance
            """);
        await RunAsync("""
            UPDATE mm_wallet w SET balance = w.balance - s.total, updated_at = now()
            FROM (SELECT debit_id, sum(amount) AS total FROM mm_exec WHERE reason IS NULL GROUP BY debit_id) s WHERE w.id = s.debit_id
            """);
        await RunAsync("""
            UPDATE mm_wallet w SET balance = w.balance + s.total, updated_at = now()
            FROM (SELECT credit_id, sum(amount) AS total FROM mm_exec WHERE reason IS NULL GROUP BY credit_id) s WHERE w.id = s.credit_id
            """);
        await RunAsync("""
            UPDATE mm_batch_txn t SET
                status = CASE WHEN n.reason IS NULL THEN 'completed' ELSE 'rejected' END,
                transaction_reference = CASE WHEN n.reason IS NULL THEN gen_random_uuid()::text END,
                completion_no = CASE WHEN n.reason IS NULL THEN n.rank END,
                completion_date = CASE WHEN n.reason IS NULL THEN now() END,
                rejection_no = CASE WHEN n.reason IS NOT NULL THEN b.parse_rejection_count + n.rank END,
                rejection_reason = n.reason,
                rejection_date = CASE WHEN n.reason IS NOT NULL THEN now() END
            FROM (SELECT seq, reason, row_number() OVER (PARTITION BY reason IS NULL ORDER BY seq)::int AS rank FROM mm_exec) n,
                 mm_batch b
            WHERE t.batch_id = $1 AND t.seq = n.seq AND b.id = $1
            """, pk);
        await RunAsync("""
            UPDATE mm_batch SET status = 'completed', processing_flag = false, completion_date = now(), modification_date = now(),
                completed_count = (SELECT count(*) FROM mm_exec WHERE reason IS NULL),
                rejection_count = parse_rejection_count + (SELECT count(*) FROM mm_exec WHERE reason IS NOT NULL)
            WHERE id = $1
            """, pk);
        await CompleteAsync(connection, transaction, request, batchId, ct);
        await transaction.CommitAsync(ct);
        logger.LogInformation("Batch {BatchId} posted", batchId);
    }

    // Single transactions

    /// <summary>
    /// Posts one transaction. Success: request completed, objectReference = transactionReference, callback the
    /// transaction (transactionsSuccessEvent, responseTransaction). Failure: request failed with the errorObject,
    /// callback the errorObject (transactionsFailureEvent).
    /// </summary>
    private async Task<string?> CreateTransactionAsync(Claimed claimed, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        byte[] body;
        await using (var read = new NpgsqlCommand("SELECT body FROM mm_request WHERE server_correlation_id = $1", connection))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = claimed.Id });
            body = (byte[])(await read.ExecuteScalarAsync(ct))!;
        }
        using var document = JsonDocument.Parse(body);
        var record = document.RootElement;
        var currency = record.GetProperty("currency").GetString()!;
        Gsma.ParseAmount(record.GetProperty("amount").GetString(), currency, out var amount);
        var creditJson = record.GetProperty("creditParty").GetRawText();
        var debitJson = record.TryGetProperty("debitParty", out var debitElement) && debitElement.ValueKind == JsonValueKind.Array
            ? debitElement.GetRawText() : null;
        var credit = Gsma.ResolvableParty(record.GetProperty("creditParty"));
        (string Key, string Value)? debit;
        if (debitJson is null)
        {
            var account = _options.DisbursementAccount;
            debit = account.AccountId is { Length: > 0 } accountId ? ("accountid", accountId) : account.Msisdn is { } m ? ("msisdn", m) : null;
            debitJson = debit is null ? "[]" : new JsonArray(new JsonObject { ["key"] = debit.Value.Key, ["value"] = debit.Value.Value }).ToJsonString();
        }
        else
        {
            debit = Gsma.ResolvableParty(debitElement);
        }

        await using var transaction = await connection.BeginTransactionAsync(ct);
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostingLock})", connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(ct);
        var creditWallet = credit is null ? null : await WalletAsync(connection, transaction, credit.Value, ct);
        var debitWallet = debit is null ? null : await WalletAsync(connection, transaction, debit.Value, ct);
        GsmaError? error =
            debitWallet is null ? GsmaError.NotFound("debit party account", debit?.Value ?? "")
            : debitWallet.Status != "active" ? new GsmaError("businessRule", "incorrectState", "The debit party's account is not active.")
            : creditWallet is null ? GsmaError.NotFound("credit party account", credit?.Value ?? "")
            : creditWallet.Status != "active" ? new GsmaError("businessRule", "incorrectState", "The credit party's account is not active.")
            : creditWallet.Id == debitWallet.Id ? new GsmaError("businessRule", "samePartiesError", "The debit and credit parties are the same.")
            : creditWallet.Currency != currency || debitWallet.Currency != currency
                ? GsmaError.Validation("currencyNotSupported", "An account is held in another currency.", "currency", currency)
            : ProviderFaults.Strikes(faults.Current.RejectionRate) ? new GsmaError("businessRule", "genericError", "The provider declined the transaction.")
            : debitWallet.Balance < amount ? new GsmaError("businessRule", "insufficientFunds", "The debit party's balance does not cover the transaction.")
            : null;
        if (error is not null)
        {
            await transaction.RollbackAsync(ct);
            await FailAsync(claimed.Id, error, ct);
            return error.ToJson().ToJsonString();
        }

        var reference = Guid.NewGuid().ToString();
        await using (var move = new NpgsqlCommand("""
            UPDATE mm_wallet SET balance = balance + CASE WHEN id = $1 THEN -$3 ELSE $3 END, updated_at = now() WHERE id IN ($1, $2);
            """, connection, transaction))
        {
            move.Parameters.Add(new NpgsqlParameter { Value = debitWallet!.Id });
            move.Parameters.Add(new NpgsqlParameter { Value = creditWallet!.Id });
            move.Parameters.Add(new NpgsqlParameter { Value = amount });
            await move.ExecuteNonQueryAsync(ct);
        }
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO mm_transaction (transaction_reference, request, type, status, amount, currency, credit_party, debit_party,
                                        requesting_reference, description)
            VALUES ($1, $2, $3, 'completed', $4, $5, $6::jsonb, $7::jsonb, $8, $9)
            """, connection, transaction))
        {
            Gsma.OptionalString(record, "requestingOrganisationTransactionReference", 256, out var requesting);
            Gsma.OptionalString(record, "descriptionText", 160, out var text);
            insert.Parameters.Add(new NpgsqlParameter { Value = reference });
            insert.Parameters.Add(new NpgsqlParameter { Value = claimed.Id });
            insert.Parameters.Add(new NpgsqlParameter { Value = claimed.Target! });
            insert.Parameters.Add(new NpgsqlParameter { Value = amount });
            insert.Parameters.Add(new NpgsqlParameter { Value = currency });
            insert.Parameters.Add(new NpgsqlParameter { Value = creditJson });
            insert.Parameters.Add(new NpgsqlParameter { Value = debitJson });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)requesting ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)text ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            await insert.ExecuteNonQueryAsync(ct);
        }
        await CompleteAsync(connection, transaction, claimed.Id, reference, ct);
        await transaction.CommitAsync(ct);
        return (await Representations.TransactionAsync(connection, reference, ct))!.ToJsonString();
    }

    private sealed record Wallet(long Id, string Status, string Currency, decimal Balance);

    private static async Task<Wallet?> WalletAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, (string Key, string Value) party, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("""
            SELECT w.id, w.status, w.currency, w.balance FROM mm_wallet_identifier i JOIN mm_wallet w ON w.id = i.wallet_id
            WHERE i.key = $1 AND i.value = $2 FOR UPDATE OF w
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = party.Key });
        command.Parameters.Add(new NpgsqlParameter { Value = party.Value });
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new Wallet(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetDecimal(3)) : null;
    }

    public override void Dispose()
    {
        _signal.Dispose();
        base.Dispose();
    }
}
