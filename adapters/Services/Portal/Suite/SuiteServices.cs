using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Portal.Suite;

/// <summary>Where the suite's own services answer (service discovery names in the graph; plain URLs in tests).</summary>
public sealed class SuiteServiceOptions
{
    public const string SectionName = "Portal:Services";

    public string Payroll { get; set; } = "http://payroll";
    public string IhrisAdapter { get; set; } = "http://ihris-adapter";
    public string OdkAdapter { get; set; } = "http://odk-adapter";
    public string FineractAdapter { get; set; } = "http://fineract-adapter";

    public IReadOnlyList<(string Name, string Url)> All =>
        [("ihris-adapter", IhrisAdapter), ("odk-adapter", OdkAdapter), ("fineract-adapter", FineractAdapter), ("payroll", Payroll)];
}

/// <summary>A held full read of iHRIS, as the iHRIS adapter answers it (<c>GET /roster/holds</c>).</summary>
public sealed record RosterHoldView(long Id, DateTime HeldAt, int RosterSize, int Missing, string[] WorkerIds, string Status, string? DecidedBy,
    DateTime? DecidedAt, string? Reason, int? Retired);

/// <summary>Who acts: the person signed in to the portal (or the demo) and their suite roles.</summary>
public sealed record SuiteActor(string User, IReadOnlyList<string> Roles);

/// <summary>
/// Every change the portal makes goes through a service's own HTTP API: Payroll's pay runs, the iHRIS adapter's
/// quarantine retry, each service's dead-letter replay. Each call carries who acts as a short-lived token signed with
/// the suite's key (<see cref="SuiteIdentity"/>); the services verify it and check the roles themselves.
/// </summary>
public sealed class SuiteServices(HttpClient http, IOptions<SuiteServiceOptions> options, IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SuiteServiceOptions _services = options.Value;

    public Task<Outcome<List<PayRunView>>> ListPayRunsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayRunView>>(HttpMethod.Get, _services.Payroll, "/payruns", actor, null, ct);

    public Task<Outcome<PayRunView>> GetPayRunAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Get, _services.Payroll, $"/payruns/{id}", actor, null, ct);

    public Task<Outcome<List<PayLineView>>> GetLinesAsync(Guid id, string? status, int offset, int limit, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayLineView>>(HttpMethod.Get, _services.Payroll,
            $"/payruns/{id}/lines?offset={offset}&limit={limit}" + (status is null ? "" : $"&status={Uri.EscapeDataString(status)}"), actor, null, ct);

    public Task<Outcome<ReconciliationReport>> ReconcileAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<ReconciliationReport>(HttpMethod.Get, _services.Payroll, $"/payruns/{id}/reconciliation", actor, null, ct);

    public Task<Outcome<PayRunView>> CreatePayRunAsync(NewPayRun request, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, _services.Payroll, "/payruns", actor, request, ct);

    public Task<Outcome<PayRunView>> SubmitAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, _services.Payroll, $"/payruns/{id}/submit", actor, null, ct);

    public Task<Outcome<PayRunView>> ApproveAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, _services.Payroll, $"/payruns/{id}/approve", actor, null, ct);

    public Task<Outcome<PayRunView>> CancelAsync(Guid id, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, _services.Payroll, $"/payruns/{id}/cancel", actor, new { reason }, ct);

    public Task<Outcome<JsonNode>> RetryLineAsync(Guid id, Guid lineId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, _services.Payroll, $"/payruns/{id}/lines/{lineId}/retry", actor, null, ct);

    /// <summary>The run's checks, computed by Payroll (<paramref name="open"/>: only blocking ones not resolved).</summary>
    public Task<Outcome<List<RunCheckView>>> GetChecksAsync(Guid id, bool open, int offset, int limit, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<RunCheckView>>(HttpMethod.Get, _services.Payroll,
            $"/payruns/{id}/checks?open={(open ? "true" : "false")}&offset={offset}&limit={limit}", actor, null, ct);

    public Task<Outcome<RunCheckView>> ResolveCheckAsync(Guid id, long checkId, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<RunCheckView>(HttpMethod.Post, _services.Payroll, $"/payruns/{id}/checks/{checkId}/resolve", actor, new ResolveCheck(reason), ct);

    /// <summary>Workers Payroll sets aside, with the record, field, value and reason.</summary>
    public Task<Outcome<List<PayHoldView>>> ListPayHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayHoldView>>(HttpMethod.Get, _services.Payroll, "/pay-holds", actor, null, ct);

    public Task<Outcome<JsonNode>> RecheckPayHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, _services.Payroll, "/pay-holds/recheck", actor, null, ct);

    public Task<Outcome<List<PayStatementView>>> ListStatementsAsync(string? workerId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayStatementView>>(HttpMethod.Get, _services.Payroll,
            "/statements" + (workerId is null ? "" : $"?workerId={Uri.EscapeDataString(workerId)}"), actor, null, ct);

    public Task<Outcome<PayStatementView>> GetStatementAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayStatementView>(HttpMethod.Get, _services.Payroll, $"/statements/{id}", actor, null, ct);

    public Task<Outcome<List<DisputeView>>> ListDisputesAsync(string? status, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<DisputeView>>(HttpMethod.Get, _services.Payroll,
            "/disputes" + (status is null ? "" : $"?status={Uri.EscapeDataString(status)}"), actor, null, ct);

    public Task<Outcome<DisputeView>> AnswerDisputeAsync(Guid id, AnswerDispute answer, SuiteActor actor, CancellationToken ct) =>
        SendAsync<DisputeView>(HttpMethod.Post, _services.Payroll, $"/disputes/{id}/answer", actor, answer, ct);

    /// <summary>Full reads of iHRIS the iHRIS adapter held because they would have retired too many workers.</summary>
    public Task<Outcome<List<RosterHoldView>>> ListRosterHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<RosterHoldView>>(HttpMethod.Get, _services.IhrisAdapter, "/roster/holds", actor, null, ct);

    public Task<Outcome<RosterHoldView>> DecideRosterHoldAsync(long id, bool confirm, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<RosterHoldView>(HttpMethod.Post, _services.IhrisAdapter, $"/roster/holds/{id}/{(confirm ? "confirm" : "dismiss")}", actor,
            new { reason }, ct);

    /// <summary>Payroll's CSV of a run, streamed as it comes.</summary>
    public async Task<HttpResponseMessage> ExportCsvAsync(Guid id, SuiteActor actor, CancellationToken ct)
    {
        var request = Request(HttpMethod.Get, _services.Payroll, $"/payruns/{id}/export.csv", actor, null);
        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
    }

    /// <summary>Asks the iHRIS adapter to read a quarantined worker again (after it was fixed in iHRIS).</summary>
    public Task<Outcome<JsonNode>> RetryQuarantinedAsync(long quarantineId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, _services.IhrisAdapter, $"/quarantine/{quarantineId}/retry", actor, null, ct);

    /// <summary>Runs the iHRIS adapter's regular poll now.</summary>
    public Task<Outcome<JsonNode>> PollRosterAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, _services.IhrisAdapter, "/roster/poll", actor, null, ct);

    /// <summary>Each service's dead letters; a service that does not answer within 10 s is reported as such.</summary>
    public async Task<IReadOnlyList<(string Service, Outcome<List<DeadLetter>> Letters)>> DeadLettersAsync(SuiteActor actor, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        var lists = await Task.WhenAll(_services.All.Select(async service =>
            (service.Name, await SendAsync<List<DeadLetter>>(HttpMethod.Get, service.Url, "/dead-letters", actor, null, timeout.Token))));
        return lists;
    }

    public Task<Outcome<JsonNode>> ReplayDeadLetterAsync(string service, Guid id, SuiteActor actor, CancellationToken ct)
    {
        var url = _services.All.FirstOrDefault(s => s.Name == service).Url;
        return url is null
            ? Task.FromResult(Outcome<JsonNode>.Refused(404, $"no service named {service}"))
            : SendAsync<JsonNode>(HttpMethod.Post, url, $"/dead-letters/{id}/replay", actor, null, ct);
    }

    /// <summary>Each suite service's readiness (its /health).</summary>
    public async Task<IReadOnlyList<(string Service, bool Healthy, string Detail)>> HealthAsync(CancellationToken ct)
    {
        return await Task.WhenAll(_services.All.Select(async service =>
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await http.GetAsync(new Uri(new Uri(service.Url), "/health"), timeout.Token);
                return (service.Name, response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(timeout.Token)}");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or Polly.ExecutionRejectedException)
            {
                return (service.Name, false, ex.Message);
            }
        }));
    }

    private HttpRequestMessage Request(HttpMethod method, string baseUrl, string path, SuiteActor actor, object? body)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(baseUrl), path));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            SuiteIdentity.CreateToken(configuration, actor.User, actor.Roles));
        if (body is not null) request.Content = JsonContent.Create(body, options: Json);
        else if (method == HttpMethod.Post) request.Content = JsonContent.Create(new { }, options: Json);
        return request;
    }

    private async Task<Outcome<T>> SendAsync<T>(HttpMethod method, string baseUrl, string path, SuiteActor actor, object? body, CancellationToken ct)
    {
        using var request = Request(method, baseUrl, path, actor, body);
        try
        {
            using var response = await http.SendAsync(request, ct);
            if (response.IsSuccessStatusCode)
            {
                var value = response.StatusCode is HttpStatusCode.NoContent or HttpStatusCode.Accepted && response.Content.Headers.ContentLength is 0 or null
                    ? default
                    : await ReadAsync<T>(response, ct);
                return new Outcome<T>((int)response.StatusCode, null, value);
            }
            return Outcome<T>.Refused((int)response.StatusCode, await ProblemOf(response, ct));
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.ExecutionRejectedException or OperationCanceledException)
        {
            return Outcome<T>.Refused(502, $"{new Uri(baseUrl).Host} did not answer: {ex.Message}");
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        return text.Length == 0 ? default : JsonSerializer.Deserialize<T>(text, Json);
    }

    /// <summary>The title of a problem+json answer, or the body as it is.</summary>
    private static async Task<string> ProblemOf(HttpResponseMessage response, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        try
        {
            var node = JsonNode.Parse(text);
            var title = node?["title"]?.GetValue<string>() ?? node?["reason"]?.GetValue<string>();
            if (!string.IsNullOrWhiteSpace(title)) return title;
        }
        catch (JsonException)
        {
        }
        return string.IsNullOrWhiteSpace(text) ? $"{(int)response.StatusCode} {response.ReasonPhrase}" : text;
    }
}
