using Hl7.Fhir.Model;
using OneClickSuite.Clients.Ihris;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Benchmarks.Roster;

/// <summary>The benchmark's workforce: worker i is a nurse with a salary at one of three facilities.</summary>
public static class Roster
{
    public const string IdPrefix = "bw-";
    private const int EntriesPerBundle = 500;
    private const int ResourcesPerWorker = 3;

    public static readonly (string Id, string Name)[] Facilities =
        [("bench-facility-1", "Kawempe HC IV"), ("bench-facility-2", "Naguru Hospital"), ("bench-facility-3", "Mulago NRH")];

    public static string WorkerId(int i) => $"{IdPrefix}{i:D6}";

    public static string Given(int i, bool renamed) => renamed ? $"Renamed{i}" : $"Given{i}";

    public static async Task PutFacilitiesAsync(IhrisClient ihris, CancellationToken ct)
    {
        foreach (var (id, name) in Facilities)
        {
            await ihris.UpdateAsync(new Location
            {
                Id = id,
                Meta = new Meta { Profile = ["http://ihris.org/fhir/StructureDefinition/ihris-facility"] },
                Status = Location.LocationStatus.Active,
                Name = name,
            }, ct);
        }
    }

    /// <summary>PUTs the workers as transaction bundles of about 500 entries, <paramref name="parallel"/> bundles at a time.</summary>
    public static async Task PutAsync(IhrisClient ihris, IReadOnlyList<int> workers, bool renamed, int parallel, CancellationToken ct)
    {
        var chunks = workers.Chunk(EntriesPerBundle / ResourcesPerWorker);
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (chunk, token) => await ihris.TransactionAsync(Bundle(chunk, renamed), token));
    }

    private static Bundle Bundle(IEnumerable<int> workers, bool renamed)
    {
        var bundle = new Bundle { Type = Hl7.Fhir.Model.Bundle.BundleType.Transaction };
        foreach (var resource in workers.SelectMany(i => Resources(i, renamed)))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Hl7.Fhir.Model.Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        return bundle;
    }

    private static IEnumerable<Resource> Resources(int i, bool renamed)
    {
        var id = WorkerId(i);
        yield return new Practitioner
        {
            Id = id,
            Active = true,
            Name = [new HumanName { Family = $"Family{i}", Given = [Given(i, renamed)] }],
            Identifier = [new Identifier("urn:oneclicksuite:employee-number", $"EMP-{i:D6}")],
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, $"+2567{i:D8}")],
        };
        yield return new PractitionerRole
        {
            Id = id + "-role",
            Active = true,
            Period = new Period { Start = "2023-01-01" },
            Practitioner = new ResourceReference($"Practitioner/{id}"),
            Code = [new CodeableConcept("http://ihris.org/fhir/CodeSystem/ihris-job", "2230-1B", "Nurse")],
            Location = [new ResourceReference($"Location/{Facilities[i % Facilities.Length].Id}")],
        };
        yield return new Basic
        {
            Id = id + "-salary",
            Code = new CodeableConcept("http://ihris.org/fhir/CodeSystem/ihris-resource-codesystem", "practitioner-link"),
            Extension =
            [
                new Extension("http://ihris.org/fhir/StructureDefinition/ihris-practitioner-reference", new ResourceReference($"Practitioner/{id}")),
                new Extension
                {
                    Url = "http://ihris.org/fhir/StructureDefinition/ihris-salary",
                    Extension =
                    [
                        new Extension("bsalary", new FhirString("850.00")),
                        new Extension("period", new Period { Start = "2023-01-01" }),
                        new Extension("frequency", new Coding("http://ihris.org/fhir/CodeSystem/ihris-frequency-codesystem", "monthly")),
                        new Extension("current", new FhirBoolean(true)),
                    ],
                },
            ],
        };
    }
}
