using System.IdentityModel.Tokens.Jwt;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.Tokens;
using OneClickSuite.Contracts.Payroll;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Payroll takes who acts only from a token it has verified: none, a forged one, an expired one or bare headers get
/// 401; a role the token lacks gets 403; maker–checker holds whatever roles one token carries; the demo pays only a
/// worker it registered, and approves only its own runs.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class IdentityTests : IAsyncLifetime
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private WebApplicationFactory<PayrollApp> _payroll = null!;

    public async ValueTask InitializeAsync()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        _payroll = ServiceHost.Start<PayrollApp>(new Dictionary<string, string>
        {
            ["ConnectionStrings:suite-db"] = await pg.CreateDatabaseAsync("payroll_identity"),
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Fineract:Password"] = "unused",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        // Somebody to pay: a nurse, and a worker the demo registered.
        var workforce = (Workforce.Workforce)_payroll.Services.GetService(typeof(Workforce.Workforce))!;
        await workforce.ApplyWorkerAsync(PayrollWorld.Nurse("nurse-1", 850m), 1, null, null, Ct);
        await workforce.ApplyWorkerAsync(PayrollWorld.Nurse(Actor.DemoWorkerPrefix + "x1", 850m), 1, null, null, Ct);
    }

    public async ValueTask DisposeAsync() => await _payroll.DisposeAsync();

    [Fact]
    public async Task Without_a_verified_identity_nothing_is_read_or_changed()
    {
        using var anonymous = _payroll.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/payruns", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/workers/w1", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/payruns", Run(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/dead-letters", Ct)).StatusCode);
        foreach (var read in new[] { "/statements", "/disputes", "/pay-holds", $"/payruns/{Guid.NewGuid()}/checks" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(read, Ct)).StatusCode);
        }
        foreach (var act in new[] { "/pay-holds/recheck", $"/disputes/{Guid.NewGuid()}/answer", $"/payruns/{Guid.NewGuid()}/checks/1/resolve" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync(act, new { reason = "x", answer = "x", outcome = "referred" }, Ct)).StatusCode);
        }

        // What anyone inside the deployment could once write: the old headers name nobody now.
        using var headers = _payroll.CreateClient();
        headers.DefaultRequestHeaders.Add("X-Suite-User", "alice");
        headers.DefaultRequestHeaders.Add("X-Suite-Roles", "payroll-maker,payroll-checker");
        Assert.Equal(HttpStatusCode.Unauthorized, (await headers.PostAsJsonAsync("/payruns", Run(), Ct)).StatusCode);

        foreach (var token in new[]
                 {
                     Sign("a-key-that-is-not-the-suites", "alice", SuiteIdentity.Issuer, SuiteIdentity.Audience, TimeSpan.FromMinutes(1)),
                     Sign(TestIdentity.SigningKey, "alice", "someone-else", SuiteIdentity.Audience, TimeSpan.FromMinutes(1)),
                     Sign(TestIdentity.SigningKey, "alice", SuiteIdentity.Issuer, "another-audience", TimeSpan.FromMinutes(1)),
                     Sign(TestIdentity.SigningKey, "alice", SuiteIdentity.Issuer, SuiteIdentity.Audience, TimeSpan.FromMinutes(-5)),
                     TestIdentity.Token("alice", SuiteIdentity.Clerk)[..^4] + "AAAA", // signature tampered with
                 })
        {
            using var forged = _payroll.CreateClient();
            forged.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            Assert.Equal(HttpStatusCode.Unauthorized, (await forged.PostAsJsonAsync("/payruns", Run(), Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task Roles_decide_what_a_verified_identity_may_do()
    {
        using var viewer = TestIdentity.ClientAs(_payroll, "victor", SuiteIdentity.Viewer);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/payruns", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/payruns", Run(), Ct)).StatusCode);
        // Statements, disputes and holds: anyone reads; a viewer acts on none of them (answers are ProblemDetails).
        foreach (var read in new[] { "/statements", "/disputes", "/pay-holds" })
        {
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(read, Ct)).StatusCode);
        }
        var recheck = await viewer.PostAsync("/pay-holds/recheck", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, recheck.StatusCode);
        Assert.Equal("application/problem+json", recheck.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await viewer.GetAsync($"/disputes/{Guid.NewGuid()}", Ct)).StatusCode);

        using var clerk = TestIdentity.ClientAs(_payroll, "carol", SuiteIdentity.Clerk);
        var run = await CreateSubmittedAsync(clerk);
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.PostAsync($"/payruns/{run}/approve", null, Ct)).StatusCode);

        // One token with both roles does not make one person their own checker.
        using var both = TestIdentity.ClientAs(_payroll, "dora", SuiteIdentity.Clerk, SuiteIdentity.Approver);
        var own = await CreateSubmittedAsync(both, monthsAgo: 1);
        Assert.Equal(HttpStatusCode.Forbidden, (await both.PostAsync($"/payruns/{own}/approve", null, Ct)).StatusCode);

        // Checks: the clerk reads them; only an approver resolves one.
        var checks = await clerk.GetFromJsonAsync<List<RunCheckView>>($"/payruns/{run}/checks", Ct);
        var total = Assert.Single(checks!, c => c.Kind == CheckKind.TotalChanged);
        Assert.Equal(HttpStatusCode.Forbidden, (await clerk.PostAsJsonAsync($"/payruns/{run}/checks/{total.Id}/resolve", new { reason = "fine" }, Ct)).StatusCode);

        using var approver = TestIdentity.ClientAs(_payroll, "erin", SuiteIdentity.Approver);
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsJsonAsync($"/payruns/{run}/checks/{total.Id}/resolve", new { reason = "first run here" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync($"/payruns/{run}/approve", null, Ct)).StatusCode);
    }

    [Fact]
    public async Task The_demo_pays_only_a_worker_it_registered_and_approves_only_its_own_runs()
    {
        using var demoClerk = TestIdentity.ClientAs(_payroll, DemoIdentities.Clerk, SuiteIdentity.Clerk, SuiteIdentity.Demo);
        Assert.Equal(HttpStatusCode.Forbidden, (await demoClerk.PostAsJsonAsync("/payruns", Run(), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden,
            (await demoClerk.PostAsJsonAsync("/payruns", Run(PopulationKind.Worker, "nurse-1"), Ct)).StatusCode);
        var demoRun = await CreateSubmittedAsync(demoClerk, PopulationKind.Worker, Actor.DemoWorkerPrefix + "x1");

        using var person = TestIdentity.ClientAs(_payroll, "frank", SuiteIdentity.Approver);
        Assert.Equal(HttpStatusCode.Forbidden, (await person.PostAsync($"/payruns/{demoRun}/approve", null, Ct)).StatusCode);

        using var clerk = TestIdentity.ClientAs(_payroll, "gina", SuiteIdentity.Clerk);
        var personsRun = await CreateSubmittedAsync(clerk);
        using var demoApprover = TestIdentity.ClientAs(_payroll, DemoIdentities.Approver, SuiteIdentity.Approver, SuiteIdentity.Demo);
        Assert.Equal(HttpStatusCode.Forbidden, (await demoApprover.PostAsync($"/payruns/{personsRun}/approve", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await demoApprover.PostAsync($"/payruns/{demoRun}/approve", null, Ct)).StatusCode);
    }

    private static NewPayRun Run(string population = PopulationKind.Everyone, string? value = null, int monthsAgo = 0) =>
        new(DateTime.UtcNow.AddMonths(-monthsAgo).ToString("yyyy-MM"), population, value);

    private static async Task<Guid> CreateSubmittedAsync(HttpClient clerk, string population = PopulationKind.Everyone, string? value = null,
        int monthsAgo = 0)
    {
        var created = await clerk.PostAsJsonAsync("/payruns", Run(population, value, monthsAgo), Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var run = (await created.Content.ReadFromJsonAsync<PayRunView>(Ct))!;
        Assert.Equal(HttpStatusCode.OK, (await clerk.PostAsync($"/payruns/{run.Id}/submit", null, Ct)).StatusCode);
        return run.Id;
    }

    private static string Sign(string key, string subject, string issuer, string audience, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        var token = new JwtSecurityToken(issuer, audience, [new Claim("sub", subject), new Claim(SuiteIdentity.RoleClaim, SuiteIdentity.Clerk)],
            notBefore: now.AddMinutes(-10), expires: now + lifetime,
            signingCredentials: new SigningCredentials(new SymmetricSecurityKey(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key))),
                SecurityAlgorithms.HmacSha256));
        return new JwtSecurityTokenHandler().WriteToken(token);
    }
}
