using Microsoft.Extensions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Wolverine.Persistence.Durability;
using Wolverine.Persistence.Durability.DeadLetterManagement;
using Wolverine.Runtime;

namespace OneClickSuite.Messaging;

/// <summary>A message that failed for good, with the error that stopped it.</summary>
public sealed record DeadLetter(
    Guid Id,
    string? MessageType,
    string? ExceptionType,
    string? ExceptionMessage,
    DateTimeOffset? SentAt,
    bool Replayable,
    string? Source);

public static class DeadLetterEndpoints
{
    /// <summary>
    /// <c>GET /dead-letters</c> lists the service's dead letters (newest first) with their exception;
    /// <c>POST /dead-letters/{id}/replay</c> hands one back to its listener.
    /// </summary>
    public static IEndpointRouteBuilder MapDeadLetterEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Dead letters carry whole messages (names, phone numbers, amounts): reading needs an identity, replaying more.
        endpoints.MapGet("/dead-letters", async (IWolverineRuntime runtime, CancellationToken ct) =>
            Results.Ok(await ListAsync(runtime, ct))).RequireSuitePolicy(SuiteIdentity.Read);

        endpoints.MapPost("/dead-letters/{id:guid}/replay", async (Guid id, IWolverineRuntime runtime) =>
        {
            var found = await runtime.Storage.DeadLetters.DeadLetterEnvelopeByIdAsync(id, null);
            if (found is null)
            {
                return Results.NotFound();
            }
            await runtime.Storage.DeadLetters.MarkDeadLetterEnvelopesAsReplayableAsync([id]);
            return Results.Accepted();
        }).RequireSuitePolicy(SuiteIdentity.Operate);
        return endpoints;
    }

    public static async Task<IReadOnlyList<DeadLetter>> ListAsync(IWolverineRuntime runtime, CancellationToken ct)
    {
        var results = await runtime.Storage.DeadLetters.QueryAsync(new DeadLetterEnvelopeQuery { PageSize = 500 }, ct);
        return results.Envelopes
            .Select(e => new DeadLetter(e.Id, e.MessageType, e.ExceptionType, e.ExceptionMessage, e.SentAt, e.Replayable,
                e.Source))
            .ToList();
    }
}

/// <summary>Degraded when dead letters pile up beyond <c>Messaging:DeadLetterThreshold</c> (default 10).</summary>
internal sealed class DeadLetterHealthCheck(IWolverineRuntime runtime, IConfiguration configuration) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = configuration.GetValue("Messaging:DeadLetterThreshold", 10);
        var counts = await runtime.Storage.Admin.FetchCountsAsync();
        return counts.DeadLetter > threshold
            ? HealthCheckResult.Degraded($"{counts.DeadLetter} dead letters (threshold {threshold}): see GET /dead-letters")
            : HealthCheckResult.Healthy($"{counts.DeadLetter} dead letters");
    }
}
