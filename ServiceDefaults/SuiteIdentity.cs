using System.IdentityModel.Tokens.Jwt;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Who is acting, between the suite's services. The portal signs in a person and forwards them to a service as a
/// short-lived JWT signed with the <c>suite-signing-key</c> parameter (<c>Suite:Identity:SigningKey</c>); a service
/// takes the actor and roles only from a token it has verified (issuer, audience, expiry, signature). No token or a
/// forged one: 401; a role the token lacks: 403. Health endpoints stay open. (Microsoft's JwtBearer handler does the
/// verification: the standard one, so nothing of it is ours to get wrong.)
/// </summary>
public static class SuiteIdentity
{
    public const string Issuer = "oneclicksuite-portal";
    public const string Audience = "oneclicksuite-services";
    public const string SigningKeySetting = "Suite:Identity:SigningKey";
    public const string RoleClaim = "role";

    // Roles, as the portal names them.
    public const string Viewer = "viewer";
    public const string Clerk = "clerk";
    public const string Approver = "approver";
    /// <summary>The one-click demo: never a person, and only where the demo exists (the sandbox, a local full run).</summary>
    public const string Demo = "demo";

    // Policies.
    /// <summary>Reads personal data or the state of work: any signed-in role.</summary>
    public const string Read = "suite-read";
    /// <summary>Retries, replays, resyncs and polls: clerks and approvers.</summary>
    public const string Operate = "suite-operate";

    /// <summary>How long a forwarded identity lives: one request, with room for a slow one.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromMinutes(2);

    /// <summary>Verifies forwarded identities and defines the suite's policies.</summary>
    public static TBuilder AddSuiteIdentity<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        var validation = ValidationParameters(builder.Configuration);
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer(options =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = validation;
            });
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(Read, policy => policy.RequireRole(Viewer, Clerk, Approver, Demo))
            .AddPolicy(Operate, policy => policy.RequireRole(Clerk, Approver));
        return builder;
    }

    /// <summary>What a token must be to be believed: ours (issuer, audience, signature) and not expired.</summary>
    public static TokenValidationParameters ValidationParameters(IConfiguration configuration) => new()
    {
        ValidIssuer = Issuer,
        ValidAudience = Audience,
        IssuerSigningKey = SigningKey(configuration),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        NameClaimType = JwtRegisteredClaimNames.Sub,
        RoleClaimType = RoleClaim,
    };

    /// <summary>A signed identity for <paramref name="subject"/> acting with <paramref name="roles"/>.</summary>
    public static string CreateToken(IConfiguration configuration, string subject, IEnumerable<string> roles, TimeProvider? clock = null)
    {
        var now = (clock ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        var claims = new List<Claim> { new(JwtRegisteredClaimNames.Sub, subject), new(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("N")) };
        claims.AddRange(roles.Select(r => new Claim(RoleClaim, r)));
        var token = new JwtSecurityToken(Issuer, Audience, claims, notBefore: now, expires: now + TokenLifetime,
            signingCredentials: new SigningCredentials(SigningKey(configuration), SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }

    /// <summary>The roles a verified principal holds.</summary>
    public static IReadOnlySet<string> RolesOf(ClaimsPrincipal principal) =>
        principal.FindAll(RoleClaim).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>The parameter's text, stretched to the 256-bit key HS256 needs whatever its length.</summary>
    private static SymmetricSecurityKey SigningKey(IConfiguration configuration)
    {
        var secret = configuration[SigningKeySetting];
        if (string.IsNullOrEmpty(secret))
            throw new InvalidOperationException($"{SigningKeySetting} is not set: the services cannot verify who is acting");
        return new SymmetricSecurityKey(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
    }

    /// <summary>Requires a verified identity allowed by <paramref name="policy"/>.</summary>
    public static TBuilder RequireSuitePolicy<TBuilder>(this TBuilder endpoints, string policy) where TBuilder : IEndpointConventionBuilder =>
        endpoints.RequireAuthorization(policy);
}
