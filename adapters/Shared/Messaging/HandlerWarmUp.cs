using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>
/// Builds every message handler when the service starts. The handlers are pre-generated types
/// (<see cref="GeneratedHandlers"/>), so this only looks them up and constructs them (milliseconds). Wolverine's own
/// start already refuses a missing type in Static mode; this also makes a handler whose constructor cannot be
/// satisfied fail the start, not the first message of its type.
/// </summary>
internal sealed class HandlerWarmUp(IWolverineRuntime runtime, ILogger<HandlerWarmUp> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var handlers = ((WolverineRuntime)runtime).Handlers;
        var types = handlers.Chains.Select(chain => chain.MessageType).Distinct().ToList();
        foreach (var type in types)
        {
            handlers.HandlerFor(type);
        }
        logger.LogDebug("Loaded {Count} pre-generated message handlers at start", types.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
