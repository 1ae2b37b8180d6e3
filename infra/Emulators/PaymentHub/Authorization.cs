using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>
/// Batch authorization as the bulk processor does it: PH-EE asks the PAYER's system, it does not serve an
/// authorize endpoint to clients. AuthorizationWorker POSTs <c>{Url}/batches/{batchId}?command=authorize</c>
/// (<c>mock-payment-schema.contactpoint</c> + <c>endpoints.authorization</c>) with headers
/// <c>X-Client-Correlation-ID</c> and <c>X-CallbackURL</c> (its own <c>/authorization/callback</c>) and body
/// <c>AuthorizationRequest {batchId, payerIdentifier, currency, amount}</c>; the payer's system answers later on
/// <c>POST /authorization/callback</c> with <c>AuthorizationResponse {clientCorrelationId, status, reason}</c>, and only
/// status "Y" authorizes (CallbackController.handleAuthorizationCallback). Enabled when
/// <c>PaymentHub:Authorization:Url</c> is set (upstream: <c>config.authorization.enabled</c>, default true).
/// </summary>
internal sealed class Authorization(NpgsqlDataSource db, IConfiguration configuration, IServiceProvider services, ILogger<Authorization> logger)
{
    private static readonly HttpClient Outbound = new(Dispatcher.Sockets, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(30) };

    public bool Enabled => configuration["PaymentHub:Authorization:Url"] is { Length: > 0 };

    public void Request(string batchId) => _ = Task.Run(() => RequestAsync(batchId));

    private async Task RequestAsync(string batchId)
    {
        try
        {
            string? payer = null, currency = null;
            decimal amount = 0;
            await using (var read = db.CreateCommand("""
                SELECT min(payer_party_id), min(currency), coalesce(sum(amount), 0) FROM ph_transfer WHERE batch_id = $1 AND status = 'IN_PROGRESS'
                """))
            {
                read.Parameters.AddWithValue(batchId);
                await using var reader = await read.ExecuteReaderAsync();
                if (await reader.ReadAsync())
                {
                    payer = reader.IsDBNull(0) ? null : reader.GetString(0);
                    currency = reader.IsDBNull(1) ? null : reader.GetString(1);
                    amount = reader.GetDecimal(2);
                }
            }
            // The worker uses the Zeebe job key as client correlation id: a long.
            var key = Random.Shared.NextInt64(2_251_799_813_685_248, 4_503_599_627_370_495).ToString(CultureInfo.InvariantCulture);
            await using (var store = db.CreateCommand("UPDATE ph_batch SET authorization_key = $2 WHERE batch_id = $1"))
            {
                store.Parameters.AddWithValue(batchId);
                store.Parameters.AddWithValue(key);
                await store.ExecuteNonQueryAsync();
            }
            var url = $"{configuration["PaymentHub:Authorization:Url"]!.TrimEnd('/')}/batches/{Uri.EscapeDataString(batchId)}?command=authorize";
            var body = new JsonObject
            {
                ["batchId"] = batchId,
                ["payerIdentifier"] = payer,
                ["currency"] = currency,
                ["amount"] = amount.ToString("0.##########", CultureInfo.InvariantCulture),
            };
            // RestTemplate throws on a non-2xx answer or none; the job handler's exception fails the Zeebe job, which
            // is tried again while it has retries and then becomes an incident: the batch waits for an operator.
            var attempts = configuration.GetValue("PaymentHub:Authorization:Attempts", 3);
            for (var attempt = 1; attempt <= attempts; attempt++)
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url);
                    request.Headers.TryAddWithoutValidation("X-Client-Correlation-ID", key);
                    request.Headers.TryAddWithoutValidation("X-CallbackURL", $"{(configuration["PaymentHub:PublicUrl"] ?? "").TrimEnd('/')}/authorization/callback");
                    request.Content = JsonContent.Create(body);
                    using var response = await Outbound.SendAsync(request);
                    if (response.IsSuccessStatusCode) return;
                    logger.LogWarning("Authorization request for {BatchId} answered {Status} (attempt {Attempt})", batchId, (int)response.StatusCode, attempt);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    logger.LogWarning("Authorization request for {BatchId} got no answer (attempt {Attempt}): {Message}", batchId, attempt, ex.Message);
                }
                await Task.Delay(configuration.GetValue("PaymentHub:Authorization:RetryDelay", TimeSpan.Zero));
            }
            await using var incident = db.CreateCommand("UPDATE ph_batch SET authorization_status = 'incident' WHERE batch_id = $1 AND authorization_status = 'requested'");
            incident.Parameters.AddWithValue(batchId);
            await incident.ExecuteNonQueryAsync();
            logger.LogError("Batch {BatchId}: authorization request failed {Attempts} times; the batch waits for an operator (incident)", batchId, attempts);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Authorization request for {BatchId} could not be made", batchId);
        }
    }

    /// <summary><c>POST /authorization/callback</c> (CallbackController.handleAuthorizationCallback): 200, empty body.</summary>
    public async Task<IResult> CallbackAsync(HttpContext http)
    {
        JsonNode? body;
        try { body = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted); }
        catch (JsonException) { return Results.StatusCode(500); }
        var key = body?["clientCorrelationId"]?.ToString();
        string? batchId = null;
        await using (var find = db.CreateCommand("SELECT batch_id FROM ph_batch WHERE authorization_key = $1 AND authorization_status = 'requested'"))
        {
            find.Parameters.AddWithValue((object?)key ?? DBNull.Value);
            batchId = await find.ExecuteScalarAsync(http.RequestAborted) as string;
        }
        if (batchId is not null)
            await DecideAsync(batchId, body?["status"]?.ToString() ?? "", body?["reason"]?.ToString());
        return Results.Ok();
    }

    /// <summary>
    /// "Y" lets the transfers go; anything else fails them (the approved amount becomes 0; what the BPMN does then is
    /// not in the bulk processor's source: failing every transfer is the emulator's reading).
    /// </summary>
    private async Task DecideAsync(string batchId, string status, string? reason)
    {
        await using (var update = db.CreateCommand("UPDATE ph_batch SET authorization_status = $2 WHERE batch_id = $1"))
        {
            update.Parameters.AddWithValue(batchId);
            update.Parameters.AddWithValue(status == "Y" ? "Y" : "N");
            await update.ExecuteNonQueryAsync();
        }
        if (status == "Y") return;
        await using (var fail = db.CreateCommand("""
            UPDATE ph_transfer SET status = 'FAILED', error_information = $2, completed_at = now(), dispatched = true
            WHERE batch_id = $1 AND status = 'IN_PROGRESS'
            """))
        {
            fail.Parameters.AddWithValue(batchId);
            fail.Parameters.AddWithValue($"Authorization failed: {reason ?? status}");
            await fail.ExecuteNonQueryAsync();
        }
        await services.GetRequiredService<Dispatcher>().ProgressAsync(batchId, CancellationToken.None);
    }
}
