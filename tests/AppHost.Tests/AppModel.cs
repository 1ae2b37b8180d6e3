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

    public static async Task<AppModel> CreateAsync(string mode, params string[] extraArgs)
    {
        string[] args =
        [
            $"--Suite:Mode={mode}",
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
    public async Task<Dictionary<string, object>> EnvironmentAsync(IResource resource, bool publish = false)
    {
        var executionContext = new DistributedApplicationExecutionContext(
            publish ? DistributedApplicationOperation.Publish : DistributedApplicationOperation.Run);
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

    public ValueTask DisposeAsync() => _builder.DisposeAsync();
}
