using OneClickSuite.Clients.Odk;

namespace OneClickSuite.Portal.Suite;

/// <summary>Links into ODK Central's own pages: they need the suite's project id, looked up once by its name.</summary>
public sealed class OdkLinks(IServiceScopeFactory scopes, Upstreams upstreams, IConfiguration configuration, ILogger<OdkLinks> logger)
{
    public const string ActivityFormId = "chw_activity";
    private long? _projectId;

    public async Task<long?> ProjectIdAsync(CancellationToken ct)
    {
        if (_projectId is not null) return _projectId;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var odk = scope.ServiceProvider.GetRequiredService<OdkClient>();
            var project = await odk.FindProjectByNameAsync(configuration["Portal:OdkProject"] ?? "OneClickSuite", ct);
            _projectId = project?.Id;
        }
        // Links are a convenience: whatever stops the look-up, the page shows the reports without them.
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogWarning(ex, "ODK's project could not be looked up: activity reports are shown without links");
        }
        return _projectId;
    }

    public string? Submission(long? projectId, string instanceId) => upstreams.OdkSubmissionUrl(projectId, ActivityFormId, instanceId);
}
