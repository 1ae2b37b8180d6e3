using Hl7.Fhir.Model;
using OneClickSuite.Clients.Ihris;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Testing;

/// <summary>A worker as a test writes it to iHRIS, and as the suite should then show it.</summary>
public sealed record TestWorker(
    string Id, string EmployeeNumber, string Given, string Family, string? Phone, string FacilityId,
    string JobCode = "2230-1B", string JobTitle = "Nurse", string? Salary = "850.00", bool Ended = false, bool PractitionerActive = true,
    string? EndsOn = null)
{
    public bool Active => !Ended && PractitionerActive;
    public string Label => $"{Given} {Family} ({EmployeeNumber})";
}

/// <summary>
/// A test's workforce as iHRIS-profiled FHIR resources: facilities, and per worker a practitioner, a role (ended on
/// 2024-12-31 when <c>Ended</c>, else on <c>EndsOn</c> when given) and a salary.
/// </summary>
public static class FhirRoster
{
    public static async Task PutFacilitiesAsync(IhrisClient ihris, IEnumerable<(string Id, string Name)> facilities, CancellationToken ct = default)
    {
        foreach (var (id, name) in facilities)
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

    /// <summary>Writes the workers in one transaction bundle (PUT per resource, so writing again updates).</summary>
    public static Task PutAsync(IhrisClient ihris, IEnumerable<TestWorker> workers, CancellationToken ct = default) =>
        PutResourcesAsync(ihris, workers.SelectMany(w => Resources(w, null)), ct);

    public static Task PutResourcesAsync(IhrisClient ihris, IEnumerable<Resource> resources, CancellationToken ct = default)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var resource in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        return ihris.TransactionAsync(bundle, ct);
    }

    public static IEnumerable<Resource> Resources(TestWorker worker, string? locationId)
    {
        var practitioner = new Practitioner
        {
            Id = worker.Id,
            Active = worker.PractitionerActive,
            Name = worker.Given.Length + worker.Family.Length == 0 ? [] : [new HumanName { Family = worker.Family, Given = [worker.Given] }],
            Identifier = worker.EmployeeNumber.Length == 0 ? [] : [new Identifier("urn:oneclicksuite:employee-number", worker.EmployeeNumber)],
        };
        if (worker.Phone is not null)
        {
            practitioner.Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, worker.Phone)];
        }
        yield return practitioner;
        yield return new PractitionerRole
        {
            Id = worker.Id + "-role",
            Active = true,
            Period = new Period { Start = "2023-01-01", End = worker.Ended ? "2024-12-31" : worker.EndsOn },
            Practitioner = new ResourceReference($"Practitioner/{worker.Id}"),
            Code = [new CodeableConcept("http://ihris.org/fhir/CodeSystem/ihris-job", worker.JobCode, worker.JobTitle)],
            Location = [new ResourceReference($"Location/{locationId ?? worker.FacilityId}")],
        };
        if (worker.Salary is not null)
        {
            yield return new Basic
            {
                Id = worker.Id + "-salary",
                Code = new CodeableConcept("http://ihris.org/fhir/CodeSystem/ihris-resource-codesystem", "practitioner-link"),
                Extension =
                [
                    new Extension("http://ihris.org/fhir/StructureDefinition/ihris-practitioner-reference", new ResourceReference($"Practitioner/{worker.Id}")),
                    new Extension
                    {
                        Url = "http://ihris.org/fhir/StructureDefinition/ihris-salary",
                        Extension =
                        [
                            new Extension("bsalary", new FhirString(worker.Salary)),
                            new Extension("period", new Period { Start = "2023-01-01" }),
                            new Extension("frequency", new Coding("http://ihris.org/fhir/CodeSystem/ihris-frequency-codesystem", "monthly")),
                            new Extension("current", new FhirBoolean(true)),
                        ],
                    },
                ],
            };
        }
    }
}
