using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Odk;

namespace OneClickSuite.OdkAdapter.Roster;

public sealed class RosterListOptions
{
    public const string SectionName = "Roster";

    /// <summary>The ODK project that holds the entity list (created by Bootstrap).</summary>
    public string ProjectName { get; set; } = "OneClickSuite";

    public string EntityList { get; set; } = "health_workers";

    /// <summary>How long new entities are collected before one bulk create, and how many at most.</summary>
    public TimeSpan BatchWindow { get; set; } = TimeSpan.FromSeconds(1);

    public int BatchSize { get; set; } = 500;

    /// <summary>Writes are retried with backoff up to this; after <see cref="MaxAttempts"/> a row counts as failed.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(2);

    public int MaxAttempts { get; set; } = 10;
}

/// <summary>The id of the suite's ODK project, looked up by name once.</summary>
public sealed class OdkProject(IServiceScopeFactory scopes, IOptions<RosterListOptions> options)
{
    private long? _id;

    public async Task<long> IdAsync(CancellationToken ct)
    {
        if (_id is { } id)
        {
            return id;
        }
        using var scope = scopes.CreateScope();
        var odk = scope.ServiceProvider.GetRequiredService<OdkClient>();
        var project = await odk.FindProjectByNameAsync(options.Value.ProjectName, ct)
                      ?? throw new InvalidOperationException($"ODK Central has no project \"{options.Value.ProjectName}\": run Bootstrap first.");
        _id = project.Id;
        return project.Id;
    }
}
