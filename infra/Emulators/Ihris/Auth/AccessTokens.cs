using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Ihris.Auth;

/// <summary>
/// The JWTs of POST /auth/token: HS256 over {"user": ...}, as iHRIS signs them with auth:secret (routes/passportAuth.js).
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

    public bool IsValid(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || _key.Length == 0) return false;
        try
        {
            var expected = HMACSHA256.HashData(_key, Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"));
            if (!CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2]))) return false;
            var header = JsonNode.Parse(Base64Url.DecodeFromChars(parts[0]));
            if ((string?)header?["alg"] != "HS256") return false;
            var payload = JsonNode.Parse(Base64Url.DecodeFromChars(parts[1]));
            var expires = payload?["exp"]?.GetValue<long>();
            return expires is null || expires > time.GetUtcNow().ToUnixTimeSeconds();
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return false;
        }
    }

    private static string Encode(JsonObject value) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(value.ToJsonString()));
}
