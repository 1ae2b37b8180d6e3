using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OneClickSuite.Contracts.Payroll;

namespace OneClickSuite.Demo;

/// <summary>The iHRIS adapter: poll iHRIS now, and why a worker was set aside.</summary>
public sealed class IhrisAdapterApi(HttpClient http)
{
    /// <summary>Runs one roster poll now; false when this adapter has no such endpoint (then its timer does it).</summary>
    public Task<bool> PollNowAsync(CancellationToken ct) => AdapterCalls.PostAsync(http, "roster/poll", ct);

    /// <summary>The reason iHRIS's record of <paramref name="workerId"/> was quarantined, if it was.</summary>
    public async Task<string?> QuarantineReasonAsync(string workerId, CancellationToken ct)
    {
        var rows = await AdapterCalls.GetArrayAsync(http, "quarantine", ct);
        return rows.Where(r => (string?)r?["workerId"] == workerId || (string?)r?["worker_id"] == workerId)
            .Select(r => (string?)r?["reason"]).FirstOrDefault();
    }
}

/// <summary>The ODK adapter: read activity reports now, and why a report or an entity is stuck.</summary>
public sealed class OdkAdapterApi(HttpClient http)
{
    public Task<bool> PollActivityNowAsync(CancellationToken ct) => AdapterCalls.PostAsync(http, "activity/poll", ct);

    /// <summary>Reasons the adapter set some of these reports aside.</summary>
    public async Task<IReadOnlyList<string>> QuarantineReasonsAsync(IReadOnlyCollection<string> instanceIds, CancellationToken ct)
    {
        var rows = await AdapterCalls.GetArrayAsync(http, "activity/quarantine", ct);
        return rows.Where(r => instanceIds.Contains((string?)r?["instanceId"] ?? (string?)r?["instance_id"] ?? ""))
            .Select(r => $"{(string?)r?["instanceId"] ?? (string?)r?["instance_id"]}: {(string?)r?["reason"]}")
            .ToList();
    }

    /// <summary>The last error writing the worker's entity to ODK, if the write is still pending.</summary>
    public async Task<string?> PendingEntityErrorAsync(string workerId, CancellationToken ct)
    {
        var rows = await AdapterCalls.GetArrayAsync(http, "roster/entities/pending", ct);
        var row = rows.FirstOrDefault(r => (string?)r?["workerId"] == workerId || (string?)r?["worker_id"] == workerId);
        return row is null ? null : (string?)row["lastError"] ?? (string?)row["last_error"] ?? "entity write pending";
    }
}

/// <summary>Signs the demo's calls to the adapters as the demo's clerk (polls need the operate permission).</summary>
public sealed class DemoIdentityHandler(IConfiguration configuration) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            SuiteIdentity.CreateToken(configuration, DemoIdentities.Clerk, [SuiteIdentity.Clerk, SuiteIdentity.Demo]));
        return base.SendAsync(request, cancellationToken);
    }
}

internal static class AdapterCalls
{
    /// <summary>Asks for work now; while the same work is already running (409) asks again shortly, so it also sees what changed since.</summary>
    public static async Task<bool> PostAsync(HttpClient http, string path, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await http.PostAsync(path, null, ct);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
            if (response.StatusCode == HttpStatusCode.Conflict && attempt < 40)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
                continue;
            }
            response.EnsureSuccessStatusCode();
            return true;
        }
    }

    public static async Task<JsonArray> GetArrayAsync(HttpClient http, string path, CancellationToken ct) =>
        await http.GetFromJsonAsync<JsonArray>(path, ct) ?? [];
}

/// <summary>
/// The mobile money provider emulator's sandbox page, where the demo's worker opens a wallet (a real provider opens
/// wallets through its agents and KYC, outside any API): <c>PUT /_emulator/wallets</c> at <c>Demo:ProviderEmulatorUrl</c>.
/// </summary>
public sealed class ProviderSandbox(HttpClient http, IOptions<DemoOptions> options)
{
    public async Task OpenWalletAsync(string msisdn, string firstName, string lastName, CancellationToken ct)
    {
        var root = options.Value.ProviderEmulatorUrl
                   ?? throw new DemoStepFailed("no mobile money provider emulator is configured (Demo:ProviderEmulatorUrl): the demo pays a wallet there");
        using var response = await http.PutAsJsonAsync(new Uri(new Uri(root.TrimEnd('/') + "/"), "_emulator/wallets"),
            new { msisdn, firstName, lastName, name = $"{firstName} {lastName}", currency = options.Value.WalletCurrency }, ct);
        if (!response.IsSuccessStatusCode)
            throw new DemoStepFailed($"the provider emulator did not open wallet {msisdn}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
    }
}
