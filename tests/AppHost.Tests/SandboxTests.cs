using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RabbitMQ.Client;

namespace OneClickSuite.AppHost.Tests;

/// <summary>
/// The sandbox graph, started for real: PostgreSQL and RabbitMQ as executables, the three emulators, db-setup and
/// bootstrap. Everything must come up healthy without a container engine.
/// </summary>
public class SandboxTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Sandbox_comes_up_healthy_and_seeded_without_containers()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var dataPath = Path.Combine(Path.GetTempPath(), $"oneclick-sandbox-{Guid.NewGuid():N}");
        var stopwatch = Stopwatch.StartNew();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--Suite:Mode=sandbox", $"--Suite:SandboxDataPath={dataPath}", "--DcpPublisher:WaitForResourceCleanup=false"],
            (options, _) => options.DisableDashboard = true,
            cancellationToken);
        await using var app = await builder.BuildAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var logs = CollectLogs(app, ["postgres", "rabbitmq", "db-setup", "fineract", "odk-central", "ihris", "bootstrap",
            "ihris-adapter", "fineract-adapter", "odk-adapter", "payroll"], timeout.Token);
        await app.StartAsync(timeout.Token);

        foreach (var name in new[] { "postgres", "rabbitmq", "fineract", "odk-central", "ihris", "ihris-adapter", "fineract-adapter", "odk-adapter", "payroll" })
        {
            try
            {
                await app.ResourceNotifications.WaitForResourceHealthyAsync(name, timeout.Token);
            }
            catch (Exception ex) when (ex is DistributedApplicationException or OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"{name} did not become healthy: {ex.Message}\n{logs.Recent(name)}");
            }
        }
        var healthy = stopwatch.Elapsed;

        var bootstrap = await app.ResourceNotifications.WaitForResourceAsync("bootstrap",
            e => e.Snapshot.State?.Text is "Finished" or "Exited" or "FailedToStart", timeout.Token);
        Assert.True(bootstrap.Snapshot.ExitCode == 0, $"bootstrap exited with {bootstrap.Snapshot.ExitCode}:\n{logs.Recent("bootstrap")}");
        TestContext.Current.SendDiagnosticMessage(
            $"sandbox cold start: all healthy in {healthy.TotalSeconds:F1} s, bootstrap done in {stopwatch.Elapsed.TotalSeconds:F1} s");

        // The suite's PostgreSQL answers, and db-setup created every database.
        await using (var connection = new NpgsqlConnection(await app.GetConnectionStringAsync("postgres", timeout.Token)))
        {
            await connection.OpenAsync(timeout.Token);
            await using var command = new NpgsqlCommand("SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database", connection);
            var databases = (string)(await command.ExecuteScalarAsync(timeout.Token))!;
            foreach (var name in new[] { "fineract_default", "fineract_tenants", "hapi", "odk", "suite" }) Assert.Contains(name, databases.Split(','));
        }

        // RabbitMQ accepts an AMQP connection with the suite's credentials and can carry a message.
        var factory = new ConnectionFactory { Uri = new Uri((await app.GetConnectionStringAsync("rabbitmq", timeout.Token))!) };
        await using (var amqp = await factory.CreateConnectionAsync(timeout.Token))
        await using (var channel = await amqp.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            var queue = await channel.QueueDeclareAsync(exclusive: true, cancellationToken: timeout.Token);
            await channel.BasicPublishAsync("", queue.QueueName, "ping"u8.ToArray(), timeout.Token);
            var message = await channel.BasicGetAsync(queue.QueueName, autoAck: true, timeout.Token);
            Assert.Equal("ping", System.Text.Encoding.UTF8.GetString(message!.Body.Span));
        }

        // Bootstrap seeded each emulator through its upstream API.
        using var odk = app.CreateHttpClient("odk-central", "http");
        var odkPassword = await ParameterValueAsync(app, "odk-admin-password", timeout.Token);
        var odkEmail = await ParameterValueAsync(app, "odk-admin-email", timeout.Token);
        var session = await odk.PostAsJsonAsync("/v1/sessions", new { email = odkEmail, password = odkPassword }, timeout.Token);
        session.EnsureSuccessStatusCode();
        var token = (await session.Content.ReadFromJsonAsync<JsonObject>(timeout.Token))!["token"]!.GetValue<string>();
        odk.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var projects = await odk.GetFromJsonAsync<JsonArray>("/v1/projects", timeout.Token);
        Assert.Contains(projects!, p => p!["name"]!.GetValue<string>() == "OneClickSuite");

        using var fineract = app.CreateHttpClient("fineract", "http");
        var fineractPassword = await ParameterValueAsync(app, "fineract-password", timeout.Token);
        fineract.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"mifos:{fineractPassword}")));
        fineract.DefaultRequestHeaders.Add("Fineract-Platform-TenantId", "default");
        var funding = await fineract.GetAsync("/fineract-provider/api/v1/clients/external-id/funding-programme", timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, funding.StatusCode);
        // The upstream default password no longer works: bootstrap replaced it.
        using var withDefault = app.CreateHttpClient("fineract", "http");
        withDefault.DefaultRequestHeaders.Authorization = new("Basic", Convert.ToBase64String("mifos:password"u8.ToArray()));
        withDefault.DefaultRequestHeaders.Add("Fineract-Platform-TenantId", "default");
        await Task.Delay(TimeSpan.FromSeconds(11), timeout.Token); // the emulator caches verified credentials for 10 s
        var refused = await withDefault.GetAsync("/fineract-provider/api/v1/offices", timeout.Token);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);

        // Registering staff without a manual step: the demo workforce bootstrap put in iHRIS reaches Fineract as a
        // client with an active account, and ODK's health_workers list as an entity.
        var deadline = DateTime.UtcNow.AddMinutes(2);
        JsonObject? nurse = null;
        while (DateTime.UtcNow < deadline)
        {
            var response = await fineract.GetAsync("/fineract-provider/api/v1/clients/external-id/demo-nurse-1", timeout.Token);
            if (response.IsSuccessStatusCode)
            {
                nurse = await response.Content.ReadFromJsonAsync<JsonObject>(timeout.Token);
                break;
            }
            await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        }
        Assert.True(nurse is not null, $"demo-nurse-1 never reached Fineract:\n{logs.Recent("ihris-adapter")}\n{logs.Recent("fineract-adapter")}");
        var accounts = await fineract.GetFromJsonAsync<JsonObject>(
            $"/fineract-provider/api/v1/clients/{nurse!["id"]}/accounts", timeout.Token);
        var savings = accounts!["savingsAccounts"]!.AsArray();
        Assert.Contains(savings, a => a!["status"]!["active"]!.GetValue<bool>());

        var project = projects!.First(p => p!["name"]!.GetValue<string>() == "OneClickSuite")!["id"]!.GetValue<int>();
        var inOdk = false;
        while (!inOdk && DateTime.UtcNow < deadline.AddMinutes(1))
        {
            var entities = await odk.GetFromJsonAsync<JsonArray>($"/v1/projects/{project}/datasets/health_workers/entities", timeout.Token);
            inOdk = entities!.Any(e => e!["currentVersion"]?["label"]?.GetValue<string>().Contains("Nakato") == true);
            if (!inOdk) await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
        }
        Assert.True(inOdk, $"demo-nurse-1 never reached ODK's health_workers list:\n{logs.Recent("odk-adapter")}");
        TestContext.Current.SendDiagnosticMessage($"sandbox: demo workforce synced to Fineract and ODK {stopwatch.Elapsed.TotalSeconds:F1} s after start");

        // Payroll, which starts after the iHRIS adapter has published the demo workforce, still knows every worker and
        // their account: the events waited in its queue.
        await using (var suiteDb = new NpgsqlConnection(await app.GetConnectionStringAsync("suite-db", timeout.Token)))
        {
            await suiteDb.OpenAsync(timeout.Token);
            long known = 0;
            while (DateTime.UtcNow < deadline.AddMinutes(2))
            {
                await using var count = new NpgsqlCommand("""
                    SELECT count(*) FROM payroll.workers w JOIN payroll.worker_accounts a ON a.worker_id = w.worker_id
                    WHERE w.worker_id LIKE 'demo-%'
                    """, suiteDb);
                known = (long)(await count.ExecuteScalarAsync(timeout.Token))!;
                if (known >= 8) break;
                await Task.Delay(TimeSpan.FromSeconds(1), timeout.Token);
            }
            Assert.True(known >= 8, $"Payroll knows {known} of the 8 demo workers with their accounts:\n{logs.Recent("payroll")}");
        }

        // Least privilege, as the running services have it: each logs in as its own role, owning its schema only; the
        // portal reads only the views each service exposes; no service may even open an upstream system's database.
        var superuser = new NpgsqlConnectionStringBuilder(await app.GetConnectionStringAsync("suite-db", timeout.Token));
        async Task<string?> AsRoleAsync(string role, string database, string sql)
        {
            var service = role == "portal" ? "portal" : role.Replace('_', '-');
            var login = new NpgsqlConnectionStringBuilder(superuser.ConnectionString)
            {
                Database = database, Username = role, Password = await ParameterValueAsync(app, $"{service}-db-password", timeout.Token), Pooling = false,
            };
            try
            {
                await using var connection = new NpgsqlConnection(login.ConnectionString);
                await connection.OpenAsync(timeout.Token);
                await using var command = new NpgsqlCommand(sql, connection);
                await command.ExecuteNonQueryAsync(timeout.Token);
                return null;
            }
            catch (PostgresException ex)
            {
                return ex.SqlState;
            }
        }
        const string PermissionDenied = "42501";
        Assert.Equal(PermissionDenied, await AsRoleAsync("payroll", "suite", "SELECT count(*) FROM ihris_adapter.roster_workers"));
        Assert.Equal(PermissionDenied, await AsRoleAsync("odk_adapter", "suite", "SELECT count(*) FROM payroll.pay_lines"));
        Assert.Equal(PermissionDenied, await AsRoleAsync("portal", "suite", "SELECT count(*) FROM payroll.pay_lines"));
        Assert.Equal(PermissionDenied, await AsRoleAsync("portal", "suite", "SELECT count(*) FROM payroll.wolverine_incoming_envelopes"));
        Assert.Null(await AsRoleAsync("portal", "suite", "SELECT count(*) FROM payroll.read_pay_lines"));
        Assert.Null(await AsRoleAsync("portal", "suite", "SELECT count(*) FROM ihris_adapter.read_roster_workers"));
        Assert.Equal(PermissionDenied, await AsRoleAsync("ihris_adapter", "suite", "CREATE TABLE public.stray (id int)"));
        // A session's own temporary tables (Payroll's run checks) are allowed.
        Assert.Null(await AsRoleAsync("payroll", "suite", "CREATE TEMP TABLE scratch (id int)"));
        Assert.Equal(PermissionDenied, await AsRoleAsync("payroll", "fineract_default", "SELECT 1")); // cannot even connect

        // A service's broker user publishes only to its own exchanges: the ODK adapter cannot ask for a payment.
        var broker = new Uri((await app.GetConnectionStringAsync("rabbitmq", timeout.Token))!);
        var odkUser = new ConnectionFactory
        {
            HostName = broker.Host, Port = broker.Port, UserName = "odk-adapter",
            Password = await ParameterValueAsync(app, "odk-adapter-broker-password", timeout.Token),
        };
        await using (var amqp = await odkUser.CreateConnectionAsync(timeout.Token))
        await using (var channel = await amqp.CreateChannelAsync(cancellationToken: timeout.Token))
        {
            await channel.BasicPublishAsync("payment-requests", "", "{}"u8.ToArray(), timeout.Token);
            var closed = DateTime.UtcNow.AddSeconds(10);
            while (!channel.IsClosed && DateTime.UtcNow < closed) await Task.Delay(100, timeout.Token);
            Assert.True(channel.IsClosed, "the broker let the ODK adapter publish a payment request");
            Assert.Equal(403, channel.CloseReason!.ReplyCode); // ACCESS_REFUSED
        }

        await app.StopAsync(CancellationToken.None);
        try { Directory.Delete(dataPath, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Every resource's console output from the start, for failure messages that say why.</summary>
    private static ResourceLogs CollectLogs(DistributedApplication app, string[] names, CancellationToken cancellationToken)
    {
        var logs = new ResourceLogs();
        var loggerService = app.Services.GetRequiredService<ResourceLoggerService>();
        foreach (var name in names)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in loggerService.WatchAsync(name).WithCancellation(cancellationToken))
                        logs.Add(name, batch.Select(l => l.Content));
                }
                catch (OperationCanceledException) { }
            }, CancellationToken.None);
        }
        return logs;
    }

    private sealed class ResourceLogs
    {
        private readonly Dictionary<string, List<string>> _lines = [];
        public void Add(string name, IEnumerable<string> lines)
        {
            lock (_lines) { (_lines.TryGetValue(name, out var list) ? list : _lines[name] = []).AddRange(lines); }
        }
        public string Recent(string name)
        {
            lock (_lines) { return _lines.TryGetValue(name, out var list) ? string.Join('\n', list.TakeLast(80)) : "(no output)"; }
        }
    }

    private static async Task<string> ParameterValueAsync(DistributedApplication app, string name, CancellationToken cancellationToken)
    {
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        var parameter = model.Resources.OfType<ParameterResource>().Single(p => p.Name == name);
        return (await parameter.GetValueAsync(cancellationToken))!;
    }
}
