namespace OneClickSuite.Payroll.PayRules;

/// <summary>
/// iHRIS's pay frequencies (CodeSystem <c>ihris-frequency-codesystem</c>, iHRIS/iHRIS
/// <c>ihris-backend/ihris-backend-site/ig/input/fsh/IhrisSalary.fsh</c>, CodeSystem IhrisFrequency), with the codes
/// spelled exactly as upstream spells them, and how each becomes pay for days of a month:
/// <list type="bullet">
/// <item>monthly: amount × days employed ÷ days in the month</item>
/// <item>quaterly: amount ÷ 3 per month (amount × days ÷ (3 × days in the month)); biannually ÷ 6; annualy ÷ 12</item>
/// <item>weekly: amount ÷ 7 per calendar day employed; daily: amount per calendar day employed</item>
/// </list>
/// Calendar days, not working days: the suite keeps no calendar of working days and public holidays, and a calendar
/// day is the same for everyone. A code outside this list, or none, is never taken for monthly.
/// </summary>
public sealed record PayFrequency(string Code, string Display, int MonthsPerAmount, int DaysPerAmount)
{
    public const string System = "http://ihris.org/fhir/CodeSystem/ihris-frequency-codesystem";

    public static readonly PayFrequency Daily = new("daily", "Daily", 0, 1);
    public static readonly PayFrequency Weekly = new("weekly", "Weekly", 0, 7);
    public static readonly PayFrequency Monthly = new("monthly", "Monthly", 1, 0);
    public static readonly PayFrequency Quarterly = new("quaterly", "Quaterly", 3, 0);
    public static readonly PayFrequency Biannually = new("biannually", "Bi-Annually", 6, 0);
    public static readonly PayFrequency Annually = new("annualy", "Annually/Yearly", 12, 0);

    public static readonly IReadOnlyList<PayFrequency> All = [Daily, Weekly, Monthly, Quarterly, Biannually, Annually];

    /// <summary>The frequency of an iHRIS code, compared exactly (upstream codes are lower case); null when unknown.</summary>
    public static PayFrequency? Find(string? code) => All.FirstOrDefault(f => f.Code == code);

    /// <summary>
    /// Pay for <paramref name="days"/> calendar days of a month of <paramref name="daysInMonth"/> days, before rounding:
    /// one multiplication and one division, so the result is exact to decimal's precision.
    /// </summary>
    public decimal PayFor(decimal amount, int days, int daysInMonth) => MonthsPerAmount > 0
        ? amount * days / (MonthsPerAmount * daysInMonth)
        : amount * days / DaysPerAmount;

    /// <summary>How the amount is counted, for a line's explanation.</summary>
    public string Rule(int days, int daysInMonth) => Code switch
    {
        "monthly" => $"monthly × {days}/{daysInMonth} days",
        "daily" => $"daily × {days} calendar days",
        "weekly" => $"weekly ÷ 7 × {days} calendar days",
        _ => $"{Code} ÷ {MonthsPerAmount} per month × {days}/{daysInMonth} days",
    };
}
