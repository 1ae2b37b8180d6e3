using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.OData;

/// <summary>$top, $skip, $count and $skiptoken as Central reads them (lib/util/odata.js).</summary>
public sealed record ODataPaging(int? Top, int Skip, bool Count, JsonObject? Skiptoken)
{
    public static ODataPaging From(IQueryCollection query)
    {
        int? top = int.TryParse(query["$top"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? Math.Max(0, t) : null;
        var skip = int.TryParse(query["$skip"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? Math.Max(0, s) : 0;
        var token = query["$skiptoken"].ToString();
        return new ODataPaging(top, skip, Http.IsTrue(query["$count"]), token.Length > 0 ? ODataFilter.ParseSkiptoken(token) : null);
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
