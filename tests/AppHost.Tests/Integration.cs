using OneClickSuite.AppHost;

namespace OneClickSuite.AppHost.Tests;

/// <summary>
/// A bare builder with only the suite's infrastructure, for one integration's own tests (as CommunityToolkit/Aspire
/// tests each integration): nothing else of the graph is there to hide what the integration itself adds.
/// </summary>
public sealed class Integration : IAsyncDisposable
{
    private Integration(IDistributedApplicationBuilder builder, SuiteMode mode)
    {
        Builder = builder;
        Infra = builder.AddSuiteInfrastructure(mode);
        Mode = mode;
    }

    public IDistributedApplicationBuilder Builder { get; }
    public SuiteInfrastructure Infra { get; }
    public SuiteMode Mode { get; }

    public static Integration Create(SuiteMode mode, bool publish = false, params string[] args) =>
        new(DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            Args = [.. publish ? ["--AppHost:Operation=publish", "--Publishing:Publisher=manifest"] : Array.Empty<string>(), .. args],
            ProjectDirectory = Path.Combine(OneClickSuite.Testing.Repository.Root, "AppHost"),
            DisableDashboard = true,
        }), mode);

    public IResource Resource(string name) =>
        Builder.Resources.SingleOrDefault(r => r.Name == name) ?? throw new Xunit.Sdk.XunitException($"no resource named {name}");

    public T Resource<T>(string name) where T : IResource => Assert.IsAssignableFrom<T>(Resource(name));

    public Task<Dictionary<string, object>> EnvironmentAsync(string name) => AppModel.EnvironmentOfAsync(Resource(name), Builder.ExecutionContext);

    public static IReadOnlyList<string> Args(IResource resource) =>
        resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>().SelectMany(a =>
        {
            var args = new List<object>();
            a.Callback(new CommandLineArgsCallbackContext(args, resource, TestContext.Current.CancellationToken)).GetAwaiter().GetResult();
            return args.Select(v => v.ToString() ?? "");
        }).ToList();

    /// <summary>What a ReferenceExpression or value stands for, as the manifest would write it.</summary>
    public static string Manifest(object value) => value switch
    {
        string s => s,
        IManifestExpressionProvider p => p.ValueExpression,
        _ => value.ToString() ?? "",
    };

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
