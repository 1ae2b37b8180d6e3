using System.Globalization;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>One call to the API: from HTTP or from an item of a batch. Path is relative to /api/v1, without a leading slash.</summary>
public sealed record ApiRequest(
    string Method,
    string Path,
    IReadOnlyDictionary<string, string> Query,
    string? Body,
    string? IdempotencyKey,
    string Username);

/// <summary>What Fineract answers; FromCache marks an idempotent replay (header x-served-from-cache).</summary>
public sealed record ApiResult(int Status, string Body, bool FromCache = false);

/// <summary>A handler's view of the request: route values, parsed body and the open database transaction.</summary>
public sealed class CommandContext(NpgsqlConnection connection, NpgsqlTransaction? transaction, ApiRequest request,
    string[] routeValues, JsonCommand body)
{
    public ApiRequest Request { get; } = request;
    public JsonCommand Body { get; } = body;
    public string Username => Request.Username;
    public string Database => connection.Database;

    /// <summary>The tenant's business date; business-date tracking is off in a fresh tenant, so it is today (UTC).</summary>
    public DateOnly Today { get; } = DateOnly.FromDateTime(DateTime.UtcNow);

    public string RouteValue(int index) => routeValues[index];

    public long Id(int index = 0) => long.Parse(routeValues[index], CultureInfo.InvariantCulture);

    public string? Query(string name) => Request.Query.TryGetValue(name, out var value) ? value : null;

    public NpgsqlCommand Sql(string text, params object?[] parameters)
    {
        var command = new NpgsqlCommand(text, connection, transaction);
        foreach (var parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter ?? DBNull.Value });
        return command;
    }
}

public delegate Task<string> Handler(CommandContext context);

/// <summary>
/// A route of the API. Commands (Action set) run in a transaction with idempotency; reads do not.
/// Command names the required ?command= value; InBatch says whether the batch API knows it (CommandStrategyProvider).
/// </summary>
public sealed record Route(string Method, string Template, Handler Handler, string? Action = null, string? Entity = null,
    string? Command = null, bool InBatch = false)
{
    public string[] Segments { get; } = Template.Split('/');
    public bool IsCommand => Action is not null;

    public bool TryMatch(string[] path, out string[] values)
    {
        values = [];
        if (path.Length != Segments.Length) return false;
        var found = new List<string>();
        for (var i = 0; i < path.Length; i++)
        {
            var segment = Segments[i];
            if (segment == "{id}")
            {
                if (!long.TryParse(path[i], NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
                found.Add(path[i]);
            }
            else if (segment == "{text}") found.Add(Uri.UnescapeDataString(path[i]));
            else if (!string.Equals(segment, path[i], StringComparison.Ordinal)) return false;
        }
        values = [.. found];
        return true;
    }
}

public sealed class RouteTable(IEnumerable<Route> routes)
{
    private readonly Route[] _routes = routes.ToArray();

    /// <summary>Finds the route, or throws the error Fineract gives (unknown path, unsupported ?command=).</summary>
    public (Route Route, string[] Values)? Find(ApiRequest request, bool throwOnUnknown = true)
    {
        var path = request.Path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var candidates = new List<(Route, string[])>();
        foreach (var route in _routes)
        {
            if (route.Method == request.Method && route.TryMatch(path, out var values)) candidates.Add((route, values));
        }
        if (candidates.Count == 0)
        {
            if (!throwOnUnknown) return null;
            throw FineractException.Global(404, "The requested resource is not available.",
                "The requested resource is not available.", "error.msg.resource.not.found", null);
        }
        var commands = candidates.Where(c => c.Item1.Command is not null).ToList();
        if (commands.Count == 0) return candidates[0];
        request.Query.TryGetValue("command", out var command);
        foreach (var candidate in commands)
        {
            if (string.Equals(candidate.Item1.Command, command, StringComparison.Ordinal)) return candidate;
        }
        var plain = candidates.FirstOrDefault(c => c.Item1.Command is null);
        if (plain.Item1 is not null && command is null) return plain;
        if (!throwOnUnknown) return null;
        throw FineractException.UnsupportedQueryValue("command", command ?? "null", commands.Select(c => c.Item1.Command!));
    }
}
