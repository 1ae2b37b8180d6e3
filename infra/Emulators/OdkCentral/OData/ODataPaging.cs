using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.OData;

/// <summary>
/// $top, $skip, $count and $skiptoken as Central reads them (lib/util/db.js QueryOptions.fromODataRequest,
/// lib/util/odata.js extractPaging): parseInt semantics ("1.5" is 1). Central hands the numbers to SQL, so a
/// non-number fails there as 400.11 (NaN is no bigint) and a negative one as a bare 500; that happens when the
/// query runs, after the $filter was read, hence <see cref="CheckNumbers"/>. $skip is ignored beside a $skiptoken.
/// </summary>
public sealed record ODataPaging(long? Top, long Skip, bool Count, JsonObject? Skiptoken, bool TopGiven, bool SkipGiven,
    bool TopInvalid, bool SkipInvalid)
{
    public static ODataPaging From(IQueryCollection query)
    {
        var token = query["$skiptoken"].ToString();
        var skiptoken = query.ContainsKey("$skiptoken") && token.Length > 0 ? ODataFilter.ParseSkiptoken(token) : null;
        var topGiven = query.ContainsKey("$top");
        var topValid = Http.TryParseIntPrefix(query["$top"].ToString(), out var top);
        var skipGiven = query.ContainsKey("$skip") && skiptoken is null;
        var skipValid = Http.TryParseIntPrefix(query["$skip"].ToString(), out var skip);
        return new ODataPaging(topGiven && topValid ? top : null, skipGiven && skipValid ? skip : 0, Http.IsTrue(query["$count"]),
            skiptoken, topGiven, skipGiven, topGiven && !topValid, skipGiven && !skipValid);
    }

    /// <summary>Central's QueryOptions.hasPaging.</summary>
    public bool HasPaging => TopGiven || SkipGiven || Skiptoken is not null;

    /// <summary>The SQL failures Central's LIMIT/OFFSET run into (lib/util/db.js postgresErrorToProblem).</summary>
    public void CheckNumbers()
    {
        if (TopInvalid || SkipInvalid) throw Problems.InvalidInputSyntax("NaN", "type bigint");
        if (Top < 0 || Skip < 0) throw Problems.InternalServerError();
    }

    /// <summary>
    /// The request's own URL on the public origin, with $skip dropped and $skiptoken replaced, encoded as
    /// URLSearchParams does (spaces as '+'), like Central's @odata.nextLink.
    /// </summary>
    public static string NextLink(HttpContext context, string skiptoken)
    {
        var pairs = QueryHelpers.ParseQuery(context.Request.QueryString.Value)
            .SelectMany(p => p.Value.Select(v => (p.Key, Value: v ?? "")))
            .Where(p => p.Key != "$skip" && p.Key != "$skiptoken")
            .Append(("$skiptoken", skiptoken));
        var query = string.Join("&", pairs.Select(p => FormEncode(p.Item1) + "=" + FormEncode(p.Item2)));
        return $"{Http.PublicOrigin(context)}{context.Request.PathBase}{OriginalPath(context)}?{query}";
    }

    private static string OriginalPath(HttpContext context) =>
        context.KeyToken() is { } key ? "/v1/key/" + key + context.Request.Path.Value!["/v1".Length..] : context.Request.Path.Value!;

    private static string FormEncode(string value) => Uri.EscapeDataString(value).Replace("%20", "+");
}
