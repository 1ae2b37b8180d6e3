using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Odk;

namespace OneClickSuite.Bootstrap.Odk;

/// <summary>
/// Ensures the suite's project, the <c>health_workers</c> entity list and the published CHW activity form whose
/// roster attachment is served from that list.
/// </summary>
public sealed class OdkSeeder(OdkClient odk, IOptions<BootstrapOptions> options, ILogger<OdkSeeder> logger)
{
    public const string ProjectName = "OneClickSuite";
    public const string DatasetName = "health_workers";
    public const string FormId = "chw_activity";
    public const string RosterAttachment = DatasetName + ".csv";

    public static readonly IReadOnlyList<string> DatasetProperties = ["worker_id", "employee_number", "facility", "cadre", "phone"];

    public async Task RunAsync(CancellationToken ct)
    {
        await UntilReady.RunAsync("ODK", "log in", options.Value.StartupTimeout, logger, () => odk.LogInAsync(ct), ct);
        logger.LogInformation("ODK: logged in");

        var project = await odk.FindProjectByNameAsync(ProjectName, ct);
        if (project is null)
        {
            project = await odk.CreateProjectAsync(ProjectName, ct);
            logger.LogInformation("ODK: project {Name} created (id {Id})", ProjectName, project.Id);
        }
        else
        {
            logger.LogInformation("ODK: project {Name} exists (id {Id})", ProjectName, project.Id);
        }

        await EnsureDatasetAsync(project.Id, ct);
        await EnsureFormAsync(project.Id, ct);
    }

    private async Task EnsureDatasetAsync(long projectId, CancellationToken ct)
    {
        var dataset = await odk.GetDatasetAsync(projectId, DatasetName, ct);
        if (dataset is null)
        {
            dataset = await odk.CreateDatasetAsync(projectId, DatasetName, approvalRequired: false, ct);
            logger.LogInformation("ODK: entity list {Name} created", DatasetName);
        }
        else
        {
            logger.LogInformation("ODK: entity list {Name} exists", DatasetName);
        }

        var existing = (dataset.Properties ?? []).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var property in DatasetProperties.Where(p => !existing.Contains(p)))
        {
            await odk.AddDatasetPropertyAsync(projectId, DatasetName, property, ct);
            logger.LogInformation("ODK: entity list property {Property} added", property);
        }
    }

    private async Task EnsureFormAsync(long projectId, CancellationToken ct)
    {
        var form = await odk.GetFormAsync(projectId, FormId, ct);
        if (form?.PublishedAt is not null)
        {
            logger.LogInformation("ODK: form {FormId} exists and is published (version {Version})", FormId, form.Version);
            return;
        }
        if (form is null)
        {
            form = await odk.CreateFormAsync(projectId, LoadXForm(), publish: false, ct);
            logger.LogInformation("ODK: form {FormId} created as a draft", FormId);
        }

        var attachments = await odk.ListDraftAttachmentsAsync(projectId, FormId, ct);
        var roster = attachments.FirstOrDefault(a => a.Name == RosterAttachment)
                     ?? throw new InvalidOperationException($"ODK: the draft of {FormId} has no {RosterAttachment} attachment.");
        if (roster.DatasetExists != true)
        {
            await odk.LinkDraftAttachmentToDatasetAsync(projectId, FormId, RosterAttachment, ct);
            logger.LogInformation("ODK: attachment {Attachment} linked to entity list {Dataset}", RosterAttachment, DatasetName);
        }

        await odk.PublishDraftAsync(projectId, FormId, ct: ct);
        logger.LogInformation("ODK: form {FormId} published", FormId);
    }

    private static string LoadXForm()
    {
        using var stream = typeof(OdkSeeder).Assembly.GetManifestResourceStream("OneClickSuite.Bootstrap.chw_activity.xml")
                           ?? throw new InvalidOperationException("The chw_activity XForm is not embedded in Bootstrap.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
