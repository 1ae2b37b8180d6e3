using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace OneClickSuite.Messaging;

/// <summary>
/// A background service that works in passes, one replica at a time (a session advisory lock), every half second or
/// at once when <see cref="Wake"/> says something changed; a failed pass is logged and the next one tries again a
/// second later. The provider adapters' batch dispatchers are built on it.
/// </summary>
public abstract class LockedDispatcher(NpgsqlDataSource dataSource, long lockKey, string name, TimeProvider clock, ILogger logger) : BackgroundService
{
    private readonly SemaphoreSlim _wake = new(0, 1);

    protected TimeProvider Clock { get; } = clock;

    protected ILogger Logger { get; } = logger;

    /// <summary>Something changed (a payout queued, a callback arrived): work now rather than at the next tick.</summary>
    public void Wake()
    {
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (SemaphoreFullException)
        {
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(500), stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                Logger.LogWarning(ex, "{Name} failed; trying again shortly", name);
                await Task.Delay(TimeSpan.FromSeconds(1), Clock, stoppingToken);
            }
        }
    }

    /// <summary>One pass under the lock. Answers whether it held the lock (false: another replica is working).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        await using var lockConnection = await dataSource.OpenConnectionAsync(ct);
        await using (var take = new NpgsqlCommand($"SELECT pg_try_advisory_lock({lockKey})", lockConnection))
        {
            if (await take.ExecuteScalarAsync(ct) is not true) return false;
        }
        try
        {
            await PassAsync(ct);
            return true;
        }
        finally
        {
            await using var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({lockKey})", lockConnection);
            await release.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    /// <summary>The work of one pass; the lock is held throughout.</summary>
    protected abstract Task PassAsync(CancellationToken ct);
}
