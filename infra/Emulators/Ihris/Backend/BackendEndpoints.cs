using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using OneClickSuite.Emulators.Ihris.Auth;
using OneClickSuite.Emulators.Ihris.Fhir;
using OneClickSuite.Emulators.Ihris.Hosting;

namespace OneClickSuite.Emulators.Ihris.Backend;

/// <summary>
/// The iHRIS backend on the main port (ihris-backend app.js, routes/passportAuth.js, routes/config.js,
/// routes/fhir.js with modules/fhir/fhirAxios.js), answering as the Express app does, quirks included.
/// </summary>
public static partial class BackendEndpoints
{
    private static readonly byte[] IndexHtml = Encoding.UTF8.GetBytes(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>iHRIS</title></head>" +
        "<body><noscript>iHRIS needs JavaScript.</noscript><div id=\"app\"></div></body></html>");

    /// <summary>The placeholder front end, as an endpoint result (what any method on an unrouted path gets).</summary>
    internal static IResult IndexPage() => Results.Bytes(IndexHtml, "text/html; charset=UTF-8");

    // config/operationOutcomes.js
    private const string NotLoggedIn = """{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","diagnostics":"Not logged in"}]}""";

    // app.js isLoggedIn: the routes reachable without a login when app:idp is "ihris".
    private static readonly HashSet<string> Unauthenticated =
        ["/", "favicon.ico", "/flag_en.svg", "/config/app", "/auth", "/fhir/DocumentReference/page-home/$html", "/config/site", "/translator/getTranslatedLanguages"];

    /// <summary>
    /// Serves every main-port request no endpoint claimed (health, the fault switch and the HAPI surface are
    /// endpoints of their own).
    /// </summary>
    public static IApplicationBuilder UseIhrisBackend(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Surfaces.IsHapi(context) || context.GetEndpoint() is not null)
        {
            await next(context);
            return;
        }
        await HandleAsync(context);
    });

    private static async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (path == "/auth/token" && HttpMethods.IsPost(request.Method))
        {
            await TokenAsync(context);
            return;
        }
        var loggedIn = SignedIn(context);
        var open = Unauthenticated.Contains(path) || path.StartsWith("/css", StringComparison.Ordinal) || path.StartsWith("/js", StringComparison.Ordinal)
                   || path.StartsWith("/images", StringComparison.Ordinal) || path.StartsWith("/translator/getLocale/", StringComparison.Ordinal);
        if (!open && !loggedIn)
        {
            context.Response.Headers.AccessControlAllowOrigin = "*";
            context.Response.Headers.AccessControlAllowCredentials = "true";
            await JsonAsync(context, StatusCodes.Status401Unauthorized, NotLoggedIn);
            return;
        }
        if (path == "/config/app" && HttpMethods.IsGet(request.Method))
        {
            await ConfigAppAsync(context);
            return;
        }
        if (loggedIn && (path == "/fhir" || path.StartsWith("/fhir/", StringComparison.Ordinal)) && await FhirRouteAsync(context, path))
        {
            return;
        }
        // app.js: static files, then index.html for anything else (the Vue router's history mode), any method.
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=UTF-8";
        await context.Response.Body.WriteAsync(IndexHtml);
    }

    /// <summary>app.js isLoggedIn: a Bearer-style header whose JWT verifies with auth:secret and carries a user.</summary>
    private static bool SignedIn(HttpContext context)
    {
        var parts = context.Request.Headers.Authorization.ToString().Split(' ');
        if (parts.Length != 2) return false;
        var user = context.RequestServices.GetRequiredService<AccessTokens>().Verify(parts[1]);
        return user is not null && (string?)user["resource"]?["id"] != IhrisUsers.LoggedOutId;
    }

    /// <summary>
    /// routes/passportAuth.js POST /token: the user found by email (exactly one Person), the password checked, a JWT
    /// signed with auth:secret for auth:tokenDuration; 401 with no body otherwise, 500 when checking throws.
    /// </summary>
    private static async Task TokenAsync(HttpContext context)
    {
        var body = await ReadBodyAsync(context);
        if (body is null)
        {
            await BadRequestHtmlAsync(context);
            return;
        }
        var email = body["email"];
        var password = body["password"];
        var store = context.RequestServices.GetRequiredService<FhirStore>();
        // lookupByEmail: Person?telecom=email|<email>; JavaScript writes a missing email as "undefined".
        var emailText = email is JsonValue v && v.TryGetValue<string>(out var s) ? s : email?.ToJsonString() ?? "undefined";
        var users = await store.FindCurrentAsync(SearchRequest.Parse("Person", [new("telecom", "email|" + emailText)], int.MaxValue), 2, context.RequestAborted);
        if (users.Count != 1)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var person = JsonNode.Parse(users[0].Body!)!;
        // crypto.pbkdf2Sync throws for a password that is not a string: the promise's catch answers 500.
        if (password is not JsonValue pv || !pv.TryGetValue<string>(out var passwordText))
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }
        if (!IhrisUsers.CheckPassword(person, passwordText))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var options = context.RequestServices.GetRequiredService<IOptions<IhrisOptions>>().Value;
        var token = context.RequestServices.GetRequiredService<AccessTokens>().Issue(new JsonObject { ["resource"] = person }, options.TokenLifetime);
        await JsonAsync(context, StatusCodes.Status200OK, new JsonObject { ["access_token"] = token }.ToJsonString());
    }

    /// <summary>
    /// app.js body parsers: JSON only when Content-Type is exactly "application/json" or "application/fhir+json"
    /// (any parameter, such as "; charset=utf-8", leaves the body unread and empty); urlencoded forms too. Null for
    /// malformed JSON (body-parser's 400).
    /// </summary>
    private static async Task<JsonObject?> ReadBodyAsync(HttpContext context)
    {
        var request = context.Request;
        var contentType = request.Headers.ContentType.ToString();
        if (contentType is "application/json" or "application/fhir+json")
        {
            try
            {
                var node = await JsonNode.ParseAsync(request.Body, cancellationToken: context.RequestAborted);
                return node as JsonObject ?? [];
            }
            catch (JsonException)
            {
                return null;
            }
        }
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted);
            var result = new JsonObject();
            foreach (var (key, value) in form) result[key] = value.ToString();
            return result;
        }
        return [];
    }

    private static async Task BadRequestHtmlAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.WriteAsync("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>Bad Request</pre>\n</body>\n</html>\n");
    }

    /// <summary>routes/config.js GET /app: idp, keycloak settings (baseConfig.json defaults) and fhir.base.</summary>
    private static Task ConfigAppAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<IhrisOptions>>().Value;
        var config = new JsonObject
        {
            ["idp"] = "ihris",
            ["keycloak"] = new JsonObject { ["baseURL"] = "http://localhost:8080/auth", ["realm"] = "iHRIS", ["UIClientId"] = "ihris-frontend" },
            ["fhir"] = new JsonObject { ["base"] = Surfaces.BackendFhirBase(context, options) },
        };
        return JsonAsync(context, StatusCodes.Status200OK, config.ToJsonString());
    }

    /// <summary>routes/fhir.js, for a signed-in user (the administrator has every permission). False: no route matched.</summary>
    private static async Task<bool> FhirRouteAsync(HttpContext context, string path)
    {
        var segments = path["/fhir".Length..].Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            if (segments.Length is 1 or 2 && !segments.Any(s => s.StartsWith('$')))
            {
                if (segments.Length == 2)
                {
                    // fhirAxios.read(resource, id): GET {base}/{resource}/{id}; the query string is not passed on.
                    await ProxyAsync(context, "GET", [segments[0], segments[1]], "", null, StatusCodes.Status200OK);
                }
                else
                {
                    // fhirAxios.search(resource, query): with _getpages the resource is left out of the URL.
                    var query = context.Request.QueryString.Value ?? "";
                    var target = context.Request.Query.ContainsKey("_getpages") ? Array.Empty<string>() : [segments[0]];
                    await ProxyAsync(context, "GET", target, query, null, StatusCodes.Status200OK, noCache: true);
                }
                return true;
            }
            if (segments.Length == 4 && segments[0] == "vRead" && !segments[1].StartsWith('$') && !segments[2].StartsWith('$'))
            {
                await ProxyAsync(context, "GET", [segments[1], segments[2], "_history", segments[3]], "", null, StatusCodes.Status200OK);
                return true;
            }
            return false;
        }
        if (HttpMethods.IsPost(method))
        {
            if (segments.Length == 0)
            {
                // router.post("/"): signed in, the handler returns without answering. The request stays open until
                // the client gives up (Node keeps an idle request open); here at most 10 minutes, then the
                // connection is dropped without an answer.
                try { await Task.Delay(TimeSpan.FromMinutes(10), context.RequestAborted); } catch (OperationCanceledException) { }
                context.Abort();
                return true;
            }
            if (segments.Length == 1)
            {
                var body = await ReadBodyAsync(context) ?? [];
                // fhirAxios.create posts to the body's resourceType (a Bundle to the base), whatever the URL says.
                var type = (string?)(body["resourceType"] as JsonValue) ?? "undefined";
                await ProxyAsync(context, "POST", type == "Bundle" ? [] : [type], "", body, StatusCodes.Status201Created);
                return true;
            }
            return false;
        }
        if (HttpMethods.IsPut(method) && segments.Length == 2)
        {
            var body = await ReadBodyAsync(context) ?? [];
            var id = body["id"] is JsonValue idValue && idValue.TryGetValue<string>(out var idText) && idText.Length > 0 ? idText : null;
            if (id is null)
            {
                await ErrorAsync(context, "resource must have an id field");
                return true;
            }
            // fhirAxios.update: PUT {base}/{body.resourceType}/{body.id}; the URL's type and id are not used.
            var type = (string?)(body["resourceType"] as JsonValue) ?? "undefined";
            await ProxyAsync(context, "PUT", [type, id], "", body, StatusCodes.Status200OK);
            return true;
        }
        if (HttpMethods.IsDelete(method) && segments.Length == 2)
        {
            await ProxyAsync(context, "DELETE", [segments[0], segments[1]], "", null, StatusCodes.Status200OK);
            return true;
        }
        return false;
    }

    /// <summary>
    /// Calls the HAPI surface in-process as fhirAxios would over HTTP, then answers as routes/fhir.js does: the
    /// success status of the route with HAPI's body, or 500 with the ERROR outcome carrying axios's message.
    /// </summary>
    private static async Task ProxyAsync(HttpContext context, string method, string[] segments, string query, JsonObject? body, int successStatus, bool noCache = false)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<IhrisOptions>>().Value;
        var baseUrl = new Uri(Surfaces.BackendFhirBase(context, options));
        var sub = new DefaultHttpContext { RequestServices = context.RequestServices };
        sub.Request.Method = method;
        sub.Request.Scheme = baseUrl.Scheme;
        sub.Request.Host = new HostString(baseUrl.Authority);
        sub.Request.QueryString = new QueryString(query.Length == 0 ? null : query.StartsWith('?') ? query : "?" + query);
        sub.Request.Headers.Accept = "application/json, text/plain, */*";
        if (noCache) sub.Request.Headers.CacheControl = "no-cache";
        if (body is not null)
        {
            sub.Request.ContentType = "application/json";
            sub.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body.ToJsonString()));
        }
        var output = new MemoryStream();
        sub.Response.Body = output;
        Surfaces.MarkHapi(sub, baseUrl.ToString().TrimEnd('/'));
        int status;
        try
        {
            await DispatchAsync(sub, method, segments);
            status = sub.Response.StatusCode;
        }
        catch (FhirException ex)
        {
            status = ex.StatusCode;
        }
        if (status >= 400)
        {
            await ErrorAsync(context, $"Request failed with status code {status}");
            return;
        }
        var json = output.Length == 0 ? "\"\"" : JsonNode.Parse(output.ToArray())!.ToJsonString();
        await JsonAsync(context, successStatus, json);
    }

    private static Task DispatchAsync(HttpContext sub, string method, string[] s) => (method, s.Length) switch
    {
        ("GET", 0) => FhirEndpoints.GetPagesAsync(sub),
        ("GET", 1) when s[0] == "metadata" => sub.RequestServices.GetRequiredService<CapabilityStatementProvider>().WriteAsync(sub),
        ("GET", 1) when s[0] == "_history" => FhirEndpoints.HistoryAsync(sub, null, null),
        ("GET", 1) => FhirEndpoints.SearchAsync(sub, s[0]),
        ("GET", 2) when s[1] == "_history" => FhirResourceTypes.IsKnown(s[0]) ? FhirEndpoints.HistoryAsync(sub, s[0], null) : throw FhirException.UnknownResourceType(s[0]),
        ("GET", 2) => FhirEndpoints.ReadAsync(sub, s[0], s[1], null),
        ("GET", 4) => FhirEndpoints.ReadAsync(sub, s[0], s[1], s[3]),
        ("POST", 0) => FhirEndpoints.TransactionAsync(sub),
        ("POST", 1) => FhirEndpoints.CreateAsync(sub, s[0]),
        ("PUT", 2) => FhirEndpoints.UpdateAsync(sub, s[0], s[1]),
        ("DELETE", 2) => FhirEndpoints.DeleteAsync(sub, s[0], s[1]),
        _ => throw new FhirException(StatusCodes.Status404NotFound, "not routed"),
    };

    // routes/fhir.js catch blocks: { ...outcomes.ERROR } with diagnostics = err.message, status 500.
    private static Task ErrorAsync(HttpContext context, string message) => JsonAsync(context, StatusCodes.Status500InternalServerError,
        new JsonObject
        {
            ["resourceType"] = "OperationOutcome",
            ["issue"] = new JsonArray(new JsonObject { ["severity"] = "error", ["code"] = "exception", ["diagnostics"] = message }),
        }.ToJsonString());

    // Express res.json.
    private static async Task JsonAsync(HttpContext context, int status, string json)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(json);
    }
}
