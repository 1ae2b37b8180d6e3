using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>The HAPI FHIR R4 REST surface under /fhir.</summary>
public static partial class FhirEndpoints
{
    private static readonly FhirJsonDeserializer Deserializer = new();

    public static IEndpointRouteBuilder MapFhirEndpoints(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir");
        fhir.MapGet("/metadata", (HttpContext context, CapabilityStatementProvider capabilities) =>
            capabilities.WriteAsync(context));
        fhir.MapGet("/", GetPagesAsync);
        fhir.MapPost("/", TransactionAsync);
        fhir.MapGet("/_history", (HttpContext context, FhirStore store, IOptions<IhrisOptions> options) =>
            HistoryAsync(context, store, options.Value, null, null));
        fhir.MapGet("/{type}", SearchAsync);
        fhir.MapPost("/{type}/_search", SearchAsync);
        fhir.MapPost("/{type}", CreateAsync);
        fhir.MapPut("/{type}", ConditionalUpdateAsync);
        fhir.MapGet("/{type}/_history", (HttpContext context, string type, FhirStore store, IOptions<IhrisOptions> options) =>
            HistoryAsync(context, store, options.Value, KnownType(type), null));
        fhir.MapGet("/{type}/{id}", (HttpContext context, string type, string id, FhirStore store) =>
            ReadAsync(context, store, type, id, null));
        fhir.MapGet("/{type}/{id}/_history/{version}", (HttpContext context, string type, string id, string version, FhirStore store) =>
            ReadAsync(context, store, type, id, version));
        fhir.MapGet("/{type}/{id}/_history", async (HttpContext context, string type, string id, FhirStore store, IOptions<IhrisOptions> options) =>
        {
            if (await store.ReadAsync(KnownType(type), id, null, context.RequestAborted) is null) throw FhirException.NotFound(type, id);
            await HistoryAsync(context, store, options.Value, type, id);
        });
        fhir.MapPut("/{type}/{id}", UpdateAsync);
        fhir.MapDelete("/{type}/{id}", DeleteAsync);
        return app;
    }

    private static string KnownType(string type) =>
        FhirResourceTypes.IsKnown(type) ? type : throw FhirException.UnknownResourceType(type);

    private static async Task ReadAsync(HttpContext context, FhirStore store, string type, string id, string? version)
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
        var resource = await store.ReadAsync(type, id, versionNumber, context.RequestAborted)
                       ?? throw FhirException.NotFound(type, version is null ? id : $"{id}/_history/{version}");
        if (resource.Deleted)
        {
            throw new FhirException(StatusCodes.Status410Gone,
                $"HAPI-2244: Resource was deleted at {FhirResults.FormatInstant(resource.LastUpdated)}", "deleted");
        }
        await FhirResults.WriteResourceAsync(context.Response, StatusCodes.Status200OK, resource);
    }

    private static async Task CreateAsync(HttpContext context, string type, FhirStore store)
    {
        KnownType(type);
        var resource = await ReadResourceBodyAsync(context.Request, type);
        var ids = await store.NewServerIdsAsync(1, context.RequestAborted);
        var result = (await store.WriteAsync(
            [new WriteOperation { Method = WriteMethod.Create, Type = type, Id = ids[0], Resource = resource }],
            context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result);
    }

    private static async Task UpdateAsync(HttpContext context, string type, string id, FhirStore store)
    {
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
        await EnsureClientIdAllowedAsync(store, type, id, context.RequestAborted);
        var result = (await store.WriteAsync(
            [new WriteOperation { Method = WriteMethod.Update, Type = type, Id = id, Resource = resource, IfMatchVersion = IfMatch(context.Request) }],
            context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result);
    }

    private static async Task ConditionalUpdateAsync(HttpContext context, string type, FhirStore store, IOptions<IhrisOptions> options)
    {
        KnownType(type);
        var conditional = SearchRequest.Parse(type, QueryPairs(context.Request.Query), options.Value.MaxPageSize);
        if (conditional.Filters.Count == 0 && conditional.IdFilters.Count == 0)
        {
            throw FhirException.BadRequest($"HAPI-0518: Invalid match URL[{type}?{context.Request.QueryString.Value?.TrimStart('?')}] - URL has no search parameters");
        }
        var resource = await ReadResourceBodyAsync(context.Request, type);
        var result = (await store.WriteAsync(
            [new WriteOperation { Method = WriteMethod.Update, Type = type, Resource = resource, Conditional = conditional }],
            context.RequestAborted))[0];
        await WriteWriteResultAsync(context, result);
    }

    private static async Task DeleteAsync(HttpContext context, string type, string id, FhirStore store)
    {
        KnownType(type);
        await store.WriteAsync([new WriteOperation { Method = WriteMethod.Delete, Type = type, Id = id }], context.RequestAborted);
        await OperationOutcomeJson.WriteAsync(context.Response, StatusCodes.Status200OK, "informational",
            "Successfully deleted 1 resource(s).", severity: "information");
    }

    private static async Task WriteWriteResultAsync(HttpContext context, WriteResult result)
    {
        var response = context.Response;
        response.Headers.Location = $"{FhirResults.BaseUrl(context.Request)}/{result.Type}/{result.Id}/_history/{result.Version}";
        var stored = new StoredResource(0, result.Type, result.Id, result.Version, result.LastUpdated, false, result.Body);
        await FhirResults.WriteResourceAsync(response, result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, stored);
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

    // HAPI's default client id strategy: a client may not create a purely numeric id, those belong to the server.
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

    private static async Task SearchAsync(HttpContext context, string type, FhirStore store, IOptions<IhrisOptions> options)
    {
        KnownType(type);
        var pairs = QueryPairs(context.Request.Query);
        if (HttpMethods.IsPost(context.Request.Method) && context.Request.HasFormContentType)
        {
            pairs = pairs.Concat(QueryPairs(await context.Request.ReadFormAsync(context.RequestAborted)));
        }
        var request = SearchRequest.Parse(type, pairs, options.Value.MaxPageSize);
        await WriteSearchPageAsync(context, store, request, null, request.Count ?? options.Value.DefaultPageSize, 0);
    }

    private static async Task WriteSearchPageAsync(
        HttpContext context, FhirStore store, SearchRequest request, PageCursor? cursor, int pageSize, int offset)
    {
        var page = await store.SearchAsync(request, cursor, pageSize, context.RequestAborted);
        var baseUrl = FhirResults.BaseUrl(context.Request);
        var links = new List<(string, string)> { ("self", $"{baseUrl}/{request.ResourceType}?{request.CanonicalQuery}") };
        if (page.Next is { } next)
        {
            var token = new PageToken(PageToken.Search, request.ResourceType, null, request.CanonicalQuery,
                next.Snapshot, next.AfterLastUpdated, next.AfterSeq, next.Total);
            links.Add(("next", NextLink(baseUrl, token, offset + page.Matches.Count, pageSize)));
        }
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, writer =>
        {
            FhirResults.WriteBundleStart(writer, "searchset", page.Total, links);
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

    private static string NextLink(string baseUrl, PageToken token, int offset, int pageSize) =>
        $"{baseUrl}?_getpages={token.Encode()}&_getpagesoffset={offset}&_count={pageSize}&_bundletype={token.Kind}";

    private static async Task GetPagesAsync(HttpContext context, FhirStore store, IOptions<IhrisOptions> options)
    {
        var query = context.Request.Query;
        var tokenValue = query["_getpages"].ToString();
        if (string.IsNullOrEmpty(tokenValue))
        {
            throw FhirException.BadRequest("HAPI-0436: This is the base URL of FHIR server. Unable to handle this request, as it does not contain a resource type or operation name.");
        }
        var token = PageToken.TryDecode(tokenValue)
                    ?? throw new FhirException(StatusCodes.Status410Gone,
                        $"HAPI-0417: Search ID \"{tokenValue}\" does not exist and may have expired", "not-found");
        var pageSize = int.TryParse(query["_count"], NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? Math.Min(count, options.Value.MaxPageSize)
            : options.Value.DefaultPageSize;
        var offset = int.TryParse(query["_getpagesoffset"], NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : 0;
        var tokenQuery = ParseQueryString(token.Query);
        if (token.Kind == PageToken.History)
        {
            await WriteHistoryPageAsync(context, store, token.ResourceType, token.ResourceId, tokenQuery, token.Cursor, pageSize, offset);
            return;
        }
        var request = SearchRequest.Parse(token.ResourceType!, tokenQuery, options.Value.MaxPageSize);
        await WriteSearchPageAsync(context, store, request, token.Cursor, pageSize, offset);
    }

    private static List<KeyValuePair<string, string>> ParseQueryString(string query) =>
        [.. QueryPairs(Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query))];

    private static Task HistoryAsync(HttpContext context, FhirStore store, IhrisOptions options, string? type, string? id)
    {
        var pairs = QueryPairs(context.Request.Query).ToList();
        var pageSize = options.DefaultPageSize;
        foreach (var (name, value) in pairs)
        {
            switch (name)
            {
                case "_count":
                    pageSize = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                        ? Math.Min(count, options.MaxPageSize)
                        : throw FhirException.BadRequest($"Invalid _count value: \"{value}\"");
                    break;
                case "_since" or "_format" or "_pretty":
                    break;
                default:
                    throw FhirException.BadRequest($"Invalid parameter for history: \"{name}\"");
            }
        }
        return WriteHistoryPageAsync(context, store, type, id, pairs, null, pageSize, 0);
    }

    private static async Task WriteHistoryPageAsync(
        HttpContext context, FhirStore store, string? type, string? id,
        List<KeyValuePair<string, string>> query, PageCursor? cursor, int pageSize, int offset)
    {
        DateTimeOffset? since = null;
        var sinceValue = query.FirstOrDefault(p => p.Key == "_since").Value;
        if (!string.IsNullOrEmpty(sinceValue)) since = SearchRequest.ParseRange(sinceValue).Start;

        var page = await store.HistoryAsync(type, id, since, cursor, pageSize, context.RequestAborted);
        var baseUrl = FhirResults.BaseUrl(context.Request);
        var path = type is null ? "" : id is null ? $"/{type}" : $"/{type}/{id}";
        var canonical = string.Join('&', query.Where(p => p.Key is "_since" or "_count")
            .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));
        var links = new List<(string, string)> { ("self", $"{baseUrl}{path}/_history" + (canonical.Length > 0 ? "?" + canonical : "")) };
        if (page.Next is { } next)
        {
            var token = new PageToken(PageToken.History, type, id, canonical, next.Snapshot, next.AfterLastUpdated, next.AfterSeq, next.Total);
            links.Add(("next", NextLink(baseUrl, token, offset + page.Matches.Count, pageSize)));
        }
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, writer =>
        {
            FhirResults.WriteBundleStart(writer, "history", page.Total, links);
            if (page.Matches.Count > 0)
            {
                writer.WriteStartArray("entry");
                foreach (var version in page.Matches) FhirResults.WriteHistoryEntry(writer, baseUrl, version);
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        });
    }

    private static async Task TransactionAsync(HttpContext context, FhirStore store, IOptions<IhrisOptions> options)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var processor = new TransactionProcessor(store, options.Value, FhirResults.BaseUrl(context.Request));
        var response = await processor.ProcessAsync(body, context.RequestAborted);
        await FhirResults.WriteJsonAsync(context.Response, StatusCodes.Status200OK, response.WriteTo);
    }

    public static bool IsValidId(string id) => IdPattern().IsMatch(id);

    [GeneratedRegex("^[A-Za-z0-9\\-\\.]{1,64}$")]
    private static partial Regex IdPattern();
}
