using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace OneClickSuite.Emulators.Ihris.Hosting;

/// <summary>
/// One process, two upstream surfaces: the iHRIS backend (main port) and HAPI FHIR (the <c>Ihris:FhirPort</c> port at
/// <c>/fhir</c>, or <c>/hapi/fhir</c> on the main port when no second port is configured). HAPI requests are rewritten
/// to the internal prefix <see cref="HapiPrefix"/>, under which the HAPI endpoints are mapped; that prefix is never
/// reachable from outside.
/// </summary>
public static class Surfaces
{
    public const string HapiPrefix = "/__hapi";
    public const string SinglePortHapiPath = "/hapi/fhir";
    private const string BaseUrlKey = "ihris.hapi.base";

    public static bool IsHapi(HttpContext context) => context.Items.ContainsKey(BaseUrlKey);

    /// <summary>The FHIR base of the HAPI surface as the caller reached it (HAPI's IncomingRequestAddressStrategy).</summary>
    public static string HapiBaseUrl(HttpContext context) => (string)context.Items[BaseUrlKey]!;

    public static void MarkHapi(HttpContext context, string baseUrl) => context.Items[BaseUrlKey] = baseUrl;

    /// <summary>
    /// The HAPI base the backend uses (upstream IHRIS_FHIR__BASE), derived from the request when not configured.
    /// </summary>
    public static string BackendFhirBase(HttpContext context, IhrisOptions options)
    {
        if (!string.IsNullOrEmpty(options.FhirBase)) return options.FhirBase.TrimEnd('/');
        var request = context.Request;
        return options.FhirPort is int port
            ? $"{request.Scheme}://{request.Host.Host}:{port}/fhir"
            : $"{request.Scheme}://{request.Host}{request.PathBase}{SinglePortHapiPath}";
    }

    public static IApplicationBuilder UseSurfaces(this IApplicationBuilder app, IhrisOptions options) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments(HapiPrefix))
        {
            // The internal prefix is not a route of either upstream.
            request.Path = "/_" + request.Path.Value;
        }
        if (options.FhirPort is int port)
        {
            if (context.Connection.LocalPort == port)
            {
                if (!request.Path.StartsWithSegments("/fhir", out var rest))
                {
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return;
                }
                MarkHapi(context, $"{request.Scheme}://{request.Host}{request.PathBase}/fhir");
                request.Path = HapiPrefix + rest;
            }
        }
        else if (request.Path.StartsWithSegments(SinglePortHapiPath, out var rest))
        {
            MarkHapi(context, $"{request.Scheme}://{request.Host}{request.PathBase}{SinglePortHapiPath}");
            request.Path = HapiPrefix + rest;
        }
        await next(context);
    });

    /// <summary>
    /// With <c>Ihris:FhirPort</c> set, Kestrel listens on the main address(es) (ASPNETCORE_URLS or HTTP_PORTS, as Aspire
    /// sets them) and on the FHIR port. Listening explicitly replaces the configured URLs, so they are re-added here.
    /// </summary>
    public static void ListenOnBothPorts(this WebApplicationBuilder builder, int fhirPort)
    {
        var configuration = builder.Configuration;
        var urls = (configuration["urls"] ?? configuration["ASPNETCORE_URLS"] ?? "")
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        var httpPorts = configuration["HTTP_PORTS"] ?? configuration["ASPNETCORE_HTTP_PORTS"];
        if (urls.Count == 0 && !string.IsNullOrEmpty(httpPorts))
        {
            urls.AddRange(httpPorts.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p.Trim()}"));
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            string? fhirHost = null;
            foreach (var url in urls)
            {
                var uri = new Uri(url.Replace("://*", "://any-host", StringComparison.Ordinal).Replace("://+", "://any-host", StringComparison.Ordinal));
                fhirHost ??= uri.Host;
                Listen(kestrel, uri.Host, uri.Port);
            }
            Listen(kestrel, fhirHost ?? "localhost", fhirPort);
        });
    }

    private static void Listen(KestrelServerOptions kestrel, string host, int port)
    {
        if (host == "any-host") kestrel.ListenAnyIP(port);
        else if (host == "localhost") kestrel.ListenLocalhost(port);
        else kestrel.Listen(IPAddress.Parse(host.Trim('[', ']')), port);
    }
}
