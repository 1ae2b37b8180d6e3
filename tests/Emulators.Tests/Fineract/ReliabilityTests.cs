using Microsoft.Extensions.DependencyInjection;

namespace OneClickSuite.Emulators.Fineract.Tests;

/// <summary>In-flight commands, injected faults and restarts: what makes exactly-once payments provable.</summary>
public sealed class ReliabilityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Command_still_in_flight_answers_425()
    {
        await using var host = await FineractHost.StartAsync();
        var (_, savingsId) = await host.CreateClientWithAccountAsync(await host.CreateProductAsync());
        var held = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var gate = host.Services.GetRequiredService<CommandGate>();
        gate.BeforeCommand = async (request, ct) =>
        {
            if (!request.Path.EndsWith("transactions", StringComparison.Ordinal)) return;
            held.TrySetResult();
            await release.Task.WaitAsync(ct);
        };
        var key = Guid.NewGuid().ToString("N");
        var url = $"savingsaccounts/{savingsId}/transactions?command=deposit";
        var first = host.PostAsync(url, FineractHost.Deposit(10), key);
        await held.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        var (status, body, response) = await host.PostAsync(url, FineractHost.Deposit(10), key);
        Assert.Equal(425, status);
        Assert.Equal("true", response.Headers.GetValues("x-served-from-cache").Single());
        Assert.Equal(10m, (decimal)body!["transactionAmount"]!);

        release.SetResult();
        Assert.Equal(200, (await first).Status);
        gate.BeforeCommand = null;
        Assert.Equal(10m, await host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Error_fault_answers_503_and_does_nothing()
    {
        await using var host = await FineractHost.StartAsync();
        var (_, savingsId) = await host.CreateClientWithAccountAsync(await host.CreateProductAsync());
        await host.SetFaultsAsync(new { failureRate = 1.0, mode = "error" });
        var (status, _, _) = await host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(10));
        await host.SetFaultsAsync(null);
        Assert.Equal(503, status);
        Assert.Equal(0m, await host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Lost_response_deposit_happened_and_retry_is_served_from_cache()
    {
        await using var host = await FineractHost.StartAsync();
        var (_, savingsId) = await host.CreateClientWithAccountAsync(await host.CreateProductAsync());
        var key = Guid.NewGuid().ToString("N");
        var url = $"savingsaccounts/{savingsId}/transactions?command=deposit";

        await host.SetFaultsAsync(new { failureRate = 1.0, mode = "lost-response" });
        var (lost, _, _) = await host.PostAsync(url, FineractHost.Deposit(42.5m), key);
        await host.SetFaultsAsync(null);
        Assert.Equal(502, lost);
        Assert.Equal(42.5m, await host.BalanceAsync(savingsId));

        var (retry, body, response) = await host.PostAsync(url, FineractHost.Deposit(42.5m), key);
        Assert.Equal(200, retry);
        Assert.Equal("true", response.Headers.GetValues("x-served-from-cache").Single());
        Assert.Equal(savingsId, (long)body!["savingsId"]!);
        Assert.Equal(42.5m, await host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task State_and_changed_password_survive_a_restart_on_the_same_database()
    {
        long clientId, savingsId;
        string connectionString;
        await using (var first = await FineractHost.StartAsync())
        {
            connectionString = first.ConnectionString;
            (clientId, savingsId) = await first.CreateClientWithAccountAsync(await first.CreateProductAsync());
            await first.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(7.25m));
            var (changed, _, _) = await first.SendAsync(HttpMethod.Put, "users/1", """{"password":"S3cret!pass","repeatPassword":"S3cret!pass"}""");
            Assert.Equal(200, changed);
        }

        await using var second = await FineractHost.StartAsync(connectionString);
        var oldPassword = await second.NewClient("mifos", FineractHost.Password).GetAsync($"clients/{clientId}", Ct);
        Assert.Equal(401, (int)oldPassword.StatusCode);
        var newClient = second.NewClient("mifos", "S3cret!pass");
        var response = await newClient.GetAsync($"savingsaccounts/{savingsId}", Ct);
        Assert.Equal(200, (int)response.StatusCode);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(7.25m, (decimal)body!["summary"]!["accountBalance"]!);
    }

    [Fact]
    public async Task Two_emulators_in_one_process_do_not_accept_each_others_passwords()
    {
        await using var changed = await FineractHost.StartAsync();
        await using var untouched = await FineractHost.StartAsync();
        var (status, _, _) = await changed.SendAsync(HttpMethod.Put, "users/1", """{"password":"S3cret!pass","repeatPassword":"S3cret!pass"}""");
        Assert.Equal(200, status);

        // The untouched emulator still has the default password and remembers that it verified it.
        var stillDefault = await untouched.NewClient("mifos", FineractHost.Password).GetAsync("offices", Ct);
        Assert.Equal(200, (int)stillDefault.StatusCode);
        var oldPassword = await changed.NewClient("mifos", FineractHost.Password).GetAsync("offices", Ct);
        Assert.Equal(401, (int)oldPassword.StatusCode);
    }

    [Fact]
    public async Task Password_change_refuses_a_mismatched_repeat()
    {
        await using var host = await FineractHost.StartAsync();
        var (status, body, _) = await host.SendAsync(HttpMethod.Put, "users/1", """{"password":"abc","repeatPassword":"abd"}""");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.user.repeatPassword.not.equal.to.password", (string)body!["errors"]![0]!["userMessageGlobalisationCode"]!);
    }

    [Fact]
    public async Task Actuator_health_is_up_without_login()
    {
        await using var host = await FineractHost.StartAsync();
        var client = host.NewClient(null, null, tenant: null);
        foreach (var path in new[] { "", "/liveness", "/readiness" })
        {
            var text = await client.GetStringAsync($"/fineract-provider/actuator/health{path}", Ct);
            Assert.Equal("""{"status":"UP"}""", text);
        }
    }
}
