using Microsoft.Extensions.Options;
using OneClickSuite.Messaging;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>Asks iHRIS for changes every <see cref="RosterOptions.PollInterval"/>; a failed poll is retried next time.</summary>
public sealed class RosterPoller(RosterSync sync, SuiteDatabase database, IOptions<RosterOptions> options, ILogger<RosterPoller> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await database.MigrateAsync(RosterStore.Ddl, stoppingToken);
        using var timer = new PeriodicTimer(options.Value.PollInterval);
        do
        {
            try
            {
                await sync.SyncChangesAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Roster poll failed; trying again in {Interval}", options.Value.PollInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
