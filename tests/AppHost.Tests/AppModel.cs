namespace OneClickSuite.AppHost.Tests;

/// <summary>The application model of one mode, built without starting anything.</summary>
public sealed class AppModel : IAsyncDisposable
{
    private readonly IDistributedApplicationTestingBuilder _builder;

    private AppModel(IDistributedApplicationTestingBuilder builder, string mode)
    {
        _builder = builder;
        Mode = mode;
    }

    public string Mode { get; }

    /// <summary>The suite's resources (Aspire's own hidden helpers, such as project rebuilders, left out).</summary>
    public IReadOnlyList<IResource> Resources => _builder.Resources.Where(r => !r.Name.EndsWith("-rebuilder")).ToList();

    /// <summary>The graph as <c>dotnet run</c> builds it (publish: as the manifest publisher and azd see it).</summary>
    public static Task<AppModel> CreateAsync(string mode, params string[] extraArgs) => CreateAsync(mode, publish: false, extraArgs);

    public static async Task<AppModel> CreateAsync(string mode, bool publish, params string[] extraArgs)
    {
        string[] args =
        [
            $"--Suite:Mode={mode}",
            .. (publish ? ["--AppHost:Operation=publish", "--Publishing:Publisher=manifest"] : Array.Empty<string>()),
            // External mode points at a ministry's systems: the parameters need values to build the model.
            "--Parameters:fineract-url=https://fineract.example.org",
            "--Parameters:odk-central-url=https://odk.example.org",
            "--Parameters:ihris-url=https://ihris.example.org",
            .. extraArgs,
        ];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args, TestContext.Current.CancellationToken);
        return new AppModel(builder, mode);
    }

    public IResource Resource(string name) =>
        Resources.SingleOrDefault(r => r.Name == name) ?? throw new Xunit.Sdk.XunitException($"{Mode}: no resource named {name}");

    /// <summary>The environment a resource gets, as raw values (strings, parameters, expressions, endpoints).</summary>
    public Task<Dictionary<string, object>> EnvironmentAsync(IResource resource) => EnvironmentOfAsync(resource, _builder.ExecutionContext);

    public static async Task<Dictionary<string, object>> EnvironmentOfAsync(IResource resource, DistributedApplicationExecutionContext executionContext)
    {
        var variables = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(executionContext, resource, variables, TestContext.Current.CancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }
        return variables;
    }

    /// <summary>Resources this one waits for (WaitFor and WaitForCompletion).</summary>
    public static IEnumerable<IResource> WaitsFor(IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource);

    public static bool IsOneShot(IResource resource) => resource.Name is "db-setup" or "bootstrap" or "sandbox-prereqs" || resource.Name.EndsWith("-admin");

    /// <summary>Resources this one waits to have completed (WaitForCompletion).</summary>
    public static IEnumerable<IResource> WaitsToComplete(IResource resource) =>
        resource.Annotations.OfType<WaitAnnotation>().Where(w => w.WaitType == WaitType.WaitForCompletion).Select(w => w.Resource);

    /// <summary>A parameter's value as the graph resolves it (configuration first, then its default).</summary>
    public async Task<string?> ParameterAsync(string name) =>
        await ((ParameterResource)Resource(name)).GetValueAsync(TestContext.Current.CancellationToken);

    public ValueTask DisposeAsync() => _builder.DisposeAsync();
}
