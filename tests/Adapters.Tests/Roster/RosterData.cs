using Hl7.Fhir.Model;
using OneClickSuite.Clients.Ihris;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Roster.Tests;

/// <summary>A worker as a test writes it to iHRIS, and as the suite should then show it.</summary>
public sealed record TestWorker(
    string Id, string EmployeeNumber, string Given, string Family, string? Phone, string FacilityId,
    string JobCode = "2230-1B", string JobTitle = "Nurse", string? Salary = "850.00", bool Ended = false, bool PractitionerActive = true)
{
    public bool Active => !Ended && PractitionerActive;
    public string Label => $"{Given} {Family} ({EmployeeNumber})";
}

/// <summary>iHRIS-profiled FHIR resources for test workers (ids unique per run).</summary>
public static class RosterData
{
    public const string ChwJobCode = "3229-3A";
    public static readonly (string Id, string Name)[] Facilities = [("t-facility-1", "Kawempe HC IV"), ("t-facility-2", "Naguru Hospital")];
    private static int _counter = Random.Shared.Next(100_000, 900_000);

    public static TestWorker NewWorker(string prefix, bool chw = false)
    {
        var n = Interlocked.Increment(ref _counter);
        return new TestWorker($"{prefix}-{n}", $"EMP-{n}", "Given" + n, "Family" + n, $"+2567{n:D8}", Facilities[n % 2].Id,
            chw ? ChwJobCode : "2230-1B", chw ? "Environmental Health Worker" : "Nurse", chw ? null : "850.00");
    }

    public static async Task PutFacilitiesAsync(IhrisClient ihris)
    {
        foreach (var (id, name) in Facilities)
        {
            await ihris.UpdateAsync(new Location
            {
                Id = id,
                Meta = new Meta { Profile = ["http://ihris.org/fhir/StructureDefinition/ihris-facility"] },
                Status = Location.LocationStatus.Active,
                Name = name,
            });
        }
    }

    public static async Task PutAsync(IhrisClient ihris, TestWorker worker, string? locationId = null)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var resource in Resources(worker, locationId))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        await ihris.TransactionAsync(bundle);
    }

    public static async Task PutManyAsync(IhrisClient ihris, IEnumerable<TestWorker> workers)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (var resource in workers.SelectMany(w => Resources(w, null)))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        await ihris.TransactionAsync(bundle);
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
            Period = new Period { Start = "2023-01-01", End = worker.Ended ? "2024-12-31" : null },
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

/// <summary>What the tests wrote to iHRIS: the roster the suite must converge on.</summary>
public sealed class RosterModel
{
    private readonly Dictionary<string, TestWorker> _workers = new(StringComparer.Ordinal);

    public void Set(TestWorker worker)
    {
        lock (_workers) _workers[worker.Id] = worker;
    }

    public IReadOnlyList<TestWorker> All
    {
        get { lock (_workers) return _workers.Values.ToList(); }
    }
}
