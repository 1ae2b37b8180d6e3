using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// POST /batches (BatchApiResource, BatchApiServiceImpl): items run in order, "$.field" refers to the parent's answer;
/// with enclosingTransaction=true all items share one database transaction and the first failure undoes everything.
/// </summary>
public sealed partial class Batches(NpgsqlDataSource db, RouteTable routes, CommandPipeline pipeline)
{
    private sealed record Item(long RequestId, string RelativeUrl, string Method, JsonArray? Headers, long? Reference, string? Body);

    public async Task<ApiResult> ExecuteAsync(string? body, bool enclosingTransaction, string username, CancellationToken ct)
    {
        List<Item> items;
        try
        {
            items = Parse(body);
        }
        catch (FineractException ex)
        {
            return new ApiResult(ex.Status, ex.Body);
        }
        var responses = enclosingTransaction
            ? await RunEnclosedAsync(items, username, ct)
            : await RunEachAsync(items, username, ct);
        var array = new JsonArray();
        foreach (var response in responses.OrderBy(r => (long)r["requestId"]!)) array.Add(response);
        return new ApiResult(200, Json.Serialize(array));
    }

    private async Task<List<JsonObject>> RunEachAsync(List<Item> items, string username, CancellationToken ct)
    {
        var results = new Dictionary<long, ApiResult>();
        var responses = new List<JsonObject>();
        foreach (var item in items)
        {
            var (request, route, parentFailure) = Prepare(item, results, username);
            if (parentFailure is not null) { responses.Add(Response(item, parentFailure, error: true)); results[item.RequestId] = parentFailure; continue; }
            if (route is null) { responses.Add(NotImplemented(item)); results[item.RequestId] = new ApiResult(501, ""); continue; }
            var result = await pipeline.ExecuteAsync(request!, ct);
            results[item.RequestId] = result;
            responses.Add(Response(item, result, error: result.Status != 200));
        }
        return responses;
    }

    private async Task<List<JsonObject>> RunEnclosedAsync(List<Item> items, string username, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var results = new Dictionary<long, ApiResult>();
        var responses = new List<JsonObject>();
        var rollbackOnly = false;
        foreach (var item in items)
        {
            var (request, route, parentFailure) = Prepare(item, results, username);
            if (parentFailure is not null) { responses.Add(Response(item, parentFailure, error: true)); rollbackOnly = true; continue; }
            if (route is null)
            {
                // A 501 is not an exception upstream: it only marks the transaction for rollback.
                responses.Add(NotImplemented(item));
                results[item.RequestId] = new ApiResult(501, "");
                rollbackOnly = true;
                continue;
            }
            ApiResult result;
            try
            {
                var (matched, values) = routes.Find(request!)!.Value;
                result = await pipeline.ExecuteInTransactionAsync(connection, transaction, matched, values, request!, ct);
            }
            catch (FineractException ex)
            {
                await transaction.RollbackAsync(ct);
                var failure = ex.Status == 425 ? new ApiResult(425, request!.Body ?? "", FromCache: true) : new ApiResult(ex.Status, ex.Body);
                return [Response(item, failure, error: true)];
            }
            results[item.RequestId] = result;
            responses.Add(Response(item, result, error: false));
        }
        if (rollbackOnly) await transaction.RollbackAsync(ct);
        else await transaction.CommitAsync(ct);
        return responses;
    }

    /// <summary>Resolves the parent reference and finds the route; a null route means the batch API does not know it.</summary>
    private (ApiRequest? Request, Route? Route, ApiResult? ParentFailure) Prepare(Item item, Dictionary<long, ApiResult> results, string username)
    {
        var relativeUrl = item.RelativeUrl;
        var body = item.Body;
        if (item.Reference is { } parentId && results.TryGetValue(parentId, out var parent))
        {
            if (parent.Status != 200)
                return (null, null, new ApiResult(parent.Status, $"Parent request with id {parentId} was erroneous!"));
            JsonNode? parentBody = null;
            try { parentBody = JsonNode.Parse(parent.Body); } catch (JsonException) { }
            relativeUrl = ReferencePattern().Replace(relativeUrl, m => Lookup(parentBody, m.Value)?.ToString() ?? m.Value);
            if (body is not null)
                body = QuotedReferencePattern().Replace(body, m => Lookup(parentBody, m.Groups[1].Value)?.ToJsonString() ?? m.Value);
        }

        var url = relativeUrl.TrimStart('/');
        if (url.StartsWith("v1/", StringComparison.Ordinal)) url = url[3..];
        var question = url.IndexOf('?');
        var path = question < 0 ? url : url[..question];
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        if (question >= 0)
        {
            foreach (var pair in url[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
                query[name] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }
        string? key = null;
        foreach (var header in item.Headers ?? [])
        {
            if (string.Equals((string?)header?["name"], "Idempotency-Key", StringComparison.OrdinalIgnoreCase))
                key = (string?)header?["value"];
        }
        var request = new ApiRequest(item.Method.ToUpperInvariant(), path, query, body, key, username);
        var found = routes.Find(request, throwOnUnknown: false);
        return (request, found is { Route.InBatch: true } ? found.Value.Route : null, null);
    }

    private static JsonNode? Lookup(JsonNode? root, string reference)
    {
        var node = root;
        foreach (var part in reference.TrimStart('$').TrimStart('.').Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }
        return node;
    }

    [GeneratedRegex(@"\$\.[A-Za-z0-9_.]+")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"""(\$\.[A-Za-z0-9_.]+)""")]
    private static partial Regex QuotedReferencePattern();

    private static JsonObject NotImplemented(Item item) => new()
    {
        ["requestId"] = item.RequestId,
        ["statusCode"] = 501,
        ["body"] = $"Resource with method {item.Method} and relativeUrl {item.RelativeUrl} doesn't exist",
    };

    private static JsonObject Response(Item item, ApiResult result, bool error)
    {
        var headers = new JsonArray();
        if (error && result.Body.StartsWith('{')) headers.Add(Header("Content-Type", "application/json"));
        foreach (var header in item.Headers ?? []) if (header is not null) headers.Add(header.DeepClone());
        if (result.FromCache) headers.Add(Header("x-served-from-cache", "true"));
        return Json.Object(
            ("requestId", item.RequestId),
            ("statusCode", result.Status),
            ("headers", headers.Count > 0 || item.Headers is not null ? headers : null),
            ("body", result.Body));
    }

    private static JsonObject Header(string name, string value) => new() { ["name"] = name, ["value"] = value };

    private static List<Item> Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            throw FineractException.InvalidJson("The JSON provided in the body of the request is invalid or missing.");
        JsonNode? root;
        try { root = JsonNode.Parse(body); }
        catch (JsonException ex)
        {
            throw FineractException.InvalidJson($"The JSON syntax provided in the body of the request is invalid: {ex.Message}");
        }
        if (root is not JsonArray array)
            throw FineractException.InvalidJson("The JSON syntax provided in the body of the request is invalid: Expected BEGIN_ARRAY");
        var items = new List<Item>();
        foreach (var node in array)
        {
            try
            {
                if (node is not JsonObject o) throw new InvalidOperationException("Expected BEGIN_OBJECT");
                var itemBody = o["body"];
                if (itemBody is not null && itemBody.GetValueKind() != JsonValueKind.String)
                    throw new InvalidOperationException("Expected a string but was BEGIN_OBJECT");
                items.Add(new Item(
                    o["requestId"]?.GetValue<long>() ?? 0,
                    (string?)o["relativeUrl"] ?? "",
                    (string?)o["method"] ?? "",
                    o["headers"] as JsonArray,
                    o["reference"]?.GetValueKind() == JsonValueKind.Number ? o["reference"]!.GetValue<long>() : null,
                    (string?)itemBody));
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException)
            {
                throw FineractException.InvalidJson($"The JSON syntax provided in the body of the request is invalid: {ex.Message}");
            }
        }
        return items;
    }
}
