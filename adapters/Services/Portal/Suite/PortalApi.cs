using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using OneClickSuite.Portal.Data;
using OneClickSuite.Portal.Security;

namespace OneClickSuite.Portal.Suite;

/// <summary>
/// The portal's JSON API: the same actions as the pages, through the same <see cref="PortalActions"/> (role checks on
/// the server, audit). Every route needs a signed-in person, except the demo's, which takes the dashboard's key; a
/// signed-in person's POST also needs the antiforgery token of <c>GET /api/antiforgery</c>.
/// </summary>
public static class PortalApi
{
    public const string DemoKeyHeader = "X-Demo-Key";

    public static void MapPortalApi(this WebApplication app)
    {
        // A call that changes something, made with the portal's cookie, carries an antiforgery token (ApiAntiforgery).
        var api = app.MapGroup("/api").RequireAntiforgeryForCookies();

        api.MapGet("/me", (ClaimsPrincipal user) => Results.Ok(new { name = PortalActions.NameOf(user), role = PortalActions.RoleOf(user) }));

        api.MapGet("/workers", (string? search, string? state, int? offset, int? limit, WorkerDirectory directory, CancellationToken ct) =>
            directory.SearchAsync(new WorkerQuery(search, state, offset ?? 0, limit ?? 50), ct));

        api.MapPost("/workers/{workerId}/retry", async (string workerId, ClaimsPrincipal user, SuiteStatistics statistics,
            PortalActions actions, CancellationToken ct) =>
        {
            var quarantined = (await statistics.IhrisQuarantineAsync(ct)).FirstOrDefault(q => q.WorkerId == workerId);
            if (quarantined is null) return Results.Problem(statusCode: 404, title: $"worker {workerId} is not quarantined");
            return (await actions.RetryQuarantinedAsync(user, quarantined.Id, workerId, ct)).ToResult();
        });

        var runs = api.MapGroup("/payruns");
        runs.MapGet("", async (ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.ListRunsAsync(null, PortalActions.ActorOf(user), ct)).ToResult());
        runs.MapGet("/{id:guid}", async (Guid id, ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.GetRunAsync(id, PortalActions.ActorOf(user), ct)).ToResult());
        runs.MapGet("/{id:guid}/lines", async (Guid id, string? status, int? offset, int? limit, ClaimsPrincipal user, PayrollClient payroll,
            CancellationToken ct) => (await payroll.GetLinesAsync(id, status, offset ?? 0, limit ?? 200, PortalActions.ActorOf(user), ct)).ToResult());
        runs.MapPost("", async (NewPayRun request, ClaimsPrincipal user, PortalActions actions, CancellationToken ct) =>
            (await actions.CreatePayRunAsync(user, request, ct)).ToResult());
        runs.MapPost("/{id:guid}/submit", async (Guid id, ClaimsPrincipal user, PortalActions actions, CancellationToken ct) =>
            (await actions.SubmitAsync(user, id, ct)).ToResult());
        runs.MapPost("/{id:guid}/approve", async (Guid id, ClaimsPrincipal user, PortalActions actions, CancellationToken ct) =>
            (await actions.ApproveAsync(user, id, ct)).ToResult());
        runs.MapPost("/{id:guid}/reject", async (Guid id, RejectRequest? request, ClaimsPrincipal user, PortalActions actions, CancellationToken ct) =>
            (await actions.RejectAsync(user, id, request?.Reason, ct)).ToResult());
        runs.MapGet("/{id:guid}/checks", async (Guid id, bool? open, int? offset, int? limit, ClaimsPrincipal user, PayrollClient payroll,
            CancellationToken ct) => (await payroll.GetChecksAsync(id, open ?? false, offset ?? 0, limit ?? 500, PortalActions.ActorOf(user), ct)).ToResult());
        runs.MapPost("/{id:guid}/checks/{checkId:long}/resolve", async (Guid id, long checkId, ResolveCheck? request, ClaimsPrincipal user,
            PortalActions actions, CancellationToken ct) => (await actions.ResolveCheckAsync(user, id, checkId, request?.Reason, ct)).ToResult());
        runs.MapGet("/{id:guid}/export.csv", async (Guid id, ClaimsPrincipal user, PayrollClient payroll, HttpContext http, CancellationToken ct) =>
        {
            using var response = await payroll.ExportCsvAsync(id, PortalActions.ActorOf(user), ct);
            if (!response.IsSuccessStatusCode) return Results.Problem(statusCode: (int)response.StatusCode, title: "the export failed");
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString() ?? "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = response.Content.Headers.ContentDisposition?.ToString()
                ?? $"attachment; filename=\"payrun-{id:N}.csv\"";
            await response.Content.CopyToAsync(http.Response.Body, ct);
            return Results.Empty;
        });

        // Statements and the disputes raised about them (Payroll's API), answered by a clerk.
        api.MapGet("/statements", async (string? workerId, ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.ListStatementsAsync(workerId, PortalActions.ActorOf(user), ct)).ToResult());
        api.MapGet("/statements/{id:guid}", async (Guid id, ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.GetStatementAsync(id, PortalActions.ActorOf(user), ct)).ToResult());
        api.MapGet("/disputes", async (string? status, ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.ListDisputesAsync(status, PortalActions.ActorOf(user), ct)).ToResult());
        api.MapPost("/disputes/{id:guid}/answer", async (Guid id, AnswerDispute request, ClaimsPrincipal user, PortalActions actions,
            CancellationToken ct) => (await actions.AnswerDisputeAsync(user, id, request, ct)).ToResult());

        // Workers Payroll sets aside, and full reads of iHRIS held as a possible mass leaving (each owner's API).
        api.MapGet("/pay-holds", async (ClaimsPrincipal user, PayrollClient payroll, CancellationToken ct) =>
            (await payroll.ListHoldsAsync(PortalActions.ActorOf(user), ct)).ToResult());
        api.MapPost("/pay-holds/recheck", async (ClaimsPrincipal user, PortalActions actions, CancellationToken ct) =>
            (await actions.RecheckPayHoldsAsync(user, ct)).ToResult());
        api.MapGet("/roster/holds", async (ClaimsPrincipal user, SuiteServices services, CancellationToken ct) =>
            (await services.ListRosterHoldsAsync(PortalActions.ActorOf(user), ct)).ToResult());
        api.MapPost("/roster/holds/{id:long}/confirm", async (long id, HoldDecision? request, ClaimsPrincipal user, PortalActions actions,
            CancellationToken ct) => (await actions.DecideRosterHoldAsync(user, id, confirm: true, request?.Reason, ct)).ToResult());
        api.MapPost("/roster/holds/{id:long}/dismiss", async (long id, HoldDecision? request, ClaimsPrincipal user, PortalActions actions,
            CancellationToken ct) => (await actions.DecideRosterHoldAsync(user, id, confirm: false, request?.Reason, ct)).ToResult());

        var problems = api.MapGroup("/problems");
        problems.MapGet("", async (ClaimsPrincipal user, SuiteStatistics statistics, SuiteServices services, CancellationToken ct) =>
        {
            var deadLetters = await services.DeadLettersAsync(PortalActions.ActorOf(user), ct);
            return Results.Ok(new
            {
                ihrisQuarantine = await statistics.IhrisQuarantineAsync(ct),
                activityQuarantine = await statistics.ActivityQuarantineAsync(ct),
                odkFailures = await statistics.OdkFailuresAsync(ct),
                deadLetters = deadLetters.ToDictionary(d => d.Service, d => (object?)d.Letters.Value ?? new { error = d.Letters.Error }),
            });
        });
        problems.MapPost("/quarantine/{id:long}/retry", async (long id, ClaimsPrincipal user, SuiteStatistics statistics, PortalActions actions,
            CancellationToken ct) =>
        {
            var quarantined = (await statistics.IhrisQuarantineAsync(ct)).FirstOrDefault(q => q.Id == id);
            return (await actions.RetryQuarantinedAsync(user, id, quarantined?.WorkerId ?? $"quarantine {id}", ct)).ToResult();
        });
        problems.MapPost("/dead-letters/{service}/{id:guid}/replay", async (string service, Guid id, ClaimsPrincipal user,
            PortalActions actions, CancellationToken ct) => (await actions.ReplayDeadLetterAsync(user, service, id, ct)).ToResult());

        api.MapGet("/audit", async (string? target, AuditLog audit, CancellationToken ct) => Results.Ok(await audit.RecentAsync(200, target, ct)));

        // The dashboard's "Run the demo" command: no person is signed in there, so it shows the demo key instead.
        api.MapPost("/demo/run", async (HttpContext http, ClaimsPrincipal user, IConfiguration configuration, DemoCoordinator demo) =>
        {
            if (!demo.Enabled) return Results.Problem(statusCode: 404, title: DemoCoordinator.NotHere);
            var startedBy = DemoCaller(http, user, configuration);
            if (startedBy is null) return Results.Problem(statusCode: 401, title: $"sign in as a clerk or approver, or send header {DemoKeyHeader}");
            var run = demo.TryStart(startedBy);
            if (run is null) return Results.Problem(statusCode: 409, title: "a demo is already running: watch it on the portal's Demo page");
            var result = await run;
            return Results.Json(new
            {
                result.Succeeded, result.WorkerId, result.PayRunId, result.SavingsAccountId, result.Amount, result.Error,
                seconds = Math.Round(demo.LastDuration?.TotalSeconds ?? 0, 1),
                steps = demo.Steps,
            }, statusCode: result.Succeeded ? 200 : 500);
        }).AllowAnonymous();
    }

    public sealed record RejectRequest(string? Reason);

    public sealed record HoldDecision(string? Reason);

    private static string? DemoCaller(HttpContext http, ClaimsPrincipal user, IConfiguration configuration)
    {
        if (user.Identity?.IsAuthenticated == true) return PortalActions.CanOperate(user) ? PortalActions.NameOf(user) : null;
        var expected = configuration["Portal:DemoKey"];
        var given = http.Request.Headers[DemoKeyHeader].ToString();
        if (string.IsNullOrEmpty(expected) || string.IsNullOrEmpty(given)) return null;
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(given)) ? "dashboard" : null;
    }
}
