using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Ihris;
using OneClickSuite.IhrisAdapter.Administrator;
using OneClickSuite.Testing;
using Xunit;
using IhrisEmulator = OneClickSuite.Emulators.Ihris.Auth.AccessTokens;

namespace OneClickSuite.Roster.Tests;

/// <summary>
/// Every new iHRIS container loads its administrator and demo user again with the published password "ihris"
/// (defaultSetup.js loadFSHFiles; the emulator does the same on every start). The iHRIS adapter's guard puts the
/// configured email and password back on its FHIR server and takes the demo user off the default.
/// </summary>
public class AdministratorGuardTests
{
    private const string Email = "hr.admin@health.example.gov";
    private const string Password = "a-configured-password-7";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_configured_administrator_signs_in_again_after_every_new_iHRIS_container()
    {
        var postgres = await PostgresServer.StartSharedAsync();
        var database = await postgres.CreateDatabaseAsync("guard_hapi");

        for (var container = 1; container <= 2; container++)
        {
            using var emulator = EmulatorHost<IhrisEmulator>.Start(_ => new Dictionary<string, string> { ["ConnectionStrings:hapi-db"] = database });
            using var backend = new HttpClient { BaseAddress = emulator.BaseAddress };
            Assert.Equal(HttpStatusCode.OK, await SignInAsync(backend, "admin@ihris.org", IhrisUsers.PublishedDefaultPassword));

            var fhir = emulator.Origin + "/hapi/fhir";
            var ihris = new IhrisClient(new HttpClient { BaseAddress = new Uri(fhir + "/") }, Options.Create(new IhrisOptions { FhirUrl = fhir }));
            Assert.True(await AdministratorGuard.EnsureAsync(ihris, Email, Password, NullLogger.Instance, Ct), $"container {container}: nothing was put right");

            Assert.Equal(HttpStatusCode.OK, await SignInAsync(backend, Email, Password));
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(backend, "admin@ihris.org", IhrisUsers.PublishedDefaultPassword));
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(backend, Email, IhrisUsers.PublishedDefaultPassword));
            // The demo user (role hrmanager) no longer signs in with the published password either.
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(backend, "demo@ihris.org", IhrisUsers.PublishedDefaultPassword));

            Assert.False(await AdministratorGuard.EnsureAsync(ihris, Email, Password, NullLogger.Instance, Ct), "a second check changed something");
        }
    }

    /// <summary>POST /auth/token as iHRIS reads it: the body is parsed only with Content-Type exactly application/json.</summary>
    private static async Task<HttpStatusCode> SignInAsync(HttpClient backend, string email, string password)
    {
        var content = new StringContent(new JsonObject { ["email"] = email, ["password"] = password }.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await backend.PostAsync("auth/token", content, Ct);
        return response.StatusCode;
    }
}
