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
            if (TooLong(name))
                return Results.LocalRedirect($"/signin?failed=1&returnUrl={Uri.EscapeDataString(LocalOrRoot(returnUrl))}");
            var (user, locked) = await VerifyAsync(name, password, users, ct);
            if (user is null)
            {
                await audit.RecordAsync(name ?? "", "sign-in", "portal", locked ? "locked" : "refused", null, ct);
                return Results.LocalRedirect($"/signin?failed={(locked ? "locked" : "1")}&returnUrl={Uri.EscapeDataString(LocalOrRoot(returnUrl))}");
            }
            await SignInAsync(http, user);
            return Results.LocalRedirect(LocalOrRoot(returnUrl));
        }).AllowAnonymous().RequireRateLimiting(SignInLimits.Policy);

        app.MapPost("/api/signin", async (SignInRequest request, HttpContext http, PortalUsers users, AuditLog audit, CancellationToken ct) =>
        {
            if (TooLong(request.Name))
                return Results.Problem(statusCode: 400, title: $"a user name has at most {PortalUsers.MaxNameLength} characters");
            var (user, locked) = await VerifyAsync(request.Name, request.Password, users, ct);
            if (user is null)
            {
                await audit.RecordAsync(request.Name ?? "", "sign-in", "portal", locked ? "locked" : "refused", null, ct);
                return locked
                    ? Results.Problem(statusCode: 429, title: $"too many wrong passwords: this name is locked for {PortalUsers.LockDuration.TotalMinutes:0} minutes")
                    : Results.Problem(statusCode: 401, title: "wrong name or password");
            }
            await SignInAsync(http, user);
            return Results.Ok(new { user.Name, user.Role });
        }).AllowAnonymous().DisableAntiforgery().RequireRateLimiting(SignInLimits.Policy);

        app.MapPost("/account/signout", async (HttpContext http) =>
        {
            await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            return Results.LocalRedirect("/signin");
        });
    }

    /// <summary>
    /// A name longer than any user's is refused before the database is asked or the attempt audited: no user has one
    /// (<see cref="PortalUsers.SeedAsync"/> refuses it), and an audit row must not carry an arbitrary amount of text.
    /// </summary>
    private static bool TooLong(string? name) => name is not null && name.Trim().Length > PortalUsers.MaxNameLength;

    private static async Task<SignInResult> VerifyAsync(string? name, string? password, PortalUsers users, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(name) || string.IsNullOrEmpty(password) ? new SignInResult(null, false) : await users.VerifyAsync(name.Trim(), password, ct);

    /// <summary>The claim that ties a cookie to the user's password and role at sign-in (<c>portal.users.stamp</c>).</summary>
    public const string StampClaim = "oneclicksuite:stamp";

    private static Task SignInAsync(HttpContext http, PortalUser user)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, user.Name), new Claim(ClaimTypes.Role, user.Role), new Claim(StampClaim, user.Stamp.ToString())],
            CookieAuthenticationDefaults.AuthenticationScheme, ClaimTypes.Name, ClaimTypes.Role);
        return http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
    }

    /// <summary>Only a path of this site: a sign-in link must not send people elsewhere.</summary>
    private static string LocalOrRoot(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//") && !url.StartsWith("/\\") ? url : "/";
}
