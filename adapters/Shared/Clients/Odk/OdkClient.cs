using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Clients.Odk;

/// <summary>
/// Typed client for ODK Central's REST API (<c>/v1</c>): session token from <c>POST /v1/sessions</c>, Bearer on
/// every call, renewed once on 401.
/// </summary>
public sealed class OdkClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly OdkOptions _options;
    private readonly OdkSession _session;

    public OdkClient(HttpClient http, IOptions<OdkOptions> options, OdkSession session)
    {
        _http = http;
        _options = options.Value;
        _session = session;
    }

    /// <summary>Logs in now (and caches the token), so a wrong password shows up as a clear 401.</summary>
    public Task LogInAsync(CancellationToken ct = default) => _session.RenewAsync(_session.Token, () => CreateSessionAsync(ct));

    // Projects

    public async Task<IReadOnlyList<OdkProject>> ListProjectsAsync(CancellationToken ct = default) =>
        await SendAsync<List<OdkProject>>(HttpMethod.Get, "projects", null, ct);

    public async Task<OdkProject?> FindProjectByNameAsync(string name, CancellationToken ct = default) =>
        (await ListProjectsAsync(ct)).FirstOrDefault(p => p.Name == name && p.ArchivedAt is null);

    public Task<OdkProject> CreateProjectAsync(string name, CancellationToken ct = default) =>
        SendAsync<OdkProject>(HttpMethod.Post, "projects", JsonBody(new JsonObject { ["name"] = name }), ct);

    // Entity lists (datasets)

    public Task<OdkDataset?> GetDatasetAsync(long projectId, string dataset, CancellationToken ct = default) =>
        SendOrNullAsync<OdkDataset>(HttpMethod.Get, $"projects/{projectId}/datasets/{Esc(dataset)}", null, ct);

    public Task<OdkDataset> CreateDatasetAsync(long projectId, string dataset, bool approvalRequired = false, CancellationToken ct = default) =>
        SendAsync<OdkDataset>(HttpMethod.Post, $"projects/{projectId}/datasets",
            JsonBody(new JsonObject { ["name"] = dataset, ["approvalRequired"] = approvalRequired }), ct);

    public Task AddDatasetPropertyAsync(long projectId, string dataset, string property, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Post, $"projects/{projectId}/datasets/{Esc(dataset)}/properties",
            JsonBody(new JsonObject { ["name"] = property }), ct);

    // Entities

    /// <summary>
    /// Creates all entities or none: one uuid that exists anywhere on the server fails the lot with 409.3.
    /// </summary>
    public Task CreateEntitiesAsync(
        long projectId, string dataset, IReadOnlyCollection<OdkNewEntity> entities, string sourceName, CancellationToken ct = default)
    {
        var items = new JsonArray();
        foreach (var entity in entities)
        {
            items.Add(EntityJson(entity));
        }
        var body = new JsonObject
        {
            ["entities"] = items,
            ["source"] = new JsonObject { ["name"] = sourceName, ["size"] = entities.Count },
        };
        return SendAsync<JsonNode>(HttpMethod.Post, $"projects/{projectId}/datasets/{Esc(dataset)}/entities", JsonBody(body), ct);
    }

    /// <summary>
    /// One page of <c>.svc/Entities</c>, newest first, each row with its properties (<c>worker_id</c>...) at the top
    /// level. <paramref name="filter"/> may only use <c>__id</c> and <c>__system</c> fields (<see cref="OdkOData.CreatedSince"/>);
    /// Central refuses filters on properties (501.5).
    /// </summary>
    public async Task<OdkEntityPage> GetEntitiesPageAsync(
        long projectId, string dataset, string? filter = null, string? skipToken = null, int top = 250, CancellationToken ct = default)
    {
        var query = new List<string> { "$top=" + top };
        if (filter is not null) query.Add("$filter=" + Uri.EscapeDataString(filter));
        if (skipToken is not null) query.Add("$skiptoken=" + Uri.EscapeDataString(skipToken));
        var page = await SendAsync<JsonObject>(HttpMethod.Get,
            $"projects/{projectId}/datasets/{Esc(dataset)}.svc/Entities?{string.Join('&', query)}", null, ct);

        var entities = (page["value"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return new OdkEntityPage(entities, OdkOData.SkipTokenOf((string?)page["@odata.nextLink"]));
    }

    public Task<OdkEntity> CreateEntityAsync(long projectId, string dataset, OdkNewEntity entity, CancellationToken ct = default) =>
        SendAsync<OdkEntity>(HttpMethod.Post, $"projects/{projectId}/datasets/{Esc(dataset)}/entities", JsonBody(EntityJson(entity)), ct);

    public Task<OdkEntity?> GetEntityAsync(long projectId, string dataset, string uuid, CancellationToken ct = default) =>
        SendOrNullAsync<OdkEntity>(HttpMethod.Get, $"projects/{projectId}/datasets/{Esc(dataset)}/entities/{Esc(uuid)}", null, ct);

    public async Task<IReadOnlyList<OdkEntity>> ListEntitiesAsync(long projectId, string dataset, CancellationToken ct = default) =>
        await SendAsync<List<OdkEntity>>(HttpMethod.Get, $"projects/{projectId}/datasets/{Esc(dataset)}/entities", null, ct);

    /// <summary>
    /// Updates label and/or data. With <paramref name="baseVersion"/> a stale version fails with 409.15;
    /// without it the update is forced.
    /// </summary>
    public Task<OdkEntity> UpdateEntityAsync(
        long projectId, string dataset, string uuid, string? label, IReadOnlyDictionary<string, string>? data,
        int? baseVersion, CancellationToken ct = default)
    {
        var body = new JsonObject();
        if (label is not null) body["label"] = label;
        if (data is not null) body["data"] = DataJson(data);
        var query = baseVersion is { } version ? $"baseVersion={version}" : "force=true";
        return SendAsync<OdkEntity>(HttpMethod.Patch,
            $"projects/{projectId}/datasets/{Esc(dataset)}/entities/{Esc(uuid)}?{query}", JsonBody(body), ct);
    }

    public Task DeleteEntityAsync(long projectId, string dataset, string uuid, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Delete, $"projects/{projectId}/datasets/{Esc(dataset)}/entities/{Esc(uuid)}", null, ct);

    /// <summary>
    /// Brings a deleted entity back, as it was when deleted (central-backend lib/resources/entities.js
    /// <c>POST …/entities/:uuid/restore</c>; 404 when no deleted entity has that uuid). Central refuses to create an
    /// entity with a deleted one's uuid (409.19), so this is how a uuid comes back into use.
    /// </summary>
    public Task RestoreEntityAsync(long projectId, string dataset, string uuid, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Post, $"projects/{projectId}/datasets/{Esc(dataset)}/entities/{Esc(uuid)}/restore", null, ct);

    // Forms

    public Task<OdkForm?> GetFormAsync(long projectId, string xmlFormId, CancellationToken ct = default) =>
        SendOrNullAsync<OdkForm>(HttpMethod.Get, $"projects/{projectId}/forms/{Esc(xmlFormId)}", null, ct);

    /// <summary>Creates a form from XForm XML (no XLSForm conversion needed); published at once or left as a draft.</summary>
    public Task<OdkForm> CreateFormAsync(long projectId, string xformXml, bool publish, CancellationToken ct = default) =>
        SendAsync<OdkForm>(HttpMethod.Post, $"projects/{projectId}/forms{(publish ? "?publish=true" : "")}", XmlBody(xformXml), ct);

    /// <summary>Replaces the draft of an existing form with new XForm XML.</summary>
    public Task CreateDraftAsync(long projectId, string xmlFormId, string xformXml, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Post, $"projects/{projectId}/forms/{Esc(xmlFormId)}/draft", XmlBody(xformXml), ct);

    public Task PublishDraftAsync(long projectId, string xmlFormId, string? version = null, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Post,
            $"projects/{projectId}/forms/{Esc(xmlFormId)}/draft/publish{(version is null ? "" : "?version=" + Esc(version))}", null, ct);

    public async Task<IReadOnlyList<OdkFormAttachment>> ListDraftAttachmentsAsync(long projectId, string xmlFormId, CancellationToken ct = default) =>
        await SendAsync<List<OdkFormAttachment>>(HttpMethod.Get, $"projects/{projectId}/forms/{Esc(xmlFormId)}/draft/attachments", null, ct);

    /// <summary>Serves a draft attachment (e.g. <c>health_workers.csv</c>) from the entity list of the same name.</summary>
    public Task LinkDraftAttachmentToDatasetAsync(long projectId, string xmlFormId, string attachmentName, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Patch, $"projects/{projectId}/forms/{Esc(xmlFormId)}/draft/attachments/{Esc(attachmentName)}",
            JsonBody(new JsonObject { ["dataset"] = true }), ct);

    // Submissions

    /// <summary>
    /// One page of <c>.svc/Submissions</c>. <paramref name="filter"/> may only use <c>__system</c> fields
    /// (<see cref="OdkOData.ChangedSince"/>); Central refuses filters on form fields (501.5).
    /// </summary>
    public async Task<OdkSubmissionPage> GetSubmissionsPageAsync(
        long projectId, string xmlFormId, string? filter = null, string? skipToken = null, int top = 250, CancellationToken ct = default,
        string? select = null)
    {
        var query = new List<string> { "$top=" + top, "$count=true" };
        if (filter is not null) query.Add("$filter=" + Uri.EscapeDataString(filter));
        if (select is not null) query.Add("$select=" + Uri.EscapeDataString(select));
        if (skipToken is not null) query.Add("$skiptoken=" + Uri.EscapeDataString(skipToken));
        var page = await SendAsync<JsonObject>(HttpMethod.Get,
            $"projects/{projectId}/forms/{Esc(xmlFormId)}.svc/Submissions?{string.Join('&', query)}", null, ct);

        var submissions = (page["value"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        return new OdkSubmissionPage(submissions, OdkOData.SkipTokenOf((string?)page["@odata.nextLink"]), (int?)page["@odata.count"]);
    }

    /// <summary>Every page of a form's submissions feed that <paramref name="filter"/> selects, following Central's skip tokens.</summary>
    public async IAsyncEnumerable<IReadOnlyList<JsonObject>> GetSubmissionPagesAsync(long projectId, string xmlFormId, string? filter, int top,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default, string? select = null)
    {
        string? skipToken = null;
        do
        {
            var page = await GetSubmissionsPageAsync(projectId, xmlFormId, filter, skipToken, top, ct, select);
            yield return page.Submissions;
            skipToken = page.NextSkipToken;
        } while (skipToken is not null);
    }

    /// <summary>
    /// Submits one filled-in form as XML (<c>POST .../forms/{xmlFormId}/submissions</c>): the root element carries the
    /// form id and version, <c>meta/instanceID</c> the submission's id.
    /// </summary>
    public Task<OdkSubmission> CreateSubmissionAsync(long projectId, string xmlFormId, string submissionXml, CancellationToken ct = default) =>
        SendAsync<OdkSubmission>(HttpMethod.Post, $"projects/{projectId}/forms/{Esc(xmlFormId)}/submissions", XmlBody(submissionXml), ct);

    public Task SetReviewStateAsync(long projectId, string xmlFormId, string instanceId, OdkReviewState state, CancellationToken ct = default)
    {
        var value = state switch
        {
            OdkReviewState.Approved => "approved",
            OdkReviewState.Rejected => "rejected",
            _ => "hasIssues",
        };
        return SendAsync<JsonNode>(HttpMethod.Patch, $"projects/{projectId}/forms/{Esc(xmlFormId)}/submissions/{Esc(instanceId)}",
            JsonBody(new JsonObject { ["reviewState"] = value }), ct);
    }

    // App users

    public async Task<IReadOnlyList<OdkAppUser>> ListAppUsersAsync(long projectId, CancellationToken ct = default) =>
        await SendAsync<List<OdkAppUser>>(HttpMethod.Get, $"projects/{projectId}/app-users", null, ct);

    /// <summary>Creates an app user; its token (returned once, never expires) goes into the collect app.</summary>
    public Task<OdkAppUser> CreateAppUserAsync(long projectId, string displayName, CancellationToken ct = default) =>
        SendAsync<OdkAppUser>(HttpMethod.Post, $"projects/{projectId}/app-users",
            JsonBody(new JsonObject { ["displayName"] = displayName }), ct);

    public Task AssignAppUserToFormAsync(long projectId, string xmlFormId, long appUserId, CancellationToken ct = default) =>
        SendAsync<JsonNode>(HttpMethod.Post, $"projects/{projectId}/forms/{Esc(xmlFormId)}/assignments/app-user/{appUserId}", null, ct);

    // Plumbing

    private async Task<string> CreateSessionAsync(CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "sessions")
        {
            Content = JsonContent.Create(new JsonObject { ["email"] = _options.Email, ["password"] = _options.Password }),
        };
        using var response = await HttpFailures.SendAsync(_http, request, NoResponse, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw OdkException.FromResponse((int)response.StatusCode, text, "POST /v1/sessions");
        }
        return (string?)JsonNode.Parse(text)?["token"]
               ?? throw new OdkException("ODK Central answered a session without a token.", (int)response.StatusCode);
    }

    private async Task<T> SendAsync<T>(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
    {
        var (status, text) = await SendWithSessionAsync(method, path, content, ct);
        if ((int)status is < 200 or >= 300)
        {
            throw OdkException.FromResponse((int)status, text, $"{method} /v1/{path}");
        }
        return JsonSerializer.Deserialize<T>(text, Json)
               ?? throw new OdkException($"ODK Central answered {method} /v1/{path} with an empty body.", (int)status);
    }

    private async Task<T?> SendOrNullAsync<T>(HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
        where T : class
    {
        var (status, text) = await SendWithSessionAsync(method, path, content, ct);
        if (status == HttpStatusCode.NotFound)
        {
            return null;
        }
        if ((int)status is < 200 or >= 300)
        {
            throw OdkException.FromResponse((int)status, text, $"{method} /v1/{path}");
        }
        return JsonSerializer.Deserialize<T>(text, Json);
    }

    private async Task<(HttpStatusCode Status, string Body)> SendWithSessionAsync(
        HttpMethod method, string path, Func<HttpContent>? content, CancellationToken ct)
    {
        var token = _session.Token ?? await _session.RenewAsync(null, () => CreateSessionAsync(ct));
        var (status, body) = await SendOnceAsync(method, path, content, token, ct);
        if (status == HttpStatusCode.Unauthorized)
        {
            token = await _session.RenewAsync(token, () => CreateSessionAsync(ct));
            (status, body) = await SendOnceAsync(method, path, content, token, ct);
        }
        return (status, body);
    }

    private async Task<(HttpStatusCode, string)> SendOnceAsync(
        HttpMethod method, string path, Func<HttpContent>? content, string token, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content?.Invoke() };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await HttpFailures.SendAsync(_http, request, NoResponse, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static Exception NoResponse(string message, Exception ex) => new OdkException(message, null, innerException: ex);

    private static Func<HttpContent> JsonBody(JsonNode body) => () => JsonContent.Create(body, options: Json);

    private static Func<HttpContent> XmlBody(string xml) => () => new StringContent(xml, Encoding.UTF8, "application/xml");

    private static JsonObject EntityJson(OdkNewEntity entity) => new()
    {
        ["uuid"] = entity.Uuid,
        ["label"] = entity.Label,
        ["data"] = DataJson(entity.Data),
    };

    private static JsonObject DataJson(IReadOnlyDictionary<string, string> data)
    {
        var json = new JsonObject();
        foreach (var (name, value) in data)
        {
            json[name] = value;
        }
        return json;
    }

    private static string Esc(string segment) => Uri.EscapeDataString(segment);
}
