using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Fineract;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>
/// The asynchronous part of the bulk processor: each transfer goes to the provider its payment_mode names
/// (<c>PaymentHub:Providers:{mode}</c>), then the batch's completion rate decides the progress callbacks
/// (<c>SendCallbackRoute</c>, <c>BatchAggregateRoute</c>).
/// </summary>
internal sealed class Dispatcher(NpgsqlDataSource db, IConfiguration configuration, HubFaultSwitch faults, ILogger<Dispatcher> logger)
    : BackgroundService
{
    private const int MaxAttempts = 3;

    /// <summary>
    /// One plain client for every outbound leg: each attempt is one request, as Camel sends it (the resilience
    /// handler service defaults add to factory clients would resend on its own and blur the retry counts).
    /// </summary>
    internal static readonly SocketsHttpHandler Sockets = new() { PooledConnectionLifetime = TimeSpan.FromMinutes(2) };

    private static readonly HttpClient Outbound = new(Sockets, disposeHandler: false)
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var idle = TimeSpan.FromMilliseconds(configuration.GetValue("PaymentHub:Worker:PollMs", 200));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await DispatchOneAsync(stoppingToken)) await Task.Delay(idle, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                logger.LogError(ex, "Dispatch failed");
                await Task.Delay(idle, stoppingToken);
            }
        }
    }

    private sealed record Pending(long Id, string BatchId, string TransactionId, string? Mode, string? PayerType, string? Payer,
        string? PayeeType, string? Payee, decimal Amount, string? Currency, string? Note, int Attempts);

    private async Task<bool> DispatchOneAsync(CancellationToken ct)
    {
        Pending? next;
        await using (var claim = db.CreateCommand("""
            UPDATE ph_transfer SET dispatched = true, attempts = attempts + 1
            WHERE id = (SELECT t.id FROM ph_transfer t JOIN ph_batch b ON b.batch_id = t.batch_id
                        WHERE NOT t.dispatched AND t.status = 'IN_PROGRESS' AND (b.authorization_status IS NULL OR b.authorization_status = 'Y')
                        ORDER BY t.id LIMIT 1 FOR UPDATE OF t SKIP LOCKED)
            RETURNING id, batch_id, transaction_id, payment_mode, payer_party_id_type, payer_party_id, payee_party_id_type,
                      payee_party_id, amount, currency, note, attempts
            """))
        await using (var reader = await claim.ExecuteReaderAsync(ct))
        {
            if (!await reader.ReadAsync(ct)) return false;
            string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            next = new Pending(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), S(3), S(4), S(5), S(6), S(7),
                reader.GetDecimal(8), S(9), S(10), reader.GetInt32(11));
        }

        var provider = next.Mode is { Length: > 0 } mode ? configuration.GetSection($"PaymentHub:Providers:{mode}") : null;
        if (provider is null || !provider.Exists())
        {
            // InitSubBatchRoute.updateTransactionStatusToFailed: "Payment mode not configured".
            await FinishAsync(next, "FAILED", "Payment mode not configured", ct);
        }
        else if (HubFaultSwitch.Strikes(faults.Current.ProviderErrorRate))
        {
            await FinishAsync(next, "FAILED", "Provider error (emulator fault)", ct);
        }
        else if (string.Equals(provider["Kind"] ?? next.Mode, "CLOSEDLOOP", StringComparison.OrdinalIgnoreCase))
        {
            await PayThroughFineractAsync(next, provider, ct);
        }
        else
        {
            await PayThroughGsmaAsync(next, provider, ct);
        }
        return true;
    }

    /// <summary>
    /// CLOSEDLOOP: payer and payee hold accounts in the same Fineract. The emulator moves the money with an account
    /// transfer from the funding savings account to the payee's savings account (payee_identifier = its id), keyed by
    /// the hub's transaction id so a repeat is answered from Fineract's idempotency store.
    /// </summary>
    private async Task PayThroughFineractAsync(Pending t, IConfigurationSection provider, CancellationToken ct)
    {
        var http = new HttpClient(Sockets, disposeHandler: false)
        {
            BaseAddress = new Uri((provider["BaseUrl"] ?? "http://fineract").TrimEnd('/') + "/fineract-provider/api/v1/"),
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var owned = http;
        var fineract = new FineractClient(http, Options.Create(new FineractOptions
        {
            BaseUrl = provider["BaseUrl"] ?? "http://fineract",
            Username = provider["Username"] ?? "mifos",
            Password = provider["Password"],
            Tenant = provider["Tenant"] ?? "default",
        }));
        try
        {
            if (!long.TryParse(t.Payee, NumberStyles.None, CultureInfo.InvariantCulture, out var toAccount))
            {
                await FinishAsync(t, "FAILED", $"Payee identifier {t.Payee} is not a savings account id", ct);
                return;
            }
            var fromAccount = await FundingAccountAsync(fineract, provider, ct);
            var from = await fineract.GetSavingsAccountAsync(fromAccount, ct: ct);
            var fromClient = await fineract.GetClientAsync(from.ClientId, ct);
            var to = await fineract.GetSavingsAccountAsync(toAccount, ct: ct);
            var toClient = await fineract.GetClientAsync(to.ClientId, ct);
            var result = await fineract.TransferAsync(new FineractTransfer(fromClient.OfficeId, fromClient.Id, fromAccount,
                toClient.OfficeId, toClient.Id, toAccount, t.Amount, DateOnly.FromDateTime(DateTime.UtcNow),
                t.Note is { Length: > 0 } note ? note : $"Payment Hub {t.TransactionId}", t.TransactionId), ct);
            await FinishAsync(t, "COMPLETED", null, ct, result.ResourceId?.ToString(CultureInfo.InvariantCulture));
        }
        catch (FineractException ex) when (ex.IsTransient && t.Attempts < MaxAttempts)
        {
            await RequeueAsync(t, ct);
        }
        catch (FineractException ex)
        {
            await FinishAsync(t, "FAILED", ex.Message, ct);
        }
    }

    private long? _fundingAccount;

    /// <summary>
    /// The payer's savings account: <c>FundingSavingsAccountId</c>, or the active savings account of the client whose
    /// external id is <c>FundingClientExternalId</c> (the sandbox knows the programme's client, not its account id,
    /// when the graph starts: Bootstrap opens it).
    /// </summary>
    private async Task<long> FundingAccountAsync(FineractClient fineract, IConfigurationSection provider, CancellationToken ct)
    {
        if (provider["FundingSavingsAccountId"] is { Length: > 0 } id) return long.Parse(id, CultureInfo.InvariantCulture);
        if (_fundingAccount is { } known) return known;
        var externalId = provider["FundingClientExternalId"]
                         ?? throw new InvalidOperationException("PaymentHub:Providers:CLOSEDLOOP:FundingSavingsAccountId (or FundingClientExternalId) is not set");
        var client = await fineract.GetClientByExternalIdAsync(externalId, ct)
                     ?? throw new InvalidOperationException($"Fineract has no client with external id {externalId}");
        var account = (await fineract.GetClientSavingsAccountsAsync(client.Id, ct)).FirstOrDefault(a => a.Status?.Active == true)
                      ?? throw new InvalidOperationException($"Fineract client {externalId} has no active savings account");
        return (_fundingAccount = account.Id).Value;
    }

    /// <summary>
    /// GSMA: one <c>POST {BaseUrl}/transactions/type/{TransactionType}</c> per payment with X-Date, Authorization,
    /// X-Callback-URL, X-CorrelationID (ph-ee-connector-gsma-mm <c>TransferRoutes</c>, route
    /// <c>direct:commit-transaction</c>); the outcome arrives later on <c>PUT /transfer/callback</c>.
    /// </summary>
    private async Task PayThroughGsmaAsync(Pending t, IConfigurationSection provider, CancellationToken ct)
    {
        var http = Outbound;
        var baseUrl = (provider["BaseUrl"] ?? throw new InvalidOperationException($"PaymentHub:Providers:{t.Mode}:BaseUrl is not set")).TrimEnd('/');
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/transactions/type/{provider["TransactionType"] ?? "transfer"}");
        request.Headers.TryAddWithoutValidation("X-Date", DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        if (provider["AccessToken"] is { Length: > 0 } token) request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {token}");
        if (provider["ApiKey"] is { Length: > 0 } apiKey) request.Headers.TryAddWithoutValidation("X-API-Key", apiKey);
        var publicUrl = (configuration["PaymentHub:PublicUrl"] ?? "").TrimEnd('/');
        request.Headers.TryAddWithoutValidation("X-Callback-URL", $"{publicUrl}/transfer/callback");
        request.Headers.TryAddWithoutValidation("X-CorrelationID", t.TransactionId);
        var body = new JsonObject
        {
            ["amount"] = t.Amount.ToString("0.##########", CultureInfo.InvariantCulture),
            ["currency"] = t.Currency,
            ["creditParty"] = new JsonArray(new JsonObject { ["key"] = "msisdn", ["value"] = t.Payee }),
            ["descriptionText"] = t.Note,
            ["requestingOrganisationTransactionReference"] = t.TransactionId,
        };
        // Utils.convertTxnToGSMA sends the payer as an msisdn; with no payer the provider's own account pays.
        if (t.Payer is { Length: > 0 } payer)
            body["debitParty"] = new JsonArray(new JsonObject { ["key"] = "msisdn", ["value"] = payer });
        request.Content = JsonContent.Create(body);
        try
        {
            using var response = await http.SendAsync(request, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            if (!response.IsSuccessStatusCode)
            {
                if ((int)response.StatusCode >= 500 && t.Attempts < MaxAttempts) { await RequeueAsync(t, ct); return; }
                await FinishAsync(t, "FAILED", $"Provider answered {(int)response.StatusCode}: {text}", ct);
                return;
            }
            var state = JsonNode.Parse(text.Length > 0 ? text : "{}");
            var reference = state?["serverCorrelationId"]?.ToString();
            var status = state?["status"]?.ToString();
            if (status == "completed") await FinishAsync(t, "COMPLETED", null, ct, reference);
            else if (status == "failed") await FinishAsync(t, "FAILED", "Provider reported failed", ct, reference);
            else await SetReferenceAsync(t, reference, ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            if (t.Attempts < MaxAttempts) await RequeueAsync(t, ct);
            else await FinishAsync(t, "FAILED", $"Provider did not answer: {ex.Message}", ct);
        }
    }

    /// <summary>
    /// <c>PUT /transfer/callback</c> from the GSMA provider. Upstream (TransferRoutes, rest:PUT:/transfer/callback) reads
    /// a request state: serverCorrelationId names the transfer, status "completed" succeeds, anything else fails. A
    /// GSMA v1.2 provider calls back with the transaction itself (transactionStatus) or an error object, and echoes the
    /// X-CorrelationID it was sent: the emulator accepts those too (a deviation, so a spec-conformant provider works).
    /// </summary>
    public async Task<IResult> GsmaCallbackAsync(HttpContext http)
    {
        JsonNode? state;
        try { state = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted); }
        catch (JsonException) { return Results.BadRequest(); }
        var reference = state?["serverCorrelationId"]?.ToString();
        var correlation = http.Request.Headers["X-CorrelationID"].ToString();
        var status = state?["status"]?.ToString() ?? state?["transactionStatus"]?.ToString();
        if (state?["errorCategory"] is not null) status = "failed";
        await using var find = db.CreateCommand("""
            SELECT id, batch_id, transaction_id FROM ph_transfer
            WHERE status = 'IN_PROGRESS' AND (provider_reference = $1 OR transaction_id = $2)
            """);
        find.Parameters.AddWithValue((object?)reference ?? DBNull.Value);
        find.Parameters.AddWithValue(correlation);
        Pending? t = null;
        await using (var reader = await find.ExecuteReaderAsync(http.RequestAborted))
        {
            if (await reader.ReadAsync(http.RequestAborted))
                t = new Pending(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), null, null, null, null, null, 0, null, null, 0);
        }
        if (t is not null)
        {
            var error = status == "completed" ? null
                : state?["errorDescription"]?.ToString() is { } description ? $"Provider reported failed: {description}"
                : $"Provider reported {status}";
            await FinishAsync(t, status == "completed" ? "COMPLETED" : "FAILED", error, http.RequestAborted,
                reference ?? state?["transactionReference"]?.ToString());
        }
        return Results.Ok();
    }

    private async Task SetReferenceAsync(Pending t, string? reference, CancellationToken ct)
    {
        await using var update = db.CreateCommand("UPDATE ph_transfer SET provider_reference = $2 WHERE id = $1");
        update.Parameters.AddWithValue(t.Id);
        update.Parameters.AddWithValue((object?)reference ?? DBNull.Value);
        await update.ExecuteNonQueryAsync(ct);
    }

    private async Task RequeueAsync(Pending t, CancellationToken ct)
    {
        await using var update = db.CreateCommand("UPDATE ph_transfer SET dispatched = false WHERE id = $1");
        update.Parameters.AddWithValue(t.Id);
        await update.ExecuteNonQueryAsync(ct);
    }

    private async Task FinishAsync(Pending t, string status, string? error, CancellationToken ct, string? reference = null)
    {
        await using (var update = db.CreateCommand("""
            UPDATE ph_transfer SET status = $2, error_information = $3, completed_at = now(),
                   provider_reference = coalesce($4, provider_reference)
            WHERE id = $1 AND status = 'IN_PROGRESS'
            """))
        {
            update.Parameters.AddWithValue(t.Id);
            update.Parameters.AddWithValue(status);
            update.Parameters.AddWithValue((object?)error ?? DBNull.Value);
            update.Parameters.AddWithValue((object?)reference ?? DBNull.Value);
            await update.ExecuteNonQueryAsync(ct);
        }
        await ProgressAsync(t.BatchId, ct);
    }

    /// <summary>
    /// Completion rate = successful / total × 100 (BatchAggregateRoute); each phase at or below it is reported once by
    /// one callback (SendCallbackRoute.eliminatePhases), tried up to PaymentHub:CallbackMaxRetry times.
    /// </summary>
    internal async Task ProgressAsync(string batchId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        string? url, correlation;
        int[] phases;
        long total, successful, ongoing;
        await using (var read = new NpgsqlCommand("""
            SELECT b.callback_url, b.request_id, b.phases_left,
                   (SELECT count(*) FROM ph_transfer WHERE batch_id = b.batch_id),
                   (SELECT count(*) FROM ph_transfer WHERE batch_id = b.batch_id AND status = 'COMPLETED'),
                   (SELECT count(*) FROM ph_transfer WHERE batch_id = b.batch_id AND status = 'IN_PROGRESS')
            FROM ph_batch b WHERE b.batch_id = $1 FOR UPDATE
            """, connection, tx))
        {
            read.Parameters.AddWithValue(batchId);
            await using var reader = await read.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return;
            url = reader.IsDBNull(0) ? null : reader.GetString(0);
            correlation = reader.GetString(1);
            phases = (int[])reader.GetValue(2);
            (total, successful, ongoing) = (reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5));
        }
        var rate = total == 0 ? 0 : (int)((double)successful / total * 100);
        var due = phases.Any(p => p <= rate);
        await using (var update = new NpgsqlCommand("""
            UPDATE ph_batch SET phases_left = $2, completed_at = CASE WHEN $3 THEN coalesce(completed_at, now()) END WHERE batch_id = $1
            """, connection, tx))
        {
            update.Parameters.AddWithValue(batchId);
            update.Parameters.AddWithValue(phases.Where(p => p > rate).ToArray());
            update.Parameters.AddWithValue(ongoing == 0);
            await update.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        if (due && url is not null) await SendCallbackAsync(batchId, url, correlation, rate, ct);
    }

    private async Task SendCallbackAsync(string batchId, string url, string correlation, int rate, CancellationToken ct)
    {
        var body = JsonSerializer.Serialize(new JsonObject
        {
            ["clientCorrelationId"] = correlation,
            ["batchId"] = batchId,
            ["message"] = $"The Batch Aggregation API was complete with : {rate}",
        });
        var maxRetry = configuration.GetValue("PaymentHub:CallbackMaxRetry", 3);
        var http = Outbound;
        for (var attempt = 1; attempt <= maxRetry; attempt++)
        {
            string outcome;
            if (HubFaultSwitch.Strikes(faults.Current.LostCallbackRate))
            {
                outcome = "lost";
            }
            else
            {
                try
                {
                    using var response = await http.PostAsync(url, new StringContent(body, System.Text.Encoding.UTF8, "application/json"), ct);
                    outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
                {
                    outcome = "no answer";
                }
            }
            await using (var log = db.CreateCommand("INSERT INTO ph_callback (batch_id, url, body, attempt, outcome) VALUES ($1, $2, $3, $4, $5)"))
            {
                log.Parameters.AddWithValue(batchId);
                log.Parameters.AddWithValue(url);
                log.Parameters.AddWithValue(body);
                log.Parameters.AddWithValue(attempt);
                log.Parameters.AddWithValue(outcome);
                await log.ExecuteNonQueryAsync(ct);
            }
            // A lost callback is one the hub believes it sent: no retry (the fault stands for a network that drops it).
            if (outcome == "lost" || outcome.StartsWith('2')) return;
        }
    }
}
