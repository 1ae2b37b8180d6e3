using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>
/// Resolves every message handler when the service starts. The handlers are pre-generated types
/// (<see cref="GeneratedHandlers"/>), so this only looks them up and builds them (milliseconds); a type that is
/// missing from the service (the generated code was not regenerated after a change) fails the start here, not at
/// the first message of that type.
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
