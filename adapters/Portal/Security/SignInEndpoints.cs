using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using OneClickSuite.Portal.Data;

namespace OneClickSuite.Portal.Security;

public sealed record SignInRequest(string Name, string Password);

/// <summary>Signing in and out: the sign-in page's form, and the same as JSON for scripts and tests.</summary>
public static class SignInEndpoints
{
    public static void MapSignIn(this WebApplication app)
    {
        app.MapPost("/account/signin", async ([FromForm] string? name, [FromForm] string? password, [FromForm] string? returnUrl,
            HttpContext http, PortalUsers users, AuditLog audit, CancellationToken ct) =>
        {
            var user = await VerifyAsync(name, password, users, ct);
            if (user is null)
            {
                await audit.RecordAsync(name ?? "", "sign-in", "portal", "refused", null, ct);
                return Results.LocalRedirect($"/signin?failed=1&returnUrl={Uri.EscapeDataString(LocalOrRoot(returnUrl))}");
            }
            await SignInAsync(http, user);
            return Results.LocalRedirect(LocalOrRoot(returnUrl));
        }).AllowAnonymous();

        app.MapPost("/api/signin", async (SignInRequest request, HttpContext http, PortalUsers users, AuditLog audit, CancellationToken ct) =>
        {
            var user = await VerifyAsync(request.Name, request.Password, users, ct);
            if (user is null)
            {
                await audit.RecordAsync(request.Name ?? "", "sign-in", "portal", "refused", null, ct);
                return Results.Problem(statusCode: 401, title: "wrong name or password");
            }
            await SignInAsync(http, user);
            return Results.Ok(new { user.Name, user.Role });
        }).AllowAnonymous().DisableAntiforgery();

        app.MapPost("/account/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/signin");
        });
    }

    private static async Task<PortalUser?> VerifyAsync(string? name, string? password, PortalUsers users, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(name) || string.IsNullOrEmpty(password) ? null : await users.VerifyAsync(name.Trim(), password, ct);

    private static Task SignInAsync(HttpContext http, PortalUser user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role)],
            CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>Only a path of this site: a sign-in link must not send people elsewhere.</summary>
    private static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
