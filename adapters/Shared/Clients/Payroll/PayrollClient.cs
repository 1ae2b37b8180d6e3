using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using OneClickSuite.Contracts.Payroll;

namespace OneClickSuite.Clients.Payroll;

/// <summary>Who acts: a person signed in to the portal, or the demo, and their suite roles.</summary>
public sealed record SuiteActor(string User, IReadOnlyList<string> Roles);

/// <summary>How a call to a suite service ended: its HTTP status, the problem's title when refused, the answer when not.</summary>
public sealed record Outcome<T>(int Status, string? Error, T? Value)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public static Outcome<T> Ok(T value, int status = 200) => new(status, null, value);

    public static Outcome<T> Refused(int status, string error) => new(status, error, default);

    /// <summary>The answer, or <see cref="PayrollRefused"/> with the status and the problem's title.</summary>
    public T Required() => Succeeded && Value is not null ? Value : throw new PayrollRefused(Status, Error ?? $"answered {Status} with no body");
}

/// <summary>Payroll refused a request; <see cref="Status"/> is its HTTP status, the message its problem title.</summary>
public sealed class PayrollRefused(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The one client of Payroll's API (adapters/Services/Payroll/README.md), for the portal and the demo alike. Every call
/// carries who acts as a short-lived token signed with the suite's key (<see cref="SuiteIdentity"/>); Payroll verifies
/// it and checks the roles itself. Refusals and an unreachable Payroll are answers (<see cref="Outcome{T}"/>), not
/// exceptions; <see cref="Outcome{T}.Required"/> turns them into one where a caller cannot go on.
/// </summary>
public sealed class PayrollClient(HttpClient http, IConfiguration configuration)
{
    public Task<Outcome<List<PayRunView>>> ListRunsAsync(DateOnly? month, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayRunView>>(HttpMethod.Get, "payruns" + (month is { } m ? "?period=" + Month(m) : ""), actor, null, ct);

    public Task<Outcome<PayRunView>> GetRunAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Get, $"payruns/{id}", actor, null, ct);

    public Task<Outcome<List<PayLineView>>> GetLinesAsync(Guid id, string? status, int offset, int limit, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayLineView>>(HttpMethod.Get,
            $"payruns/{id}/lines?offset={offset}&limit={limit}" + (status is null ? "" : $"&status={Uri.EscapeDataString(status)}"), actor, null, ct);

    public Task<Outcome<ReconciliationReport>> ReconcileAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<ReconciliationReport>(HttpMethod.Get, $"payruns/{id}/reconciliation", actor, null, ct);

    public Task<Outcome<PayRunView>> CreateRunAsync(NewPayRun request, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, "payruns", actor, request, ct);

    public Task<Outcome<PayRunView>> SubmitAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{id}/submit", actor, null, ct);

    public Task<Outcome<PayRunView>> ApproveAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{id}/approve", actor, null, ct);

    public Task<Outcome<PayRunView>> CancelAsync(Guid id, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{id}/cancel", actor, new { reason }, ct);

    public Task<Outcome<JsonNode>> RetryLineAsync(Guid id, Guid lineId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, $"payruns/{id}/lines/{lineId}/retry", actor, null, ct);

    /// <summary>The run's checks, computed by Payroll (<paramref name="open"/>: only blocking ones not resolved).</summary>
    public Task<Outcome<List<RunCheckView>>> GetChecksAsync(Guid id, bool open, int offset, int limit, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<RunCheckView>>(HttpMethod.Get, $"payruns/{id}/checks?open={(open ? "true" : "false")}&offset={offset}&limit={limit}", actor, null, ct);

    public Task<Outcome<RunCheckView>> ResolveCheckAsync(Guid id, long checkId, string? reason, SuiteActor actor, CancellationToken ct) =>
        SendAsync<RunCheckView>(HttpMethod.Post, $"payruns/{id}/checks/{checkId}/resolve", actor, new ResolveCheck(reason), ct);

    /// <summary>Payroll's CSV of a run, streamed as it comes.</summary>
    public Task<HttpResponseMessage> ExportCsvAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        http.SendAsync(Request(HttpMethod.Get, $"payruns/{id}/export.csv", actor, null), HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>What Payroll knows of a worker and their activity in <paramref name="month"/> (404 while it has not heard of them).</summary>
    public Task<Outcome<PayrollWorkerView>> GetWorkerAsync(string workerId, DateOnly month, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayrollWorkerView>(HttpMethod.Get, $"workers/{Uri.EscapeDataString(workerId)}?period={Month(month)}", actor, null, ct);

    /// <summary>Workers Payroll sets aside, with the record, field, value and reason.</summary>
    public Task<Outcome<List<PayHoldView>>> ListHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayHoldView>>(HttpMethod.Get, "pay-holds", actor, null, ct);

    public Task<Outcome<JsonNode>> RecheckHoldsAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<JsonNode>(HttpMethod.Post, "pay-holds/recheck", actor, null, ct);

    public Task<Outcome<List<PayStatementView>>> ListStatementsAsync(string? workerId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayStatementView>>(HttpMethod.Get, "statements" + (workerId is null ? "" : $"?workerId={Uri.EscapeDataString(workerId)}"), actor, null, ct);

    public Task<Outcome<PayStatementView>> GetStatementAsync(Guid id, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayStatementView>(HttpMethod.Get, $"statements/{id}", actor, null, ct);

    public Task<Outcome<List<DisputeView>>> ListDisputesAsync(string? status, SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<DisputeView>>(HttpMethod.Get, "disputes" + (status is null ? "" : $"?status={Uri.EscapeDataString(status)}"), actor, null, ct);

    public Task<Outcome<DisputeView>> AnswerDisputeAsync(Guid id, AnswerDispute answer, SuiteActor actor, CancellationToken ct) =>
        SendAsync<DisputeView>(HttpMethod.Post, $"disputes/{id}/answer", actor, answer, ct);

    public Task<Outcome<PayoutDestinationView>> GetPayoutDestinationAsync(string workerId, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayoutDestinationView>(HttpMethod.Get, $"workers/{Uri.EscapeDataString(workerId)}/payout-destination", actor, null, ct);

    public Task<Outcome<PayoutChangeView>> RequestPayoutChangeAsync(string workerId, PayoutChangeRequest request, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayoutChangeView>(HttpMethod.Post, $"workers/{Uri.EscapeDataString(workerId)}/payout-destination", actor, request, ct);

    public Task<Outcome<List<PayoutChangeView>>> ListPayoutChangesAsync(SuiteActor actor, CancellationToken ct) =>
        SendAsync<List<PayoutChangeView>>(HttpMethod.Get, "payout-destination-changes", actor, null, ct);

    public Task<Outcome<PayoutChangeView>> DecidePayoutChangeAsync(Guid id, bool approve, string? note, SuiteActor actor, CancellationToken ct) =>
        SendAsync<PayoutChangeView>(HttpMethod.Post, $"payout-destination-changes/{id}/{(approve ? "approve" : "reject")}", actor, new PayoutDecision(note), ct);

    private static string Month(DateOnly month) => month.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    private HttpRequestMessage Request(HttpMethod method, string path, SuiteActor actor, object? body) =>
        SuiteHttp.Request(configuration, method, new Uri(path, UriKind.Relative), actor, body);

    private Task<Outcome<T>> SendAsync<T>(HttpMethod method, string path, SuiteActor actor, object? body, CancellationToken ct) =>
        SuiteHttp.SendAsync<T>(http, configuration, method, new Uri(path, UriKind.Relative), actor, body, "Payroll", ct);
}
