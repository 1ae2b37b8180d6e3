using System.Globalization;
using System.Text;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll.PayRuns;

/// <summary>
/// The pay run API. Every call carries a verified identity (a JWT the portal signs for the person signed in there,
/// <see cref="SuiteIdentity"/>): reading needs any role, acting the payroll role the action needs (clerk: prepare,
/// submit, cancel, retry, write off; approver: approve, cancel), and maker–checker holds on top.
/// </summary>
public static class PayRunEndpoints
{

    public sealed record CancelRequest(string? Reason);
    public sealed record WriteOffRequest(string? Reason);

    public static void MapPayRuns(this WebApplication app)
    {
        var runs = app.MapGroup("/payruns").WithTags("Pay runs").RequireSuitePolicy(SuiteIdentity.Read);

        runs.MapPost("", (NewPayRun request, HttpContext http, PayRunService service, CancellationToken ct) =>
            Run(async () =>
            {
                var run = await service.CreateAsync(request, ActorOf(http), ct);
                return Results.Created($"/payruns/{run.Id}", run);
            }, http))
            .WithSummary("Create a draft run for a month and a population (everyone, a facility, a cadre)");
        runs.MapGet("", (string? period, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.ListAsync(null, period, ct)), http));
        runs.MapGet("/{id:guid}", (Guid id, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.GetAsync(id, ct)), http));
        runs.MapGet("/{id:guid}/lines", (Guid id, string? status, int? offset, int? limit, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.GetLinesAsync(id, status, offset ?? 0, limit ?? 500, ct)), http));
        runs.MapPost("/{id:guid}/submit", (Guid id, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.SubmitAsync(id, ActorOf(http), ct)), http));
        runs.MapPost("/{id:guid}/approve", (Guid id, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.ApproveAsync(id, ActorOf(http), ct)), http))
            .WithSummary("Approve a submitted run (a different person from its maker); its payments start");
        runs.MapPost("/{id:guid}/cancel", (Guid id, CancelRequest? request, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.CancelAsync(id, ActorOf(http), request?.Reason, ct)), http));
        runs.MapPost("/{id:guid}/lines/{lineId:guid}/retry", (Guid id, Guid lineId, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.RetryLineAsync(id, lineId, ActorOf(http), ct)), http));
        runs.MapPost("/{id:guid}/lines/{lineId:guid}/write-off", (Guid id, Guid lineId, WriteOffRequest request, PayRunService service,
            HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await service.WriteOffLineAsync(id, lineId, ActorOf(http), request.Reason, ct)), http));
        runs.MapGet("/{id:guid}/reconciliation", (Guid id, RunReconciliation reconciliation, HttpContext http, CancellationToken ct) =>
            Run(async () => Results.Ok(await reconciliation.ReconcileAsync(id, ct)), http))
            .WithSummary("Compare every paid line with Fineract's transfers: missing, duplicate, mismatched, unexpected");
        runs.MapGet("/{id:guid}/export.csv", (Guid id, PayRunService service, HttpContext http, CancellationToken ct) =>
            Run(async () =>
            {
                var run = await service.GetAsync(id, ct);
                http.Response.ContentType = "text/csv; charset=utf-8";
                http.Response.Headers.ContentDisposition = $"attachment; filename=\"payrun-{run.Period}-{id:N}.csv\"";
                await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
                await PayRunCsv.WriteAsync(writer, run, service.StreamLinesAsync(id, ct), ct);
                return Results.Empty;
            }, http))
            .WithSummary("Payslip lines of a run as CSV");
    }

    private static Actor ActorOf(HttpContext http) => Actor.From(http.User);

    private static async Task<IResult> Run(Func<Task<IResult>> action, HttpContext http)
    {
        try
        {
            return await action();
        }
        catch (PayrollRefusal refusal)
        {
            return Results.Problem(statusCode: refusal.Status, title: refusal.Message, instance: http.Request.Path);
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
                Field(line.FacilityId), Field(line.Cadre), line.Period, line.Kind, line.Amount.ToString("0.00", CultureInfo.InvariantCulture),
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
