using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Odk;

namespace OneClickSuite.Bootstrap.Odk;

/// <summary>
/// Ensures the suite's project, the <c>health_workers</c> entity list and the published CHW activity form whose
/// roster attachment is served from that list; and the <c>pay_statements</c> entity list with the published form
/// <c>pay_query</c>, through which a worker queries one of their statements.
/// </summary>
public sealed class OdkSeeder(OdkClient odk, IOptions<BootstrapOptions> options, ILogger<OdkSeeder> logger)
{
    public const string ProjectName = "OneClickSuite";
    public const string DatasetName = "health_workers";
    public const string FormId = "chw_activity";
    public const string RosterAttachment = DatasetName + ".csv";

    public static readonly IReadOnlyList<string> DatasetProperties = ["worker_id", "employee_number", "facility", "cadre", "phone"];

    public const string StatementsDataset = "pay_statements";
    public const string QueryFormId = "pay_query";

    /// <summary>What a statement entity holds (the ODK adapter writes them; adapters/Upstream/OdkAdapter/Statements).</summary>
    public static readonly IReadOnlyList<string> StatementProperties =
    [
        "worker_id", "employee_number", "period", "kind", "amount", "currency", "paid_on", "paid_to", "details", "query_status", "query_answer",
    ];

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

        await EnsureDatasetAsync(project.Id, DatasetName, DatasetProperties, ct);
        await EnsureFormAsync(project.Id, FormId, [DatasetName], ct);
        await EnsureDatasetAsync(project.Id, StatementsDataset, StatementProperties, ct);
        await EnsureFormAsync(project.Id, QueryFormId, [DatasetName, StatementsDataset], ct);
    }

    private async Task EnsureDatasetAsync(long projectId, string name, IReadOnlyList<string> properties, CancellationToken ct)
    {
        var dataset = await odk.GetDatasetAsync(projectId, name, ct);
        if (dataset is null)
        {
            dataset = await odk.CreateDatasetAsync(projectId, name, approvalRequired: false, ct);
            logger.LogInformation("ODK: entity list {Name} created", name);
        }
        else
        {
            logger.LogInformation("ODK: entity list {Name} exists", name);
        }

        var existing = (dataset.Properties ?? []).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var property in properties.Where(p => !existing.Contains(p)))
        {
            await odk.AddDatasetPropertyAsync(projectId, name, property, ct);
            logger.LogInformation("ODK: entity list {Name} property {Property} added", name, property);
        }
    }

    /// <summary>The form, published, with each of <paramref name="lists"/> served as its <c>{list}.csv</c> attachment.</summary>
    private async Task EnsureFormAsync(long projectId, string formId, IReadOnlyList<string> lists, CancellationToken ct)
    {
        var form = await odk.GetFormAsync(projectId, formId, ct);
        if (form?.PublishedAt is not null)
        {
            logger.LogInformation("ODK: form {FormId} exists and is published (version {Version})", formId, form.Version);
            return;
        }
        if (form is null)
        {
            form = await odk.CreateFormAsync(projectId, LoadXForm(formId), publish: false, ct);
            logger.LogInformation("ODK: form {FormId} created as a draft", formId);
        }

        var attachments = await odk.ListDraftAttachmentsAsync(projectId, formId, ct);
        foreach (var list in lists)
        {
            var name = list + ".csv";
            var attachment = attachments.FirstOrDefault(a => a.Name == name)
                             ?? throw new InvalidOperationException($"ODK: the draft of {formId} has no {name} attachment.");
            if (attachment.DatasetExists != true)
            {
                await odk.LinkDraftAttachmentToDatasetAsync(projectId, formId, name, ct);
                logger.LogInformation("ODK: attachment {Attachment} of {FormId} linked to entity list {Dataset}", name, formId, list);
            }
        }

        await odk.PublishDraftAsync(projectId, formId, ct: ct);
        logger.LogInformation("ODK: form {FormId} published", formId);
    }

    private static string LoadXForm(string formId)
    {
        using var stream = typeof(OdkSeeder).Assembly.GetManifestResourceStream($"OneClickSuite.Bootstrap.{formId}.xml")
                           ?? throw new InvalidOperationException($"The {formId} XForm is not embedded in Bootstrap.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
