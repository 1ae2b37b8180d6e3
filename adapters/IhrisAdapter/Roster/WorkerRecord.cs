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
public sealed partial class WorkerRecordBuilder(RosterOptions options, JobCatalog jobs)
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

        var currentRoles = source.Roles.Where(r => IsCurrent(r, now)).ToList();
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
            Pay = PayOf(job, role, source.Salaries, now),
            Active = practitioner.Active != false && currentRoles.Count > 0,
            EmployedFrom = DayOf(role.Period?.Start),
            EmployedUntil = source.Roles.All(r => DayOf(r.Period?.End) is not null) ? source.Roles.Max(r => DayOf(r.Period?.End)) : null,
        };
        return (snapshot, null);
    }

    /// <summary>The calendar day of a FHIR date or dateTime ("2024-03-01", "2024-03-01T00:00:00+03:00"); null if unreadable.</summary>
    private static DateOnly? DayOf(string? fhirDate) =>
        fhirDate is { Length: >= 10 } && DateOnly.TryParseExact(fhirDate[..10], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.None, out var day) ? day : null;

    /// <summary>An ended role keeps active=true in iHRIS; only period.end tells (upstreams.md).</summary>
    public static bool IsCurrent(PractitionerRole role, DateTimeOffset now)
    {
        if (role.Active == false)
        {
            return false;
        }
        var end = role.Period?.EndElement?.ToDateTimeOffset(TimeSpan.Zero);
        return end is null || end > now;
    }

    private static PractitionerRole? Latest(IEnumerable<PractitionerRole> roles) =>
        roles.OrderByDescending(r => r.Period?.StartElement?.ToDateTimeOffset(TimeSpan.Zero) ?? DateTimeOffset.MinValue)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .FirstOrDefault();

    private PayBasis PayOf(JobRef job, PractitionerRole role, IReadOnlyList<Basic> salaries, DateTimeOffset now)
    {
        if (options.IncentiveJobCodes.Contains(job.Code, StringComparer.OrdinalIgnoreCase))
        {
            return PayBasis.Incentive;
        }

        var current = salaries
            .Select(s => s.GetExtension(SalaryExtension))
            .Where(e => e is not null)
            .Select(e => ReadSalary(e!))
            .Where(s => s.Amount is not null && s.Current != false && (s.End is null || s.End > now))
            .OrderByDescending(s => s.Start ?? DateTimeOffset.MinValue)
            .FirstOrDefault();
        if (current is not null)
        {
            return PayBasis.Salary(current.Amount!.Value, options.SalaryCurrency, current.Frequency ?? "monthly");
        }

        if (role.GetExtensionValue<Money>(RoleSalaryExtension) is { Value: { } amount } money)
        {
            return PayBasis.Salary(amount, money.Currency?.ToString() ?? options.SalaryCurrency, "monthly");
        }
        return new PayBasis(PayKind.Salaried);
    }

    private sealed record SalaryRecord(decimal? Amount, string? Frequency, DateTimeOffset? Start, DateTimeOffset? End, bool? Current);

    /// <summary>ihris-salary: bsalary as a string; period (Period), or startDate/endDate in older core-IG data.</summary>
    private static SalaryRecord ReadSalary(Extension salary)
    {
        var amountText = (salary.GetExtensionValue<DataType>("bsalary") as PrimitiveType)?.ToString();
        decimal? amount = decimal.TryParse(amountText, NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        var frequency = salary.GetExtensionValue<Coding>("frequency")?.Code;
        var period = salary.GetExtensionValue<Period>("period");
        var start = period?.StartElement?.ToDateTimeOffset(TimeSpan.Zero) ?? DateOf(salary.GetExtensionValue<DataType>("startDate"));
        var end = period?.EndElement?.ToDateTimeOffset(TimeSpan.Zero) ?? DateOf(salary.GetExtensionValue<DataType>("endDate"));
        var current = salary.GetExtensionValue<FhirBoolean>("current")?.Value;
        return new SalaryRecord(amount, frequency, start, end, current);
    }

    private static DateTimeOffset? DateOf(DataType? value) => value switch
    {
        Date { Value: not null } date => new FhirDateTime(date.Value).ToDateTimeOffset(TimeSpan.Zero),
        FhirDateTime dateTime => dateTime.ToDateTimeOffset(TimeSpan.Zero),
        _ => null,
    };

    public static bool IsPhoneNumber(string phone) => PhonePattern().IsMatch(phone.Replace(" ", "").Replace("-", "").Replace("(", "").Replace(")", ""));

    [GeneratedRegex(@"^\+?[0-9]{7,15}$")]
    private static partial Regex PhonePattern();
}
