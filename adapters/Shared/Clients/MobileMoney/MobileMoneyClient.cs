using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Clients.MobileMoney;

/// <summary>
/// Typed client for a provider's GSMA Mobile Money API v1.2 (bulk disbursements): X-API-Key (and X-Client-Id) on
/// every call, X-Date (RFC 7231) on every call, X-CorrelationID and X-Callback-URL on POST and PATCH.
/// Works against a real provider and the sandbox's emulator alike.
/// </summary>
/// <remarks>
/// The standard resilience handler may send a POST or PATCH again after a timeout or a 5xx. That cannot create a
/// second batch or approve twice: the repeat carries the same X-CorrelationID, which a provider rejects with 400
/// businessRule/duplicateRequest ("Client Correlation ID", get-started). The caller then sees a
/// <see cref="MobileMoneyException"/> with <see cref="MobileMoneyException.IsDuplicateRequest"/> and finds what the
/// first attempt created with <see cref="FindResponseLinkAsync"/> (GET /responses/{clientCorrelationId}).
/// </remarks>
public sealed class MobileMoneyClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly MobileMoneyOptions _options;

    public MobileMoneyClient(HttpClient http, IOptions<MobileMoneyOptions> options)
    {
        _http = http;
        _options = options.Value;
        _http.BaseAddress ??= MobileMoneyOptions.ApiBase(_options.BaseUrl);
    }

    /// <summary>POST /batchtransactions; 202 with the request state (the batch id arrives later as its objectReference).</summary>
    public async Task<MmRequestState> CreateBatchAsync(MmBatchRequest batch, Guid correlationId, Uri? callbackUrl, CancellationToken ct = default)
    {
        var body = new JsonObject { ["transactions"] = new JsonArray(batch.Transactions.Select(t => (JsonNode)TransactionJson(t)).ToArray()) };
        if (batch.BatchTitle is not null) body["batchTitle"] = batch.BatchTitle;
        // The OpenAPI spells it "batchdescription", the service definition "batchDescription"; JSON names match
        // case-sensitively in some providers, so the OpenAPI's spelling goes.
        if (batch.BatchDescription is not null) body["batchdescription"] = batch.BatchDescription;
        var (_, text) = await SendAsync(HttpMethod.Post, "batchtransactions", body, correlationId, callbackUrl, [HttpStatusCode.Accepted], ct);
        return ParseRequestState(text);
    }

    public async Task<MmRequestState> GetRequestStateAsync(string serverCorrelationId, CancellationToken ct = default)
    {
        var (_, text) = await SendAsync(HttpMethod.Get, $"requeststates/{Uri.EscapeDataString(serverCorrelationId)}", null, null, null, [HttpStatusCode.OK], ct);
        return ParseRequestState(text);
    }

    /// <summary>GET /responses/{clientCorrelationId}: the link to what that request created; null on 404.</summary>
    public async Task<string?> FindResponseLinkAsync(Guid clientCorrelationId, CancellationToken ct = default)
    {
        var (status, text) = await SendAsync(HttpMethod.Get, $"responses/{clientCorrelationId}", null, null, null,
            [HttpStatusCode.OK, HttpStatusCode.NotFound], ct);
        if (status == HttpStatusCode.NotFound) return null;
        using var document = JsonDocument.Parse(text);
        return String(document.RootElement, "link");
    }

    public async Task<MmBatch> GetBatchAsync(string batchId, CancellationToken ct = default)
    {
        var (_, text) = await SendAsync(HttpMethod.Get, $"batchtransactions/{Uri.EscapeDataString(batchId)}", null, null, null, [HttpStatusCode.OK], ct);
        using var document = JsonDocument.Parse(text);
        return ParseBatch(document.RootElement);
    }

    /// <summary>
    /// PATCH /batchtransactions/{batchId} with [{"op":"replace","path":"/batchStatus","value":"approved"}]:
    /// the request state when answered 202 (asynchronous), null when answered 204 (a synchronous provider).
    /// </summary>
    public async Task<MmRequestState?> ApproveBatchAsync(string batchId, Guid correlationId, Uri? callbackUrl, CancellationToken ct = default)
    {
        var body = new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/batchStatus", ["value"] = "approved" });
        var (status, text) = await SendAsync(HttpMethod.Patch, $"batchtransactions/{Uri.EscapeDataString(batchId)}", body, correlationId, callbackUrl,
            [HttpStatusCode.Accepted, HttpStatusCode.NoContent], ct);
        return status == HttpStatusCode.NoContent ? null : ParseRequestState(text);
    }

    public Task<MmPage<MmCompletion>> GetCompletionsAsync(string batchId, int offset, int limit, CancellationToken ct = default) =>
        PageAsync(batchId, "completions", offset, limit, e => new MmCompletion(
            String(e, "transactionReference") ?? "", String(e, "requestingOrganisationTransactionReference"), Parties(e, "creditParty"),
            Date(e, "completionDate"), String(e, "link"), Parties(e, "debitParty")), ct);

    public Task<MmPage<MmRejection>> GetRejectionsAsync(string batchId, int offset, int limit, CancellationToken ct = default) =>
        PageAsync(batchId, "rejections", offset, limit, e => new MmRejection(
            String(e, "transactionReference"), String(e, "requestingOrganisationTransactionReference"), Parties(e, "creditParty"),
            String(e, "rejectionReason") ?? "", Date(e, "rejectionDate"), Parties(e, "debitParty")), ct);

    /// <summary>GET /accounts/{identifierType}/{identifier}/accountname; null on 404 (no such account).</summary>
    public async Task<MmAccountHolderName?> GetAccountHolderNameAsync(string identifierType, string identifier, CancellationToken ct = default)
    {
        var (status, text) = await SendAsync(HttpMethod.Get,
            $"accounts/{Uri.EscapeDataString(identifierType)}/{Uri.EscapeDataString(identifier)}/accountname", null, null, null,
            [HttpStatusCode.OK, HttpStatusCode.NotFound], ct);
        if (status == HttpStatusCode.NotFound) return null;
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        MmSubjectName? name = null;
        if (Property(root, "name") is { ValueKind: JsonValueKind.Object } n)
        {
            name = new MmSubjectName(String(n, "title"), String(n, "firstName"), String(n, "middleName"), String(n, "lastName"),
                String(n, "fullName"), String(n, "nativeName"));
        }
        return new MmAccountHolderName(name, String(root, "lei"));
    }

    /// <summary>GET /transactions/{transactionReference}.</summary>
    public async Task<MmTransaction> GetTransactionAsync(string transactionReference, CancellationToken ct = default)
    {
        var (_, text) = await SendAsync(HttpMethod.Get, $"transactions/{Uri.EscapeDataString(transactionReference)}", null, null, null, [HttpStatusCode.OK], ct);
        using var document = JsonDocument.Parse(text);
        var e = document.RootElement;
        return new MmTransaction(String(e, "transactionReference") ?? "", String(e, "transactionStatus") ?? "", String(e, "amount") ?? "",
            String(e, "currency") ?? "", String(e, "type"), Parties(e, "creditParty"), Parties(e, "debitParty"),
            String(e, "requestingOrganisationTransactionReference"), Date(e, "creationDate"));
    }

    /// <summary>The amount as the API writes it: invariant culture, exactly the currency's minor digits.</summary>
    public static string FormatAmount(decimal amount, string currency)
    {
        var digits = MmCurrency.MinorDigits(currency);
        if (decimal.Round(amount, digits) != amount)
            throw new ArgumentException($"{amount.ToString(CultureInfo.InvariantCulture)} {currency} has more than {digits} decimal places.", nameof(amount));
        if (amount < 0) throw new ArgumentException("An amount cannot be negative.", nameof(amount));
        return amount.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    private static JsonObject TransactionJson(MmTransactionRequest t)
    {
        var json = new JsonObject
        {
            ["amount"] = FormatAmount(t.Amount, t.Currency),
            ["currency"] = t.Currency,
            ["type"] = t.Type,
            ["debitParty"] = PartiesJson(t.DebitParty),
            ["creditParty"] = PartiesJson(t.CreditParty),
        };
        if (t.RequestingOrganisationTransactionReference is not null) json["requestingOrganisationTransactionReference"] = t.RequestingOrganisationTransactionReference;
        if (t.DescriptionText is not null) json["descriptionText"] = t.DescriptionText;
        return json;
    }

    private static JsonArray PartiesJson(IReadOnlyList<MmParty> parties) =>
        new(parties.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray());

    private async Task<MmPage<T>> PageAsync<T>(string batchId, string list, int offset, int limit, Func<JsonElement, T> item, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var request = NewRequest(HttpMethod.Get,
            $"batchtransactions/{Uri.EscapeDataString(batchId)}/{list}?offset={offset.ToString(CultureInfo.InvariantCulture)}&limit={limit.ToString(CultureInfo.InvariantCulture)}",
            null, null, null);
        using var response = await HttpFailures.SendAsync(_http, request, NoResponse, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK) throw Failure(request, response.StatusCode, text);
        using var document = JsonDocument.Parse(text);
        var items = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().Select(item).ToList() : [];
        return new MmPage<T>(items, Header(response, "X-Records-Available-Count"), Header(response, "X-Records-Returned-Count"));
    }

    private static int? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values)
        && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    private HttpRequestMessage NewRequest(HttpMethod method, string path, JsonNode? body, Guid? correlationId, Uri? callbackUrl)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.TryAddWithoutValidation("X-Date", DateTimeOffset.UtcNow.ToString("r", CultureInfo.InvariantCulture));
        if (_options.ApiKey is { Length: > 0 } key) request.Headers.TryAddWithoutValidation("X-API-Key", key);
        if (_options.ClientId is { Length: > 0 } clientId) request.Headers.TryAddWithoutValidation("X-Client-Id", clientId);
        if (correlationId is { } id) request.Headers.TryAddWithoutValidation("X-CorrelationID", id.ToString());
        if (callbackUrl is not null) request.Headers.TryAddWithoutValidation("X-Callback-URL", callbackUrl.AbsoluteUri);
        if (body is not null)
        {
            // Bytes, not a stream: the resilience handler can send them again.
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body.ToJsonString()));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            request.Content = content;
        }
        return request;
    }

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, JsonNode? body, Guid? correlationId,
        Uri? callbackUrl, HttpStatusCode[] expected, CancellationToken ct)
    {
        using var request = NewRequest(method, path, body, correlationId, callbackUrl);
        using var response = await HttpFailures.SendAsync(_http, request, NoResponse, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!expected.Contains(response.StatusCode)) throw Failure(request, response.StatusCode, text);
        return (response.StatusCode, text);
    }

    private static Exception NoResponse(string message, Exception inner) => new MobileMoneyException(message, null, null, inner);

    private static MobileMoneyException Failure(HttpRequestMessage request, HttpStatusCode status, string body)
    {
        var error = ParseError(body);
        var detail = error is null ? "" : $": {error.ErrorCategory}/{error.ErrorCode}{(error.Description is null ? "" : " " + error.Description)}";
        return new MobileMoneyException($"{request.Method} {request.RequestUri} answered {(int)status}{detail}", (int)status, error);
    }

    internal static MmError? ParseError(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return ParseError(document.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static MmError? ParseError(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Object || String(e, "errorCategory") is not { } category || String(e, "errorCode") is not { } code) return null;
        return new MmError(category, code, String(e, "errordescription"), Date(e, "errorDateTime"),
            Property(e, "errorParameters") is { ValueKind: JsonValueKind.Array } ? Parties(e, "errorParameters") : null);
    }

    private static MmRequestState ParseRequestState(string text)
    {
        using var document = JsonDocument.Parse(text);
        var e = document.RootElement;
        // "error" in the OpenAPI (requestStateObject), "errorReference" in get-started's table.
        var error = Property(e, "error") is { ValueKind: JsonValueKind.Object } err ? ParseError(err)
            : Property(e, "errorReference") is { ValueKind: JsonValueKind.Object } reference ? ParseError(reference) : null;
        int? pollLimit = Property(e, "pollLimit") is { ValueKind: JsonValueKind.Number } poll && poll.TryGetInt32(out var p) ? p : null;
        return new MmRequestState(String(e, "serverCorrelationId") ?? "", String(e, "status") ?? "", String(e, "notificationMethod"),
            String(e, "objectReference"), error, String(e, "pendingReason"), Date(e, "expiryTime"), pollLimit);
    }

    /// <summary>Reads a batch (GET /batchtransactions/{id}, and the body of its creation callback).</summary>
    public static MmBatch ParseBatch(JsonElement e) => new(
        String(e, "batchId") ?? "", String(e, "batchStatus") ?? "", Date(e, "approvalDate"), Date(e, "completionDate"),
        Property(e, "processingFlag") is { ValueKind: JsonValueKind.True or JsonValueKind.False } flag ? flag.GetBoolean() : null,
        Int(e, "completedCount"), Int(e, "rejectionCount"), Int(e, "parsingSuccessCount"), String(e, "batchTitle"),
        String(e, "batchdescription"), Date(e, "creationDate"), Date(e, "modificationDate"), Date(e, "scheduledStartDate"));

    /// <summary>A property by name, ignoring case (providers differ: batchDescription/batchdescription, errorDescription/errordescription).</summary>
    private static JsonElement? Property(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object) return null;
        if (e.TryGetProperty(name, out var exact)) return exact;
        foreach (var property in e.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)) return property.Value;
        }
        return null;
    }

    private static string? String(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static int? Int(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetDecimal(out var number) ? (int)number : null;

    private static DateTimeOffset? Date(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.String } value && value.TryGetDateTimeOffset(out var date) ? date : null;

    private static IReadOnlyList<MmParty> Parties(JsonElement e, string name) =>
        Property(e, name) is { ValueKind: JsonValueKind.Array } array
            ? array.EnumerateArray().Where(p => p.ValueKind == JsonValueKind.Object)
                .Select(p => new MmParty(String(p, "key") ?? "", String(p, "value") ?? "")).ToList()
            : [];
}

/// <summary>ISO 4217 minor units for the currencies a mobile money provider may use (2 unless listed).</summary>
public static class MmCurrency
{
    private static readonly HashSet<string> NoMinorUnit = new(StringComparer.Ordinal)
        { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF" };

    private static readonly HashSet<string> ThreeDigits = new(StringComparer.Ordinal) { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };

    public static int MinorDigits(string currency) => NoMinorUnit.Contains(currency) ? 0 : ThreeDigits.Contains(currency) ? 3 : 2;
}
