using Microsoft.AspNetCore.Http.HttpResults;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Workforce;

namespace OneClickSuite.Payroll.Statements;

/// <summary>
/// Statements, disputes and holds: reading needs any role; answering a dispute needs the clerk's (maker) role, and
/// checking the holds again a payroll role. Refusals are ProblemDetails.
/// </summary>
public static class StatementEndpoints
{
    public static void MapStatements(this WebApplication app)
    {
        var statements = app.MapGroup("/statements").WithTags("Statements").RequireSuitePolicy(SuiteIdentity.Read);
        statements.MapGet("", ListStatementsAsync).WithSummary("Pay statements, newest first (workerId=, period=yyyy-MM)");
        statements.MapGet("/{id:guid}", GetStatementAsync);

        var disputes = app.MapGroup("/disputes").WithTags("Disputes").RequireSuitePolicy(SuiteIdentity.Read);
        disputes.MapGet("", ListDisputesAsync).WithSummary("Workers' queries about their statements (status=open|answered)");
        disputes.MapGet("/{id:guid}", GetDisputeAsync);
        disputes.MapPost("/{id:guid}/answer", AnswerDisputeAsync).WithSummary("A clerk answers a query, with its outcome");

        var holds = app.MapGroup("/pay-holds").WithTags("Holds").RequireSuitePolicy(SuiteIdentity.Read);
        holds.MapGet("", ListHoldsAsync).WithSummary("Workers set aside: nothing is paid to them until the named record is fixed");
        holds.MapPost("/recheck", RecheckHoldsAsync).WithSummary("Work every worker's holds out again (after the rule set changed)");
    }

    public static Task<Results<Ok<IReadOnlyList<PayStatementView>>, ProblemHttpResult>> ListStatementsAsync(string? workerId, string? period, int? offset,
        int? limit, HttpContext http, PayStatements statements, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await statements.ListAsync(workerId, period, offset ?? 0, limit ?? 100, ct)));

    public static Task<Results<Ok<PayStatementView>, ProblemHttpResult>> GetStatementAsync(Guid id, HttpContext http, PayStatements statements,
        CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await statements.GetAsync(id, ct)));

    public static Task<Results<Ok<IReadOnlyList<DisputeView>>, ProblemHttpResult>> ListDisputesAsync(string? status, HttpContext http, Disputes disputes,
        CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await disputes.ListAsync(status, ct)));

    public static Task<Results<Ok<DisputeView>, ProblemHttpResult>> GetDisputeAsync(Guid id, HttpContext http, Disputes disputes, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await disputes.GetAsync(id, ct)));

    public static Task<Results<Ok<DisputeView>, ProblemHttpResult>> AnswerDisputeAsync(Guid id, AnswerDispute request, HttpContext http, Disputes disputes,
        CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await disputes.AnswerAsync(id, request, Actor.From(http.User), ct)));

    public static Task<Results<Ok<IReadOnlyList<PayHoldView>>, ProblemHttpResult>> ListHoldsAsync(string? workerId, HttpContext http, PayHolds holds,
        CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await holds.ListAsync(workerId, ct)));

    public sealed record RecheckResult(int WorkersHeld);

    public static Task<Results<Ok<RecheckResult>, ProblemHttpResult>> RecheckHoldsAsync(HttpContext http, PayHolds holds, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () =>
        {
            var actor = Actor.From(http.User);
            if (!actor.Has(Actor.MakerRole) && !actor.Has(Actor.CheckerRole))
                throw PayrollRefusal.Forbidden($"{actor.User} needs a payroll role to check the holds again");
            return TypedResults.Ok(new RecheckResult(await holds.RecheckAllAsync(ct)));
        });
}
