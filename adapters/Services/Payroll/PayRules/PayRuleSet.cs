namespace OneClickSuite.Payroll.PayRules;

/// <summary>
/// The pay rules, from configuration section "PayRules". A rule applies to a worker by job code first, then by cadre;
/// the first match wins. Changing any rule means changing <see cref="Version"/>: every pay run records the version it
/// was computed with.
/// </summary>
public sealed class PayRuleSet
{
    public const string SectionName = "PayRules";

    public string Version { get; set; } = "";

    /// <summary>
    /// The funding account's currency: every line is paid in it, and only in it. A salary recorded in another currency
    /// is converted by <see cref="ExchangeRates"/> when the table has a rate for it, otherwise set aside (never 1:1).
    /// </summary>
    public string Currency { get; set; } = "USD";

    /// <summary>
    /// The currency of the amounts iHRIS writes as bare strings in a salary record (<c>bsalary</c>, <c>allowance</c>,
    /// <c>benefits</c>): the ministry's salary currency. A role's own salary (Money) carries its currency itself.
    /// </summary>
    public string SalaryCurrency { get; set; } = "USD";

    /// <summary>
    /// Which parts of a salary record are paid: any of <c>bsalary</c>, <c>allowance</c>, <c>benefits</c>. By default
    /// the basic salary and the allowance, not the benefits (in iHRIS these are usually in kind: housing, insurance).
    /// Every salary line says which parts it paid and which it did not.
    /// </summary>
    public List<string> PaidSalaryParts { get; set; } = [SalaryParts.Basic, SalaryParts.Allowance];

    /// <summary>
    /// The frequency of a role's own salary (<c>ihris-practitionerrole-salary</c>, a Money without any frequency), as a
    /// person states it for this rule set; unset, a worker paid only from a role salary is set aside, never assumed
    /// monthly.
    /// </summary>
    public string? RoleSalaryFrequency { get; set; }

    /// <summary>Rates into <see cref="Currency"/>, maintained by a person and versioned; empty by default.</summary>
    public ExchangeRateTable ExchangeRates { get; set; } = new();

    /// <summary>Minor digits of currencies beyond ISO 4217's (<see cref="Currencies"/>), or to override them.</summary>
    public Dictionary<string, int> MinorDigits { get; set; } = [];

    public List<PayRule> Rules { get; set; } = [];

    public PayRule? RuleFor(string jobCode, string cadre) =>
        Rules.FirstOrDefault(r => r.JobCodes.Contains(jobCode, StringComparer.OrdinalIgnoreCase))
        ?? Rules.FirstOrDefault(r => r.Cadres.Contains(cadre, StringComparer.OrdinalIgnoreCase));

    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Version)) yield return "PayRules:Version is required";
        if (Currency.Length != 3) yield return "PayRules:Currency must be an ISO 4217 code";
        if (SalaryCurrency.Length != 3) yield return "PayRules:SalaryCurrency must be an ISO 4217 code";
        foreach (var part in PaidSalaryParts.Where(p => !SalaryParts.All.Contains(p)))
            yield return $"PayRules:PaidSalaryParts: '{part}' is not one of {string.Join(", ", SalaryParts.All)}";
        if (RoleSalaryFrequency is { } frequency && PayFrequency.Find(frequency) is null)
            yield return $"PayRules:RoleSalaryFrequency '{frequency}' is not an iHRIS frequency code ({string.Join(", ", PayFrequency.All.Select(f => f.Code))})";
        if (Currencies.MinorDigitsOf(Currency, this) is not { } digits) yield return $"PayRules:Currency {Currency} has no known minor digits (add it to PayRules:MinorDigits)";
        else if (digits > 2) yield return $"PayRules:Currency {Currency} has {digits} minor digits: Payroll keeps amounts with 2 decimals at most";
        foreach (var error in ExchangeRates.Validate(Currency)) yield return error;
        foreach (var (rule, i) in Rules.Select((r, i) => (r, i)))
        {
            var name = $"PayRules:Rules:{i} ({rule.Name})";
            if (rule.JobCodes.Count == 0 && rule.Cadres.Count == 0) yield return $"{name} matches no job code and no cadre";
            if (rule.Kind == PayRuleKind.Incentive)
            {
                if (rule.Incentive is not { } incentive) { yield return $"{name} is an incentive without an Incentive section"; continue; }
                if (incentive.Rates.Count == 0 && incentive.Stipend == 0) yield return $"{name} has no rate and no stipend";
                if (incentive.Rates.Values.Any(v => v < 0)) yield return $"{name} has a negative rate";
                if (incentive.Cap is < 0 || incentive.Minimum < 0 || incentive.Stipend < 0) yield return $"{name} has a negative cap, minimum or stipend";
                if (incentive.Cap is { } cap && cap < incentive.Minimum) yield return $"{name} has a cap below its minimum";
            }
        }
    }
}

public enum PayRuleKind
{
    /// <summary>The monthly amount iHRIS records, prorated by calendar days for a start or end inside the month.</summary>
    Salary,

    /// <summary>A rate per unit of counted activity, with a cap and a minimum per period, plus an optional stipend.</summary>
    Incentive,
}

public sealed class PayRule
{
    public string Name { get; set; } = "";
    public PayRuleKind Kind { get; set; }
    public List<string> JobCodes { get; set; } = [];
    public List<string> Cadres { get; set; } = [];
    public IncentiveScheme? Incentive { get; set; }
}

/// <summary>
/// Activity pay for one period = Σ min(units, MaxUnits[field]) × Rates[field], then capped at <see cref="Cap"/>; when
/// it falls below <see cref="Minimum"/> it is not paid (no micro-payments). <see cref="Stipend"/> is added on top,
/// whatever the activity, for every worker active in the period.
/// </summary>
public sealed class IncentiveScheme
{
    /// <summary>Amount per unit, by form field (e.g. households_visited, referrals). Fields not listed do not pay.</summary>
    public Dictionary<string, decimal> Rates { get; set; } = [];

    /// <summary>Optional ceiling on the units counted per field and period.</summary>
    public Dictionary<string, int> MaxUnits { get; set; } = [];

    /// <summary>Ceiling on the activity pay of one period; null for none.</summary>
    public decimal? Cap { get; set; }

    /// <summary>Activity pay below this is not paid.</summary>
    public decimal Minimum { get; set; }

    public decimal Stipend { get; set; }
}
