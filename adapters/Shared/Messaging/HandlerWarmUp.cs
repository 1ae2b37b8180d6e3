using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>
/// Compiles every message handler when the service starts. Wolverine otherwise generates and compiles a handler on
/// the first message of its type, which on a busy two-core machine held the first activity report back by seconds.
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
        logger.LogDebug("Compiled {Count} message handlers at start", types.Count);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
