using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Ihris.Auth;

/// <summary>
/// The JWTs of POST /auth/token: HS256 over {"user": ..., "iat", "exp"}, as routes/passportAuth.js signs them with
/// jsonwebtoken and auth:secret, and as app.js isLoggedIn verifies them.
/// </summary>
public sealed class AccessTokens(TimeProvider time)
{
    private byte[] _key = [];

    public void UseSecret(string secret) => _key = Encoding.UTF8.GetBytes(secret);

    public string Issue(JsonObject user, TimeSpan lifetime)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var header = Encode(new JsonObject { ["alg"] = "HS256", ["typ"] = "JWT" });
        var payload = Encode(new JsonObject { ["user"] = user, ["iat"] = now, ["exp"] = now + (long)lifetime.TotalSeconds });
        var signingInput = $"{header}.{payload}";
        return $"{signingInput}.{Base64Url.EncodeToString(HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>The token's user when it verifies and has not expired (jsonwebtoken: exp must be after now), else null.</summary>
    public JsonNode? Verify(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || _key.Length == 0) return null;
        try
        {
            var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2]))) return null;
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]));
            if ((string?)header?["alg"] != "HS256") return null;
            var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]));
            var expires = payload?["exp"]?.GetValue<long>();
            if (expires is not null && expires <= time.GetUtcNow().ToUnixTimeSeconds()) return null;
            return payload?["user"];
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Encode(JsonObject value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value.ToJsonString()));
}
