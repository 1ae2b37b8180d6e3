using OneClickSuite.Contracts.Payroll;
using System.Globalization;
using System.Security.Cryptography;
using Hl7.Fhir.Model;

namespace OneClickSuite.Demo;

/// <summary>
/// A new community health worker for one demo run, and the iHRIS resources that register them: an
/// ihris-practitioner with an employee number and a mobile phone, and an ihris-practitioner-role with the CHW job at a
/// facility from the first day of the month (the same shapes as Bootstrap's demo workforce).
/// </summary>
public sealed record DemoWorker(string Id, string EmployeeNumber, string GivenName, string FamilyName, string Phone, DateOnly StartDate)
{
    private const string IhrisBase = "http://ihris.org/fhir";
    private const string PractitionerProfile = IhrisBase + "/StructureDefinition/ihris-practitioner";
    private const string PractitionerRoleProfile = IhrisBase + "/StructureDefinition/ihris-practitioner-role";
    private const string FirstEmploymentDateExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-first-employment-date";
    private const string PositionStatusExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-position-status";
    private const string EmploymentStatusExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-employment-status";
    private const string JobSystem = IhrisBase + "/CodeSystem/ihris-job";
    private const string PositionStatusSystem = IhrisBase + "/CodeSystem/ihris-position-status";
    private const string EmploymentStatusSystem = IhrisBase + "/CodeSystem/ihris-employment-status-codesystem";
    private const string IdentifierTypeSystem = "http://terminology.hl7.org/CodeSystem/v2-0203";

    /// <summary>Where the suite's employee numbers live; iHRIS leaves the identifier system to each country.</summary>
    public const string EmployeeNumberSystem = "urn:oneclicksuite:employee-number";

    /// <summary>ihris-job has no community health worker; the suite uses Environmental Health Worker (Bootstrap's DemoWorkforce).</summary>
    public const string CommunityHealthWorkerJobCode = "3229-3A";
    public const string CommunityHealthWorkerJobTitle = "Environmental Health Worker";

    private static readonly (string Given, AdministrativeGender Gender)[] GivenNames =
    [
        ("Esther", AdministrativeGender.Female), ("Moses", AdministrativeGender.Male), ("Harriet", AdministrativeGender.Female),
        ("Brian", AdministrativeGender.Male), ("Agnes", AdministrativeGender.Female), ("Samuel", AdministrativeGender.Male),
        ("Florence", AdministrativeGender.Female), ("Isaac", AdministrativeGender.Male),
    ];

    private static readonly string[] FamilyNames = ["Namutebi", "Ochieng", "Nakimera", "Tumusiime", "Atim", "Wasswa", "Nabirye", "Opio"];

    public AdministrativeGender Gender { get; init; } = AdministrativeGender.Unknown;

    public string? BirthDate { get; init; }

    public string DisplayName => $"{GivenName} {FamilyName}";

    public string RoleId => $"{Id}-role";

    /// <summary>A worker nobody has used before: a random id and employee number, starting this month.</summary>
    public static DemoWorker New(DateOnly today)
    {
        var suffix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var (given, gender) = GivenNames[RandomNumberGenerator.GetInt32(GivenNames.Length)];
        var family = FamilyNames[RandomNumberGenerator.GetInt32(FamilyNames.Length)];
        var phone = "+2567" + RandomNumberGenerator.GetInt32(10_000_000, 100_000_000);
        return new DemoWorker($"demo-chw-{suffix}", $"DEMO-{suffix.ToUpperInvariant()}", given, family, phone, new DateOnly(today.Year, today.Month, 1))
        {
            Gender = gender,
            BirthDate = new DateOnly(1988, 1, 1).AddDays(RandomNumberGenerator.GetInt32(12 * 365)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>A transaction of PUTs at ids the demo chose, so a retried request changes nothing.</summary>
    public Bundle RegistrationBundle(string facilityId)
    {
        var start = StartDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var practitioner = new Practitioner
        {
            Id = Id,
            Meta = new Meta { Profile = [PractitionerProfile] },
            Identifier =
            [
                new Identifier(EmployeeNumberSystem, EmployeeNumber)
                {
                    Type = new CodeableConcept(IdentifierTypeSystem, "EI", "Employee number"),
                },
            ],
            Active = true,
            Name = [new HumanName { Use = HumanName.NameUse.Official, Family = FamilyName, Given = [GivenName] }],
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, Phone)],
            Gender = Gender,
            BirthDate = BirthDate,
        };
        var role = new PractitionerRole
        {
            Id = RoleId,
            Meta = new Meta { Profile = [PractitionerRoleProfile] },
            Extension =
            [
                new Extension(FirstEmploymentDateExtension, new Date(start)),
                new Extension(PositionStatusExtension, new Coding(PositionStatusSystem, "occupied", "Occupied")),
                new Extension(EmploymentStatusExtension, new Coding(EmploymentStatusSystem, "fullTime", "Full time")),
            ],
            Active = true,
            Period = new Period { Start = start },
            Practitioner = new ResourceReference($"Practitioner/{Id}"),
            Code = [new CodeableConcept { Coding = [new Coding(JobSystem, CommunityHealthWorkerJobCode, CommunityHealthWorkerJobTitle)] }],
            Location = [new ResourceReference($"Location/{facilityId}")],
        };

        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        foreach (Resource resource in new Resource[] { practitioner, role })
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        return bundle;
    }
}
