using System.Text.Json.Nodes;

namespace OneClickSuite.Clients.Odk;

public sealed record OdkProject(long Id, string Name, DateTimeOffset? ArchivedAt = null);

public sealed record OdkDatasetProperty(string Name);

public sealed record OdkLinkedForm(string XmlFormId, string? Name);

public sealed record OdkDataset(
    string Name,
    long ProjectId,
    bool ApprovalRequired,
    IReadOnlyList<OdkDatasetProperty>? Properties,
    IReadOnlyList<OdkLinkedForm>? LinkedForms);

/// <summary>An entity to create. Central only accepts string values, and only for existing properties.</summary>
public sealed record OdkNewEntity(string Uuid, string Label, IReadOnlyDictionary<string, string> Data);

public sealed record OdkEntityVersion(string? Label, int Version, IReadOnlyDictionary<string, string?>? Data, bool Current = true);

public sealed record OdkEntity(
    string Uuid,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? DeletedAt,
    OdkEntityVersion? CurrentVersion);

public sealed record OdkForm(
    long ProjectId,
    string XmlFormId,
    string? Name,
    string? Version,
    string? State,
    DateTimeOffset? PublishedAt);

public sealed record OdkFormAttachment(string Name, string? Type, bool Exists, bool? DatasetExists);

public sealed record OdkAppUser(long Id, string DisplayName, string? Token, DateTimeOffset? DeletedAt = null);

/// <summary>One page of OData submissions. Pass <see cref="NextSkipToken"/> back to get the next page.</summary>
public sealed record OdkSubmissionPage(IReadOnlyList<JsonObject> Submissions, string? NextSkipToken, int? Count);

/// <summary>A submission as the REST API answers it (not the OData row).</summary>
public sealed record OdkSubmission(string InstanceId, long? SubmitterId, DateTimeOffset CreatedAt, DateTimeOffset? UpdatedAt, string? ReviewState);

/// <summary>One page of OData entities. Pass <see cref="NextSkipToken"/> back to get the next page.</summary>
public sealed record OdkEntityPage(IReadOnlyList<JsonObject> Entities, string? NextSkipToken);

public enum OdkReviewState
{
    Approved,
    Rejected,
    HasIssues,
}
