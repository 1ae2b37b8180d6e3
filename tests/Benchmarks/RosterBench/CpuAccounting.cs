using Npgsql;

namespace OneClickSuite.Benchmarks.Roster;

/// <summary>
/// CPU of PostgreSQL's backends by the client that opened them: every client connects with its own
/// <c>Application Name</c>, and each backend's CPU is read from /proc while it lives (sampled every second, so a
/// backend that ends loses at most its last second; that remainder shows as PostgreSQL's unattributed time).
/// Background processes (autovacuum, checkpointer, WAL writer) are named by their backend type.
/// </summary>
internal sealed class PostgresBackends(string connectionString)
{
    private readonly Dictionary<int, (string Client, double Start, double Last)> _backends = [];
    private bool _started;

    public async Task SampleAsync(CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { ApplicationName = "bench", Pooling = false }.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand(
            "SELECT pid, COALESCE(NULLIF(application_name, ''), backend_type, 'other') FROM pg_stat_activity", connection);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var pid = reader.GetInt32(0);
            var cpu = OneClickSuite.Testing.ProcessTable.Entry(pid)?.CpuSeconds;
            if (cpu is null) continue;
            if (_backends.TryGetValue(pid, out var known)) _backends[pid] = known with { Last = cpu.Value };
            // A backend first seen before the start counts from then; one opened later counts whole.
            else _backends[pid] = (reader.GetString(1), _started ? 0 : cpu.Value, cpu.Value);
        }
    }

    /// <summary>From now on, backends are counted from their CPU at this sample.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        _backends.Clear();
        _started = false;
        await SampleAsync(ct);
        _started = true;
    }

    /// <summary>Core-seconds per client since <see cref="StartAsync"/>.</summary>
    public Dictionary<string, double> ByClient() => _backends.Values
        .GroupBy(b => b.Client)
        .ToDictionary(g => g.Key, g => g.Sum(b => b.Last - b.Start));
}

/// <summary>
/// What each statement cost PostgreSQL (pg_stat_statements, when the benchmark's own server could load it): calls and
/// execution time, the heaviest first, with each statement's database.
/// </summary>
internal static class StatementCosts
{
    /// <summary>Loads pg_stat_statements into the benchmark's server (a restart); false when the server is not ours.</summary>
    public static async Task<bool> EnableAsync(OneClickSuite.Testing.PostgresServer pg)
    {
        try
        {
            await ExecuteAsync(pg.ConnectionString, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
            // A stop waits for open connections: none may stay in a pool.
            NpgsqlConnection.ClearAllPools();
            await pg.RestartAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException)
        {
            Console.WriteLine($"pg_stat_statements not available: {ex.Message.Split('\n')[0]}");
            return false;
        }
        // The restarted server may still be on its way up.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await ExecuteAsync(pg.ConnectionString, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                return true;
            }
            catch (NpgsqlException ex) when (attempt < 60)
            {
                _ = ex;
                NpgsqlConnection.ClearAllPools();
                await Task.Delay(500);
            }
        }
    }

    public static Task ResetAsync(string connectionString) => ExecuteAsync(connectionString, "SELECT pg_stat_statements_reset()");

    public static async Task<List<string>> TopAsync(string connectionString, int workers, int count, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT regexp_replace(d.datname, '_[0-9]+_[0-9]+$', ''), s.calls, s.total_exec_time,
                   sum(s.total_exec_time) OVER (), regexp_replace(s.query, '\s+', ' ', 'g')
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            ORDER BY s.total_exec_time DESC LIMIT $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = count });
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var query = reader.GetString(4);
            lines.Add($"{reader.GetString(0),-14} {reader.GetInt64(1),9:N0} calls {reader.GetInt64(1) / (double)workers,6:F2}/worker " +
                      $"{reader.GetDouble(2) / 1000,7:F1} s ({reader.GetDouble(2) / reader.GetDouble(3),4:P0})  {(query.Length > 110 ? query[..110] + "…" : query)}");
        }
        return lines;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>CPU of this process's descendants with a given name (the benchmark's own PostgreSQL and RabbitMQ).</summary>
internal static class OwnServers
{
    /// <summary>
    /// Core-seconds of every descendant of this process named <paramref name="name"/>, with its children already reaped
    /// (a PostgreSQL backend's time moves to the postmaster when its connection closes). Other servers on the machine
    /// (another checkout's, another test run's) are not counted.
    /// </summary>
    public static double CpuSeconds(string name)
    {
        var processes = OneClickSuite.Testing.ProcessTable.Read();
        var ours = processes.TreeOf(Environment.ProcessId);
        return processes.Entries.Values.Where(p => p.Name == name && p.Pid != Environment.ProcessId && ours.Contains(p.Pid))
            .Sum(p => p.CpuSeconds + p.ReapedChildrenCpuSeconds);
    }
}
