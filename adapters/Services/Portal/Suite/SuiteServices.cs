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

/// <summary>
/// The adapters' APIs as the portal uses them: the iHRIS adapter's quarantine retry, poll and held reads, each service's
/// dead letters and health (Payroll's own API has its client, <see cref="PayrollClient"/>). Each call carries who acts as a short-lived token signed with
/// the suite's key (<see cref="SuiteIdentity"/>); the services verify it and check the roles themselves.
/// </summary>
public sealed class SuiteServices(HttpClient http, IOptions<SuiteServiceOptions> options, IConfiguration configuration)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SuiteServiceOptions _services = options.Value;

    /// <summary>Full reads of iHRIS the iHRIS adapter held because they would have retired too many workers.</summary>
    public Task<Outcome<List<RosterHoldView>>> ListRosterHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<RosterHoldView>>(HttpMethod.Get, _services.IhrisAdapter, "/roster/holds", actor, null, ct);

    public Task<Outcome<RosterHoldView>> DecideRosterHoldAsync(long id, bool confirm, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<RosterHoldView>(HttpMethod.Post, _services.IhrisAdapter, $"/roster/holds/{id}/{(confirm ? "confirm" : "dismiss")}", actor,
            new { reason }, ct);

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

    private Task<Outcome<T>> SendAsync<T>(HttpMethod method, string baseUrl, string path, SuiteActor actor, object? body, CancellationToken ct) =>
        SuiteHttp.SendAsync<T>(http, configuration, method, new Uri(new Uri(baseUrl), path), actor, body, new Uri(baseUrl).Host, ct);
}
