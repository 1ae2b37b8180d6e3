using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace OneClickSuite.AppHost;

/// <summary>
/// Tells the person who pressed F5 when the suite can be used: once every resource is running and healthy (and every
/// one-shot has finished well), one line with the time it took and the portal's address. Benchmarks wait for it too.
/// </summary>
public static class Readiness
{
    /// <summary>The start of the line written when the suite is ready.</summary>
    public const string ReadyLine = "OneClickSuite is ready";

    public static IResourceBuilder<IDotNetService> AnnounceWhenReady(this IResourceBuilder<IDotNetService> portal)
    {
        var builder = portal.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode) return portal;
        var clock = Stopwatch.StartNew();
        builder.Eventing.Subscribe<BeforeStartEvent>((created, cancellationToken) =>
        {
            var notifications = created.Services.GetRequiredService<ResourceNotificationService>();
            var logger = created.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OneClickSuite");
            var stopping = created.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            var resources = created.Model.Resources
                .Where(r => r is (ProjectResource or ExecutableResource or ContainerResource)).ToList();
            _ = AnnounceAsync();
            return Task.CompletedTask;

            async Task AnnounceAsync()
            {
                try
                {
                    var all = Task.WhenAll(resources.Select(r => notifications.WaitForResourceAsync(r.Name, Ready, stopping)));
                    // Say what is still awaited, now and then, so a start that hangs names what it hangs on.
                    while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(30), stopping)) != all)
                    {
                        var waiting = resources
                            .Select(r => notifications.TryGetCurrentState(r.Name, out var current) ? current : null)
                            .Where(current => current is not null && !Ready(current))
                            .Select(current => $"{current!.Resource.Name} ({current.Snapshot.State?.Text ?? "not started"}{(current.Snapshot.HealthStatus is { } health && current.Snapshot.State?.Text == KnownResourceStates.Running ? ", " + health : "")})");
                        logger.LogInformation("Starting for {Seconds:0} s; waiting for {Resources}", clock.Elapsed.TotalSeconds, string.Join(", ", waiting));
                    }
                    await all;
                    logger.LogInformation("{ReadyLine} in {Seconds:0.0} s: open the portal at {Portal}",
                        ReadyLine, clock.Elapsed.TotalSeconds, portal.GetEndpoint("http").Url);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        return portal;
    }

    /// <summary>Running and healthy, or a one-shot that has finished with exit code 0; the host's hidden helpers do not count.</summary>
    private static bool Ready(ResourceEvent resource) =>
        resource.Snapshot.IsHidden || resource.Snapshot.State?.Text switch
        {
            var state when state == KnownResourceStates.Running => resource.Snapshot.HealthStatus == HealthStatus.Healthy,
            var state when state == KnownResourceStates.Finished || state == KnownResourceStates.Exited => resource.Snapshot.ExitCode == 0,
            _ => false,
        };
}
