using System.IdentityModel.Tokens.Jwt;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace OneClickSuite.Testing;

/// <summary>The suite's service identity in tests: one signing key, and clients that act as someone.</summary>
public static class TestIdentity
{
    public const string SigningKey = "the-suite-signing-key-used-by-the-tests";

    public static readonly IConfiguration Configuration =
        new ConfigurationBuilder().AddInMemoryCollection([new(SuiteIdentity.SigningKeySetting, SigningKey)]).Build();

    /// <summary>A token as the portal signs it for <paramref name="user"/> acting with <paramref name="roles"/>.</summary>
    public static string Token(string user, params string[] roles) => SuiteIdentity.CreateToken(Configuration, user, roles);

    /// <summary>A client of a hosted service whose every request acts as <paramref name="user"/> (a fresh token each time).</summary>
    public static HttpClient ClientAs<T>(WebApplicationFactory<T> service, string user, params string[] roles) where T : class =>
        service.CreateDefaultClient(new SignAs(user, roles));

    /// <summary>Who a request's token names, when it is one the suite would believe; null otherwise.</summary>
    public static (string User, string[] Roles)? Verify(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.Ordinal)) return null;
        try
        {
            var principal = new JwtSecurityTokenHandler { MapInboundClaims = false }
                .ValidateToken(authorization["Bearer ".Length..], SuiteIdentity.ValidationParameters(Configuration), out _);
            return (principal.Identity!.Name!, principal.FindAll(SuiteIdentity.RoleClaim).Select(c => c.Value).ToArray());
        }
        catch (Exception ex) when (ex is Microsoft.IdentityModel.Tokens.SecurityTokenException or ArgumentException)
        {
            return null;
        }
    }

    private sealed class SignAs(string user, string[] roles) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token(user, roles));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
