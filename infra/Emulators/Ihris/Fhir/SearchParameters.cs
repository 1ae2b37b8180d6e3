using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public enum SearchParamKind { Token, Reference }

/// <summary>A search parameter the store indexes; <see cref="Targets"/> are the resource types a reference may point to.</summary>
public sealed record SearchParamDefinition(string Name, SearchParamKind Type, string[] Targets)
{
    public static SearchParamDefinition Token(string name) => new(name, SearchParamKind.Token, []);
    public static SearchParamDefinition Reference(string name, params string[] targets) => new(name, SearchParamKind.Reference, targets);
}

public static class FhirResourceTypes
{
    /// <summary>Resource types this store accepts: every type of FHIR R4.</summary>
    public static IEnumerable<string> Supported => ModelInfo.SupportedResources.Order(StringComparer.Ordinal);

    public static bool IsKnown(string type) => ModelInfo.IsKnownResource(type);

    /// <summary>Searchable parameters per type beyond _id and _lastUpdated, as defined by R4 core and the iHRIS IG.</summary>
    private static readonly Dictionary<string, SearchParamDefinition[]> Parameters = new(StringComparer.Ordinal)
    {
        ["Practitioner"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("active"),
            SearchParamDefinition.Token("gender"),
            // iHRIS SearchParameter practitioner-phone (Practitioner.telecom.where(system='phone').value).
            SearchParamDefinition.Token("phonenumber"),
        ],
        ["PractitionerRole"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("active"),
            SearchParamDefinition.Token("role"),
            // iHRIS SearchParameter job-search: PractitionerRole.code, the same path as core "role".
            SearchParamDefinition.Token("job"),
            SearchParamDefinition.Reference("practitioner", "Practitioner"),
            SearchParamDefinition.Reference("location", "Location"),
            SearchParamDefinition.Reference("organization", "Organization"),
        ],
        ["Location"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("status"),
            SearchParamDefinition.Token("type"),
            SearchParamDefinition.Reference("partof", "Location"),
            SearchParamDefinition.Reference("organization", "Organization"),
        ],
        ["Basic"] =
        [
            SearchParamDefinition.Token("identifier"),
            SearchParamDefinition.Token("code"),
            // iHRIS SearchParameter basic-practitioner: the ihris-practitioner-reference extension.
            SearchParamDefinition.Reference("practitioner", "Practitioner"),
        ],
        ["CodeSystem"] = [SearchParamDefinition.Token("url"), SearchParamDefinition.Token("name")],
        ["ValueSet"] = [SearchParamDefinition.Token("url"), SearchParamDefinition.Token("name")],
        ["StructureDefinition"] = [SearchParamDefinition.Token("url")],
        ["SearchParameter"] = [SearchParamDefinition.Token("url")],
        ["Person"] = [SearchParamDefinition.Token("identifier"), SearchParamDefinition.Token("telecom")],
        ["Organization"] = [SearchParamDefinition.Token("identifier"), SearchParamDefinition.Reference("partof", "Organization")],
    };

    public static IReadOnlyList<SearchParamDefinition> ParametersOf(string type) =>
        Parameters.TryGetValue(type, out var list) ? list : [];

    public static IEnumerable<string> SearchableTypes => Parameters.Keys;
}
