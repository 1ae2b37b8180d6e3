using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;
using OneClickSuite.Emulators.Ihris.Hosting;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>The HAPI FHIR 6.8 REST surface (hapiproject/hapi:v6.8.0 with the jpaserver-starter defaults).</summary>
public static partial class FhirEndpoints
{
    private static readonly FhirJsonDeserializer Deserializer = new();

    public static IEndpointRouteBuilder MapFhirEndpoints(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup(Surfaces.HapiPrefix);
        fhir.MapGet("/metadata", (HttpContext context, CapabilityStatementProvider capabilities) => capabilities.WriteAsync(context));
        fhir.MapGet("/", GetPagesAsync);
        fhir.MapPost("/", TransactionAsync);
        fhir.MapGet("/_history", (HttpContext context) => HistoryAsync(context, null, null));
        fhir.MapGet("/{type}", SearchAsync);
        fhir.MapPost("/{type}/_search", SearchAsync);
        fhir.MapPost("/{type}", CreateAsync);
        fhir.MapPut("/{type}", ConditionalUpdateAsync);
        fhir.MapGet("/{type}/_history", (HttpContext context, string type) => HistoryAsync(context, KnownType(type), null));
        fhir.MapGet("/{type}/{id}", (HttpContext context, string type, string id) => ReadAsync(context, type, id, null));
        fhir.MapGet("/{type}/{id}/_history/{version}", (HttpContext context, string type, string id, string version) =>
            ReadAsync(context, type, id, version));
        fhir.MapGet("/{type}/{id}/_history", async (HttpContext context, string type, string id) =>
        {
            var store = context.RequestServices.GetRequiredService<FhirStore>();
            if (await store.ReadAsync(KnownType(type), id, null, context.RequestAborted) is null) throw FhirException.NotFound(type, id);
            await HistoryAsync(context, type, id);
        });
        fhir.MapPut("/{type}/{id}", UpdateAsync);
        fhir.MapDelete("/{type}/{id}", DeleteAsync);
        return app;
    }

    private static FhirStore Store(HttpContext context) => context.RequestServices.GetRequiredService<FhirStore>();

    private static IhrisOptions Options(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<IhrisOptions>>().Value;

    private static string KnownType(string type) =>
        FhirResourceTypes.IsKnown(type) ? type : throw FhirException.UnknownResourceType(type);

    public static async Task ReadAsync(HttpContext context, string type, string id, string? version)
    {
        KnownType(type);
        int? versionNumber = null;
        if (version is not null)
        {
            if (!int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            {
                throw FhirException.NotFound(type, $"{id}/_history/{version}");
            }
            versionNumber = parsed;
        }
        var resource = await Store(context).ReadAsync(type, id, versionNumber, context.RequestAborted)
                       ?? throw FhirException.NotFound(type, version is null ? id : $"{id}/_history/{version}");
        if (resource.Deleted)
        {
            // BaseHapiFhirResourceDao.read: a deleted resource is gone, with the time of its deletion.
            throw new FhirException(StatusCodes.Status410Gone,
                $"HAPI-2244: Resource was deleted at {FhirResults.FormatInstant(resource.LastUpdated)}");
        }
        await FhirResults.WriteResourceAsync(context.Response, StatusCodes.Status200OK, resource);
    }

    public static async Task CreateAsync(HttpContext context, string type)
    {
        var watch = Stopwatch.StartNew();
        KnownType(type);
        var resource = await ReadResourceBodyAsync(context.Request, type);
        var store = Store(context);
        SearchRequest? ifNoneExist = null;
        var matchUrl = context.Request.Headers["If-None-Exist"].ToString();
        if (matchUrl.Length > 0) ifNoneExist = ParseMatchUrl(type, matchUrl);
        var ids = await store.NewServerIdsAsync(1, context.RequestAborted);
        var result = (await store.WriteAsync(
            [new WriteOperation { Method = WriteMethod.Create, Type = type, Id = ids[0], Resource = resource, IfNoneExist = ifNoneExist, MatchUrl = ifNoneExist is null ? null : matchUrl }],
            FhirStore.NewRequestId(), context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result, watch);
    }

    /// <summary>A conditional URL ("Type?params" or "params") parsed as a search on <paramref name="type"/>.</summary>
    private static SearchRequest ParseMatchUrl(string type, string matchUrl)
    {
        var question = matchUrl.IndexOf('?');
        var query = question < 0 ? matchUrl : matchUrl[(question + 1)..];
        var request = SearchRequest.Parse(type, ParseQueryString(query), int.MaxValue);
        if (request.Filters.Count == 0 && request.IdFilters.Count == 0 && request.LastUpdated.Count == 0)
        {
            throw FhirException.BadRequest($"HAPI-0518: Invalid match URL[{matchUrl}] - URL has no search parameters");
        }
        return request;
    }

    public static async Task UpdateAsync(HttpContext context, string type, string id)
    {
        var watch = Stopwatch.StartNew();
        KnownType(type);
        var resource = await ReadResourceBodyAsync(context.Request, type);
        if (string.IsNullOrEmpty(resource.Id))
        {
            throw FhirException.BadRequest("HAPI-0419: Can not update resource, resource body must contain an ID element for update (PUT) operation");
        }
        if (resource.Id != id)
        {
            throw FhirException.BadRequest(
                $"HAPI-0420: Can not update resource, resource body must contain an ID element which matches the request URL for update (PUT) operation - Resource body ID of \"{resource.Id}\" does not match URL ID of \"{id}\"");
        }
        var store = Store(context);
        await EnsureClientIdAllowedAsync(store, type, id, context.RequestAborted);
        var result = (await store.WriteAsync(
            [new WriteOperation { Method = WriteMethod.Update, Type = type, Id = id, Resource = resource, IfMatchVersion = IfMatch(context.Request) }],
            FhirStore.NewRequestId(), context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result, watch);
    }

    private static async Task ConditionalUpdateAsync(HttpContext context, string type)
    {
        var watch = Stopwatch.StartNew();
        KnownType(type);
        var matchUrl = $"{type}{context.Request.QueryString.Value}";
        var conditional = ParseMatchUrl(type, context.Request.QueryString.Value?.TrimStart('?') ?? "");
        var resource = await ReadResourceBodyAsync(context.Request, type);
        var result = (await Store(context).WriteAsync(
            [new WriteOperation { Method = WriteMethod.Update, Type = type, Resource = resource, Conditional = conditional, MatchUrl = matchUrl }],
            FhirStore.NewRequestId(), context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result, watch);
    }

    public static async Task DeleteAsync(HttpContext context, string type, string id)
    {
        var watch = Stopwatch.StartNew();
        KnownType(type);
        var result = (await Store(context).WriteAsync([new WriteOperation { Method = WriteMethod.Delete, Type = type, Id = id }],
            FhirStore.NewRequestId(), context.RequestAborted))[0];
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = FhirResults.FhirJson;
        await context.Response.Body.WriteAsync(OperationOutcomeJson.Information(result, watch.ElapsedMilliseconds));
    }

    /// <summary>
    /// RestfulServerUtils.parsePreferHeader / BaseOutcomeReturningMethodBinding: "return=minimal" answers no body,
    /// "return=OperationOutcome" the informational outcome, anything else (default) the stored resource.
    /// </summary>
    private static async Task WriteWriteResultAsync(HttpContext context, WriteResult result, Stopwatch watch)
    {
        var response = context.Response;
        var location = $"{FhirResults.BaseUrl(context.Request)}/{result.Type}/{result.Id}/_history/{result.Version}";
        response.StatusCode = result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK;
        if (result.Created) response.Headers.Location = location;
        response.Headers.ContentLocation = location;
        response.Headers.ETag = FhirResults.ETag(result.Version);
        response.Headers.LastModified = result.LastUpdated.ToString("R", CultureInfo.InvariantCulture);
        switch (PreferReturn(context.Request))
        {
            case "minimal":
                return;
            case "OperationOutcome":
                response.ContentType = FhirResults.FhirJson;
                await response.Body.WriteAsync(OperationOutcomeJson.Information(result, watch.ElapsedMilliseconds));
                return;
            default:
                response.ContentType = FhirResults.FhirJson;
                await response.Body.WriteAsync(Encoding.UTF8.GetBytes(result.Body ?? ""));
                return;
        }
    }

    public static string? PreferReturn(HttpRequest request)
    {
        foreach (var part in request.Headers["Prefer"].ToString().Split([';', ','], StringSplitOptions.TrimEntries))
        {
            if (part.StartsWith("return=", StringComparison.Ordinal)) return part["return=".Length..].Trim('"');
        }
        return null;
    }

    private static int? IfMatch(HttpRequest request)
    {
        var header = request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(header)) return null;
        var digits = header.Replace("W/", "", StringComparison.Ordinal).Trim('"');
        return int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw FhirException.BadRequest($"Invalid If-Match header value: {header}");
    }

    // HAPI's default client id strategy (ALPHANUMERIC): a client may not create a purely numeric id.
    private static async Task EnsureClientIdAllowedAsync(FhirStore store, string type, string id, CancellationToken ct)
    {
        if (!IdPattern().IsMatch(id))
        {
            throw FhirException.BadRequest($"HAPI-0521: Invalid resource ID \"{id}\"");
        }
        if (id.All(char.IsAsciiDigit) && await store.ReadAsync(type, id, null, ct) is null)
        {
            throw FhirException.BadRequest(
                $"HAPI-0960: Can not create resource with ID[{id}], no resource with this ID exists and clients may only assign IDs which contain at least one non-numeric character");
        }
    }

    private static async Task<Resource> ReadResourceBodyAsync(HttpRequest request, string expectedType)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        var resource = ParseResource(body);
        if (resource.TypeName != expectedType)
        {
            throw FhirException.BadRequest(
                $"HAPI-0450: Failed to parse request body as JSON resource. Error was: Incorrect resource type found, expected \"{expectedType}\" but found \"{resource.TypeName}\"");
        }
        return resource;
    }

    public static Resource ParseResource(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            throw FhirException.BadRequest("HAPI-0450: Failed to parse request body as JSON resource. Error was: the request body is empty");
        }
        try
        {
            return Deserializer.DeserializeResource(json);
        }
        catch (Exception ex) when (ex is DeserializationFailedException or JsonException or FormatException)
        {
            throw FhirException.BadRequest(
                $"HAPI-0450: Failed to parse request body as JSON resource. Error was: HAPI-1861: Failed to parse JSON encoded FHIR content: {ex.Message}");
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> QueryPairs(IEnumerable<KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues>> values) =>
        values.SelectMany(pair => pair.Value.Select(v => new KeyValuePair<string, string>(pair.Key, v ?? "")));

    public static List<KeyValuePair<string, string>> ParseQueryString(string query) =>
        [.. QueryPairs(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query))];

    private static bool NoCache(HttpRequest request) =>
        request.Headers.CacheControl.ToString().Contains("no-cache", StringComparison.OrdinalIgnoreCase)
        || request.Headers.CacheControl.ToString().Contains("no-store", StringComparison.OrdinalIgnoreCase);

    public static async Task SearchAsync(HttpContext context, string type)
    {
        KnownType(type);
        var options = Options(context);
        var pairs = QueryPairs(context.Request.Query).ToList();
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType)
        {
            pairs.AddRange(QueryPairs(await context.Request.ReadFormAsync(context.RequestAborted)));
        }
        var request = SearchRequest.Parse(type, pairs, options.MaxPageSize);
        var store = Store(context);
        var cacheKey = "searchset|" + type + "|" + string.Join('&', pairs.Where(p => p.Key is not ("_format" or "_pretty"))
            .OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
        var search = await store.RegisterSearchAsync("searchset", type, null, request.CanonicalQuery, cacheKey,
            (connection, snapshot) => store.CountSearchAsync(connection, request, snapshot, context.RequestAborted),
            NoCache(context.Request) || options.ReuseCachedSearchResultsMillis <= 0 ? null : TimeSpan.FromMilliseconds(options.ReuseCachedSearchResultsMillis),
            TimeSpan.FromMinutes(options.RetainCachedSearchesMinutes), context.RequestAborted);
        await WriteSearchPageAsync(context, search, request, pairs, 0, request.Count ?? options.DefaultPageSize, isPageRequest: false);
    }

    private static async Task WriteSearchPageAsync(
        HttpContext context, StoredSearch search, SearchRequest request, List<KeyValuePair<string, string>> requestQuery,
        int offset, int pageSize, bool isPageRequest)
    {
        var page = request.SummaryCount
            ? new SearchPage([], [], search.Total, false)
            : await Store(context).ReadSearchPageAsync(search, request, offset, pageSize, context.RequestAborted);
        var baseUrl = FhirResults.BaseUrl(context.Request);
        var links = new List<(string, string)> { ("self", SelfLink(baseUrl, isPageRequest ? "" : "/" + search.ResourceType, requestQuery)) };
        var includes = request.Includes.Select(i => $"{i.SourceType}:{i.Param}" + (i.TargetType is null ? "" : ":" + i.TargetType)).ToList();
        if (page.HasMore) links.Add(("next", PagingLink(context, baseUrl, search, offset + pageSize, pageSize, requestQuery, includes)));
        if (offset > 0) links.Add(("previous", PagingLink(context, baseUrl, search, Math.Max(0, offset - pageSize), pageSize, requestQuery, includes)));
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, writer =>
        {
            FhirResults.WriteBundleStart(writer, search.Uuid, search.Kind, page.Total, links);
            if (page.Matches.Count + page.Included.Count > 0)
            {
                writer.WriteStartArray("entry");
                foreach (var match in page.Matches) FhirResults.WriteSearchEntry(writer, baseUrl, match, "match");
                foreach (var included in page.Included) FhirResults.WriteSearchEntry(writer, baseUrl, included, "include");
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        });
    }

    /// <summary>RestfulServerUtils.createLinkSelf: the request URL with its parameters sorted by name.</summary>
    private static string SelfLink(string baseUrl, string path, List<KeyValuePair<string, string>> query)
    {
        var builder = new StringBuilder(baseUrl).Append(path);
        var first = true;
        foreach (var group in query.GroupBy(p => p.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            foreach (var (name, value) in group)
            {
                builder.Append(first ? '?' : '&').Append(EscapeUrlParam(name)).Append('=').Append(EscapeUrlParam(value));
                first = false;
            }
        }
        return builder.ToString();
    }

    /// <summary>
    /// RestfulServerUtils.createPagingLink: base?_getpages=ID&amp;_getpagesoffset=N&amp;_count=N[&amp;_format=..]
    /// [&amp;_pretty=true][&amp;_include=..]&amp;_bundletype=TYPE. Pretty printing is on by default
    /// (hapi.fhir.default_pretty_print true), off when the request says _pretty=false.
    /// </summary>
    private static string PagingLink(HttpContext context, string baseUrl, StoredSearch search, int offset, int count,
        List<KeyValuePair<string, string>> requestQuery, List<string> includes)
    {
        var builder = new StringBuilder(baseUrl).Append("?_getpages=").Append(EscapeUrlParam(search.Uuid))
            .Append("&_getpagesoffset=").Append(offset).Append("&_count=").Append(count);
        var format = requestQuery.FirstOrDefault(p => p.Key == "_format").Value;
        if (!string.IsNullOrEmpty(format)) builder.Append("&_format=").Append(EscapeUrlParam(format.Replace(' ', '+')));
        var pretty = requestQuery.FirstOrDefault(p => p.Key == "_pretty").Value;
        if (pretty is null ? !context.Request.Headers.Accept.ToString().Contains("pretty=false") : pretty == "true") builder.Append("&_pretty=true");
        foreach (var include in includes) builder.Append("&_include=").Append(EscapeUrlParam(include));
        builder.Append("&_bundletype=").Append(search.Kind);
        return builder.ToString();
    }

    /// <summary>UrlUtil.escapeUrlParam (java.net.URLEncoder): letters, digits and .-*_ kept, space as +.</summary>
    public static string EscapeUrlParam(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '*' or '_') builder.Append(c);
            else if (c == ' ') builder.Append('+');
            else builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return builder.ToString();
    }

    public static async Task GetPagesAsync(HttpContext context)
    {
        var query = context.Request.Query;
        var options = Options(context);
        var searchId = query["_getpages"].ToString();
        if (string.IsNullOrEmpty(searchId))
        {
            throw FhirException.BadRequest("HAPI-0436: This is the base URL of FHIR server. Unable to handle this request, as it does not contain a resource type or operation name.");
        }
        var search = await Store(context).FindSearchAsync(searchId, TimeSpan.FromMinutes(options.RetainCachedSearchesMinutes), context.RequestAborted)
                     ?? throw new FhirException(StatusCodes.Status410Gone, $"HAPI-0417: Search ID \"{searchId}\" does not exist and may have expired");
        var pageSize = int.TryParse(query["_count"], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? Math.Min(count, options.MaxPageSize)
            : options.DefaultPageSize;
        var offset = int.TryParse(query["_getpagesoffset"], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var requestQuery = QueryPairs(query).ToList();
        var storedQuery = ParseQueryString(search.Query);
        if (search.Kind == "history")
        {
            await WriteHistoryPageAsync(context, search, storedQuery, requestQuery, offset, pageSize, isPageRequest: true);
            return;
        }
        var request = SearchRequest.Parse(search.ResourceType!, storedQuery, options.MaxPageSize);
        await WriteSearchPageAsync(context, search, request, requestQuery, offset, pageSize, isPageRequest: true);
    }

    public static async Task HistoryAsync(HttpContext context, string? type, string? id)
    {
        var options = Options(context);
        var pairs = QueryPairs(context.Request.Query).ToList();
        var pageSize = options.DefaultPageSize;
        DateTimeOffset? since = null;
        foreach (var (name, value) in pairs)
        {
            switch (name)
            {
                case "_count":
                    pageSize = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                        ? Math.Min(count, options.MaxPageSize)
                        : throw FhirException.BadRequest($"Invalid _count value: \"{value}\"");
                    break;
                case "_since":
                    since = SearchRequest.ParseRange(value).Start;
                    break;
                case "_format" or "_pretty":
                    break;
                default:
                    throw FhirException.BadRequest($"Invalid parameter for history: \"{name}\"");
            }
        }
        var canonical = string.Join('&', pairs.Where(p => p.Key is "_since")
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var store = Store(context);
        var search = await store.RegisterSearchAsync("history", type, id, canonical, "history|" + Guid.NewGuid(),
            async (connection, snapshot) => await store.CountHistoryAsync(connection, type, id, since, snapshot, context.RequestAborted),
            null, TimeSpan.FromMinutes(options.RetainCachedSearchesMinutes), context.RequestAborted);
        await WriteHistoryPageAsync(context, search, ParseQueryString(canonical), pairs, 0, pageSize, isPageRequest: false);
    }

    private static async Task WriteHistoryPageAsync(
        HttpContext context, StoredSearch search, List<KeyValuePair<string, string>> storedQuery,
        List<KeyValuePair<string, string>> requestQuery, int offset, int pageSize, bool isPageRequest)
    {
        DateTimeOffset? since = null;
        var sinceValue = storedQuery.FirstOrDefault(p => p.Key == "_since").Value;
        if (!string.IsNullOrEmpty(sinceValue)) since = SearchRequest.ParseRange(sinceValue).Start;
        var page = await Store(context).ReadHistoryPageAsync(search, since, offset, pageSize, context.RequestAborted);
        var baseUrl = FhirResults.BaseUrl(context.Request);
        var path = search.ResourceType is null ? "/_history" : search.ResourceId is null ? $"/{search.ResourceType}/_history" : $"/{search.ResourceType}/{search.ResourceId}/_history";
        var links = new List<(string, string)> { ("self", SelfLink(baseUrl, isPageRequest ? "" : path, requestQuery)) };
        if (page.HasMore) links.Add(("next", PagingLink(context, baseUrl, search, offset + pageSize, pageSize, requestQuery, [])));
        if (offset > 0) links.Add(("previous", PagingLink(context, baseUrl, search, Math.Max(0, offset - pageSize), pageSize, requestQuery, [])));
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, writer =>
        {
            FhirResults.WriteBundleStart(writer, search.Uuid, "history", page.Total, links);
            if (page.Matches.Count > 0)
            {
                writer.WriteStartArray("entry");
                foreach (var version in page.Matches) FhirResults.WriteHistoryEntry(writer, baseUrl, version);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        });
    }

    public static async Task TransactionAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var processor = new TransactionProcessor(Store(context), Options(context), FhirResults.BaseUrl(context.Request));
        var response = await processor.ProcessAsync(body, context.RequestAborted);
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, response.WriteTo);
    }

    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();
}
