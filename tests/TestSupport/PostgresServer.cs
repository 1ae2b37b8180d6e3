using Npgsql;

namespace OneClickSuite.Testing;

/// <summary>
/// A real PostgreSQL server for tests, started once per test process from the sandbox's own script
/// (or taken from ONECLICK_TEST_POSTGRES, a connection string, where a server is already running).
/// </summary>
public sealed class PostgresServer
{
    private static readonly OncePerProcess<PostgresServer> Shared = new(StartAsync);
    private static int _databaseCounter;

    private readonly ServerProcess? _process;

    private PostgresServer(string connectionString, ServerProcess? process)
    {
        ConnectionString = connectionString;
        _process = process;
    }

    /// <summary>Connection string to the server's "postgres" database, as the superuser.</summary>
    public string ConnectionString { get; }

    public static Task<PostgresServer> StartSharedAsync() => Shared.GetAsync();

    /// <summary>Stops the server and starts it again on the same data and port (a database restart).</summary>
    public async Task RestartAsync()
    {
        if (_process is null) throw new InvalidOperationException("an external server cannot be restarted by the tests");
        await _process.StopAsync(TimeSpan.FromSeconds(30));
        _process.Start();
        await WaitUntilReadyAsync(ConnectionString, _process);
    }

    /// <summary>Creates a fresh, empty database and answers its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{Sanitize(prefix)}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\" ENCODING 'UTF8'", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    private static async Task<PostgresServer> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable("ONECLICK_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(external)) return new PostgresServer(external, null);

        var port = ServerProcess.FreePort();
        var password = Convert.ToHexString(Guid.NewGuid().ToByteArray());
        var dataDir = Path.Combine(Path.GetTempPath(), $"oneclick-pg-{Environment.ProcessId}-{port}");
        var process = new ServerProcess(Repository.SandboxScript("postgres.sh"), new()
        {
            ["PGDATA"] = dataDir,
            ["PGPORT"] = port.ToString(),
            ["POSTGRES_PASSWORD"] = password,
            // A throwaway cluster: durability settings off for speed (crash tests restart the server cleanly).
            ["POSTGRES_EXTRA"] = "-c fsync=off -c full_page_writes=off -c synchronous_commit=off",
        });
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            process.Kill();
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        process.Start();
        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Password = password, Database = "postgres",
            MaxPoolSize = 50,
        }.ConnectionString;
        await WaitUntilReadyAsync(connectionString, process);
        return new PostgresServer(connectionString, process);
    }

    private static async Task WaitUntilReadyAsync(string connectionString, ServerProcess process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(250);
            }
            catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
            {
                throw new InvalidOperationException($"PostgreSQL did not start:\n{process.Output}", ex);
            }
        }
    }

    private static string Sanitize(string prefix) =>
        new(prefix.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').Take(30).ToArray());
}
