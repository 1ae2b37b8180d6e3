using System.Net.Http.Json;
using OneClickSuite.Emulators;

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
            "mobile-money" => "MobileMoney",
            "payment-hub" => "PaymentHub",
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

    /// <summary>Icons for the fault choices' dashboard commands.</summary>
    private static readonly Dictionary<string, string> FaultIcons = new()
    {
        ["error"] = "ErrorCircle", ["lost-response"] = "PlugDisconnected", ["timeout"] = "Clock", ["slow"] = "TopSpeed", ["off"] = "CheckmarkCircle",
    };

    /// <summary>
    /// Dashboard commands that switch the emulator's fault injection (its admin endpoint /_emulator/faults): the same
    /// choices as the buttons on the emulator's own page (<see cref="FaultChoices"/>), one list for both.
    /// </summary>
    public static IResourceBuilder<IDotNetService> WithFaultCommands(this IResourceBuilder<IDotNetService> emulator)
    {
        foreach (var choice in FaultChoices.All)
        {
            var off = choice.Settings == FaultSettings.Off;
            emulator.WithHttpCommand(EmulatorFaults.AdminPath, $"Faults: {char.ToLowerInvariant(choice.Label[0])}{choice.Label[1..]}",
                commandName: $"faults-{choice.Name}", commandOptions: new HttpCommandOptions
                {
                    // Off is the endpoint's DELETE; every other choice PUTs its settings.
                    Method = off ? HttpMethod.Delete : HttpMethod.Put,
                    Description = choice.Description,
                    IconName = FaultIcons[choice.Name],
                    IsHighlighted = off,
                    PrepareRequest = context =>
                    {
                        if (!off) context.Request.Content = JsonContent.Create(choice.Settings);
                        return Task.CompletedTask;
                    },
                });
        }
        return emulator;
    }
}
