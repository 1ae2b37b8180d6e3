namespace OneClickSuite.Contracts;

/// <summary>
/// One health worker as the roster knows them: the identity every system shares, who they are, where they work and
/// how they are paid. Events carry the whole snapshot, so a consumer converges on it without earlier events.
/// </summary>
public sealed record WorkerSnapshot
{
    /// <summary>Stable worker id: the iHRIS Practitioner logical id. Fineract's client externalId and ODK's worker_id.</summary>
    public required string WorkerId { get; init; }

    /// <summary>The employee number (the Practitioner's first identifier); unique across the roster.</summary>
    public required string EmployeeNumber { get; init; }

    public required string GivenName { get; init; }

    public required string FamilyName { get; init; }

    /// <summary>E.164-style mobile number, or null when iHRIS has none.</summary>
    public string? Phone { get; init; }

    public required FacilityRef Facility { get; init; }

    public required JobRef Job { get; init; }

    /// <summary>Practitioner.birthDate as iHRIS holds it ("1988-03-14"), or null.</summary>
    public string? BirthDate { get; init; }

    /// <summary>
    /// Every PractitionerRole of the worker as iHRIS wrote it (ordered by reference): Payroll counts the days of each one
    /// in a pay period and reads a role's own salary where no salary record covers a day.
    /// </summary>
    public IReadOnlyList<RoleRecord> Roles { get; init; } = [];

    /// <summary>
    /// Every salary record (Basic, profile ihris-basic-salary) of the worker, its texts exactly as iHRIS wrote them
    /// (ordered by reference). The adapter interprets none of it: Payroll alone decides what is paid.
    /// </summary>
    public IReadOnlyList<SalaryRecord> Salaries { get; init; } = [];

    /// <summary>Practitioner.active and at least one role without an end date or ending in the future.</summary>
    public required bool Active { get; init; }

    /// <summary>The current (else the latest) role's <c>period.start</c>: salary is prorated from it. Null when iHRIS has none.</summary>
    public DateOnly? EmployedFrom { get; init; }

    /// <summary>The last day of employment: the latest role <c>period.end</c> when every role has one, else null.</summary>
    public DateOnly? EmployedUntil { get; init; }

    public string DisplayName => $"{GivenName} {FamilyName}".Trim();
}

/// <summary>An iHRIS facility (a Location with the ihris-facility profile).</summary>
public sealed record FacilityRef(string Id, string Name);

/// <summary>A job from iHRIS's ihris-job code system and its cadre.</summary>
public sealed record JobRef(string Code, string Title, string Cadre);

/// <summary>
/// One PractitionerRole as iHRIS wrote it. <see cref="Start"/> and <see cref="End"/> are the FHIR texts of
/// <c>period.start</c>/<c>period.end</c> (a date, or a dateTime with its offset); <see cref="SalaryAmount"/> and
/// <see cref="SalaryCurrency"/> are the role's <c>ihris-practitionerrole-salary</c> Money, when it has one.
/// </summary>
public sealed record RoleRecord(
    string Reference,
    string? JobCode,
    string? FacilityId,
    string? Start,
    string? End,
    bool? Active,
    decimal? SalaryAmount = null,
    string? SalaryCurrency = null);

/// <summary>
/// One <c>ihris-salary</c> extension of a Basic salary record, every field as the text iHRIS stores: <c>bsalary</c>,
/// <c>allowance</c> and <c>benefits</c> are free strings upstream; <see cref="Frequency"/> is the code of the
/// <c>frequency</c> Coding (CodeSystem ihris-frequency-codesystem) and <see cref="FrequencySystem"/> its system;
/// <see cref="Start"/>/<see cref="End"/> come from <c>period</c> or the older <c>startDate</c>/<c>endDate</c>.
/// </summary>
public sealed record SalaryRecord(
    string Reference,
    string? BasicSalary,
    string? Allowance,
    string? Benefits,
    string? Frequency,
    string? FrequencySystem,
    string? Start,
    string? End,
    bool? Current);
