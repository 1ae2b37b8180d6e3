using System.Globalization;
using System.Text;

namespace OneClickSuite.Payroll.PayRules;

/// <summary>
/// Pure pay arithmetic. Money is <see cref="decimal"/>; every line amount is rounded once, at the end, to 2 decimal
/// places with midpoint away from zero (12.345 → 12.35), so intermediate results keep full precision.
/// </summary>
public static class PayCalculator
{
    public static decimal Round(decimal amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);

    /// <summary>Rounded to a currency's minor digits (0 for UGX: no fraction of a shilling is ever paid).</summary>
    public static decimal Round(decimal amount, int digits) => Math.Round(amount, digits, MidpointRounding.AwayFromZero);

    /// <summary>First and last day of the month that <paramref name="period"/> falls in.</summary>
    public static (DateOnly First, DateOnly Last) MonthOf(DateOnly period)
    {
        var first = new DateOnly(period.Year, period.Month, 1);
        return (first, first.AddMonths(1).AddDays(-1));
    }

    /// <summary>Activity pay for one worker and period from the counts of every submission that counts.</summary>
    public static PayResult Incentive(string ruleName, IncentiveScheme scheme, string currency, IReadOnlyList<CountedSubmission> submissions,
        int digits = 2)
    {
        var text = new StringBuilder($"Rule \"{ruleName}\": ");
        decimal activityPay = 0;
        var parts = new List<string>();
        foreach (var (field, rate) in scheme.Rates.OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            var units = submissions.Sum(s => s.Counts.GetValueOrDefault(field));
            if (scheme.MaxUnits.TryGetValue(field, out var max) && units > max)
            {
                parts.Add($"{field} {units} (capped at {max}) × {Money(rate, currency)}");
                units = max;
            }
            else
            {
                parts.Add($"{field} {units} × {Money(rate, currency)}");
            }
            activityPay += units * rate;
        }
        text.Append(parts.Count == 0 ? "no activity rates" : string.Join(" + ", parts)).Append($" = {Money(activityPay, currency)}");
        if (scheme.Cap is { } cap && activityPay > cap)
        {
            activityPay = cap;
            text.Append($", capped at {Money(cap, currency)}");
        }
        if (activityPay > 0 && activityPay < scheme.Minimum)
        {
            text.Append($", below the minimum {Money(scheme.Minimum, currency)} so not paid");
            activityPay = 0;
        }
        if (scheme.Stipend > 0)
        {
            text.Append($"; stipend {Money(scheme.Stipend, currency)}");
        }
        text.Append(submissions.Count == 0
            ? "; no approved activity report"
            : "; submissions " + string.Join(", ", submissions.Select(s => s.SubmissionId)));
        return new PayResult(Round(activityPay + scheme.Stipend, digits), currency, text.ToString());
    }

    public static string Money(decimal amount, string currency) =>
        amount.ToString("0.00##", CultureInfo.InvariantCulture) + " " + currency;

}

public sealed record PayResult(decimal Amount, string Currency, string Explanation);

public sealed record CountedSubmission(string SubmissionId, IReadOnlyDictionary<string, int> Counts);
