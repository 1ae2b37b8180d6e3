using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Roster.Tests;

/// <summary>
/// Every adapter endpoint that changes state or shows personal data wants a verified identity: none or a forged one
/// is 401, a viewer's (who may read) acting is 403. Health stays open.
/// </summary>
[Collection(RosterCollection.Name)]
public sealed class AdapterIdentityTests(RosterSuite suite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] Changes =
        ["/roster/poll", "/roster/resync", "/quarantine/1/retry", "/activity/poll", "/queries/poll", "/roster/holds/1/confirm", "/roster/holds/1/dismiss",
         $"/dead-letters/{Guid.Empty}/replay"];

    [Fact]
    public async Task Adapters_refuse_requests_without_a_verified_identity_and_acts_without_the_role()
    {
        var adapters = new (string Name, Func<HttpClient> Client, string[] Paths)[]
        {
            ("ihris-adapter", () => suite.IhrisAdapter.CreateClient(),
                ["/roster/poll", "/roster/resync", "/quarantine/1/retry", "/quarantine", "/roster/holds", "/roster/holds/1/confirm", "/roster/holds/1/dismiss"]),
            ("odk-adapter", () => suite.OdkAdapter.CreateClient(), ["/activity/poll", "/roster/entities/pending", "/activity/quarantine", "/queries/poll"]),
            ("fineract-adapter", () => suite.FineractAdapter.CreateClient(), []),
        };
        foreach (var (name, client, own) in adapters)
        {
            foreach (var path in own.Append("/dead-letters").Append($"/dead-letters/{Guid.Empty}/replay"))
            {
                var changes = Changes.Contains(path) || path.EndsWith("/replay");
                var method = changes ? HttpMethod.Post : HttpMethod.Get;

                using var anonymous = client();
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(anonymous, method, path, null));
                using var forged = client();
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(forged, method, path,
                    TestIdentity.Token("mallory", SuiteIdentity.Clerk)[..^6] + "AAAAAA"));
                if (changes)
                {
                    using var viewer = client();
                    Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(viewer, method, path, TestIdentity.Token("victor", SuiteIdentity.Viewer)));
                }
                else
                {
                    using var viewer = client();
                    Assert.Equal(HttpStatusCode.OK, await StatusAsync(viewer, method, path, TestIdentity.Token("victor", SuiteIdentity.Viewer)));
                }
            }
            using var health = client();
            Assert.Equal(HttpStatusCode.OK, (await health.GetAsync("/alive", Ct)).StatusCode);
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, HttpMethod method, string path, string? token)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request, Ct);
        return response.StatusCode;
    }
}
