using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OneClickSuite.Emulators.Ihris.Fhir;

namespace OneClickSuite.Emulators.Ihris.Auth;

/// <summary>The iHRIS backend routes in front of HAPI: API login, public app configuration, and the login gate on /fhir.</summary>
public static class AuthEndpoints
{
    public static IEndpointRouteBuilder MapIhrisBackendEndpoints(this IEndpointRouteBuilder app)
    {
        // routes/passportAuth.js: 200 {access_token} for a known user with the right password, else 401 with no body.
        app.MapPost("/auth/token", async (HttpContext context, AccessTokens tokens, IOptions<IhrisOptions> options, ILoggerFactory loggers) =>
        {
            var (email, password) = await ReadCredentialsAsync(context.Request);
            var settings = options.Value;
            if (email is null || password is null || settings.AdminPassword is null
                || !string.Equals(email, settings.AdminEmail, StringComparison.OrdinalIgnoreCase)
                || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(settings.AdminPassword)))
            {
                if (settings.AdminPassword is null)
                {
                    loggers.CreateLogger("OneClickSuite.Emulators.Ihris.Auth").LogWarning("Login refused: Ihris:AdminPassword is not configured");
                }
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }
            var user = new JsonObject
            {
                ["resource"] = new JsonObject
                {
                    ["resourceType"] = "Person",
                    ["id"] = "ihris-user-admin",
                    ["name"] = new JsonArray(new JsonObject { ["use"] = "official", ["text"] = "iHRIS Admin" }),
                    ["telecom"] = new JsonArray(new JsonObject { ["system"] = "email", ["value"] = settings.AdminEmail }),
                },
            };
            var token = tokens.Issue(user, TimeSpan.FromSeconds(settings.TokenDurationSeconds));
            return Results.Json(new JsonObject { ["access_token"] = token });
        });

        // routes/config.js GET /app: reachable without login.
        app.MapGet("/config/app", (HttpContext context, IOptions<IhrisOptions> options) => Results.Json(new JsonObject
        {
            ["idp"] = "ihris",
            ["keycloak"] = new JsonObject(),
            ["fhir"] = new JsonObject { ["base"] = options.Value.FhirBase ?? FhirResults.BaseUrl(context.Request) },
        }));
        return app;
    }

    private static async Task<(string? Email, string? Password)> ReadCredentialsAsync(HttpRequest request)
    {
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            return (form["email"].FirstOrDefault(), form["password"].FirstOrDefault());
        }
        try
        {
            var body = await JsonNode.ParseAsync(request.Body, cancellationToken: request.HttpContext.RequestAborted);
            return (AsString(body?["email"]), AsString(body?["password"]));
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    private static string? AsString(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>
    /// iHRIS answers 401 with its "Not logged in" OperationOutcome when /fhir is called without a valid Bearer token
    /// (app.js isLoggedIn). The capability statement stays public, as HAPI's does.
    /// </summary>
    public static IApplicationBuilder UseIhrisLoginGate(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path;
        var options = context.RequestServices.GetRequiredService<IOptions<IhrisOptions>>().Value;
        if (!path.StartsWithSegments("/fhir") || path.StartsWithSegments("/fhir/metadata") || options.AnonymousFhir)
        {
            await next(context);
            return;
        }
        var header = context.Request.Headers.Authorization.ToString();
        var tokens = context.RequestServices.GetRequiredService<AccessTokens>();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && tokens.IsValid(header["Bearer ".Length..].Trim()))
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.Body.WriteAsync(OperationOutcomeJson.Create("error", "forbidden", "Not logged in"));
    });
}
