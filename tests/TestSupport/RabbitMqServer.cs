using RabbitMQ.Client;

namespace OneClickSuite.Testing;

/// <summary>
/// A real RabbitMQ node for tests, started once per test process from the sandbox's own script
/// (or taken from ONECLICK_TEST_RABBITMQ, an amqp:// URI, where a broker is already running).
/// </summary>
public sealed class RabbitMqServer
{
    private static readonly OncePerProcess<RabbitMqServer> Shared = new(StartAsync);
    private readonly ServerProcess? _process;

    private RabbitMqServer(Uri amqpUri, ServerProcess? process)
    {
        AmqpUri = amqpUri;
        _process = process;
    }

    public Uri AmqpUri { get; }

    /// <summary>The connection string form that Aspire's RabbitMQ integration hands to services.</summary>
    public string ConnectionString => AmqpUri.ToString();

    public static Task<RabbitMqServer> StartSharedAsync() => Shared.GetAsync();

    /// <summary>Stops the broker and starts it again on the same state (durable queues survive).</summary>
    public async Task RestartAsync()
    {
        if (_process is null) throw new InvalidOperationException("an external broker cannot be restarted by the tests");
        await _process.StopAsync(TimeSpan.FromSeconds(60));
        _process.Start();
        await WaitUntilReadyAsync(AmqpUri, _process);
    }

    private static async Task<RabbitMqServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("ONECLICK_TEST_RABBITMQ");
        if (!string.IsNullOrWhiteSpace(external)) return new RabbitMqServer(new Uri(external), null);

        var port = ServerProcess.FreePort();
        var password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var baseDir = Path.Combine(Path.GetTempPath(), $"oneclick-rmq-{Environment.ProcessId}-{port}");
        var process = new ServerProcess(Repository.SandboxScript("rabbitmq.sh"), new()
        {
            ["RABBITMQ_BASE"] = baseDir,
            ["RABBITMQ_NODE_PORT"] = port.ToString(),
            ["RABBITMQ_DIST_PORT"] = ServerProcess.FreePort().ToString(),
            ["ERL_EPMD_PORT"] = ServerProcess.FreePort().ToString(),
            ["RABBITMQ_USER"] = "suite",
            ["RABBITMQ_PASSWORD"] = password,
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            process.Kill();
            try { Directory.Delete(baseDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        process.Start();
        var uri = new Uri($"amqp://suite:{password}@127.0.0.1:{port}/");
        await WaitUntilReadyAsync(uri, process);
        return new RabbitMqServer(uri, process);
    }

    private static async Task WaitUntilReadyAsync(Uri uri, ServerProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        var factory = new ConnectionFactory { Uri = uri };
        while (true)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(500);
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"RabbitMQ did not start:\n{process.Output}", ex);
            }
        }
    }
}
