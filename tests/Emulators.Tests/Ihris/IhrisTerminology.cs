using Hl7.Fhir.Model;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>
/// The iHRIS ValueSets the profiles bind to, and the CodeSystems the shared contracts do not carry, with the codes of
/// the iHRIS IG (ihris-backend-site/ig/fsh-generated/resources). Each ValueSet includes its whole CodeSystem, as there.
/// </summary>
public static class IhrisTerminology
{
    private const string Base = "http://ihris.org/fhir";

    private static readonly (string ValueSet, string CodeSystem, string[] Codes)[] Bindings =
    [
        ("ihris-job", "ihris-job", []),
        ("ihris-salary-grade", "ihris-salary-grade", []),
        ("ihris-salary-source-valueset", "ihris-salary-source-codesystem", []),
        ("ihris-facility-type", "ihris-facility-type", ["hospital", "HC", "HP", "LAB", "IC", "SC", "CLC", "SPC"]),
        ("ihris-position-status", "ihris-position-status", ["vacant", "occupied", "closed"]),
        ("ihris-frequency-valueset", "ihris-frequency-codesystem", ["daily", "weekly", "monthly", "quaterly", "biannually", "annualy"]),
        ("ihris-employment-status-valueset", "ihris-employment-status-codesystem", ["contract", "fullTime", "partTime", "volunteer"]),
        ("ihris-jurisdiction-type", "ihris-jurisdiction-type", ["country", "region", "district", "subcounty", "municipality", "parish", "village"]),
    ];

    /// <summary>
    /// ihris-facility slices an extension the shared contracts do not carry; as in the IG it holds one Coding.
    /// Given as a differential; the validator's set-up generates its snapshot.
    /// </summary>
    public static StructureDefinition FacilityOwnershipExtension() => new()
    {
        Id = "ihris-facility-ownership-prefix",
        Url = $"{Base}/StructureDefinition/ihris-facility-ownership-prefix",
        Name = "IhrisFacilityOwnershipPrefix",
        Status = PublicationStatus.Active,
        FhirVersion = FHIRVersion.N4_0_1,
        Kind = StructureDefinition.StructureDefinitionKind.ComplexType,
        Abstract = false,
        Context = [new StructureDefinition.ContextComponent { Type = StructureDefinition.ExtensionContextType.Element, Expression = "Location" }],
        Type = "Extension",
        BaseDefinition = "http://hl7.org/fhir/StructureDefinition/Extension",
        Derivation = StructureDefinition.TypeDerivationRule.Constraint,
        Differential = new StructureDefinition.DifferentialComponent
        {
            Element =
            [
                new ElementDefinition { ElementId = "Extension", Path = "Extension" },
                new ElementDefinition { ElementId = "Extension.extension", Path = "Extension.extension", Max = "0" },
                new ElementDefinition { ElementId = "Extension.url", Path = "Extension.url", Fixed = new FhirUri($"{Base}/StructureDefinition/ihris-facility-ownership-prefix") },
                new ElementDefinition { ElementId = "Extension.value[x]", Path = "Extension.value[x]", Type = [new ElementDefinition.TypeRefComponent { Code = "Coding" }] },
            ],
        },
    };

    public static IEnumerable<Resource> Resources(string profilesFolder)
    {
        foreach (var (valueSet, codeSystem, codes) in Bindings)
        {
            var system = $"{Base}/CodeSystem/{codeSystem}";
            yield return new ValueSet
            {
                Id = valueSet,
                Url = $"{Base}/ValueSet/{valueSet}",
                Status = PublicationStatus.Active,
                Compose = new ValueSet.ComposeComponent { Include = [new ValueSet.ConceptSetComponent { System = system }] },
            };
            if (codes.Length > 0 && !File.Exists(Path.Combine(profilesFolder, $"CodeSystem-{codeSystem}.json")))
            {
                yield return new CodeSystem
                {
                    Id = codeSystem,
                    Url = system,
                    Status = PublicationStatus.Active,
                    Content = CodeSystemContentMode.Complete,
                    Concept = [.. codes.Select(c => new CodeSystem.ConceptDefinitionComponent { Code = c })],
                };
            }
        }
    }
}
