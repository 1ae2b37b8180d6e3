using System.Text.Json.Nodes;

namespace OneClickSuite.AppHost.Portal;

/// <summary>The suite's own front door: the portal, its users (parameters shown in the dashboard) and the one-click demo.</summary>
public static class PortalExtensions
{
    public const string DemoKeyHeader = "X-Demo-Key";

    /// <summary>The portal's users: a name, a role, and a generated password the evaluator reads in the dashboard.</summary>
    public static readonly (string Name, string Role)[] Users = [("viewer", "viewer"), ("clerk", "clerk"), ("approver", "approver")];

    public static IResourceBuilder<IDotNetService> AddPortal(this IDistributedApplicationBuilder builder, SuiteMode mode, SuiteInfrastructure infra,
        IEnumerable<IResourceBuilder<IDotNetService>> suiteServices, params UpstreamSystem[] upstreams)
    {
        var portal = builder.AddSuiteService<Projects.Portal>("portal")
            .WithSuiteDatabase(infra)
            .WithSuiteIdentity(infra)
            // The suite's front door: reachable from outside once deployed (TLS by the platform).
            .WithExternalHttpEndpoints()
            .WithUrlForEndpoint("http", url => url.DisplayText = "OneClickSuite portal");

        foreach (var (name, role) in Users)
        {
            portal.WithEnvironment($"Portal__Users__{name}__Password", builder.AddSecret($"portal-{name}-password"))
                .WithEnvironment($"Portal__Users__{name}__Role", role);
        }

        // Service discovery for Payroll and the adapters, whose APIs and read views the portal uses. It starts beside
        // them, not after them: nothing it does at start needs them, and a page whose service is not up says so.
        foreach (var service in suiteServices)
        {
            portal.WithReference(service);
        }
        foreach (var upstream in upstreams)
        {
            portal.WithUpstream(upstream)
                .WithEnvironment($"Portal__Links__{upstream.ConfigurationSection}", upstream.UserInterface)
                .WithEnvironment($"Portal__SignIn__{upstream.ConfigurationSection}", upstream.SignIn);
        }

        // The one-click demo registers and pays a worker of its own: it belongs where evaluators run the suite (the
        // sandbox, a full graph on their machine), never beside a ministry's systems or in a deployment.
        var demoHere = builder.IsEvaluatorMachine(mode);
        portal.WithEnvironment("Portal__Demo__Enabled", demoHere ? "true" : "false");
        // The demo's worker opens their wallet on the provider emulator's sandbox page, where the emulator stands in.
        if (demoHere && upstreams.FirstOrDefault(u => u.ConfigurationSection == "MobileMoney")?.Resource.Resource is IDotNetService provider)
        {
            portal.WithEnvironment("Demo__ProviderEmulatorUrl", provider.GetEndpoint("http"));
        }
        if (demoHere) portal.WithDemoCommand(builder);
        return portal.AnnounceWhenReady();
    }

    /// <summary>The dashboard's "Run the demo" command, authenticated with the generated <c>portal-demo-key</c>.</summary>
    private static void WithDemoCommand(this IResourceBuilder<IDotNetService> portal, IDistributedApplicationBuilder builder)
    {
        var demoKey = builder.AddSecret("portal-demo-key");
        portal.WithEnvironment("Portal__DemoKey", demoKey)
            .WithHttpCommand("/api/demo/run", "Run the demo", commandName: "run-demo", commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Registers a community health worker in iHRIS, waits for ODK and Fineract, reports their activity, "
                              + "pays them through a pay run it prepares and approves as the demo (never as a person) and checks the deposit. Watch it on the portal's Demo page.",
                IconName = "Play",
                IsHighlighted = true,
                PrepareRequest = async context =>
                {
                    context.Request.Headers.Add(DemoKeyHeader, await demoKey.Resource.GetValueAsync(context.CancellationToken));
                },
                GetCommandResult = async context =>
                {
                    var body = await context.Response.Content.ReadAsStringAsync(context.CancellationToken);
                    var result = TryParse(body);
                    if (context.Response.IsSuccessStatusCode)
                    {
                        return CommandResults.Success(
                            $"The demo paid {result?["amount"]} to {result?["workerId"]} in {result?["seconds"]} s: see the portal's Demo page.");
                    }
                    return CommandResults.Failure(result?["error"]?.ToString() ?? result?["title"]?.ToString()
                        ?? $"the portal answered {(int)context.Response.StatusCode}");
                },
            });
    }

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
