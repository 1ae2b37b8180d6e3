using Microsoft.Extensions.Logging;
using OneClickSuite.Clients;

namespace OneClickSuite.Bootstrap;

/// <summary>Repeats a step while its system answers with a transient failure (still starting, 5xx, no answer).</summary>
public static class UntilReady
{
    public static async Task<T> RunAsync<T>(
        string system, string step, TimeSpan timeout, ILogger logger, Func<Task<T>> action, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var delay = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                return await action();
            }
            catch (UpstreamException ex) when (ex.IsTransient && DateTimeOffset.UtcNow + delay < deadline)
            {
                logger.LogInformation("{System}: {Step} not possible yet ({Reason}); retrying in {Delay:0}s",
                    system, step, ex.StatusCode?.ToString() ?? "no answer", delay.TotalSeconds);
                await Task.Delay(delay, ct);
                delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 30));
            }
        }
    }

    public static Task RunAsync(string system, string step, TimeSpan timeout, ILogger logger, Func<Task> action, CancellationToken ct) =>
        RunAsync(system, step, timeout, logger, async () =>
        {
            await action();
            return true;
        }, ct);
}
