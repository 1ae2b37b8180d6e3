using System.Globalization;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using OneClickSuite.Contracts;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>Everything iHRIS holds about one worker: the Practitioner, their roles, those roles' facilities, salary records.</summary>
public sealed record WorkerSource(
    string PractitionerId,
    Practitioner? Practitioner,
    IReadOnlyList<PractitionerRole> Roles,
    IReadOnlyDictionary<string, Location> Locations,
    IReadOnlyList<Basic> Salaries);

/// <summary>Why a record was set aside: the resource and field at fault.</summary>
public sealed record QuarantineReason(string Resource, string Field, string Reason);

/// <summary>Turns iHRIS resources into a <see cref="WorkerSnapshot"/>, or says which field makes that impossible.</summary>
public sealed partial class WorkerRecordBuilder(JobCatalog jobs, MinistryCalendar calendar)
{
    public const string IhrisBase = "http://ihris.org/fhir";
    public const string SalaryExtension = IhrisBase + "/StructureDefinition/ihris-salary";
    public const string FacilityProfile = IhrisBase + "/StructureDefinition/ihris-facility";
    public const string RoleSalaryExtension = IhrisBase + "/StructureDefinition/ihris-practitionerrole-salary";
    public const string PractitionerReferenceExtension = IhrisBase + "/StructureDefinition/ihris-practitioner-reference";
    public const string EmployeeNumberSystem = "urn:oneclicksuite:employee-number";

    /// <summary>The snapshot, or null with the reason; both null when the practitioner holds no role at all.</summary>
    public (WorkerSnapshot? Snapshot, QuarantineReason? Problem) Build(WorkerSource source, DateTimeOffset now)
    {
        var practitionerRef = $"Practitioner/{source.PractitionerId}";
        var practitioner = source.Practitioner;
        if (practitioner is null && source.Roles.Count == 0)
        {
            return (null, null); // deleted from iHRIS together with its roles: no longer on the roster
        }
        if (practitioner is null)
        {
            return (null, new QuarantineReason(practitionerRef, "practitioner", $"{practitionerRef} not found (referenced by a role)"));
        }
        if (source.Roles.Count == 0)
        {
            return (null, null);
        }

        var name = practitioner.Name.FirstOrDefault(n => n.Use == HumanName.NameUse.Official) ?? practitioner.Name.FirstOrDefault();
        var given = string.Join(' ', name?.Given?.Where(g => !string.IsNullOrWhiteSpace(g)) ?? []).Trim();
        var family = name?.Family?.Trim() ?? "";
        if (given.Length == 0 && family.Length == 0)
        {
            return (null, new QuarantineReason(practitionerRef, "name", $"{practitionerRef}: name is missing"));
        }

        var identifier = practitioner.Identifier.FirstOrDefault(i => i.System == EmployeeNumberSystem && !string.IsNullOrWhiteSpace(i.Value))
                         ?? practitioner.Identifier.FirstOrDefault(i => !string.IsNullOrWhiteSpace(i.Value));
        if (identifier is null)
        {
            return (null, new QuarantineReason(practitionerRef, "identifier", $"{practitionerRef}: identifier (employee number) is missing"));
        }

        var phone = practitioner.Telecom.FirstOrDefault(t => t.System == ContactPoint.ContactPointSystem.Phone && !string.IsNullOrWhiteSpace(t.Value))?.Value?.Trim();
        if (phone is not null && !IsPhoneNumber(phone))
        {
            return (null, new QuarantineReason(practitionerRef, "telecom", $"{practitionerRef}: telecom phone \"{phone}\" is not a phone number"));
        }

        var today = calendar.DateOf(now);
        var currentRoles = source.Roles.Where(r => IsCurrent(r, today)).ToList();
        var role = Latest(currentRoles) ?? Latest(source.Roles)!;
        var roleRef = $"PractitionerRole/{role.Id}";
        var locationRef = role.Location.FirstOrDefault()?.Reference;
        if (string.IsNullOrEmpty(locationRef))
        {
            return (null, new QuarantineReason(roleRef, "location", $"{roleRef}: location (facility) is missing"));
        }
        var locationId = locationRef.Split('/').Last();
        if (!source.Locations.TryGetValue(locationId, out var location))
        {
            return (null, new QuarantineReason(roleRef, "location", $"{roleRef}: location {locationRef} is not a known facility"));
        }
        // HAPI refuses a reference to a Location that does not exist (referential integrity on write), but a role can
        // point at a jurisdiction (a district) instead of a facility: nobody is paid at a district.
        if (location.Meta?.Profile?.Contains(FacilityProfile) != true)
        {
            return (null, new QuarantineReason(roleRef, "location", $"{roleRef}: location {locationRef} is not a facility (profile ihris-facility)"));
        }

        var coding = role.Code.SelectMany(c => c.Coding).FirstOrDefault(c => c.System == JobCatalog.JobSystem)
                     ?? role.Code.SelectMany(c => c.Coding).FirstOrDefault();
        if (coding?.Code is null)
        {
            return (null, new QuarantineReason(roleRef, "code", $"{roleRef}: code (job) is missing"));
        }
        var job = jobs.Describe(coding.Code, coding.Display);

        var snapshot = new WorkerSnapshot
        {
            WorkerId = source.PractitionerId,
            EmployeeNumber = identifier.Value!.Trim(),
            GivenName = given,
            FamilyName = family,
            Phone = phone,
            Facility = new FacilityRef(locationId, location.Name ?? locationId),
            Job = job,
            BirthDate = string.IsNullOrWhiteSpace(practitioner.BirthDate) ? null : practitioner.BirthDate.Trim(),
            Active = practitioner.Active != false && currentRoles.Count > 0,
            EmployedFrom = calendar.DateOrNull(role.Period?.Start),
            EmployedUntil = source.Roles.All(r => LastDayOf(r.Period?.End) is not null) ? source.Roles.Max(r => LastDayOf(r.Period?.End)) : null,
            Roles = source.Roles.Select(RoleRecordOf).OrderBy(r => r.Reference, StringComparer.Ordinal).ToList(),
            Salaries = source.Salaries.SelectMany(SalaryRecordsOf).OrderBy(r => r.Reference, StringComparer.Ordinal).ToList(),
        };
        return (snapshot, null);
    }

    /// <summary>
    /// The last day a role's <c>period.end</c> covers, in the ministry's time zone: a full date is itself; a partial
    /// one ("2026-09", "2026") is the last day it names, so a role is never ended before the month or year it states.
    /// </summary>
    private DateOnly? LastDayOf(string? fhirDate)
    {
        if (calendar.TryDateOf(fhirDate, out var day)) return day;
        var text = fhirDate?.Trim() ?? "";
        if (DateOnly.TryParseExact(text + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month))
            return month.AddMonths(1).AddDays(-1);
        if (text.Length == 4 && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var year) && year is > 0 and < 10000)
            return new DateOnly(year, 12, 31);
        return null;
    }

    /// <summary>
    /// An ended role keeps active=true in iHRIS; only period.end tells (upstreams.md). The end day is still worked: the
    /// role is current until the ministry's today is past it.
    /// </summary>
    public bool IsCurrent(PractitionerRole role, DateOnly today)
    {
        if (role.Active == false)
        {
            return false;
        }
        if (string.IsNullOrWhiteSpace(role.Period?.End)) return true;
        var end = LastDayOf(role.Period.End);
        return end is null || end >= today;
    }

    private PractitionerRole? Latest(IEnumerable<PractitionerRole> roles) =>
        roles.OrderByDescending(r => calendar.DateOrNull(r.Period?.Start) ?? DateOnly.MinValue)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .FirstOrDefault();

    /// <summary>A role as iHRIS wrote it: dates as their FHIR text, the role's own salary (Money) when it has one.</summary>
    private static RoleRecord RoleRecordOf(PractitionerRole role)
    {
        var coding = role.Code.SelectMany(c => c.Coding).FirstOrDefault(c => c.System == JobCatalog.JobSystem)
                     ?? role.Code.SelectMany(c => c.Coding).FirstOrDefault();
        var money = role.GetExtensionValue<Money>(RoleSalaryExtension);
        return new RoleRecord($"PractitionerRole/{role.Id}", coding?.Code, role.Location.FirstOrDefault()?.Reference?.Split('/').Last(),
            role.Period?.Start, role.Period?.End, role.Active, money?.Value, money?.Currency?.ToString());
    }

    /// <summary>
    /// Each ihris-salary extension of a salary record, its fields as the texts iHRIS stores (bsalary, allowance and
    /// benefits are strings there); dates from <c>period</c>, or <c>startDate</c>/<c>endDate</c> in older data.
    /// </summary>
    private static IEnumerable<SalaryRecord> SalaryRecordsOf(Basic basic)
    {
        var extensions = basic.Extension.Where(e => e.Url == SalaryExtension).ToList();
        for (var i = 0; i < extensions.Count; i++)
        {
            var salary = extensions[i];
            var period = salary.GetExtensionValue<Period>("period");
            var frequency = salary.GetExtensionValue<Coding>("frequency");
            yield return new SalaryRecord(
                extensions.Count == 1 ? $"Basic/{basic.Id}" : $"Basic/{basic.Id}#{i + 1}",
                TextOf(salary, "bsalary"), TextOf(salary, "allowance"), TextOf(salary, "benefits"),
                frequency?.Code, frequency?.System,
                period?.Start ?? TextOf(salary, "startDate"), period?.End ?? TextOf(salary, "endDate"),
                salary.GetExtensionValue<FhirBoolean>("current")?.Value);
        }
    }

    /// <summary>The text of a sub-extension's primitive value exactly as stored, or null when absent.</summary>
    private static string? TextOf(Extension salary, string name) =>
        salary.Extension.FirstOrDefault(e => e.Url == name)?.Value switch
        {
            null => null,
            PrimitiveType primitive => primitive.JsonValue switch
            {
                null => null,
                string text => text,
                _ => primitive.ToString(),
            },
            _ => null,
        };

    public static bool IsPhoneNumber(string phone) => PhonePattern().IsMatch(phone.Replace(" ", "").Replace("-", "").Replace("(", "").Replace(")", ""));

    [GeneratedRegex(@"^\+?[0-9]{7,15}$")]
    private static partial Regex PhonePattern();
}
