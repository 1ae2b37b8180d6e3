using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Task = System.Threading.Tasks.Task;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Clients.Ihris;

/// <summary>
/// Typed client for iHRIS's records on its FHIR R4 server (HAPI), at <see cref="IhrisOptions.FhirUrl"/>. HAPI itself
/// asks for no credentials; Basic ones are sent where a gateway in front of it does.
/// </summary>
public sealed class IhrisClient
{
    private const string FhirJson = "application/fhir+json";

    /// <summary>Firely's System.Text.Json converters; recoverable errors in stored data (e.g. an unknown code) do not fail a read.</summary>
    public static readonly JsonSerializerOptions FhirOptions = new JsonSerializerOptions().ForFhir().UsingMode(DeserializationMode.Recoverable);

    private readonly HttpClient _http;
    private readonly AuthenticationHeaderValue? _authorization;

    public IhrisClient(HttpClient http, IOptions<IhrisOptions> options)
    {
        _http = http;
        var o = options.Value;
        if (!string.IsNullOrEmpty(o.FhirUsername))
        {
            _authorization = new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{o.FhirUsername}:{o.FhirPassword}")));
        }
    }

    /// <summary>The server's CapabilityStatement (<c>GET /metadata</c>): proves it answers.</summary>
    public async Task<CapabilityStatement> MetadataAsync(CancellationToken ct = default)
    {
        var (status, body) = await SendAsync(HttpMethod.Get, "metadata", null, ct);
        EnsureSuccess(status, body, "GET metadata");
        return Deserialize<CapabilityStatement>(body);
    }

    /// <summary>Reads one resource; null when it does not exist (404) or was deleted (410).</summary>
    public async Task<T?> ReadAsync<T>(string id, CancellationToken ct = default) where T : Resource
    {
        var path = $"{(ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name)}/{Uri.EscapeDataString(id)}";
        var (status, body) = await SendAsync(HttpMethod.Get, path, null, ct);
        if (status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }
        EnsureSuccess(status, body, $"GET {path}");
        return Deserialize<T>(body);
    }

    /// <summary>One version of a resource (<c>vread</c>); null when that version does not exist or is the deletion.</summary>
    public async Task<T?> ReadVersionAsync<T>(string id, int version, CancellationToken ct = default) where T : Resource
    {
        var path = $"{(ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name)}/{Uri.EscapeDataString(id)}/_history/{version}";
        var (status, body) = await SendAsync(HttpMethod.Get, path, null, ct);
        if (status is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return null;
        }
        EnsureSuccess(status, body, $"GET {path}");
        return Deserialize<T>(body);
    }

    /// <summary>Deletes a resource (<c>DELETE</c>); deleting one already gone is not an error in FHIR.</summary>
    public async Task DeleteAsync<T>(string id, CancellationToken ct = default) where T : Resource
    {
        var path = $"{(ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name)}/{Uri.EscapeDataString(id)}";
        var (status, body) = await SendAsync(HttpMethod.Delete, path, null, ct);
        EnsureSuccess(status, body, $"DELETE {path}");
    }

    /// <summary>Creates or replaces a resource at its id (<c>PUT</c>).</summary>
    public async Task<T> UpdateAsync<T>(T resource, CancellationToken ct = default) where T : Resource
    {
        if (string.IsNullOrEmpty(resource.Id))
        {
            throw new ArgumentException("A resource needs an id to be PUT.", nameof(resource));
        }
        var path = $"{resource.TypeName}/{Uri.EscapeDataString(resource.Id)}";
        var (status, body) = await SendAsync(HttpMethod.Put, path, resource, ct);
        EnsureSuccess(status, body, $"PUT {path}");
        return Deserialize<T>(body);
    }

    /// <summary>Posts a transaction (or batch) Bundle to the FHIR base and returns the response Bundle.</summary>
    public async Task<Bundle> TransactionAsync(Bundle bundle, CancellationToken ct = default)
    {
        var (status, body) = await SendAsync(HttpMethod.Post, "", bundle, ct);
        EnsureSuccess(status, body, "POST (transaction)");
        return Deserialize<Bundle>(body);
    }

    /// <summary>
    /// Every page of a search, following <c>next</c> links, e.g. <c>SearchPagesAsync("PractitionerRole?_count=200")</c>.
    /// </summary>
    public async IAsyncEnumerable<Bundle> SearchPagesAsync(string query, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var path = query.TrimStart('/');
        while (true)
        {
            var (status, body) = await SendAsync(HttpMethod.Get, path, null, ct);
            EnsureSuccess(status, body, $"GET {path}");
            var page = Deserialize<Bundle>(body);
            yield return page;

            var next = page.Link.FirstOrDefault(l => l.Relation == "next")?.Url;
            if (string.IsNullOrEmpty(next))
            {
                yield break;
            }
            // HAPI's next link is "{base}?_getpages=…": followed on our own base, whatever host HAPI wrote.
            path = FhirLinks.BelowBase(next, _http.BaseAddress!.AbsolutePath);
        }
    }

    /// <summary>All resources of type <typeparamref name="T"/> that a search returns (included ones are skipped).</summary>
    public async Task<IReadOnlyList<T>> SearchAsync<T>(string parameters = "", CancellationToken ct = default) where T : Resource
    {
        var type = (ModelInfo.GetFhirTypeNameForType(typeof(T)) ?? typeof(T).Name);
        var query = string.IsNullOrEmpty(parameters) ? type : $"{type}?{parameters.TrimStart('?')}";
        var found = new List<T>();
        await foreach (var page in SearchPagesAsync(query, ct))
        {
            found.AddRange(page.Entry.Select(e => e.Resource).OfType<T>());
        }
        return found;
    }

    /// <summary>
    /// Versions of <paramref name="resourceType"/> changed since <paramref name="since"/> (<c>_history?_since=</c>), oldest
    /// page first as the server returns them.
    /// </summary>
    public IAsyncEnumerable<Bundle> HistorySinceAsync(string resourceType, DateTimeOffset since, int count = 200, CancellationToken ct = default) =>
        SearchPagesAsync($"{resourceType}/_history?_since={Uri.EscapeDataString(since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"))}&_count={count}", ct);

    // Plumbing

    private async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, Resource? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, FhirLinks.Resolve(_http.BaseAddress!, path));
        request.Headers.Authorization = _authorization;
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        // HAPI answers an identical search within 60 s from its cache (starter reuse_cached_search_results_millis):
        // a poll would miss what was written since. no-cache makes it search again, as iHRIS's own fhirAxios does.
        if (method == HttpMethod.Get) request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, body.GetType(), new MediaTypeHeaderValue(FhirJson), FhirOptions);
        }
        using var response = await HttpFailures.SendAsync(_http, request, NoResponse, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static void EnsureSuccess(HttpStatusCode status, string body, string request)
    {
        if ((int)status is >= 200 and < 300)
        {
            return;
        }
        OperationOutcome? outcome = null;
        try
        {
            outcome = JsonSerializer.Deserialize<Resource>(body, FhirOptions) as OperationOutcome;
        }
        catch (Exception ex) when (ex is JsonException or DeserializationFailedException)
        {
            // Not FHIR (the backend's own 401 page, a proxy's error).
        }
        var detail = outcome?.Issue.FirstOrDefault()?.Diagnostics ?? (body.Length > 300 ? body[..300] : body);
        throw new IhrisException($"iHRIS {request} failed with {(int)status}: {detail}", (int)status, outcome);
    }

    private static T Deserialize<T>(string body) where T : Resource =>
        JsonSerializer.Deserialize<T>(body, FhirOptions)
        ?? throw new IhrisException($"iHRIS answered an empty body where {typeof(T).Name} was expected.", 200);

    private static Exception NoResponse(string message, Exception ex) => new IhrisException(message, null, innerException: ex);
}
