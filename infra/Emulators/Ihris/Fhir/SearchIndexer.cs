using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public sealed record TokenEntry(string Param, string? System, string Value);

public sealed record ReferenceEntry(string Param, string TargetType, string TargetId);

/// <summary>Extracts the values of the indexed search parameters from a resource, as HAPI does on every write.</summary>
public static class SearchIndexer
{
    public const string PractitionerReferenceExtension = "http://ihris.org/fhir/StructureDefinition/ihris-practitioner-reference";

    public static (List<TokenEntry> Tokens, List<ReferenceEntry> References) Index(Resource resource)
    {
        var tokens = new List<TokenEntry>();
        var references = new List<ReferenceEntry>();
        switch (resource)
        {
            case Practitioner p:
                AddIdentifiers(tokens, p.Identifier);
                AddBoolean(tokens, "active", p.Active);
                if (p.Gender is { } gender) tokens.Add(new("gender", "http://hl7.org/fhir/administrative-gender", gender.ToString().ToLowerInvariant()));
                foreach (var phone in p.Telecom.Where(t => t.System == ContactPoint.ContactPointSystem.Phone && !string.IsNullOrEmpty(t.Value)))
                {
                    tokens.Add(new("phonenumber", null, phone.Value!));
                }
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
                AddString(tokens, "name", codeSystem.Name);
                break;
            case ValueSet valueSet:
                AddString(tokens, "url", valueSet.Url);
                AddString(tokens, "name", valueSet.Name);
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
                break;
            case Organization organization:
                AddIdentifiers(tokens, organization.Identifier);
                AddReference(references, "partof", organization.PartOf, "Organization");
                break;
        }
        return (tokens, references);
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
