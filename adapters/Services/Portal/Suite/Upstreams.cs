namespace OneClickSuite.Portal.Suite;

public sealed record UpstreamStatus(string Name, string What, string? Url, string? SignIn, bool Reachable, string Detail);

/// <summary>
/// The three upstream systems as the portal links to them: their address from the same configuration the adapters use
/// (<c>Fineract:BaseUrl</c>, <c>Odk:BaseUrl</c>, <c>Ihris:BaseUrl</c>), the address of their own UI where it differs
/// (<c>Portal:Links:*</c>, e.g. the Mifos X web app), and who to sign in as (<c>Portal:SignIn:*</c>).
/// </summary>
public sealed class Upstreams(IConfiguration configuration, IHttpClientFactory clients)
{
    public const string HttpClientName = "upstream-health";

    private static readonly (string Key, string Name, string What, string HealthPath)[] Systems =
    [
        ("Ihris", "iHRIS", "health workforce registry", "/config/app"),
        ("Odk", "ODK Central", "field data: activity reports", "/v1/config/public"),
        ("Fineract", "Fineract", "core banking: workers' accounts", "/fineract-provider/actuator/health"),
    ];

    public string? BaseUrl(string key) => configuration[$"{key}:BaseUrl"] is { Length: > 0 } url ? url.TrimEnd('/') : null;

    /// <summary>The system's own UI (where a person signs in).</summary>
    public string? UiUrl(string key) => configuration[$"Portal:Links:{key}"] is { Length: > 0 } link ? link : BaseUrl(key);

    /// <summary>ODK Central's page for one submission (its web front end's route).</summary>
    public string? OdkSubmissionUrl(long? projectId, string formId, string instanceId) =>
        UiUrl("Odk") is { } odk && projectId is not null
            ? $"{odk}/#/projects/{projectId}/forms/{Uri.EscapeDataString(formId)}/submissions/{Uri.EscapeDataString(instanceId)}"
            : null;

    public async Task<IReadOnlyList<UpstreamStatus>> StatusAsync(CancellationToken ct)
    {
        var http = clients.CreateClient(HttpClientName);
        return await Task.WhenAll(Systems.Select(async system =>
        {
            var baseUrl = BaseUrl(system.Key);
            var signIn = configuration[$"Portal:SignIn:{system.Key}"];
            if (baseUrl is null) return new UpstreamStatus(system.Name, system.What, null, signIn, false, "not configured");
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await http.GetAsync(baseUrl + system.HealthPath, timeout.Token);
                return new UpstreamStatus(system.Name, system.What, UiUrl(system.Key), signIn, response.IsSuccessStatusCode,
                    response.IsSuccessStatusCode ? "answering" : $"answers {(int)response.StatusCode}");
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or Polly.ExecutionRejectedException)
            {
                return new UpstreamStatus(system.Name, system.What, UiUrl(system.Key), signIn, false, "not answering");
            }
        }));
    }
}
