using Microsoft.Extensions.Logging;

namespace OneClickSuite.Messaging;

/// <summary>A background service's loop: do the work, then wait; a failure is logged and the next round tries again.</summary>
public static class Periodically
{
    /// <param name="interval">Read each round, so a changed option applies from the next wait.</param>
    /// <param name="failure">What the log says when a round fails, before "; next try in {Interval}".</param>
    public static async Task RunAsync(Func<CancellationToken, Task> work, Func<TimeSpan> interval, TimeProvider clock, ILogger logger,
        string failure, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await work(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, failure + "; next try in {Interval}", interval());
            }
            await Task.Delay(interval(), clock, stoppingToken);
        }
    }
}
