using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public sealed record TokenEntry(string Param, string? System, string Value);

public sealed record ReferenceEntry(string Param, string TargetType, string TargetId);

public sealed record StringEntry(string Param, string Normalized, string Exact);

/// <summary>Extracts the values of the indexed search parameters from a resource, as HAPI does on every write.</summary>
public static class SearchIndexer
{
    public const string PractitionerReferenceExtension = "http://ihris.org/fhir/StructureDefinition/ihris-practitioner-reference";

    public static (List<TokenEntry> Tokens, List<ReferenceEntry> References, List<StringEntry> Strings) Index(Resource resource)
    {
        var tokens = new List<TokenEntry>();
        var references = new List<ReferenceEntry>();
        var strings = new List<StringEntry>();
        switch (resource)
        {
            case Practitioner p:
                AddIdentifiers(tokens, p.Identifier);
                AddBoolean(tokens, "active", p.Active);
                if (p.Gender is { } gender) tokens.Add(new("gender", "http://hl7.org/fhir/administrative-gender", gender.ToString().ToLowerInvariant()));
                foreach (var phone in p.Telecom.Where(t => t.System == ContactPoint.ContactPointSystem.Phone && !string.IsNullOrEmpty(t.Value)))
                {
                    AddText(strings, "phonenumber", phone.Value);
                }
                AddNames(strings, p.Name);
                break;
            case PractitionerRole role:
                AddIdentifiers(tokens, role.Identifier);
                AddBoolean(tokens, "active", role.Active);
                foreach (var code in role.Code)
                {
                    AddCodings(tokens, "role", code);
                    AddCodings(tokens, "job", code);
                }
                AddReference(references, "practitioner", role.Practitioner, "Practitioner");
                foreach (var location in role.Location) AddReference(references, "location", location, "Location");
                AddReference(references, "organization", role.Organization, "Organization");
                break;
            case Location location:
                AddIdentifiers(tokens, location.Identifier);
                if (location.Status is { } status) tokens.Add(new("status", "http://hl7.org/fhir/location-status", status.ToString().ToLowerInvariant()));
                foreach (var type in location.Type) AddCodings(tokens, "type", type);
                AddText(strings, "name", location.Name);
                foreach (var alias in location.Alias) AddText(strings, "name", alias);
                AddReference(references, "partof", location.PartOf, "Location");
                AddReference(references, "organization", location.ManagingOrganization, "Organization");
                break;
            case Basic basic:
                AddIdentifiers(tokens, basic.Identifier);
                AddCodings(tokens, "code", basic.Code);
                foreach (var extension in basic.Extension.Where(e => e.Url == PractitionerReferenceExtension))
                {
                    AddReference(references, "practitioner", extension.Value as ResourceReference, "Practitioner");
                }
                break;
            case CodeSystem codeSystem:
                AddString(tokens, "url", codeSystem.Url);
                AddText(strings, "name", codeSystem.Name);
                break;
            case ValueSet valueSet:
                AddString(tokens, "url", valueSet.Url);
                AddText(strings, "name", valueSet.Name);
                break;
            case StructureDefinition structureDefinition:
                AddString(tokens, "url", structureDefinition.Url);
                break;
            case SearchParameter searchParameter:
                AddString(tokens, "url", searchParameter.Url);
                break;
            case Person person:
                AddIdentifiers(tokens, person.Identifier);
                foreach (var telecom in person.Telecom.Where(t => !string.IsNullOrEmpty(t.Value)))
                {
                    tokens.Add(new("telecom", telecom.System?.ToString().ToLowerInvariant(), telecom.Value!));
                }
                foreach (var name in person.Name) AddHumanName(strings, "name", name);
                break;
            case Organization organization:
                AddIdentifiers(tokens, organization.Identifier);
                AddText(strings, "name", organization.Name);
                foreach (var alias in organization.Alias) AddText(strings, "name", alias);
                AddReference(references, "partof", organization.PartOf, "Organization");
                break;
        }
        return (tokens, references, strings);
    }

    /// <summary>
    /// HAPI's string index (StringUtil.normalizeStringForSearchIndexing): accents removed, upper case; both the
    /// normalized and the exact value are kept to 200 characters (ResourceIndexedSearchParamString.MAX_LENGTH).
    /// </summary>
    public static string Normalize(string value)
    {
        var decomposed = value.Normalize(System.Text.NormalizationForm.FormD);
        var builder = new System.Text.StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (System.Globalization.CharUnicodeInfo.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark) builder.Append(c);
        }
        return Truncate(builder.ToString().Normalize(System.Text.NormalizationForm.FormC).ToUpperInvariant());
    }

    private static string Truncate(string value) => value.Length > 200 ? value[..200] : value;

    private static void AddText(List<StringEntry> strings, string param, string? value)
    {
        if (!string.IsNullOrEmpty(value)) strings.Add(new(param, Normalize(value), Truncate(value)));
    }

    /// <summary>R4 Practitioner.name / Person.name index every part of a HumanName; family and given their own.</summary>
    private static void AddNames(List<StringEntry> strings, IEnumerable<HumanName> names)
    {
        foreach (var name in names)
        {
            AddHumanName(strings, "name", name);
            AddText(strings, "family", name.Family);
            foreach (var given in name.Given) AddText(strings, "given", given);
        }
    }

    private static void AddHumanName(List<StringEntry> strings, string param, HumanName name)
    {
        AddText(strings, param, name.Text);
        AddText(strings, param, name.Family);
        foreach (var part in name.Given.Concat(name.Prefix).Concat(name.Suffix)) AddText(strings, param, part);
    }

    /// <summary>
    /// Splits a literal reference ("Practitioner/1", "http://host/fhir/Practitioner/1/_history/2") into type and id.
    /// </summary>
    public static bool TryParseReference(string? reference, out string type, out string id)
    {
        type = id = "";
        if (string.IsNullOrWhiteSpace(reference) || reference.StartsWith('#') || reference.StartsWith("urn:", StringComparison.Ordinal))
        {
            return false;
        }
        var parts = reference.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var historyAt = Array.IndexOf(parts, "_history");
        if (historyAt >= 0) parts = parts[..historyAt];
        if (parts.Length < 2 || !FhirResourceTypes.IsKnown(parts[^2])) return false;
        type = parts[^2];
        id = parts[^1];
        return true;
    }

    private static void AddIdentifiers(List<TokenEntry> tokens, IEnumerable<Identifier> identifiers)
    {
        foreach (var identifier in identifiers.Where(i => !string.IsNullOrEmpty(i.Value)))
        {
            tokens.Add(new("identifier", identifier.System, identifier.Value!));
        }
    }

    private static void AddCodings(List<TokenEntry> tokens, string param, CodeableConcept? concept)
    {
        if (concept is null) return;
        foreach (var coding in concept.Coding.Where(c => !string.IsNullOrEmpty(c.Code)))
        {
            tokens.Add(new(param, coding.System, coding.Code!));
        }
    }

    private static void AddBoolean(List<TokenEntry> tokens, string param, bool? value)
    {
        if (value is { } flag) tokens.Add(new(param, null, flag ? "true" : "false"));
    }

    private static void AddString(List<TokenEntry> tokens, string param, string? value)
    {
        if (!string.IsNullOrEmpty(value)) tokens.Add(new(param, null, value));
    }

    private static void AddReference(List<ReferenceEntry> references, string param, ResourceReference? reference, string defaultType)
    {
        if (reference?.Reference is not { } literal) return;
        if (TryParseReference(literal, out var type, out var id))
        {
            references.Add(new(param, type, id));
        }
        else if (!literal.Contains('/') && !literal.StartsWith('#'))
        {
            references.Add(new(param, defaultType, literal));
        }
    }
}
