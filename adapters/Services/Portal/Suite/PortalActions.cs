using System.Security.Claims;
using System.Text.Json.Nodes;
using OneClickSuite.Portal.Data;
using OneClickSuite.Portal.Security;

namespace OneClickSuite.Portal.Suite;

/// <summary>
/// Every change a person makes in the portal, pages and API alike: checks the person's role on the server, forwards
/// who acts to Payroll (which enforces maker–checker itself), and records the attempt in the audit trail.
/// </summary>
public sealed class PortalActions(SuiteServices services, PayrollClient payroll, AuditLog audit)
{
    public static string NameOf(ClaimsPrincipal user) => user.Identity?.Name ?? "";

    public static string RoleOf(ClaimsPrincipal user) => user.FindFirstValue(ClaimTypes.Role) ?? PortalRoles.Viewer;

    public static bool CanPrepare(ClaimsPrincipal user) => user.IsInRole(PortalRoles.Clerk);

    public static bool CanApprove(ClaimsPrincipal user) => user.IsInRole(PortalRoles.Approver);

    public static bool CanOperate(ClaimsPrincipal user) => user.IsInRole(PortalRoles.Clerk) || user.IsInRole(PortalRoles.Approver);

    /// <summary>The signed-in person, as the services are told (a signed token, <see cref="SuiteIdentity"/>).</summary>
    public static SuiteActor ActorOf(ClaimsPrincipal user) => new(NameOf(user), [RoleOf(user)]);

    /// <summary>A run for a month other than the current or previous one carries the clerk's reason, kept here too.</summary>
    public Task<Outcome<PayRunView>> CreatePayRunAsync(ClaimsPrincipal user, NewPayRun request, CancellationToken ct) =>
        Audited(user, "create-pay-run", $"period {request.Period}", CanPrepare(user), "only a payroll clerk creates pay runs",
            () => payroll.CreateRunAsync(request, ActorOf(user), ct), run => $"pay run {run?.Id}", ct,
            string.IsNullOrWhiteSpace(request.Reason) ? null : $"period {request.Period}: {request.Reason.Trim()}");

    /// <summary>The approver records why a check may go ahead; Payroll keeps it with the check, the audit trail here.</summary>
    public Task<Outcome<RunCheckView>> ResolveCheckAsync(ClaimsPrincipal user, Guid runId, long checkId, string? reason, CancellationToken ct) =>
        Audited(user, "resolve-check", $"pay run {runId}", CanApprove(user), "only an approver resolves checks",
            () => payroll.ResolveCheckAsync(runId, checkId, reason, ActorOf(user), ct), null, ct, $"check {checkId}: {reason}");

    public Task<Outcome<DisputeView>> AnswerDisputeAsync(ClaimsPrincipal user, Guid disputeId, AnswerDispute answer, CancellationToken ct) =>
        Audited(user, "answer-dispute", $"dispute {disputeId}", CanPrepare(user), "only a payroll clerk answers disputes",
            () => payroll.AnswerDisputeAsync(disputeId, answer, ActorOf(user), ct), null, ct, $"{answer.Outcome}: {answer.Answer}");

    public Task<Outcome<JsonNode>> RecheckPayHoldsAsync(ClaimsPrincipal user, CancellationToken ct) =>
        Audited(user, "recheck-pay-holds", "payroll holds", CanOperate(user), "a viewer cannot check the holds again",
            () => payroll.RecheckHoldsAsync(ActorOf(user), ct), null, ct);

    /// <summary>A person confirms (the workers really left) or dismisses (the read was short) a held mass leaving.</summary>
    public Task<Outcome<RosterHoldView>> DecideRosterHoldAsync(ClaimsPrincipal user, long holdId, bool confirm, string? reason, CancellationToken ct) =>
        Audited(user, confirm ? "confirm-roster-hold" : "dismiss-roster-hold", $"roster hold {holdId}", CanOperate(user),
            "a viewer cannot decide a held roster read", () => services.DecideRosterHoldAsync(holdId, confirm, reason, ActorOf(user), ct), null, ct, reason);

    /// <summary>A clerk asks for a worker to be paid elsewhere; another person decides (Payroll enforces it).</summary>
    public Task<Outcome<PayoutChangeView>> RequestPayoutChangeAsync(ClaimsPrincipal user, string workerId, PayoutChangeRequest request, CancellationToken ct) =>
        Audited(user, "request-payout-change", $"worker {workerId}", CanPrepare(user), "only a payroll clerk asks for a payout destination change",
            () => payroll.RequestPayoutChangeAsync(workerId, request, ActorOf(user), ct), change => $"payout change {change?.Id} of worker {workerId}", ct,
            $"{request.Rail} {request.Msisdn}: {request.Reason}");

    public Task<Outcome<PayoutChangeView>> DecidePayoutChangeAsync(ClaimsPrincipal user, Guid changeId, bool approve, string? note, CancellationToken ct) =>
        Audited(user, approve ? "approve-payout-change" : "reject-payout-change", $"payout change {changeId}", CanApprove(user),
            "only an approver decides a payout destination change", () => payroll.DecidePayoutChangeAsync(changeId, approve, note, ActorOf(user), ct), null, ct, note);

    public Task<Outcome<PayRunView>> SubmitAsync(ClaimsPrincipal user, Guid runId, CancellationToken ct) =>
        Audited(user, "submit-pay-run", $"pay run {runId}", CanPrepare(user), "only a payroll clerk submits pay runs",
            () => payroll.SubmitAsync(runId, ActorOf(user), ct), null, ct);

    public Task<Outcome<PayRunView>> ApproveAsync(ClaimsPrincipal user, Guid runId, CancellationToken ct) =>
        Audited(user, "approve-pay-run", $"pay run {runId}", CanApprove(user), "only an approver approves pay runs",
            () => payroll.ApproveAsync(runId, ActorOf(user), ct), null, ct);

    /// <summary>Rejecting a run cancels it: a clerk withdraws their own, an approver rejects one submitted to them.</summary>
    public Task<Outcome<PayRunView>> RejectAsync(ClaimsPrincipal user, Guid runId, string? reason, CancellationToken ct) =>
        Audited(user, "reject-pay-run", $"pay run {runId}", CanOperate(user), "a viewer cannot reject pay runs",
            () => payroll.CancelAsync(runId, reason, ActorOf(user), ct), null, ct, reason);

    public Task<Outcome<JsonNode>> RetryLineAsync(ClaimsPrincipal user, Guid runId, Guid lineId, CancellationToken ct) =>
        Audited(user, "retry-pay-line", $"pay line {lineId}", CanPrepare(user), "only a payroll clerk retries failed lines",
            () => payroll.RetryLineAsync(runId, lineId, ActorOf(user), ct), null, ct);

    public Task<Outcome<JsonNode>> RetryQuarantinedAsync(ClaimsPrincipal user, long quarantineId, string workerId, CancellationToken ct) =>
        Audited(user, "retry-quarantined-worker", $"worker {workerId}", CanOperate(user), "a viewer cannot retry records",
            () => services.RetryQuarantinedAsync(quarantineId, ActorOf(user), ct), null, ct);

    public Task<Outcome<JsonNode>> ReplayDeadLetterAsync(ClaimsPrincipal user, string service, Guid id, CancellationToken ct) =>
        Audited(user, "replay-dead-letter", $"{service} message {id}", CanOperate(user), "a viewer cannot replay messages",
            () => services.ReplayDeadLetterAsync(service, id, ActorOf(user), ct), null, ct);

    private async Task<Outcome<T>> Audited<T>(ClaimsPrincipal user, string action, string target, bool allowed, string refusal,
        Func<Task<Outcome<T>>> act, Func<T?, string>? describe, CancellationToken ct, string? detail = null)
    {
        var actor = NameOf(user);
        if (user.Identity?.IsAuthenticated != true) return Outcome<T>.Refused(401, "sign in first");
        if (!allowed)
        {
            await audit.RecordAsync(actor, action, target, "refused", refusal, ct);
            return Outcome<T>.Refused(403, refusal);
        }
        var outcome = await act();
        await audit.RecordAsync(actor, action, outcome.Succeeded && describe is not null ? describe(outcome.Value) : target,
            outcome.Succeeded ? "done" : $"refused {outcome.Status}", outcome.Succeeded ? detail : outcome.Error, ct);
        return outcome;
    }
}
