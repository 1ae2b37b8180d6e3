using Hl7.Fhir.Model;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public enum SearchParamKind { Token, Reference, String }

/// <summary>
/// A search parameter the store indexes. <see cref="Targets"/> are the resource types a reference may point to;
/// <see cref="Path"/> is the parameter's path as HAPI names it in referential-integrity errors.
/// </summary>
public sealed record SearchParamDefinition(string Name, SearchParamKind Type, string[] Targets, string Path = "")
{
    public static SearchParamDefinition Token(string name) => new(name, SearchParamKind.Token, []);
    public static SearchParamDefinition String(string name) => new(name, SearchParamKind.String, []);
    public static SearchParamDefinition Reference(string name, string path, params string[] targets) => new(name, SearchParamKind.Reference, targets, path);
}

public static class FhirResourceTypes
{
    /// <summary>Resource types this store accepts: every type of FHIR R4.</summary>
    public static IEnumerable<string> Supported => ModelInfo.SupportedResources.Order(StringComparer.Ordinal);

    public static bool IsKnown(string type) => ModelInfo.IsKnownResource(type);

    public const string BasicPractitionerPath = "Basic.extension('http://ihris.org/fhir/StructureDefinition/ihris-practitioner-reference')";

    /// <summary>Indexed parameters per type beyond _id and _lastUpdated, as defined by R4 core and the iHRIS IG.</summary>
    private static readonly Dictionary<string, SearchParamDefinition[]> Parameters = new(StringComparer.Ordinal)
    {
        ["Practitioner"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("active"),
            SearchParamDefinition.Token("gender"),
            SearchParamDefinition.String("name"),
            SearchParamDefinition.String("family"),
            SearchParamDefinition.String("given"),
            // iHRIS SearchParameter practitioner-phone: string, Practitioner.telecom.where(system='phone').value.
            SearchParamDefinition.String("phonenumber"),
        ],
        ["PractitionerRole"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("active"),
            SearchParamDefinition.Token("role"),
            // iHRIS SearchParameter job-search: PractitionerRole.code, the same path as core "role".
            SearchParamDefinition.Token("job"),
            SearchParamDefinition.Reference("practitioner", "PractitionerRole.practitioner", "Practitioner"),
            SearchParamDefinition.Reference("location", "PractitionerRole.location", "Location"),
            SearchParamDefinition.Reference("organization", "PractitionerRole.organization", "Organization"),
        ],
        ["Location"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("status"),
            SearchParamDefinition.Token("type"),
            SearchParamDefinition.String("name"),
            SearchParamDefinition.Reference("partof", "Location.partOf", "Location"),
            SearchParamDefinition.Reference("organization", "Location.managingOrganization", "Organization"),
        ],
        ["Basic"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("code"),
            // iHRIS SearchParameter basic-practitioner: the ihris-practitioner-reference extension.
            SearchParamDefinition.Reference("practitioner", BasicPractitionerPath, "Practitioner"),
        ],
        ["CodeSystem"] = [SearchParamDefinition.Token("url"), SearchParamDefinition.String("name")],
        ["ValueSet"] = [SearchParamDefinition.Token("url"), SearchParamDefinition.String("name")],
        ["StructureDefinition"] = [SearchParamDefinition.Token("url")],
        ["SearchParameter"] = [SearchParamDefinition.Token("url")],
        ["Person"] = [SearchParamDefinition.Token("identifier"), SearchParamDefinition.Token("telecom"), SearchParamDefinition.String("name")],
        ["Organization"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.String("name"),
            SearchParamDefinition.Reference("partof", "Organization.partOf", "Organization"),
        ],
    };

    /// <summary>Custom parameters the iHRIS IG adds to HAPI's registry (shared contracts, SearchParameter-*.json).</summary>
    private static readonly Dictionary<string, string[]> IhrisParameters = new(StringComparer.Ordinal)
    {
        ["Basic"] = ["practitioner"],
        ["PractitionerRole"] = ["employmentstatus", "job", "positionstatus"],
        ["Practitioner"] = ["phonenumber"],
    };

    public static IReadOnlyList<SearchParamDefinition> ParametersOf(string type) =>
        Parameters.TryGetValue(type, out var list) ? list : [];

    public static IEnumerable<string> SearchableTypes => Parameters.Keys;

    /// <summary>
    /// The names HAPI lists in HAPI-0524 for a type: every R4 core parameter of the type and of Resource, plus the
    /// iHRIS ones, sorted (HAPI prints a TreeSet).
    /// </summary>
    public static IReadOnlyList<string> RegisteredParameterNames(string type)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal) { "_id", "_lastUpdated", "_profile", "_security", "_source", "_tag" };
        foreach (var parameter in ModelInfo.SearchParameters.Where(p => p.Resource == type && p.Name is not null))
        {
            if (parameter.Name is "_content" or "_query" or "_text" or "_list" or "_has" or "_type") continue;
            names.Add(parameter.Name!);
        }
        if (IhrisParameters.TryGetValue(type, out var extra)) names.UnionWith(extra);
        return [.. names];
    }
}
