using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.PaymentHub;
using OneClickSuite.Messaging;

namespace OneClickSuite.PaymentHubAdapter.Payouts;

/// <summary>
/// The payer's side of Payment Hub EE's batch authorization. With <c>config.authorization.enabled</c> the bulk
/// processor asks the payer's system about every batch before any transfer starts (ph-ee-bulk-processor
/// <c>AuthorizationWorker</c>): <c>POST {mock-payment-schema.contactpoint}/batches/{batchId}?command=authorize</c>,
/// headers <c>X-Client-Correlation-ID</c> (the job key) and <c>X-CallbackURL</c>, body
/// <c>{batchId, payerIdentifier, currency, amount}</c>; the answer comes later on its <c>/authorization/callback</c>
/// (the reference payer, ph-ee-connector-mock-payment-schema <c>BatchApi.getAuthorization</c>, answers 202 and calls
/// back; 400 when <c>command</c> is not "authorize" or a header is missing).
/// <para>This adapter is that payer's system: it authorizes only a batch it sent itself and still holds open, for no
/// more than the batch it sent, in its currency, from one of its payers. Everything else is refused with the reason,
/// so a batch someone else put into the programme's tenant moves no money.</para>
/// </summary>
public static class AuthorizationEndpoints
{
    public const string CorrelationHeader = "X-Client-Correlation-ID";
    public const string CallbackHeader = "X-CallbackURL";

    public static void MapBatchAuthorization(this WebApplication app) =>
        app.MapPost("/batches/{batchId}", AuthorizeAsync)
            .AllowAnonymous()
            .WithTags("Payment Hub batch authorization")
            .WithSummary("Payment Hub asks whether the programme authorizes a batch; the answer goes to Payment Hub's authorization callback");

    public static async Task<IResult> AuthorizeAsync(string batchId, HttpRequest request, BatchAuthorizations authorizations, BatchDispatcher dispatcher,
        CancellationToken ct)
    {
        if (request.Query["command"].ToString() != "authorize")
            return Refuse($"batch {batchId}: query parameter command must be \"authorize\", not \"{request.Query["command"]}\"");
        var correlation = request.Headers[CorrelationHeader].ToString();
        if (string.IsNullOrWhiteSpace(correlation)) return Refuse($"batch {batchId}: header {CorrelationHeader} is required");
        var callback = request.Headers[CallbackHeader].ToString();
        if (string.IsNullOrWhiteSpace(callback)) return Refuse($"batch {batchId}: header {CallbackHeader} is required");
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException ex)
        {
            return Refuse($"batch {batchId}: the body is not JSON ({ex.Message})");
        }
        if (body is not JsonObject fields) return Refuse($"batch {batchId}: the body must be a JSON object");
        if (Text(fields, "batchId") is { Length: > 0 } named && named != batchId)
            return Refuse($"batch {batchId}: batchId \"{named}\" in the body is not the batch in the path");
        if (BatchAuthorizations.ParseAmount(fields["amount"]) is not { } amount)
            return Refuse($"batch {batchId}: amount {fields["amount"]?.ToJsonString()} is not an amount (digits, optionally a point and decimals)");
        await authorizations.RecordAsync(new AuthorizationAsk(correlation, batchId, Text(fields, "payerIdentifier"), Text(fields, "currency"), amount, callback), ct);
        dispatcher.Wake();
        return Results.Accepted();
    }

    private static string? Text(JsonObject fields, string name) =>
        fields[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static IResult Refuse(string detail) => Results.Problem(statusCode: 400, title: "Not an authorization request", detail: detail);
}

/// <summary>One authorization request as Payment Hub sent it.</summary>
public sealed record AuthorizationAsk(string ClientCorrelationId, string BatchId, string? PayerIdentifier, string? Currency, decimal Amount, string CallbackUrl);

/// <summary>What the adapter holds about the batch a request names, if it sent it.</summary>
public sealed record SentBatch(Guid Key, string State, string Currency, decimal Total, int Resent = 0);

/// <summary>
/// Keeps every authorization request, decides it from the adapter's own books and sends the answer to Payment Hub
/// until it is taken. The decision is recorded before the answer leaves, so a repeated answer is the same answer.
/// </summary>
public sealed partial class BatchAuthorizations(SuiteDatabase database, IOptions<PayoutOptions> options, TimeProvider clock,
    ILogger<BatchAuthorizations> logger)
{
    private static readonly Meter Meter = new(BatchDispatcher.TelemetryName);
    private static readonly Counter<long> Answered = Meter.CreateCounter<long>("batch_authorizations.answered",
        description: "Payment Hub batch authorization requests answered, by decision");

    private string S => $"\"{database.Schema}\"";

    /// <summary>The one accepted form of an amount: PH-EE sends BigDecimal.toPlainString() as a JSON string; blank means 0 (as upstream sends it).</summary>
    public static decimal? ParseAmount(JsonNode? node)
    {
        string? text = node switch
        {
            null => "0",
            JsonValue v when v.TryGetValue<string>(out var s) => string.IsNullOrWhiteSpace(s) ? "0" : s,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        };
        return text is not null && PlainAmount().IsMatch(text) && decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
            ? amount
            : null;
    }

    [GeneratedRegex(@"^[0-9]+(\.[0-9]+)?$")]
    private static partial Regex PlainAmount();

    /// <summary>
    /// Y only for a batch this adapter sent and still has open (submitted) with none of its payments sent again elsewhere,
    /// for no more than it sent (PH-EE asks for the total of the rows that passed its party lookup, which may be less), in
    /// its currency, from one of its payers.
    /// Null while the batch is not known yet (its 202 may still be on its way) and the wait is not over.
    /// </summary>
    public static (bool Authorized, string Reason)? Decide(AuthorizationAsk ask, SentBatch? batch, IReadOnlyCollection<string> payers, bool waitOver)
    {
        if (batch is null)
            return waitOver ? (false, $"Payment Hub batch {ask.BatchId} was not sent by this programme") : null;
        if (batch.State != BatchState.Submitted)
            return (false, $"batch {ask.BatchId} is {batch.State} in the programme's books: nothing more may be paid from it");
        if (batch.Resent > 0)
            return (false, $"batch {ask.BatchId}: {batch.Resent} of its payments were sent again in another batch");
        if (!string.IsNullOrEmpty(ask.Currency) && ask.Currency != batch.Currency)
            return (false, $"batch {ask.BatchId}: currency {ask.Currency} asked, the programme sent {batch.Currency}");
        if (ask.Amount > batch.Total)
            return (false, $"batch {ask.BatchId}: {ask.Amount.ToString(CultureInfo.InvariantCulture)} asked, the programme sent {batch.Total.ToString(CultureInfo.InvariantCulture)}");
        if (!string.IsNullOrEmpty(ask.PayerIdentifier) && !payers.Contains(ask.PayerIdentifier))
            return (false, $"batch {ask.BatchId}: payer {ask.PayerIdentifier} is not one of the programme's payers");
        return (true, $"batch {batch.Key} sent by the programme");
    }

    public async Task RecordAsync(AuthorizationAsk ask, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var insert = new NpgsqlCommand($"""
            INSERT INTO {S}.authorizations (client_correlation_id, batch_id, payer_identifier, currency, amount, callback_url, received_at, next_attempt_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (client_correlation_id) DO NOTHING
            """, connection);
        foreach (var value in new object?[] { ask.ClientCorrelationId, ask.BatchId, ask.PayerIdentifier, ask.Currency, ask.Amount, ask.CallbackUrl, clock.GetUtcNow() })
            insert.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        await insert.ExecuteNonQueryAsync(ct);
        logger.LogInformation("Payment Hub asks to authorize batch {BatchId} ({Amount} {Currency})", ask.BatchId, ask.Amount, ask.Currency);
    }

    /// <summary>Decides the requests that can be decided and sends every decided, unanswered one. Called by the dispatcher, under its lock.</summary>
    public async Task AnswerDueAsync(PaymentHubClient hub, CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var payers = settings.Payers.Values.Select(p => p.Value).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var due = new List<(AuthorizationAsk Ask, DateTimeOffset Received, bool? Decision, string? Reason, int Attempts, SentBatch? Batch)>();
        await using (var connection = await database.DataSource.OpenConnectionAsync(ct))
        await using (var read = new NpgsqlCommand($"""
            SELECT a.client_correlation_id, a.batch_id, a.payer_identifier, a.currency, a.amount, a.callback_url, a.received_at, a.authorized, a.reason,
                   a.attempts, b.batch_key, b.state, b.currency, b.total, COALESCE(b.resent_count, 0)
            FROM {S}.authorizations a LEFT JOIN {S}.batches b ON b.batch_id = a.batch_id
            WHERE a.answered_at IS NULL AND a.next_attempt_at <= $1 ORDER BY a.received_at LIMIT 100
            """, connection) { Parameters = { new() { Value = now } } })
        await using (var r = await read.ExecuteReaderAsync(ct))
        {
            while (await r.ReadAsync(ct))
            {
                var ask = new AuthorizationAsk(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.GetDecimal(4), r.GetString(5));
                var batch = r.IsDBNull(10) ? null : new SentBatch(r.GetGuid(10), r.GetString(11), r.GetString(12), r.GetDecimal(13), r.GetInt32(14));
                due.Add((ask, r.GetFieldValue<DateTimeOffset>(6), r.IsDBNull(7) ? null : r.GetBoolean(7), r.IsDBNull(8) ? null : r.GetString(8), r.GetInt32(9), batch));
            }
        }
        foreach (var (ask, received, recorded, recordedReason, attempts, batch) in due)
        {
            var (decision, reason) = (recorded, recordedReason);
            if (decision is null)
            {
                if (Decide(ask, batch, payers, now >= received + settings.AuthorizationWait) is not { } decided)
                {
                    await UpdateAsync(ask.ClientCorrelationId, "next_attempt_at = $2", ct, now + TimeSpan.FromSeconds(1));
                    continue;
                }
                (decision, reason) = decided;
                await UpdateAsync(ask.ClientCorrelationId, "authorized = $2, reason = $3, batch_key = $4, decided_at = $5", ct,
                    decided.Authorized, decided.Reason, batch?.Key, now);
                if (decided.Authorized) logger.LogInformation("Batch {BatchId} authorized: {Reason}", ask.BatchId, decided.Reason);
                else logger.LogWarning("Batch {BatchId} refused: {Reason}", ask.BatchId, decided.Reason);
            }
            try
            {
                await hub.AnswerAuthorizationAsync(ask.ClientCorrelationId, decision.Value, decision.Value ? null : reason, ct);
                await UpdateAsync(ask.ClientCorrelationId, "answered_at = $2, attempts = attempts + 1, last_error = NULL", ct, clock.GetUtcNow());
                Answered.Add(1, new KeyValuePair<string, object?>("decision", decision.Value ? "Y" : "N"));
            }
            catch (PaymentHubException ex)
            {
                var wait = TimeSpan.FromSeconds(Math.Min(60, Math.Pow(2, Math.Min(attempts, 6))));
                logger.LogWarning("Answer to Payment Hub's authorization request {Correlation} (batch {BatchId}) not taken: {Message}; next try in {Wait}",
                    ask.ClientCorrelationId, ask.BatchId, ex.Message, wait);
                await UpdateAsync(ask.ClientCorrelationId, "attempts = attempts + 1, last_error = $2, next_attempt_at = $3", ct, ex.Message, clock.GetUtcNow() + wait);
            }
        }
    }

    private Task UpdateAsync(string correlation, string set, CancellationToken ct, params object?[] args) =>
        database.ExecuteAsync($"UPDATE {S}.authorizations SET {set} WHERE client_correlation_id = $1", ct, [correlation, .. args]);
}
