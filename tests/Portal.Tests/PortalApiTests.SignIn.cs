using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Dapper;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using OneClickSuite.Portal.Security;

namespace OneClickSuite.Portal.Tests;

/// <summary>How signing in is hardened: limits per address and per name, the hashing cost, the cookie and its keys, antiforgery.</summary>
public sealed partial class PortalApiTests
{
    private const string CookieName = "OneClickSuite.Portal";

    [Fact]
    public async Task Sign_in_attempts_from_one_address_beyond_the_configured_limit_are_answered_429()
    {
        Assert.Equal(20, new SignInLimits().PermitLimit); // the defaults a deployment gets
        Assert.Equal(60, new SignInLimits().WindowSeconds);
        await using var portal = host.StartAnotherPortal("Development",
            ("Portal:SignInLimits:PermitLimit", "3"), ("Portal:SignInLimits:WindowSeconds", "600"));
        var attacker = IPAddress.Parse("203.0.113.7");

        using var fromAttacker = ClientFrom(portal, attacker);
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var wrong = await fromAttacker.PostAsJsonAsync("/api/signin", new { name = $"nobody-{attempt}", password = "guess" }, Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        // The fourth is refused by the limiter, even with the right password, and says when to try again.
        var refused = await fromAttacker.PostAsJsonAsync("/api/signin", new { name = "viewer", password = PortalApiHost.ViewerPassword }, Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Contains("too many sign-in attempts from this address", await refused.Content.ReadAsStringAsync(Ct));
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 600);
        // The sign-in page's form counts against the same limit.
        var form = await fromAttacker.PostAsync("/account/signin",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["name"] = "viewer", ["password"] = "x" }), Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, form.StatusCode);

        // Another address is not held back by it.
        using var fromElsewhere = ClientFrom(portal, IPAddress.Parse("203.0.113.8"));
        var other = await fromElsewhere.PostAsJsonAsync("/api/signin", new { name = "viewer", password = PortalApiHost.ViewerPassword }, Ct);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_name_longer_than_64_characters_is_refused_before_the_database_is_asked()
    {
        using var client = host.Client();
        var overlong = "x" + new string('n', PortalUsers.MaxNameLength);
        var refused = await client.PostAsJsonAsync("/api/signin", new { name = overlong, password = "whatever" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("at most 64 characters", await refused.Content.ReadAsStringAsync(Ct));
        // 64 characters is still a name: looked up (no such user) and audited like any wrong sign-in.
        var longest = new string('m', PortalUsers.MaxNameLength);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/signin", new { name = longest, password = "whatever" }, Ct)).StatusCode);

        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM portal.audit WHERE actor = @overlong", new { overlong }));
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM portal.audit WHERE actor = @longest", new { longest }));
    }

    [Fact]
    public async Task A_hash_made_at_an_older_cost_is_renewed_at_600000_rounds_when_its_user_signs_in()
    {
        Assert.Equal(600_000, PortalUsers.Iterations);
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var stamp = await WriteOldHashAsync(connection, "upgrader", PortalApiHost.UpgraderPassword);

        using var upgrader = await host.SignedInAsync("upgrader", PortalApiHost.UpgraderPassword);
        var row = await connection.QuerySingleAsync<(byte[] Salt, byte[] Hash, int Iterations, Guid Stamp)>(
            "SELECT salt, hash, iterations, stamp FROM portal.users WHERE name = 'upgrader'");
        Assert.Equal(600_000, row.Iterations);
        Assert.Equal(Rfc2898DeriveBytes.Pbkdf2(PortalApiHost.UpgraderPassword, row.Salt, 600_000, HashAlgorithmName.SHA256, 32), row.Hash);
        Assert.Equal(stamp, row.Stamp); // the same password: the user's sessions go on
        Assert.Equal(HttpStatusCode.OK, (await upgrader.GetAsync("/api/me", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_second_portal_on_the_same_database_accepts_the_first_ones_cookie_which_is_secure_outside_development()
    {
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var stamp = await WriteOldHashAsync(connection, "reseeded", PortalApiHost.ReseededPassword);

        // The first portal runs as Development over plain HTTP: the cookie goes as the request came.
        using var first = host.Client();
        var signedIn = await first.PostAsJsonAsync("/api/signin", new { name = "clerk", password = PortalApiHost.ClerkPassword }, Ct);
        signedIn.EnsureSuccessStatusCode();
        var developmentCookie = AuthCookie(signedIn);
        Assert.DoesNotContain("secure", developmentCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", developmentCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", developmentCookie, StringComparison.OrdinalIgnoreCase);

        // A second portal, started separately as Production on the same database.
        await using var second = host.StartAnotherPortal("Production");
        // Its start found the configured password still matching an older hash, and renewed it without a new stamp.
        var reseeded = await connection.QuerySingleAsync<(int Iterations, Guid Stamp)>("SELECT iterations, stamp FROM portal.users WHERE name = 'reseeded'");
        Assert.Equal((600_000, stamp), reseeded);

        // Plain HTTP, as behind the platform's ingress, which ends TLS.
        using var secondClient = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using (var carried = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            carried.Headers.Add("Cookie", developmentCookie.Split(';')[0]);
            var me = await secondClient.SendAsync(carried, Ct);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            Assert.Equal("clerk", (string?)(await me.Content.ReadFromJsonAsync<JsonObject>(Ct))!["name"]);
        }

        // Outside Development the browser is told to send the cookie over HTTPS only, whatever scheme reached the portal.
        var productionSignIn = await secondClient.PostAsJsonAsync("/api/signin", new { name = "viewer", password = PortalApiHost.ViewerPassword }, Ct);
        productionSignIn.EnsureSuccessStatusCode();
        var productionCookie = AuthCookie(productionSignIn);
        Assert.Contains("; secure", productionCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", productionCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", productionCookie, StringComparison.OrdinalIgnoreCase);
        using (var back = new HttpRequestMessage(HttpMethod.Get, "/api/me"))
        {
            back.Headers.Add("Cookie", productionCookie.Split(';')[0]);
            Assert.Equal(HttpStatusCode.OK, (await first.SendAsync(back, Ct)).StatusCode);
        }

        // Both read one key ring, the one in PostgreSQL.
        var stored = (await connection.QueryAsync<string>($"SELECT xml FROM {PostgresKeyRepository.Table}"))
            .Select(xml => Guid.Parse(XElement.Parse(xml).Attribute("id")!.Value)).Order().ToList();
        Assert.NotEmpty(stored);
        Assert.Equal(stored, KeyIds(host.Portal));
        Assert.Equal(stored, KeyIds(second));
    }

    [Fact]
    public async Task A_cookie_authenticated_call_that_changes_something_needs_the_antiforgery_token()
    {
        using var clerk = host.Client();
        (await clerk.PostAsJsonAsync("/api/signin", new { name = "clerk", password = PortalApiHost.ClerkPassword }, Ct)).EnsureSuccessStatusCode();
        var token = await PortalApiHost.AntiforgeryTokenAsync(clerk); // the client now holds the cookie half too
        using var viewer = await host.SignedInAsync("viewer", PortalApiHost.ViewerPassword);
        var posts = host.PayrollCalls.Count(c => c.Method == "POST");

        // The cookies alone, a made-up token or another person's token: refused before anything is done.
        var without = await clerk.PostAsJsonAsync("/api/payruns", new { period = "2026-10", population = "everyone" }, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, without.StatusCode);
        Assert.Contains(ApiAntiforgery.HeaderName, await without.Content.ReadAsStringAsync(Ct));
        foreach (var wrong in new[] { "CfDJ8-not-a-token", viewer.DefaultRequestHeaders.GetValues(ApiAntiforgery.HeaderName).Single() })
        {
            using var forged = new HttpRequestMessage(HttpMethod.Post, $"/api/payruns/{RunId}/submit");
            forged.Headers.Add(ApiAntiforgery.HeaderName, wrong);
            Assert.Equal(HttpStatusCode.BadRequest, (await clerk.SendAsync(forged, Ct)).StatusCode);
        }
        Assert.Equal(posts, host.PayrollCalls.Count(c => c.Method == "POST")); // nothing reached Payroll

        // Reading needs no token; with the clerk's own token the same call goes through.
        Assert.Equal(HttpStatusCode.OK, (await clerk.GetAsync("/api/payruns", Ct)).StatusCode);
        clerk.DefaultRequestHeaders.Add(ApiAntiforgery.HeaderName, token);
        var created = await clerk.PostAsJsonAsync("/api/payruns", new { period = "2026-10", population = "everyone" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Contains(host.PayrollCalls, c => c is { Method: "POST", Path: "/payruns", User: "clerk" });
    }

    /// <summary>Stores a hash of <paramref name="password"/> at an older release's 100,000 rounds; returns the user's stamp.</summary>
    private static async Task<Guid> WriteOldHashAsync(Npgsql.NpgsqlConnection connection, string name, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, 100_000, HashAlgorithmName.SHA256, 32);
        return await connection.ExecuteScalarAsync<Guid>(
            "UPDATE portal.users SET salt = @salt, hash = @hash, iterations = 100000 WHERE name = @name RETURNING stamp", new { name, salt, hash });
    }

    /// <summary>A client whose requests reach the portal from <paramref name="address"/>.</summary>
    private static HttpClient ClientFrom(WebApplicationFactory<PortalApp> portal, IPAddress address) =>
        new(portal.Server.CreateHandler(context => context.Connection.RemoteIpAddress = address)) { BaseAddress = portal.Server.BaseAddress };

    private static string AuthCookie(HttpResponseMessage response) =>
        response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(CookieName + "=", StringComparison.Ordinal));

    private static List<Guid> KeyIds(WebApplicationFactory<PortalApp> portal) =>
        portal.Services.GetRequiredService<IKeyManager>().GetAllKeys().Select(k => k.KeyId).Order().ToList();
}
