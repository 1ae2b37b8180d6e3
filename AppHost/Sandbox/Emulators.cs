using System.Net.Http.Json;

namespace OneClickSuite.AppHost.Sandbox;

/// <summary>The emulators' wiring: same resource names and configuration contract as the systems they stand for.</summary>
public static class EmulatorExtensions
{
    /// <summary>
    /// An emulator under the resource name of the system it stands for: its state in that system's own database,
    /// started once the databases exist, with the fault switch as dashboard commands.
    /// </summary>
    public static IResourceBuilder<IDotNetService> AddEmulator<TProject>(this IDistributedApplicationBuilder builder, string name,
        SuiteInfrastructure infra, SuiteDatabase database, string displayText)
        where TProject : IProjectMetadata, new() =>
        builder.AddSuiteService<TProject>(name)
            // As the real system would: its own role, owner of its database only.
            .WithEnvironment($"ConnectionStrings__{database.ResourceName}", infra.OwnerConnectionString(database, ConnectionBudget.Emulator))
            .WithReferenceRelationship(infra.Database(database).Resource)
            .WaitForCompletion(infra.DatabaseSetup)
            // The dashboard's link opens the emulator's own page at its root URL.
            .WithUrlForEndpoint("http", url => url.DisplayText = displayText)
            .WithFaultCommands()
            .WithEmulatorLinks(builder, name);

    /// <summary>
    /// Each emulator's page links a worker to their records on the others: it learns their root URLs as
    /// <c>Emulator:Links:{Ihris|Odk|Fineract}</c>, wired both ways as each emulator joins the graph.
    /// </summary>
    private static IResourceBuilder<IDotNetService> WithEmulatorLinks(this IResourceBuilder<IDotNetService> emulator,
        IDistributedApplicationBuilder builder, string name)
    {
        var key = name switch
        {
            "ihris" => "Ihris",
            "odk-central" => "Odk",
            "fineract" => "Fineract",
            _ => throw new ArgumentException($"{name} is not an emulated system", nameof(name)),
        };
        foreach (var other in builder.Resources.OfType<IDotNetService>().ToList())
        {
            if (other.Annotations.OfType<EmulatorLinkAnnotation>().FirstOrDefault() is not { } link) continue;
            emulator.WithEnvironment($"Emulator__Links__{link.Key}", other.GetEndpoint("http"));
            builder.CreateResourceBuilder(other).WithEnvironment($"Emulator__Links__{key}", emulator.GetEndpoint("http"));
        }
        return emulator.WithAnnotation(new EmulatorLinkAnnotation(key));
    }

    private sealed record EmulatorLinkAnnotation(string Key) : IResourceAnnotation;

    /// <summary>Dashboard commands that switch the emulator's fault injection (its admin endpoint /_emulator/faults).</summary>
    public static IResourceBuilder<IDotNetService> WithFaultCommands(this IResourceBuilder<IDotNetService> emulator)
    {
        const string path = "/_emulator/faults";
        emulator.WithHttpCommand(path, "Faults: fail 20% of calls", commandName: "faults-error",
            commandOptions: Put(0.2, "error", null, "20% of API calls answer 503 without doing anything", "ErrorCircle"));
        emulator.WithHttpCommand(path, "Faults: lose 20% of responses", commandName: "faults-lost-response",
            commandOptions: Put(0.2, "lost-response", null, "20% of API calls do their work, then answer 502", "PlugDisconnected"));
        emulator.WithHttpCommand(path, "Faults: time out 10% of calls", commandName: "faults-timeout",
            commandOptions: Put(0.1, "timeout", 30_000, "10% of API calls hang for 30 s, then answer 504 without doing anything", "Clock"));
        emulator.WithHttpCommand(path, "Faults: slow down every call", commandName: "faults-slow",
            commandOptions: Put(1.0, "slow", 1_500, "every API call waits 1.5 s before it is served", "TopSpeed"));
        emulator.WithHttpCommand(path, "Faults: off", commandName: "faults-off",
            commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Delete,
                Description = "The emulator behaves again",
                IconName = "CheckmarkCircle",
                IsHighlighted = true,
            });
        return emulator;
    }

    private static HttpCommandOptions Put(double rate, string mode, int? delayMs, string description, string icon) => new()
    {
        Method = HttpMethod.Put,
        Description = description,
        IconName = icon,
        PrepareRequest = context =>
        {
            context.Request.Content = JsonContent.Create(new { failureRate = rate, mode, delayMs });
            return Task.CompletedTask;
        },
    };
}
