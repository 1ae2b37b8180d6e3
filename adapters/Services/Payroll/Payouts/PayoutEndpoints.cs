using Microsoft.AspNetCore.Http.HttpResults;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Payouts;

/// <summary>
/// Payout destinations: a clerk asks for a change, an approver (another person) approves or rejects it. Identities come
/// from the verified token, as for pay runs.
/// </summary>
public static class PayoutEndpoints
{
    public static void MapPayouts(this WebApplication app)
    {
        var group = app.MapGroup("").WithTags("Payout destinations").RequireSuitePolicy(SuiteIdentity.Read);
        group.MapGet("/workers/{workerId}/payout-destination", GetDestinationAsync)
            .WithSummary("Where the worker is paid, the change waiting for approval and every change before");
        group.MapPost("/workers/{workerId}/payout-destination", RequestChangeAsync)
            .WithSummary("A clerk asks for the worker to be paid elsewhere (rail fineract or mobile-money with msisdn, default the iHRIS phone)");
        group.MapGet("/payout-destination-changes", ListPendingAsync).WithSummary("Changes waiting for approval");
        group.MapPost("/payout-destination-changes/{id:guid}/approve", ApproveAsync)
            .WithSummary("Another person approves the change; it applies to runs drafted from now on and to retries");
        group.MapPost("/payout-destination-changes/{id:guid}/reject", RejectAsync).WithSummary("Another person rejects the change, with a reason");
    }

    public static Task<Results<Ok<PayoutDestinationView>, ProblemHttpResult>> GetDestinationAsync(string workerId, HttpContext http,
        PayoutDestinations destinations, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await destinations.GetAsync(workerId, ct)));

    public static Task<Results<Ok<PayoutChangeView>, ProblemHttpResult>> RequestChangeAsync(string workerId, PayoutChangeRequest request,
        HttpContext http, PayoutDestinations destinations, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await destinations.RequestChangeAsync(workerId, request, Actor.From(http.User), ct)));

    public static Task<Results<Ok<IReadOnlyList<PayoutChangeView>>, ProblemHttpResult>> ListPendingAsync(HttpContext http,
        PayoutDestinations destinations, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await destinations.ListPendingAsync(ct)));

    public static Task<Results<Ok<PayoutChangeView>, ProblemHttpResult>> ApproveAsync(Guid id, PayoutDecision? decision, HttpContext http,
        PayoutDestinations destinations, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await destinations.ApproveAsync(id, Actor.From(http.User), decision?.Note, ct)));

    public static Task<Results<Ok<PayoutChangeView>, ProblemHttpResult>> RejectAsync(Guid id, PayoutDecision? decision, HttpContext http,
        PayoutDestinations destinations, CancellationToken ct) =>
        PayRunEndpoints.Answer(http, async () => TypedResults.Ok(await destinations.RejectAsync(id, Actor.From(http.User), decision?.Note, ct)));
}
