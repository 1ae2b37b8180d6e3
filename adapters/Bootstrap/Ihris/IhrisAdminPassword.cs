using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.Bootstrap.Ihris;

/// <summary>
/// A fresh iHRIS container re-writes its administrator with the password "ihris" (iHRIS/iHRIS defaultSetup.js loads
/// Person/ihris-user-admin on every first start). This replaces it with the configured password, the way iHRIS itself
/// stores one: pbkdf2-sha512, 1000 iterations, 64 bytes, hex; the salt is a 32-character hex string used as UTF-8
/// bytes (modules/user.js).
/// </summary>
public sealed class IhrisAdminPassword(HttpClient http, ILogger<IhrisAdminPassword> logger)
{
    private const string PersonPath = "fhir/Person/ihris-user-admin";
    private const string PasswordExtension = "http://ihris.org/fhir/StructureDefinition/ihris-password";

    /// <summary>Signs in with the default password and stores <paramref name="newPassword"/>; false when the default no longer works.</summary>
    public async Task<bool> ReplaceDefaultAsync(string email, string defaultPassword, string newPassword, CancellationToken ct)
    {
        var token = await TokenAsync(email, defaultPassword, ct);
        if (token is null) return false;

        using var read = new HttpRequestMessage(HttpMethod.Get, PersonPath);
        read.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var readResponse = await http.SendAsync(read, ct);
        var person = JsonNode.Parse(await readResponse.Content.ReadAsStringAsync(ct))?.AsObject()
                     ?? throw new IhrisException("iHRIS answered no Person for its administrator", (int)readResponse.StatusCode);
        if (!readResponse.IsSuccessStatusCode)
            throw new IhrisException($"iHRIS GET {PersonPath} failed with {(int)readResponse.StatusCode}", (int)readResponse.StatusCode);

        var salt = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
        var extensions = person["extension"]?.AsArray() ?? [];
        var passwordExtension = extensions.OfType<JsonObject>().FirstOrDefault(e => (string?)e["url"] == PasswordExtension);
        if (passwordExtension is not null) extensions.Remove(passwordExtension);
        extensions.Add(new JsonObject
        {
            ["url"] = PasswordExtension,
            ["extension"] = new JsonArray(
                new JsonObject { ["url"] = "password", ["valueString"] = Hash(newPassword, salt) },
                new JsonObject { ["url"] = "salt", ["valueString"] = salt }),
        });
        person["extension"] = extensions;

        // Token lifetime in iHRIS is a few seconds ("5400" read as milliseconds): take a fresh one for the write.
        token = await TokenAsync(email, defaultPassword, ct) ?? throw new IhrisException("iHRIS refused its default password mid-change", 401);
        var content = new StringContent(person.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json"); // exact type: iHRIS ignores others
        using var write = new HttpRequestMessage(HttpMethod.Put, PersonPath) { Content = content };
        write.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var writeResponse = await http.SendAsync(write, ct);
        if (!writeResponse.IsSuccessStatusCode)
            throw new IhrisException($"iHRIS PUT {PersonPath} failed with {(int)writeResponse.StatusCode}", (int)writeResponse.StatusCode);
        logger.LogInformation("iHRIS: the administrator's default password was replaced by the configured one");
        return true;
    }

    public static string Hash(string password, string salt) =>
        Convert.ToHexString(Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Encoding.UTF8.GetBytes(salt),
            1000, HashAlgorithmName.SHA512, 64)).ToLowerInvariant();

    private async Task<string?> TokenAsync(string email, string password, CancellationToken ct)
    {
        var content = new StringContent(new JsonObject { ["email"] = email, ["password"] = password }.ToJsonString());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("auth/token", content, ct);
        if (response.StatusCode == HttpStatusCode.Unauthorized) return null;
        if (!response.IsSuccessStatusCode)
            throw new IhrisException($"iHRIS POST /auth/token failed with {(int)response.StatusCode}", (int)response.StatusCode);
        return (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(ct))?["access_token"];
    }
}
