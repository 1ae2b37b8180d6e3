using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Clients.PaymentHub;

/// <summary>
/// Typed client for Mifos Payment Hub EE: the bulk processor (<c>POST /batchtransactions</c>) and the operations app
/// (<c>/api/v1/batch...</c>). Works against the real services and the sandbox emulator alike.
/// </summary>
/// <remarks>
/// PH-EE does not deduplicate batches by <c>X-CorrelationID</c>: every accepted POST starts a new batch with a new id
/// (ph-ee-bulk-processor <c>ProcessorStartRoute</c>, <c>direct:post-batch-transactions</c>). A submission is
/// therefore NOT safe to retry blindly; <see cref="SubmitRawBatchAsync"/> sends exactly once (the caller must not
/// wrap it in a retrying handler) and, when the answer is lost, the caller must look the batch up by its own
/// per-payment <c>requestId</c>s before sending again.
/// </remarks>
public sealed class PaymentHubClient
{
    public const string TenantHeader = "Platform-TenantId";
    public const string CorrelationHeader = "X-CorrelationID";
    public const string SignatureHeader = "X-SIGNATURE";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly HttpClient _http;
    private readonly PaymentHubOptions _options;

    public PaymentHubClient(HttpClient http, IOptions<PaymentHubOptions> options)
    {
        _http = http;
        _options = options.Value;
    }

    /// <summary>
    /// <c>POST {BulkUrl}/batchtransactions</c> with <c>Type: raw</c> and a JSON array of <c>BatchRequestDTO</c>
    /// (ph-ee-bulk-processor <c>BatchTransactions.batchTransactions</c>, <c>BatchTransactionsController</c>,
    /// <c>RestRequestConvertor.convertFrom</c>). Answers 202 with the polling path that ends in the batch id.
    /// </summary>
    public Task<PaymentHubSubmission> SubmitRawBatchAsync(
        IReadOnlyList<PaymentHubPayment> payments, string correlationId, string purpose, string? callbackUrl = null,
        CancellationToken ct = default)
    {
        var array = new JsonArray();
        foreach (var p in payments)
        {
            var item = new JsonObject
            {
                ["requestId"] = p.RequestId,
                ["paymentMode"] = p.PaymentMode,
                ["amount"] = PaymentHubPayment.FormatAmount(p.Amount),
                ["currency"] = p.Currency,
                ["descriptionText"] = p.Description,
                ["creditParty"] = new JsonArray(new JsonObject { ["key"] = p.CreditParty.Key, ["value"] = p.CreditParty.Value }),
            };
            if (p.DebitParty is { } debit)
                item["debitParty"] = new JsonArray(new JsonObject { ["key"] = debit.Key, ["value"] = debit.Value });
            array.Add(item);
        }
        var body = array.ToJsonString();
        var content = new StringContent(body, Encoding.UTF8, "application/json");
        return SubmitAsync(content, "raw", body, null, correlationId, purpose, callbackUrl, ct);
    }

    /// <summary>
    /// <c>POST {BulkUrl}/batchtransactions</c> with <c>Type: csv</c>, the file as multipart form data (part "data")
    /// and its name in header <c>filename</c> (which must end in .csv: <c>ProcessorStartRoute</c>,
    /// <c>direct:validate-file</c>). Columns: see <see cref="CsvHeader"/>.
    /// </summary>
    public Task<PaymentHubSubmission> SubmitCsvBatchAsync(
        string csv, string fileName, string correlationId, string purpose, string? callbackUrl = null, CancellationToken ct = default)
    {
        var form = new MultipartFormDataContent();
        var file = new StringContent(csv, Encoding.UTF8, "text/csv");
        form.Add(file, "data", fileName);
        return SubmitAsync(form, "csv", PaymentHubSignature.MultipartPayload(csv), fileName, correlationId, purpose, callbackUrl, ct);
    }

    /// <summary>The bulk processor's CSV columns (<c>csv.columnNames</c> in its application.yaml).</summary>
    public const string CsvHeader =
        "id,request_id,payment_mode,payer_identifier_type,payer_identifier,payee_identifier_type,payee_identifier,amount,currency,note,account_number,program_shortcode,cycle,payee_dfsp_id,batch_id";

    /// <summary>One CSV row in <see cref="CsvHeader"/>'s order; fields must not contain commas (PH-EE splits on ",").</summary>
    public static string CsvRow(int id, PaymentHubPayment p, string payerIdentifierType = "", string payerIdentifier = "") =>
        string.Join(',', id.ToString(CultureInfo.InvariantCulture), p.RequestId, p.PaymentMode,
            p.DebitParty?.Key ?? payerIdentifierType, p.DebitParty?.Value ?? payerIdentifier,
            p.CreditParty.Key, p.CreditParty.Value, PaymentHubPayment.FormatAmount(p.Amount), p.Currency, p.Description ?? "",
            "", "", "", "", "");

    private async Task<PaymentHubSubmission> SubmitAsync(HttpContent content, string type, string signedPayload, string? fileName,
        string correlationId, string purpose, string? callbackUrl, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(PaymentHubOptions.Root(_options.BulkUrl), "batchtransactions"));
        request.Content = content;
        request.Headers.Add(CorrelationHeader, correlationId);
        request.Headers.Add(TenantHeader, _options.Tenant);
        request.Headers.Add("Type", type);
        request.Headers.Add("Purpose", purpose);
        if (fileName is not null) request.Headers.Add("filename", fileName);
        if (callbackUrl is not null) request.Headers.Add("X-CallbackURL", callbackUrl);
        if (_options.RegisteringInstitutionId is { } institution) request.Headers.Add("X-Registering-Institution-ID", institution);
        if (_options.ProgramId is { } program) request.Headers.Add("X-Program-ID", program);
        if (_options.SigningKey is { Length: > 0 } key)
        {
            var data = PaymentHubSignature.DataToHash([null, correlationId, _options.Tenant], signedPayload);
            request.Headers.Add(SignatureHeader, PaymentHubSignature.Sign(data, key));
        }
        var (status, text) = await SendAsync(request, ct);
        if (status != 202)
            throw new PaymentHubException($"POST /batchtransactions answered {status}: {Shorten(text)}", status, text);
        return JsonSerializer.Deserialize<PaymentHubSubmission>(text, Json)
               ?? throw new PaymentHubException("POST /batchtransactions answered 202 without a body", status, text);
    }

    /// <summary>
    /// <c>GET {OperationsUrl}/api/v1/batch?batchId=</c> (ph-ee-operations-app <c>BatchApi.batchDetails</c>,
    /// <c>generateBatchSummaryResponse</c>); null when the operations app does not know the batch (404).
    /// </summary>
    public async Task<PaymentHubBatchSummary?> GetBatchSummaryAsync(string batchId, CancellationToken ct = default)
    {
        var (status, text) = await GetAsync($"api/v1/batch?batchId={Uri.EscapeDataString(batchId)}", null, ct);
        if (status == 404) return null;
        Ensure(status, text, "GET /api/v1/batch");
        return JsonSerializer.Deserialize<PaymentHubBatchSummary>(text, Json);
    }

    /// <summary>
    /// <c>GET {OperationsUrl}/api/v1/batches/{batchId}</c> with <c>X-Correlation-ID</c> (ph-ee-operations-app
    /// <c>BatchApi.getBatchAndSubBatchSummary</c>, <c>BatchServiceImpl.getBatchAndSubBatchSummary</c>); null on 404.
    /// </summary>
    public async Task<PaymentHubBatchAndSubBatchSummary?> GetBatchAsync(string batchId, string correlationId, CancellationToken ct = default)
    {
        var (status, text) = await GetAsync($"api/v1/batches/{Uri.EscapeDataString(batchId)}", correlationId, ct);
        if (status == 404) return null;
        Ensure(status, text, "GET /api/v1/batches/{batchId}");
        return JsonSerializer.Deserialize<PaymentHubBatchAndSubBatchSummary>(text, Json);
    }

    /// <summary>
    /// <c>GET {OperationsUrl}/api/v1/batch/detail?batchId&amp;status&amp;pageNo&amp;pageSize</c> (ph-ee-operations-app
    /// <c>BatchApi.batchDetails(HttpServletResponse, ...)</c>): a page of the batch's transfers; <paramref name="status"/>
    /// COMPLETED | IN_PROGRESS | FAILED filters, anything else (default ALL) does not; pages count from 0.
    /// </summary>
    public async Task<PaymentHubPage<PaymentHubTransfer>> GetBatchDetailAsync(
        string batchId, string? status = null, int pageNo = 0, int pageSize = 10, CancellationToken ct = default)
    {
        var path = $"api/v1/batch/detail?batchId={Uri.EscapeDataString(batchId)}&pageNo={pageNo}&pageSize={pageSize}"
                   + (status is null ? "" : $"&status={Uri.EscapeDataString(status)}");
        var (code, text) = await GetAsync(path, null, ct);
        Ensure(code, text, "GET /api/v1/batch/detail");
        return JsonSerializer.Deserialize<PaymentHubPage<PaymentHubTransfer>>(text, Json)
               ?? throw new PaymentHubException("GET /api/v1/batch/detail answered no body", code, text);
    }

    /// <summary>Every transfer of a batch, page by page (<see cref="GetBatchDetailAsync"/>).</summary>
    public async Task<IReadOnlyList<PaymentHubTransfer>> GetAllTransfersAsync(string batchId, int pageSize = 100, CancellationToken ct = default)
    {
        var all = new List<PaymentHubTransfer>();
        for (var page = 0; ; page++)
        {
            var result = await GetBatchDetailAsync(batchId, null, page, pageSize, ct);
            all.AddRange(result.Content);
            if (result.Last || result.Content.Count == 0) return all;
        }
    }

    /// <summary>
    /// <c>GET {OperationsUrl}/api/v1/transfers?clientCorrelationId=</c> (ph-ee-operations-app
    /// <c>OperationsDetailedApi.transfers</c>): the transfers carrying one of our requestIds, newest first, each with
    /// its batchId. The way back to a batch whose 202 was lost. Upstream's default page size is 1; this asks for
    /// <paramref name="size"/>. Mind its quirk: totalElements is not a count (PageImpl built with the page count).
    /// </summary>
    public async Task<PaymentHubPage<PaymentHubTransferResponse>> FindTransfersAsync(
        string clientCorrelationId, int page = 0, int size = 20, CancellationToken ct = default)
    {
        var (code, text) = await GetAsync(
            $"api/v1/transfers?clientCorrelationId={Uri.EscapeDataString(clientCorrelationId)}&page={page}&size={size}", null, ct);
        Ensure(code, text, "GET /api/v1/transfers");
        return JsonSerializer.Deserialize<PaymentHubPage<PaymentHubTransferResponse>>(text, Json)
               ?? throw new PaymentHubException("GET /api/v1/transfers answered no body", code, text);
    }

    /// <summary>
    /// The payer's answer to a batch authorization request: <c>POST {AuthorizationCallbackUrl}</c> with
    /// <c>AuthorizationResponse {clientCorrelationId, status, reason}</c>, status "Y" or "N" (ph-ee-bulk-processor
    /// <c>CallbackController.handleAuthorizationCallback</c>: only "Y" authorizes; answers 200 with no body).
    /// </summary>
    public async Task AnswerAuthorizationAsync(string clientCorrelationId, bool authorized, string? reason, CancellationToken ct = default)
    {
        var url = string.IsNullOrWhiteSpace(_options.AuthorizationCallbackUrl)
            ? new Uri(PaymentHubOptions.Root(_options.BulkUrl), "authorization/callback")
            : new Uri(_options.AuthorizationCallbackUrl);
        var body = new JsonObject { ["clientCorrelationId"] = clientCorrelationId, ["status"] = authorized ? "Y" : "N", ["reason"] = reason };
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        var (status, text) = await SendAsync(request, ct);
        Ensure(status, text, "POST /authorization/callback");
    }

    private Task<(int, string)> GetAsync(string path, string? correlationId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(PaymentHubOptions.Root(_options.OperationsUrl), path));
        request.Headers.Add(TenantHeader, _options.Tenant);
        if (correlationId is not null) request.Headers.Add("X-Correlation-ID", correlationId);
        if (_options.OperationsToken is { Length: > 0 } token) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return SendAsync(request, ct);
    }

    private async Task<(int, string)> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using (request)
        {
            using var response = await HttpFailures.SendAsync(_http, request,
                (message, ex) => new PaymentHubException(message, null, null, ex), ct);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }
    }

    private static void Ensure(int status, string text, string what)
    {
        if (status is < 200 or >= 300) throw new PaymentHubException($"{what} answered {status}: {Shorten(text)}", status, text);
    }

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "…" : text;
}
