using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OneClickSuite.Emulators.Ihris.Backend;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>iHRIS users and login: routes/passportAuth.js, modules/user.js, defaultSetup.js.</summary>
public sealed class AuthTests
{
    [Fact]
    public void The_seeded_admin_hash_is_pbkdf2_of_ihris_with_the_salt_as_text()
    {
        Assert.Equal(IhrisUsers.DefaultAdminHash, IhrisUsers.HashPassword("ihris", IhrisUsers.DefaultAdminSalt));
        Assert.NotEqual(IhrisUsers.DefaultAdminHash, IhrisUsers.HashPassword("ihris2", IhrisUsers.DefaultAdminSalt));
    }

    [Fact]
    public async Task Token_is_issued_for_the_default_admin_and_refused_otherwise()
    {
        await using var host = await IhrisHost.StartAsync();
        var ct = TestContext.Current.CancellationToken;

        var good = await host.RequestTokenAsync(IhrisHost.AdminEmail, IhrisHost.DefaultPassword);
        Assert.Equal(200, (int)good.StatusCode);
        var token = (string?)(await good.Content.ReadFromJsonAsync<JsonObject>(ct))!["access_token"];
        Assert.Equal(3, token!.Split('.').Length);

        var wrong = await host.RequestTokenAsync(IhrisHost.AdminEmail, "nope");
        Assert.Equal(401, (int)wrong.StatusCode);
        Assert.Equal("", await wrong.Content.ReadAsStringAsync(ct));
        Assert.Equal(401, (int)(await host.RequestTokenAsync("x@example.org", IhrisHost.DefaultPassword)).StatusCode);

        // express.json only parses Content-Type exactly "application/json": with a charset the body is empty.
        var withCharset = await host.Backend.PostAsJsonAsync("/auth/token", new { email = IhrisHost.AdminEmail, password = IhrisHost.DefaultPassword }, ct);
        Assert.Equal(401, (int)withCharset.StatusCode);
        // A known user without a password: pbkdf2Sync throws, the route answers 500.
        var noPassword = new StringContent("{\"email\":\"admin@ihris.org\"}", Encoding.UTF8);
        noPassword.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        Assert.Equal(500, (int)(await host.Backend.PostAsync("/auth/token", noPassword, ct)).StatusCode);
    }

    [Fact]
    public async Task Users_are_person_resources_and_a_changed_password_is_checked_against_them()
    {
        await using var host = await IhrisHost.StartAsync();
        var admin = await host.GetOkAsync("/fhir/Person/ihris-user-admin");
        var salt = "0123456789abcdef0123456789abcdef";
        admin["extension"]![0]!["extension"]![0]!["valueString"] = IhrisUsers.HashPassword("changed-secret", salt);
        admin["extension"]![0]!["extension"]![1]!["valueString"] = salt;
        var (status, _) = await host.SendAsync(HttpMethod.Put, "/fhir/Person/ihris-user-admin", IhrisHost.Fhir(admin.ToJsonString()));
        Assert.Equal(200, status);

        Assert.Equal(401, (int)(await host.RequestTokenAsync(IhrisHost.AdminEmail, IhrisHost.DefaultPassword)).StatusCode);
        Assert.Equal(200, (int)(await host.RequestTokenAsync(IhrisHost.AdminEmail, "changed-secret")).StatusCode);
    }

    [Fact]
    public async Task A_new_start_loads_the_default_admin_again_unless_installed()
    {
        string connectionString;
        await using (var host = await IhrisHost.StartAsync())
        {
            connectionString = host.ConnectionString;
            var admin = await host.GetOkAsync("/fhir/Person/ihris-user-admin");
            admin["extension"]![0]!["extension"]![0]!["valueString"] = IhrisUsers.HashPassword("suite-password", IhrisUsers.DefaultAdminSalt);
            await host.SendAsync(HttpMethod.Put, "/fhir/Person/ihris-user-admin", IhrisHost.Fhir(admin.ToJsonString()));
            Assert.Equal(401, (int)(await host.RequestTokenAsync(IhrisHost.AdminEmail, IhrisHost.DefaultPassword)).StatusCode);
        }
        // A restarted container whose config/baseConfig.json says app:installed "true" keeps the changed password.
        await using (var restarted = await IhrisHost.StartAsync(connectionString, new Dictionary<string, string> { ["Ihris:AppInstalled"] = "true" }))
        {
            Assert.Equal(200, (int)(await restarted.RequestTokenAsync(IhrisHost.AdminEmail, "suite-password")).StatusCode);
        }
        // A new container: defaultSetup.js loadFSHFiles PUTs Person/ihris-user-admin with password "ihris" again.
        await using var fresh = await IhrisHost.StartAsync(connectionString);
        Assert.Equal(200, (int)(await fresh.RequestTokenAsync(IhrisHost.AdminEmail, IhrisHost.DefaultPassword)).StatusCode);
        Assert.Equal(401, (int)(await fresh.RequestTokenAsync(IhrisHost.AdminEmail, "suite-password")).StatusCode);
        var history = await fresh.GetOkAsync("/fhir/Person/ihris-user-admin/_history");
        Assert.Equal(3, (int)history["total"]!);
    }

    [Fact]
    public async Task Token_lifetime_is_auth_tokenDuration_read_as_milliseconds()
    {
        await using var host = await IhrisHost.StartAsync();
        var response = await host.RequestTokenAsync(IhrisHost.AdminEmail, IhrisHost.DefaultPassword);
        var token = (string)(await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!["access_token"]!;
        var payload = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]))!;
        Assert.Equal(5, (long)payload["exp"]! - (long)payload["iat"]!);
        Assert.Equal("ihris-user-admin", (string?)payload["user"]!["resource"]!["id"]);
    }
}
