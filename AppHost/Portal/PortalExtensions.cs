using System.Text.Json.Nodes;
using OneClickSuite.AppHost.Fineract;

namespace OneClickSuite.AppHost.Portal;

/// <summary>The suite's own front door: the portal, its users (parameters shown in the dashboard) and the one-click demo.</summary>
public static class PortalExtensions
{
    public const string DemoKeyHeader = "X-Demo-Key";

    /// <summary>The portal's users: a name, a role, and a generated password the evaluator reads in the dashboard.</summary>
    public static readonly (string Name, string Role)[] Users = [("viewer", "viewer"), ("clerk", "clerk"), ("approver", "approver")];

    public static IResourceBuilder<ProjectResource> AddPortal(this IDistributedApplicationBuilder builder, SuiteInfrastructure infra,
        IEnumerable<IResourceBuilder<ProjectResource>> suiteServices, params UpstreamSystem[] upstreams)
    {
        var portal = builder.AddSuiteService<Projects.Portal>("portal")
            .WithReference(infra.Database(SuiteDatabases.Suite), "suite-db")
            .WaitForCompletion(infra.DatabaseSetup)
            .WithUrlForEndpoint("http", url => url.DisplayText = "OneClickSuite portal");

        foreach (var (name, role) in Users)
        {
            portal.WithEnvironment($"Portal__Users__{name}__Password", builder.AddSecret($"portal-{name}-password"))
                .WithEnvironment($"Portal__Users__{name}__Role", role);
        }
        portal.WithEnvironment("Portal__Demo__Clerk", "clerk")
            .WithEnvironment("Portal__Demo__Approver", "approver");

        // Service discovery for Payroll and the adapters; the portal reads their tables, so it starts after them.
        foreach (var service in suiteServices)
        {
            portal.WithReference(service).WaitFor(service);
        }
        foreach (var upstream in upstreams)
        {
            portal.WithUpstream(upstream);
        }
        portal.WithEnvironment("Portal__SignIn__Fineract", $"user {FineractResource.AdminUser}, password: parameter fineract-password")
            .WithEnvironment("Portal__SignIn__Odk", "the odk-admin-email and odk-admin-password parameters")
            .WithEnvironment("Portal__SignIn__Ihris", "the ihris-admin-email and ihris-admin-password parameters");
        // Full mode: Fineract's own UI is the Mifos X web app, not the API server.
        if (builder.Resources.OfType<IResourceWithEndpoints>().FirstOrDefault(r => r.Name == "mifos") is { } mifos)
        {
            portal.WithEnvironment("Portal__Links__Fineract", mifos.GetEndpoint("http"));
        }

        var demoKey = builder.AddSecret("portal-demo-key");
        portal.WithEnvironment("Portal__DemoKey", demoKey)
            .WithHttpCommand("/api/demo/run", "Run the demo", commandName: "run-demo", commandOptions: new HttpCommandOptions
            {
                Method = HttpMethod.Post,
                Description = "Registers a community health worker in iHRIS, waits for ODK and Fineract, reports their activity, "
                              + "pays them through a pay run (clerk prepares, approver approves) and checks the deposit. Watch it on the portal's Demo page.",
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
        return portal;
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
