using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// A test class with an emulator of its own, the administrator signed in, and one project (created from
/// <paramref name="projectJson"/>) to work in; <see cref="SeedAsync"/> adds what the class's tests need there.
/// </summary>
public abstract class OdkProjectTests(string projectJson) : IAsyncLifetime
{
    protected OdkHost Host { get; set; } = null!;
    protected HttpClient Api { get; private set; } = null!;
    protected int ProjectId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Host = await OdkHost.StartAsync();
        Api = await Host.LoginAsync();
        var (_, project) = await SendAsync(Api, HttpMethod.Post, "projects", Json(projectJson));
        ProjectId = project!["id"]!.GetValue<int>();
        await SeedAsync();
    }

    /// <summary>What the class's tests need in the project beyond it existing.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
