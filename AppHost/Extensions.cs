namespace OneClickSuite.AppHost;

/// <summary>
/// How the suite's services reach one upstream system. It is the same contract in every mode: a configuration
/// section (<c>Fineract</c>, <c>Odk</c>, <c>Ihris</c>) with <c>BaseUrl</c> and the credentials; only where it points
/// differs (a container, an emulator, or a ministry's existing server).
/// </summary>
public sealed record UpstreamSystem(
    string ConfigurationSection,
    IResourceBuilder<IResource> Resource,
    ReferenceExpression BaseUrl,
    IReadOnlyList<(string Key, ReferenceExpression Value)> Credentials);

public static class SuiteExtensions
{
    public static IResourceBuilder<T> WithUpstream<T>(this IResourceBuilder<T> service, UpstreamSystem upstream)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        service.WithEnvironment($"{upstream.ConfigurationSection}__BaseUrl", upstream.BaseUrl);
        foreach (var (key, value) in upstream.Credentials)
        {
            service.WithEnvironment($"{upstream.ConfigurationSection}__{key}", value);
        }
        return service.WaitFor(upstream.Resource);
    }

    /// <summary>
    /// A suite service (an adapter, an emulator, the portal): one HTTP endpoint whose port the orchestrator picks,
    /// and readiness through ServiceDefaults' <c>/health</c>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddSuiteService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: "http")
            .WithHttpHealthCheck("/health", endpointName: "http");

    /// <summary>A one-shot program (setup, seeding): runs to completion; others WaitForCompletion on it.</summary>
    public static IResourceBuilder<ProjectResource> AddOneShot<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true);

    public static ReferenceExpression Expression(string value) => ReferenceExpression.Create($"{value}");

    public static ReferenceExpression Expression(IResourceBuilder<ParameterResource> parameter) =>
        ReferenceExpression.Create($"{parameter.Resource}");
}
