using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// The Spring Security filter chain in front of /api: tenant first (400 when missing or unknown), then HTTP Basic (401).
/// Both answer Spring Boot's /error JSON, not Fineract's error body (api-shapes.md §1.10).
/// </summary>
public sealed class BasicAuthentication(NpgsqlDataSource db, IConfiguration configuration)
{
    public const string TenantHeader = "Fineract-Platform-TenantId";
    private const string Challenge = "Basic realm=\"Fineract Platform API\"";

    // A verified password is remembered briefly, so the hot path does not pay for PBKDF2 on every call.
    // Another process sees a password change within this time; this process sees it at once. The key names the
    // database too: two emulators in one process (tests) must not accept each other's passwords.
    private static readonly TimeSpan CacheTime = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<(string Database, string User), (byte[] Digest, DateTime Expires)> Verified = new();

    private readonly string _tenant = configuration["Fineract:Tenant"] ?? "default";

    public static void Forget(string username)
    {
        foreach (var key in Verified.Keys)
            if (key.User == username) Verified.TryRemove(key, out _);
    }

    /// <summary>Returns the authenticated username, or writes the error response and returns null.</summary>
    public async Task<string?> AuthenticateAsync(HttpContext http)
    {
        var tenant = http.Request.Headers[TenantHeader].FirstOrDefault() ?? http.Request.Query["tenantIdentifier"].FirstOrDefault();
        if (string.IsNullOrEmpty(tenant) || !string.Equals(tenant, _tenant, StringComparison.Ordinal))
        {
            await SpringErrorAsync(http, 400, "Bad Request");
            return null;
        }
        var credentials = ParseBasic(http.Request.Headers.Authorization.FirstOrDefault());
        if (credentials is null || !await VerifyAsync(credentials.Value.User, credentials.Value.Password, http.RequestAborted))
        {
            await SpringErrorAsync(http, 401, "Unauthorized");
            return null;
        }
        return credentials.Value.User;
    }

    private static (string User, string Password)? ParseBasic(string? header)
    {
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
            var colon = decoded.IndexOf(':');
            return colon < 0 ? null : (decoded[..colon], decoded[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private async Task<bool> VerifyAsync(string username, string password, CancellationToken ct)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(password));
        var key = (db.ConnectionString, username);
        if (Verified.TryGetValue(key, out var known) && known.Expires > DateTime.UtcNow
            && CryptographicOperations.FixedTimeEquals(known.Digest, digest))
            return true;

        await using var command = db.CreateCommand("SELECT password_hash FROM m_appuser WHERE username = $1");
        command.Parameters.AddWithValue(username);
        if (await command.ExecuteScalarAsync(ct) is not string stored || !PasswordHash.Verify(password, stored)) return false;
        Verified[key] = (digest, DateTime.UtcNow + CacheTime);
        return true;
    }

    private static async Task SpringErrorAsync(HttpContext http, int status, string error)
    {
        http.Response.StatusCode = status;
        http.Response.Headers.WWWAuthenticate = Challenge;
        await http.Response.WriteAsJsonAsync(new
        {
            timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
            status,
            error,
            path = http.Request.Path.Value,
        });
    }
}
