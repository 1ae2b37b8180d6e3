using Microsoft.AspNetCore.Antiforgery;

namespace OneClickSuite.Portal.Security;

/// <summary>
/// Antiforgery for the JSON API. A browser sends the portal's cookie with any request, even one another site makes it
/// send; so a call that changes something and is authenticated by that cookie must also carry a token read from
/// <c>GET /api/antiforgery</c> in the <see cref="HeaderName"/> header, which another site cannot read or forge. The
/// dashboard's demo call is authenticated by a header of its own, not a cookie, and needs no token.
/// </summary>
public static class ApiAntiforgery
{
    /// <summary>The request header that carries the token (also accepted by the pages' forms as a header).</summary>
    public const string HeaderName = "X-CSRF-TOKEN";

    /// <summary>Maps <c>GET {group}/antiforgery</c> and makes every state-changing call of the group check the token.</summary>
    public static RouteGroupBuilder RequireAntiforgeryForCookies(this RouteGroupBuilder group)
    {
        // The token for the signed-in person (it is bound to them), and the cookie half of the pair.
        group.MapGet("/antiforgery", (HttpContext http, IAntiforgery antiforgery) =>
        {
            var tokens = antiforgery.GetAndStoreTokens(http);
            return Results.Ok(new { token = tokens.RequestToken, headerName = tokens.HeaderName });
        });

        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (IsSafe(http.Request.Method) || http.User.Identity?.IsAuthenticated != true) return await next(context);
            try
            {
                await http.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(http);
            }
            catch (AntiforgeryValidationException)
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest,
                    title: $"missing or invalid antiforgery token: read one from GET /api/antiforgery and send it in header {HeaderName}");
            }
            return await next(context);
        });
        return group;
    }

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
}
