using OneClickSuite.Contracts.Payroll;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace OneClickSuite.Demo;

/// <summary>Payroll refused a request; <see cref="Status"/> is its HTTP status, the message its problem title.</summary>
public sealed class PayrollRefused(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// Typed client for Payroll's pay run API (adapters/Services/Payroll/README.md), as the demo: every call carries a signed
/// identity of the demo's own (<see cref="DemoIdentities"/>), a clerk's or an approver's, never a person's.
/// </summary>
public sealed class PayrollApi(HttpClient http, IConfiguration configuration)
{
    private const string MakerRole = SuiteIdentity.Clerk;
    private const string CheckerRole = SuiteIdentity.Approver;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>A draft run for one worker (population "worker"): the demo pays its new worker and nobody else.</summary>
    public Task<PayRunView> CreateWorkerRunAsync(DateOnly month, string workerId, string maker, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, "payruns", maker, MakerRole,
            new JsonObject { ["period"] = month.ToString("yyyy-MM", CultureInfo.InvariantCulture), ["population"] = PopulationKind.Worker, ["populationValue"] = workerId }, ct);

    /// <summary>What Payroll knows about the worker and their activity in <paramref name="month"/>; null while it has not received them.</summary>
    public async Task<PayrollWorkerView?> GetWorkerAsync(string workerId, DateOnly month, string user, CancellationToken ct)
    {
        try
        {
            return await SendAsync<PayrollWorkerView>(HttpMethod.Get,
                $"workers/{Uri.EscapeDataString(workerId)}?period={month.ToString("yyyy-MM", CultureInfo.InvariantCulture)}", user, MakerRole, null, ct);
        }
        catch (PayrollRefused refused) when (refused.Status == 404)
        {
            return null;
        }
    }

    public Task<PayRunView> GetRunAsync(Guid runId, string user, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Get, $"payruns/{runId}", user, MakerRole, null, ct);

    public Task<List<PayRunView>> ListRunsAsync(DateOnly month, string user, CancellationToken ct) =>
        SendAsync<List<PayRunView>>(HttpMethod.Get, "payruns?period=" + month.ToString("yyyy-MM", CultureInfo.InvariantCulture), user, MakerRole, null, ct);

    /// <summary>The worker's lines in a run, read page by page (the API has no worker filter).</summary>
    public async Task<IReadOnlyList<PayLineView>> GetWorkerLinesAsync(Guid runId, string workerId, string user, CancellationToken ct)
    {
        const int pageSize = 500;
        var found = new List<PayLineView>();
        for (var offset = 0; ; offset += pageSize)
        {
            var page = await SendAsync<List<PayLineView>>(HttpMethod.Get, $"payruns/{runId}/lines?offset={offset}&limit={pageSize}", user, MakerRole, null, ct);
            found.AddRange(page.Where(l => l.WorkerId == workerId));
            if (page.Count < pageSize)
            {
                return found;
            }
        }
    }

    /// <summary>The worker's pay statements, newest first (one per paid line).</summary>
    public Task<List<PayStatementView>> GetStatementsAsync(string workerId, string user, CancellationToken ct) =>
        SendAsync<List<PayStatementView>>(HttpMethod.Get, $"statements?workerId={Uri.EscapeDataString(workerId)}", user, MakerRole, null, ct);

    /// <summary>The run's checks the approver sees (<paramref name="open"/>: only blocking ones not resolved).</summary>
    public Task<List<RunCheckView>> GetChecksAsync(Guid runId, bool open, string user, CancellationToken ct) =>
        SendAsync<List<RunCheckView>>(HttpMethod.Get, $"payruns/{runId}/checks?open={(open ? "true" : "false")}", user, CheckerRole, null, ct);

    public Task<PayRunView> SubmitAsync(Guid runId, string maker, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{runId}/submit", maker, MakerRole, null, ct);

    public Task<PayRunView> ApproveAsync(Guid runId, string checker, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{runId}/approve", checker, CheckerRole, null, ct);

    public Task<PayRunView> CancelAsync(Guid runId, string maker, string reason, CancellationToken ct) =>
        SendAsync<PayRunView>(HttpMethod.Post, $"payruns/{runId}/cancel", maker, MakerRole, new JsonObject { ["reason"] = reason }, ct);

    private async Task<T> SendAsync<T>(HttpMethod method, string path, string user, string role, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            SuiteIdentity.CreateToken(configuration, user, [role, SuiteIdentity.Demo]));
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }
        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new PayrollRefused((int)response.StatusCode, ProblemTitle(text) ?? $"{method} /{path} failed with {(int)response.StatusCode}");
        }
        return JsonSerializer.Deserialize<T>(text, Json)
               ?? throw new PayrollRefused((int)HttpStatusCode.BadGateway, $"{method} /{path} answered an empty body");
    }

    private static string? ProblemTitle(string body)
    {
        try
        {
            return (string?)(JsonNode.Parse(body) as JsonObject)?["title"];
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
