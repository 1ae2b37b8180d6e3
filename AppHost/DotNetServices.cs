using System.Reflection;

namespace OneClickSuite.AppHost;

#pragma warning disable ASPIREPROJECTS001 // WithProjectDefaults: what AddProject itself does, for our project subclass

/// <summary>
/// One of the suite's own .NET programs (an adapter, Payroll, the portal, an emulator, a one-shot), whichever way it
/// runs: published as a project (a container image built from it), and run on this machine straight from its build
/// output. Running the output directly, instead of through <c>dotnet run</c>, spares each service a resident
/// <c>dotnet run</c> process (about 130 MiB) and an evaluation of its project file at every start.
/// </summary>
public interface IDotNetService : IResourceWithEnvironment, IResourceWithArgs, IResourceWithServiceDiscovery, IResourceWithWaitSupport;

/// <summary>A suite program as published: Aspire's project resource, written to the manifest as <c>project.v0</c>.</summary>
public sealed class DotNetServiceProject(string name) : ProjectResource(name), IDotNetService;

/// <summary>A suite program as run locally: its build output, started by the orchestrator like any executable.</summary>
public sealed class DotNetServiceProcess(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IDotNetService;

public static class DotNetServices
{
    /// <summary>
    /// A suite program: a project in publish mode; in run mode the executable its build produced (the AppHost's build
    /// builds every program it references and records where each output went: see AppHost.csproj).
    /// </summary>
    public static IResourceBuilder<IDotNetService> AddDotNetService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var project = new TProject();
        if (builder.ExecutionContext.IsPublishMode)
        {
            return builder.AddResource(new DotNetServiceProject(name))
                .WithAnnotation<IProjectMetadata>(project)
                .WithProjectDefaults(new ProjectResourceOptions { ExcludeLaunchProfile = true });
        }

        var output = BuiltOutputOf(project.ProjectPath);
        var apphost = Path.ChangeExtension(output, null);
        var runsDirectly = File.Exists(apphost);
        var process = builder.AddResource(new DotNetServiceProcess(name, runsDirectly ? apphost : "dotnet",
                Path.GetDirectoryName(project.ProjectPath)!))
            .WithOtlpExporter()
            // What a project resource gets from the orchestrator: console colours kept, the same environment name.
            .WithEnvironment("DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION", "true")
            .WithEnvironment("LOGGING__CONSOLE__FORMATTEROPTIONS__TIMESTAMPFORMAT", "yyyy-MM-ddTHH:mm:ss.fffffff ")
            .WithEnvironment("DOTNET_ENVIRONMENT", builder.Environment.EnvironmentName)
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
            // On an evaluator's machine a dozen programs share a few cores: one small GC heap each, not one per core.
            .WithEnvironment("DOTNET_gcServer", "0")
            // and a small allocation budget between collections (4 MiB, hex as the runtime reads it): these services
            // allocate little, and every megabyte a dozen of them keep in reserve is the laptop's.
            .WithEnvironment("DOTNET_GCgen0size", "0x400000");
        if (!runsDirectly) process.WithArgs(output);
        return process;
    }

    /// <summary>The HTTP endpoint a service listens on: on loopback, at the port the orchestrator gives it.</summary>
    public static IResourceBuilder<IDotNetService> WithServiceHttpEndpoint(this IResourceBuilder<IDotNetService> service)
    {
        if (service.Resource is not DotNetServiceProcess) return service.WithHttpEndpoint(name: "http");
        // An executable's endpoint needs a variable for the orchestrator to allocate its target port; the program binds
        // through ASPNETCORE_URLS below (loopback only, where ASPNETCORE_HTTP_PORTS would bind every interface).
        service.WithHttpEndpoint(name: "http", env: "SUITE_HTTP_PORT");
        var endpoint = service.GetEndpoint("http");
        return service.WithEnvironment("ASPNETCORE_URLS",
            ReferenceExpression.Create($"http://localhost:{endpoint.Property(EndpointProperty.TargetPort)}"));
    }

    /// <summary>Where the AppHost's build put a referenced program's main assembly.</summary>
    public static string BuiltOutputOf(string projectPath)
    {
        var key = $"BuiltOutput:{Path.GetFileNameWithoutExtension(projectPath)}";
        var output = typeof(DotNetServices).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == key)?.Value;
        if (output is null)
        {
            throw new InvalidOperationException($"{projectPath} is not referenced by the AppHost, so its build output is unknown.");
        }
        if (!File.Exists(output))
        {
            throw new InvalidOperationException($"{output} is missing: build the AppHost (dotnet build AppHost) before running it.");
        }
        return output;
    }
}
