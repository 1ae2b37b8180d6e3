using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Fhir;

/// <summary>
/// Processes a transaction or batch Bundle as HAPI does: POST entries get server ids, "urn:uuid:" references between
/// entries are rewritten to those ids, and a transaction is written atomically.
/// </summary>
public sealed class TransactionProcessor(FhirStore store, IhrisOptions options, string baseUrl)
{
    private sealed record Entry(int Index, string Method, string Url, JsonObject? Resource, string? FullUrl, string? IfNoneExist = null)
    {
        public WriteOperation? Operation { get; set; }
        public FhirException? Error { get; set; }
    }

    public sealed class Response(string type, IReadOnlyList<(WriteResult? Result, FhirException? Error)> entries, string baseUrl, long millis)
    {
        /// <summary>
        /// TransactionProcessor response entries: status, location "Type/id/_history/v", etag as the bare version,
        /// lastModified, and the write's informational outcome (HAPI 6.x).
        /// </summary>
        public void WriteTo(Utf8JsonWriter writer)
        {
            FhirResults.WriteBundleStart(writer, Guid.NewGuid().ToString(), type, null, [("self", baseUrl)]);
            writer.WriteStartArray("entry");
            foreach (var (result, error) in entries)
            {
                writer.WriteStartObject();
                writer.WriteStartObject("response");
                if (result is not null)
                {
                    writer.WriteString("status", result.Deleted ? "204 No Content" : result.Created ? "201 Created" : "200 OK");
                    if (!result.Deleted)
                    {
                        writer.WriteString("location", $"{result.Type}/{result.Id}/_history/{result.Version}");
                        writer.WriteString("etag", result.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
                        writer.WriteString("lastModified", FhirResults.FormatInstant(result.LastUpdated));
                    }
                    writer.WritePropertyName("outcome");
                    OperationOutcomeJson.Write(writer, "information", "informational", [result.Message(millis)], result.Code);
                }
                else if (error is not null)
                {
                    writer.WriteString("status", $"{error.StatusCode} {ReasonPhrase(error.StatusCode)}");
                    writer.WritePropertyName("outcome");
                    writer.WriteRawValue(OperationOutcomeJson.Create("error", "processing", error.Diagnostics));
                }
                writer.WriteEndObject();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
    }

    public async Task<Response> ProcessAsync(string body, CancellationToken ct)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var requestId = FhirStore.NewRequestId();
        JsonObject bundle;
        try
        {
            bundle = JsonNode.Parse(body) as JsonObject
                     ?? throw FhirException.BadRequest("HAPI-0450: Failed to parse request body as JSON resource. Error was: not a JSON object");
        }
        catch (JsonException ex)
        {
            throw FhirException.BadRequest($"HAPI-0450: Failed to parse request body as JSON resource. Error was: HAPI-1861: Failed to parse JSON encoded FHIR content: {ex.Message}");
        }
        if (bundle["resourceType"]?.GetValueKind() != JsonValueKind.String || (string?)bundle["resourceType"] != "Bundle")
        {
            throw FhirException.BadRequest("HAPI-0339: Unable to process request, this server can only handle a Bundle resource at the base URL");
        }
        var bundleType = bundle["type"]?.GetValueKind() == JsonValueKind.String ? (string?)bundle["type"] : null;
        if (bundleType is not ("transaction" or "batch"))
        {
            throw FhirException.BadRequest($"HAPI-0527: Unable to process bundle of type: {bundleType}");
        }
        var isTransaction = bundleType == "transaction";

        var entries = ReadEntries(bundle);
        foreach (var entry in entries.Where(e => e.Error is null))
        {
            try
            {
                entry.Operation = await PlanAsync(entry, ct);
            }
            catch (FhirException ex) when (!isTransaction)
            {
                entry.Error = ex;
            }
        }
        var creates = entries.Where(e => e.Operation is { Method: WriteMethod.Create, Id: null }).ToList();
        var ids = await store.NewServerIdsAsync(creates.Count, ct);
        for (var i = 0; i < creates.Count; i++) creates[i].Operation!.Id = ids[i];

        // Entries refer to each other by fullUrl until they have ids.
        var placeholders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries.Where(e => e.Operation?.Id is not null && e.FullUrl is not null))
        {
            placeholders[entry.FullUrl!] = $"{entry.Operation!.Type}/{entry.Operation.Id}";
        }
        var planned = new List<(Entry Entry, WriteOperation Operation)>();
        foreach (var entry in entries.Where(e => e.Operation is not null))
        {
            try
            {
                var operation = entry.Operation!;
                if (entry.Resource is not null)
                {
                    RewriteReferences(entry.Resource, placeholders);
                    var resource = FhirEndpoints.ParseResource(entry.Resource.ToJsonString());
                    operation = new WriteOperation
                    {
                        Method = operation.Method, Type = operation.Type, Id = operation.Id,
                        Conditional = operation.Conditional, IfMatchVersion = operation.IfMatchVersion, Resource = resource,
                        IfNoneExist = operation.IfNoneExist, MatchUrl = operation.MatchUrl,
                    };
                }
                planned.Add((entry, operation));
            }
            catch (FhirException ex) when (!isTransaction)
            {
                entry.Error = ex;
            }
        }

        var outcomes = new (WriteResult?, FhirException?)[entries.Count];
        foreach (var entry in entries.Where(e => e.Error is not null)) outcomes[entry.Index] = (null, entry.Error);
        if (isTransaction)
        {
            var results = await store.WriteAsync(planned.Select(p => p.Operation).ToList(), requestId, ct);
            for (var i = 0; i < planned.Count; i++) outcomes[planned[i].Entry.Index] = (results[i], null);
        }
        else
        {
            foreach (var (entry, operation) in planned)
            {
                try
                {
                    outcomes[entry.Index] = ((await store.WriteAsync([operation], requestId, ct))[0], null);
                }
                catch (FhirException ex)
                {
                    outcomes[entry.Index] = (null, ex);
                }
            }
        }
        return new Response(isTransaction ? "transaction-response" : "batch-response", outcomes, baseUrl, watch.ElapsedMilliseconds);
    }

    private static List<Entry> ReadEntries(JsonObject bundle)
    {
        var entries = new List<Entry>();
        if (bundle["entry"] is not JsonArray array) return entries;
        foreach (var node in array)
        {
            var index = entries.Count;
            if (node is not JsonObject entry || entry["request"] is not JsonObject request)
            {
                entries.Add(new Entry(index, "", "", null, null) { Error = FhirException.BadRequest($"HAPI-0527: Bundle entry {index} has no request") });
                continue;
            }
            var method = request["method"]?.GetValueKind() == JsonValueKind.String ? (string)request["method"]! : "";
            var url = request["url"]?.GetValueKind() == JsonValueKind.String ? (string)request["url"]! : "";
            var fullUrl = entry["fullUrl"]?.GetValueKind() == JsonValueKind.String ? (string?)entry["fullUrl"] : null;
            var ifNoneExist = request["ifNoneExist"]?.GetValueKind() == JsonValueKind.String ? (string?)request["ifNoneExist"] : null;
            entries.Add(new Entry(index, method, url, entry["resource"] as JsonObject, fullUrl, ifNoneExist));
        }
        return entries;
    }

    private async Task<WriteOperation> PlanAsync(Entry entry, CancellationToken ct)
    {
        var url = entry.Url.StartsWith(baseUrl + "/", StringComparison.Ordinal) ? entry.Url[(baseUrl.Length + 1)..] : entry.Url;
        var question = url.IndexOf('?');
        var path = question < 0 ? url : url[..question];
        var query = question < 0 ? "" : url[(question + 1)..];
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length == 0 || !FhirResourceTypes.IsKnown(segments[0]))
        {
            throw FhirException.BadRequest($"HAPI-0533: Invalid request URL \"{entry.Url}\" in bundle entry {entry.Index}");
        }
        var type = segments[0];
        var resourceType = entry.Resource?["resourceType"]?.GetValueKind() == JsonValueKind.String ? (string?)entry.Resource["resourceType"] : null;
        switch (entry.Method)
        {
            case "POST" when segments.Length == 1:
                RequireResource(entry, type, resourceType);
                if (!string.IsNullOrEmpty(entry.IfNoneExist))
                {
                    var mark = entry.IfNoneExist.IndexOf('?');
                    var ifNoneExist = SearchRequest.Parse(type, FhirEndpoints.ParseQueryString(mark < 0 ? entry.IfNoneExist : entry.IfNoneExist[(mark + 1)..]), int.MaxValue);
                    return new WriteOperation { Method = WriteMethod.Create, Type = type, IfNoneExist = ifNoneExist, MatchUrl = entry.IfNoneExist };
                }
                return new WriteOperation { Method = WriteMethod.Create, Type = type };
            case "PUT" when segments.Length == 2:
                RequireResource(entry, type, resourceType);
                var id = segments[1];
                if (!FhirEndpoints.IsValidId(id)) throw FhirException.BadRequest($"HAPI-0521: Invalid resource ID \"{id}\"");
                var bodyId = entry.Resource!["id"]?.GetValueKind() == JsonValueKind.String ? (string?)entry.Resource["id"] : null;
                if (bodyId is not null && bodyId != id)
                {
                    throw FhirException.BadRequest(
                        $"HAPI-0420: Can not update resource, resource body must contain an ID element which matches the request URL for update (PUT) operation - Resource body ID of \"{bodyId}\" does not match URL ID of \"{id}\"");
                }
                if (id.All(char.IsAsciiDigit) && await store.ReadAsync(type, id, null, ct) is null)
                {
                    throw FhirException.BadRequest(
                        $"HAPI-0960: Can not create resource with ID[{id}], no resource with this ID exists and clients may only assign IDs which contain at least one non-numeric character");
                }
                return new WriteOperation { Method = WriteMethod.Update, Type = type, Id = id };
            case "PUT" when segments.Length == 1 && query.Length > 0:
                RequireResource(entry, type, resourceType);
                var conditional = SearchRequest.Parse(type,
                    Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query)
                        .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? ""))),
                    options.MaxPageSize);
                return new WriteOperation { Method = WriteMethod.Update, Type = type, Conditional = conditional, MatchUrl = url };
            case "DELETE" when segments.Length == 2:
                return new WriteOperation { Method = WriteMethod.Delete, Type = type, Id = segments[1] };
            default:
                throw FhirException.BadRequest($"HAPI-0527: Unable to process bundle entry {entry.Index}: {entry.Method} {entry.Url} is not supported");
        }
    }

    private static void RequireResource(Entry entry, string type, string? resourceType)
    {
        if (entry.Resource is null)
        {
            throw FhirException.BadRequest($"HAPI-0541: Bundle entry {entry.Index} ({entry.Method} {entry.Url}) has no resource");
        }
        if (resourceType != type)
        {
            throw FhirException.BadRequest($"HAPI-0450: Bundle entry {entry.Index}: resource type \"{resourceType}\" does not match request URL \"{entry.Url}\"");
        }
    }

    private static void RewriteReferences(JsonNode node, Dictionary<string, string> placeholders)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj.ToList())
                {
                    if (name == "reference" && child?.GetValueKind() == JsonValueKind.String
                        && placeholders.TryGetValue((string)child!, out var resolved))
                    {
                        obj[name] = resolved;
                    }
                    else if (child is not null)
                    {
                        RewriteReferences(child, placeholders);
                    }
                }
                break;
            case JsonArray array:
                foreach (var child in array)
                {
                    if (child is not null) RewriteReferences(child, placeholders);
                }
                break;
        }
    }
}
