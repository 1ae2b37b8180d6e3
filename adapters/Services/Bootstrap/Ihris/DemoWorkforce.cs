using Hl7.Fhir.Model;

namespace OneClickSuite.Bootstrap.Ihris;

/// <summary>
/// A small demo workforce as iHRIS-profiled FHIR resources: one district, three facilities, salaried staff with
/// positions and salary records, and community health workers. Every id is fixed, and the bundle is a transaction
/// of PUTs, so loading it twice changes nothing.
/// </summary>
public static class DemoWorkforce
{
    public const string IhrisBase = "http://ihris.org/fhir";

    public const string PractitionerProfile = IhrisBase + "/StructureDefinition/ihris-practitioner";
    public const string PractitionerRoleProfile = IhrisBase + "/StructureDefinition/ihris-practitioner-role";
    public const string FacilityProfile = IhrisBase + "/StructureDefinition/ihris-facility";
    public const string JurisdictionProfile = IhrisBase + "/StructureDefinition/ihris-jurisdiction";
    public const string BasicSalaryProfile = IhrisBase + "/StructureDefinition/ihris-basic-salary";

    public const string PractitionerReferenceExtension = IhrisBase + "/StructureDefinition/ihris-practitioner-reference";
    public const string SalaryExtension = IhrisBase + "/StructureDefinition/ihris-salary";
    public const string FirstEmploymentDateExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-first-employment-date";
    public const string PositionStatusExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-position-status";
    public const string EmploymentStatusExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-employment-status";

    public const string JobSystem = IhrisBase + "/CodeSystem/ihris-job";
    public const string SalaryGradeSystem = IhrisBase + "/CodeSystem/ihris-salary-grade";
    public const string FrequencySystem = IhrisBase + "/CodeSystem/ihris-frequency-codesystem";
    public const string PositionStatusSystem = IhrisBase + "/CodeSystem/ihris-position-status";
    public const string EmploymentStatusSystem = IhrisBase + "/CodeSystem/ihris-employment-status-codesystem";
    public const string FacilityTypeSystem = IhrisBase + "/CodeSystem/ihris-facility-type";
    public const string JurisdictionTypeSystem = IhrisBase + "/CodeSystem/ihris-jurisdiction-type";
    public const string ResourceCodeSystem = IhrisBase + "/CodeSystem/ihris-resource-codesystem";
    public const string PhysicalTypeSystem = "http://terminology.hl7.org/CodeSystem/location-physical-type";
    public const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>Where the suite's employee numbers live; iHRIS leaves the identifier system to each country.</summary>
    public const string EmployeeNumberSystem = "urn:oneclicksuite:employee-number";

    public const string NurseJobCode = "2230-1B";
    public const string MidwifeJobCode = "2230-2B";

    /// <summary>ihris-job has no clinical officer; Medical Assistant (3221-1C) is the closest mid-level clinician.</summary>
    public const string ClinicalOfficerJobCode = "3221-1C";

    /// <summary>
    /// ihris-job has no community health worker; Environmental Health Worker (3229-3A, entry-level allied health)
    /// is the closest community-facing job. Adapters recognise CHWs by this code.
    /// </summary>
    public const string CommunityHealthWorkerJobCode = "3229-3A";

    public const string DistrictId = "demo-district-1";

    public static readonly IReadOnlyList<DemoFacility> Facilities =
    [
        new("demo-facility-1", "Kawempe Health Centre IV", "HC"),
        new("demo-facility-2", "Kisenyi Health Centre IV", "HC"),
        new("demo-facility-3", "Naguru General Hospital", "hospital"),
    ];

    public static readonly IReadOnlyList<DemoWorker> Workers =
    [
        new("demo-nurse-1", "EMP-1001", "Sarah", "Nakato", AdministrativeGender.Female, "1988-03-14", "+256700100001",
            NurseJobCode, "Nurse", "prof-entry-level", "demo-facility-1", "2021-02-01", MonthlySalary: "850.00"),
        new("demo-nurse-2", "EMP-1002", "Peter", "Ssempala", AdministrativeGender.Male, "1990-07-22", "+256700100002",
            NurseJobCode, "Nurse", "prof-entry-level", "demo-facility-2", "2022-05-01", MonthlySalary: "850.00"),
        new("demo-midwife-1", "EMP-1003", "Grace", "Achieng", AdministrativeGender.Female, "1986-11-05", "+256700100003",
            MidwifeJobCode, "Midwife", "prof-entry-level", "demo-facility-3", "2019-09-01", MonthlySalary: "900.00"),
        new("demo-clinical-officer-1", "EMP-1004", "Joseph", "Okello", AdministrativeGender.Male, "1984-01-30", "+256700100004",
            ClinicalOfficerJobCode, "Medical Assistant", "prof-mid-level", "demo-facility-3", "2018-03-01", MonthlySalary: "1200.00"),
        new("demo-chw-1", "EMP-2001", "Amina", "Nansubuga", AdministrativeGender.Female, "1995-06-12", "+256700200001",
            CommunityHealthWorkerJobCode, "Environmental Health Worker", "entry-level", "demo-facility-1", "2023-01-01", MonthlySalary: null),
        new("demo-chw-2", "EMP-2002", "John", "Mugisha", AdministrativeGender.Male, "1993-09-18", "+256700200002",
            CommunityHealthWorkerJobCode, "Environmental Health Worker", "entry-level", "demo-facility-1", "2023-01-01", MonthlySalary: null),
        new("demo-chw-3", "EMP-2003", "Ruth", "Auma", AdministrativeGender.Female, "1997-02-08", "+256700200003",
            CommunityHealthWorkerJobCode, "Environmental Health Worker", "entry-level", "demo-facility-2", "2023-06-01", MonthlySalary: null),
        new("demo-chw-4", "EMP-2004", "David", "Kato", AdministrativeGender.Male, "1992-12-01", "+256700200004",
            CommunityHealthWorkerJobCode, "Environmental Health Worker", "entry-level", "demo-facility-2", "2023-06-01", MonthlySalary: null),
    ];

    public static Bundle Build()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };

        Put(bundle, District());
        foreach (var facility in Facilities)
        {
            Put(bundle, Facility(facility));
        }
        foreach (var worker in Workers)
        {
            Put(bundle, Practitioner(worker));
            Put(bundle, Position(worker));
            if (worker.MonthlySalary is not null)
            {
                Put(bundle, Salary(worker));
            }
        }
        return bundle;
    }

    private static void Put(Bundle bundle, Resource resource) =>
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            Resource = resource,
            Request = new Bundle.RequestComponent
            {
                Method = Bundle.HTTPVerb.PUT,
                Url = $"{resource.TypeName}/{resource.Id}",
            },
        });

    private static Location District() => new()
    {
        Id = DistrictId,
        Meta = new Meta { Profile = [JurisdictionProfile] },
        Status = Location.LocationStatus.Active,
        Name = "Kampala District",
        Type = [new CodeableConcept(JurisdictionTypeSystem, "district", "District")],
        PhysicalType = new CodeableConcept(PhysicalTypeSystem, "jdn", "Jurisdiction"),
    };

    private static Location Facility(DemoFacility facility) => new()
    {
        Id = facility.Id,
        Meta = new Meta { Profile = [FacilityProfile] },
        Status = Location.LocationStatus.Active,
        Name = facility.Name,
        Type = [new CodeableConcept(FacilityTypeSystem, facility.TypeCode)],
        PhysicalType = new CodeableConcept(PhysicalTypeSystem, "bu", "Building"),
        PartOf = new ResourceReference($"Location/{DistrictId}"),
    };

    private static Practitioner Practitioner(DemoWorker worker) => new()
    {
        Id = worker.Id,
        Meta = new Meta { Profile = [PractitionerProfile] },
        Identifier =
        [
            new Identifier(EmployeeNumberSystem, worker.EmployeeNumber)
            {
                Type = new CodeableConcept(IdentifierTypeSystem, "EI", "Employee number"),
            },
        ],
        Active = true,
        Name = [new HumanName { Use = HumanName.NameUse.Official, Family = worker.FamilyName, Given = [worker.GivenName] }],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, worker.Phone)],
        Gender = worker.Gender,
        BirthDate = worker.BirthDate,
    };

    private static PractitionerRole Position(DemoWorker worker) => new()
    {
        Id = $"{worker.Id}-role",
        Meta = new Meta { Profile = [PractitionerRoleProfile] },
        Extension =
        [
            new Extension(FirstEmploymentDateExtension, new Date(worker.StartDate)),
            new Extension(PositionStatusExtension, new Coding(PositionStatusSystem, "occupied", "Occupied")),
            new Extension(EmploymentStatusExtension, new Coding(EmploymentStatusSystem, "fullTime", "Full time")),
        ],
        Active = true,
        Period = new Period { Start = worker.StartDate },
        Practitioner = new ResourceReference($"Practitioner/{worker.Id}"),
        Code = [new CodeableConcept { Coding = [new Coding(JobSystem, worker.JobCode, worker.JobTitle)] }],
        Location = [new ResourceReference($"Location/{worker.FacilityId}")],
    };

    private static Basic Salary(DemoWorker worker) => new()
    {
        Id = $"{worker.Id}-salary",
        Meta = new Meta { Profile = [BasicSalaryProfile] },
        Code = new CodeableConcept(ResourceCodeSystem, "practitioner-link"),
        Extension =
        [
            new Extension(PractitionerReferenceExtension, new ResourceReference($"Practitioner/{worker.Id}")),
            new Extension
            {
                Url = SalaryExtension,
                Extension =
                [
                    new Extension("salaryScale", new Coding(SalaryGradeSystem, worker.SalaryGrade)),
                    // ihris-salary types bsalary as a string, not Money.
                    new Extension("bsalary", new FhirString(worker.MonthlySalary)),
                    new Extension("period", new Period { Start = worker.StartDate }),
                    new Extension("frequency", new Coding(FrequencySystem, "monthly", "Monthly")),
                    new Extension("current", new FhirBoolean(true)),
                ],
            },
        ],
    };
}

public sealed record DemoFacility(string Id, string Name, string TypeCode);

public sealed record DemoWorker(
    string Id,
    string EmployeeNumber,
    string GivenName,
    string FamilyName,
    AdministrativeGender Gender,
    string BirthDate,
    string Phone,
    string JobCode,
    string JobTitle,
    string SalaryGrade,
    string FacilityId,
    string StartDate,
    string? MonthlySalary);
