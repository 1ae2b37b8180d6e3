using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Security;

namespace OneClickSuite.Emulators.OdkCentral.Infrastructure;

/// <summary>Small helpers shared by the endpoints: JSON bodies, ODK's timestamp format, plain answers.</summary>
public static class Http
{
    public const string OpenRosaItem = "odk.openrosa";

    /// <summary>Set on OData XML endpoints ($metadata), whose problems Central writes as XML (odataXmlErrorWriter).</summary>
    public const string ODataXmlItem = "odk.odataxml";

    public static JsonObject Success() => new() { ["success"] = true };

    /// <summary>ODK Central writes instants in UTC with milliseconds, e.g. 2026-11-27T20:53:52.147Z.</summary>
    public static string Timestamp(DateTime value) =>
        DateTime.SpecifyKind(value, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static JsonNode? Timestamp(DateTime? value) => value is null ? null : JsonValue.Create(Timestamp(value.Value));

    public static IResult Json(JsonNode? body, int status = 200) =>
        new SentResult(body?.ToJsonString() ?? "null", "application/json; charset=utf-8", status);

    public static IResult Xml(string body, int status = 200, string contentType = "text/xml; charset=utf-8") =>
        new SentResult(body, contentType, status);

    /// <summary>
    /// central-backend lib/util/http.js withEtag: the ETag is set, and an If-None-Match equal to it (strong or
    /// weak form) makes the answer 304 without a body. Returns true when the caller should answer 304.
    /// </summary>
    public static bool WithEtag(HttpContext context, string serverEtag, bool weak)
    {
        context.Response.Headers.ETag = $"{(weak ? "W/" : "")}\"{serverEtag}\"";
        var client = context.Request.Headers.IfNoneMatch.ToString();
        return client == $"\"{serverEtag}\"" || client == $"W/\"{serverEtag}\"";
    }

    public static IResult NotModified() => Results.StatusCode(304);

    public static string Md5(string text) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Reads the body as a JSON object; anything unparseable is ODK's 400.1, never a 500.</summary>
    public static async Task<JsonObject> ReadJsonObjectAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return [];
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw Problems.Unparseable("json", text.Length);
        }
        catch (JsonException)
        {
            throw Problems.Unparseable("json", text.Length);
        }
    }

    public static async Task<string> ReadTextAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
    }

    /// <summary>central-backend lib/util/util.js sanitizeOdataIdentifier: how a property is named in OData.</summary>
    public static string ODataName(string name) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(name, "^([^a-zA-Z_])", "_$1"), "[^a-zA-Z0-9_]+", "_");

    /// <summary>JavaScript parseInt: leading whitespace, a sign, then at least one digit; the rest is ignored.</summary>
    public static bool TryParseIntPrefix(string? text, out long value)
    {
        value = 0;
        if (text is null) return false;
        var s = text.TrimStart();
        var i = 0;
        var negative = false;
        if (i < s.Length && (s[i] == '+' || s[i] == '-')) { negative = s[i] == '-'; i++; }
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 18) { value = value * 10 + (s[i] - '0'); i++; }
        if (i == start) return false;
        if (negative) value = -value;
        return true;
    }

    /// <summary>lib/http/endpoint.js isJsonType / isXmlType.</summary>
    public static bool IsJsonType(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, "(^|,)(application/json|json)($|;|,)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    public static bool IsXmlType(string value) =>
        System.Text.RegularExpressions.Regex.IsMatch(value, "(^|,)(application/(atom(svc)?\\+)?xml|atom|xml)($|;|,)", System.Text.RegularExpressions.RegexOptions.IgnoreCase);

    /// <summary>JavaScript typeof of a JSON value.</summary>
    public static string TypeOf(JsonNode? node) => node switch
    {
        null => "object",
        JsonValue v when v.TryGetValue<bool>(out _) => "boolean",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        JsonValue v when v.TryGetValue<string>(out _) => "string",
        _ => "object",
    };

    /// <summary>JavaScript truthiness of a JSON value.</summary>
    public static bool IsTruthy(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        JsonValue v when v.TryGetValue<double>(out var d) => d != 0 && !double.IsNaN(d),
        JsonValue v when v.TryGetValue<string>(out var s) => s.Length > 0,
        _ => true,
    };

    /// <summary>central-backend util/http.js isTrue: a non-blank string equal to "true", any case.</summary>
    public static bool IsTrue(string? value) => value is not null && value.Equals("true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The origin ODK writes into absolute links (its DOMAIN setting); else the request's own origin.</summary>
    public static string PublicOrigin(HttpContext context)
    {
        var configured = context.RequestServices.GetRequiredService<IConfiguration>()["Odk:PublicUrl"];
        return string.IsNullOrWhiteSpace(configured)
            ? $"{context.Request.Scheme}://{context.Request.Host}"
            : configured.TrimEnd('/');
    }

    public static string XmlEscape(string? value) => SecurityElement.Escape(value ?? "");

    public static string CsvField(string? value)
    {
        if (value is null) return "";
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }

    public static string OpenRosaMessage(string message, string nature = "") =>
        $"""

          <OpenRosaResponse xmlns="http://openrosa.org/http/response" items="0">
            <message nature="{nature}">{XmlEscape(message)}</message>
          </OpenRosaResponse>
        """;

    /// <summary>OpenRosa answers carry these headers (central-backend lib/http/endpoint.js openRosaBefore).</summary>
    public static void AddOpenRosaHeaders(HttpResponse response)
    {
        response.Headers["Content-Language"] = "en";
        response.Headers["X-OpenRosa-Version"] = "1.0";
        response.Headers["X-OpenRosa-Accept-Content-Length"] = "100000000";
        response.Headers.Date = DateTimeOffset.UtcNow.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>OpenRosa endpoints insist on the protocol header, and answer errors in XML.</summary>
    public static void BeginOpenRosa(HttpContext context)
    {
        context.Items[OpenRosaItem] = true;
        AddOpenRosaHeaders(context.Response);
        var version = context.Request.Headers["X-OpenRosa-Version"].ToString();
        if (version != "1.0") throw Problems.InvalidHeader("X-OpenRosa-Version", string.IsNullOrEmpty(version) ? null : version);
    }
}

/// <summary>
/// A body sent the way Express's res.send sends it: with a weak ETag of the body (the etag package: byte length in
/// hex and 27 characters of the base64 SHA-1) unless one is set already, and 304 without a body when a GET/HEAD
/// with a 2xx answer is fresh for the request's If-None-Match (the fresh package).
/// </summary>
public sealed class SentResult(string body, string contentType, int status) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = contentType;
        if (string.IsNullOrEmpty(response.Headers.ETag)) response.Headers.ETag = WeakEtag(bytes);
        var method = context.Request.Method;
        if ((HttpMethods.IsGet(method) || HttpMethods.IsHead(method)) && status is >= 200 and < 300 && IsFresh(context.Request, response.Headers.ETag.ToString()))
        {
            response.StatusCode = 304;
            response.Headers.Remove("Content-Type");
            response.Headers.Remove("Content-Length");
            return;
        }
        response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(method)) await response.Body.WriteAsync(bytes, context.RequestAborted);
    }

    public static string WeakEtag(byte[] bytes)
    {
        var hash = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(bytes))[..27];
        return $"W/\"{bytes.Length:x}-{hash}\"";
    }

    private static bool IsFresh(HttpRequest request, string etag)
    {
        var noneMatch = request.Headers.IfNoneMatch.ToString();
        if (noneMatch.Length == 0) return false;
        if (System.Text.RegularExpressions.Regex.IsMatch(request.Headers.CacheControl.ToString(), @"(?:^|,)\s*?no-cache\s*?(?:,|$)")) return false;
        if (noneMatch == "*") return true;
        foreach (var raw in noneMatch.Split(','))
        {
            var match = raw.Trim();
            if (match == etag || "W/" + match == etag || match == "W/" + etag) return true;
        }
        return false;
    }
}

/// <summary>Turns thrown problems into ODK's error bodies; every other failure is the bare {"message":"Internal Server Error"} 500.</summary>
public sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OdkProblem problem)
        {
            await WriteAsync(context, problem);
        }
        catch (BadHttpRequestException ex)
        {
            logger.LogDebug(ex, "Unreadable request");
            await WriteAsync(context, Problems.Unparseable("request", (int)(context.Request.ContentLength ?? 0)));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // the client went away; nothing to answer
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Unexpected failure on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteAsync(context, Problems.InternalServerError());
        }
    }

    private static async Task WriteAsync(HttpContext context, OdkProblem problem)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = problem.HttpStatus;
        if (context.Items.ContainsKey(Http.ODataXmlItem) && !problem.Bare && problem.HttpStatus != 500)
        {
            // lib/formats/odata.js odataXmlError; the details object renders as mustache renders an object.
            context.Response.ContentType = "text/xml; charset=utf-8";
            await context.Response.WriteAsync($"""
                <?xml version="1.0" encoding="UTF-8"?>
                <error code="{problem.Code.ToString(CultureInfo.InvariantCulture)}">
                  <message>{System.Net.WebUtility.HtmlEncode(problem.Message)}</message>
                  <details>{(problem.Details is null ? "" : "[object Object]")}</details>
                </error>
                """);
        }
        else if (context.Items.ContainsKey(Http.OpenRosaItem))
        {
            Http.AddOpenRosaHeaders(context.Response);
            context.Response.ContentType = "text/xml; charset=utf-8";
            await context.Response.WriteAsync(Http.OpenRosaMessage(problem.Message, "error"));
        }
        else
        {
            context.Response.ContentType = "application/json; charset=utf-8";
            await context.Response.WriteAsync(problem.ToJson().ToJsonString());
        }
    }
}
