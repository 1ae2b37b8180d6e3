using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// The pay run API, one named handler per endpoint. Every call carries a verified identity (a JWT the portal signs for
/// the person signed in there, <see cref="SuiteIdentity"/>): reading needs any role, acting the payroll role the action
/// needs (clerk: prepare, submit, cancel, retry, write off; approver: resolve checks, approve, cancel), and maker–checker
/// holds on top. Every refusal is a ProblemDetails answer with the status and the reason.
/// </summary>
public static class PayRunEndpoints
{
    public sealed record CancelRequest(string? Reason);
    public sealed record WriteOffRequest(string? Reason);

    public static void MapPayRuns(this WebApplication app)
    {
        var runs = app.MapGroup("/payruns").WithTags("Pay runs").RequireSuitePolicy(SuiteIdentity.Read);
        runs.MapPost("", CreateRunAsync)
            .WithSummary("Draft a run for a month and a population; another month than the current or previous one needs a reason");
        runs.MapGet("", ListRunsAsync);
        runs.MapGet("/{id:guid}", GetRunAsync);
        runs.MapGet("/{id:guid}/lines", GetLinesAsync);
        runs.MapGet("/{id:guid}/checks", GetChecksAsync)
            .WithSummary("What the approver sees before approving, per line; open=true: only blocking checks not resolved");
        runs.MapPost("/{id:guid}/checks/{checkId:long}/resolve", ResolveCheckAsync)
            .WithSummary("The approver records why a check may go ahead");
        runs.MapPost("/{id:guid}/submit", SubmitRunAsync);
        runs.MapPost("/{id:guid}/approve", ApproveRunAsync)
            .WithSummary("Approve a submitted run (a different person from its maker, no blocking check open); its payments start");
        runs.MapPost("/{id:guid}/cancel", CancelRunAsync);
        runs.MapPost("/{id:guid}/lines/{lineId:guid}/retry", RetryLineAsync);
        runs.MapPost("/{id:guid}/lines/{lineId:guid}/write-off", WriteOffLineAsync);
        runs.MapGet("/{id:guid}/reconciliation", ReconcileRunAsync)
            .WithSummary("Compare every paid line with Fineract's transfers: missing, duplicate, mismatched, unexpected");
        runs.MapGet("/{id:guid}/export.csv", ExportRunAsync)
            .WithSummary("Payslip lines of a run as CSV");
    }

    public static Task<Results<Created<PayRunView>, ProblemHttpResult>> CreateRunAsync(NewPayRun request, HttpContext http, PayRunDrafting drafting,
        CancellationToken ct) =>
        Answer(http, async () =>
        {
            var run = await drafting.CreateAsync(request, Actor.From(http.User), ct);
            return TypedResults.Created($"/payruns/{run.Id}", run);
        });

    public static Task<Results<Ok<IReadOnlyList<PayRunView>>, ProblemHttpResult>> ListRunsAsync(string? period, HttpContext http, PayRunQueries queries,
        CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await queries.ListAsync(null, period, ct)));

    public static Task<Results<Ok<PayRunView>, ProblemHttpResult>> GetRunAsync(Guid id, HttpContext http, PayRunQueries queries, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await queries.GetAsync(id, ct)));

    public static Task<Results<Ok<IReadOnlyList<PayLineView>>, ProblemHttpResult>> GetLinesAsync(Guid id, string? status, int? offset, int? limit,
        HttpContext http, PayRunQueries queries, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await queries.GetLinesAsync(id, status, offset ?? 0, limit ?? 500, ct)));

    public static Task<Results<Ok<IReadOnlyList<RunCheckView>>, ProblemHttpResult>> GetChecksAsync(Guid id, bool? open, int? offset, int? limit,
        HttpContext http, PayRunQueries queries, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await queries.GetChecksAsync(id, open ?? false, offset ?? 0, limit ?? 500, ct)));

    public static Task<Results<Ok<RunCheckView>, ProblemHttpResult>> ResolveCheckAsync(Guid id, long checkId, ResolveCheck? request, HttpContext http,
        PayRunLifecycle lifecycle, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.ResolveCheckAsync(id, checkId, Actor.From(http.User), request?.Reason, ct)));

    public static Task<Results<Ok<PayRunView>, ProblemHttpResult>> SubmitRunAsync(Guid id, HttpContext http, PayRunLifecycle lifecycle,
        CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.SubmitAsync(id, Actor.From(http.User), ct)));

    public static Task<Results<Ok<PayRunView>, ProblemHttpResult>> ApproveRunAsync(Guid id, HttpContext http, PayRunLifecycle lifecycle,
        CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.ApproveAsync(id, Actor.From(http.User), ct)));

    public static Task<Results<Ok<PayRunView>, ProblemHttpResult>> CancelRunAsync(Guid id, CancelRequest? request, HttpContext http,
        PayRunLifecycle lifecycle, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.CancelAsync(id, Actor.From(http.User), request?.Reason, ct)));

    public static Task<Results<Ok<PayLineView>, ProblemHttpResult>> RetryLineAsync(Guid id, Guid lineId, HttpContext http, PayRunLifecycle lifecycle,
        CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.RetryLineAsync(id, lineId, Actor.From(http.User), ct)));

    public static Task<Results<Ok<PayLineView>, ProblemHttpResult>> WriteOffLineAsync(Guid id, Guid lineId, WriteOffRequest request, HttpContext http,
        PayRunLifecycle lifecycle, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await lifecycle.WriteOffLineAsync(id, lineId, Actor.From(http.User), request.Reason, ct)));

    public static Task<Results<Ok<ReconciliationReport>, ProblemHttpResult>> ReconcileRunAsync(Guid id, HttpContext http,
        RunReconciliation reconciliation, CancellationToken ct) =>
        Answer(http, async () => TypedResults.Ok(await reconciliation.ReconcileAsync(id, ct)));

    public static Task<Results<EmptyHttpResult, ProblemHttpResult>> ExportRunAsync(Guid id, HttpContext http, PayRunQueries queries,
        CancellationToken ct) =>
        Answer(http, async () =>
        {
            var run = await queries.GetAsync(id, ct);
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"payrun-{run.Period}-{id:N}.csv\"";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
            await PayRunCsv.WriteAsync(writer, run, queries.StreamLinesAsync(id, ct), ct);
            return TypedResults.Empty;
        });

    /// <summary>What a handler answers, or the ProblemDetails of the refusal it raised (status and reason).</summary>
    internal static async Task<Results<T, ProblemHttpResult>> Answer<T>(HttpContext http, Func<Task<T>> handle) where T : IResult
    {
        try
        {
            return await handle();
        }
        catch (PayrollRefusal refusal)
        {
            return TypedResults.Problem(statusCode: refusal.Status, title: refusal.Message, instance: http.Request.Path);
        }
    }
}

/// <summary>Payslip lines as CSV (RFC 4180; amounts with a dot and two decimals).</summary>
public static class PayRunCsv
{
    public static async Task WriteAsync(TextWriter writer, PayRunView run, IAsyncEnumerable<PayLineView> lines, CancellationToken ct)
    {
        await writer.WriteLineAsync(
            "run_id,run_period,rule_set_version,employee_number,worker_id,worker_name,facility_id,cadre,period,kind,amount,currency,status,payment_reference,explanation");
        await foreach (var line in lines.WithCancellation(ct))
        {
            await writer.WriteLineAsync(string.Join(',',
                run.Id, run.Period, Field(run.RuleSetVersion), Field(line.EmployeeNumber), Field(line.WorkerId), Field(line.WorkerName),
                Field(line.FacilityId), Field(line.Cadre), line.Period, line.Kind, line.Amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture),
                line.Currency, line.Status, line.PaymentReference ?? "", Field(line.Explanation)));
        }
        await writer.FlushAsync(ct);
    }

    /// <summary>
    /// A text cell. One that a spreadsheet would take for a formula (starting with = + - @, a tab or a carriage return:
    /// a name or an explanation typed into iHRIS) gets a leading apostrophe, so opening the file runs nothing.
    /// </summary>
    public static string Field(string value)
    {
        if (value.Length > 0 && "=+-@\t\r".Contains(value[0])) value = "'" + value;
        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}
