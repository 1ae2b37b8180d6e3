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

    public required PayBasis Pay { get; init; }

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

public enum PayKind
{
    /// <summary>A fixed salary: amount, currency and frequency are set.</summary>
    Salaried,

    /// <summary>Paid per reported activity (community health workers); no fixed amount.</summary>
    IncentiveBased,
}

/// <summary>How a worker is paid. Payroll decides amounts per pay run; this is what iHRIS records.</summary>
public sealed record PayBasis(PayKind Kind, decimal? Amount = null, string? Currency = null, string? Frequency = null)
{
    public static PayBasis Incentive { get; } = new(PayKind.IncentiveBased);

    public static PayBasis Salary(decimal amount, string currency, string frequency) =>
        new(PayKind.Salaried, amount, currency, frequency);
}
