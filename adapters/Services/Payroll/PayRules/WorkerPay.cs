using System.Globalization;
using System.Text;
using OneClickSuite.Contracts;

namespace OneClickSuite.Payroll.PayRules;

/// <summary>
/// Why a worker is not paid: the record at fault (<c>Basic/…</c>, <c>PractitionerRole/…</c>), the field, the value
/// exactly as iHRIS holds it, and the reason. Until it is fixed in iHRIS (or the rule set), nothing is paid for them.
/// </summary>
public sealed record PayProblem(string Record, string Field, string? Value, string Reason)
{
    public override string ToString() => $"{Record}: {Field} {(Value is null ? "(none)" : $"\"{Value}\"")} {Reason}";
}

/// <summary>
/// What Payroll knows of a worker to count their days and their salary: the roles and salary records as iHRIS wrote
/// them, whether the roster has them active, and (for a leaver) the last day of employment the roster gave.
/// </summary>
public sealed record WorkerFacts(
    string WorkerId,
    IReadOnlyList<RoleRecord> Roles,
    IReadOnlyList<SalaryRecord> Salaries,
    bool Active,
    DateOnly? EmployedUntil,
    DateOnly? EmployedFrom = null);

/// <summary>The days of a period a worker is employed (merged ranges), their first day ever, and what made days unknowable.</summary>
public sealed record EmploymentDays(IReadOnlyList<(DateOnly From, DateOnly To)> Ranges, DateOnly? FirstEmployed, IReadOnlyList<PayProblem> Problems)
{
    public int Count => Ranges.Sum(r => r.To.DayNumber - r.From.DayNumber + 1);
}

/// <summary>A salary for a period: the amount in the funding currency (rounded once), its explanation, or the problems.</summary>
public sealed record SalaryPay(decimal Amount, string Currency, string Explanation, int DaysEmployed, IReadOnlyList<PayProblem> Problems)
{
    public bool Held => Problems.Count > 0;
}

/// <summary>
/// A worker's pay for a month, day by day, from the raw iHRIS records:
/// <list type="number">
/// <item>Days employed: the union of every role's period (a promotion on the 15th is two contiguous roles, and both
/// parts count), inside the month, in the ministry's dates; a leaver's days stop at their last day.</item>
/// <item>Each employed day takes the salary record in effect that day (its period covers it; among several, the one
/// starting latest), else the salary of the role covering it. A record starting next month is not in effect this
/// month; one with <c>current</c> false and no end is not in effect at all.</item>
/// <item>Consecutive days with the same record form a segment paid by its frequency (<see cref="PayFrequency"/>), in
/// the funding currency (<see cref="ExchangeRateTable"/>); segments are summed and rounded once.</item>
/// </list>
/// Anything unreadable in a record that the month needs is a <see cref="PayProblem"/>, and the whole salary is held.
/// </summary>
public sealed class WorkerPay(PayRuleSet rules, MinistryCalendar calendar)
{
    /// <summary>Days of [<paramref name="first"/>, <paramref name="last"/>] the worker is employed.</summary>
    public EmploymentDays Employment(WorkerFacts worker, DateOnly first, DateOnly last)
    {
        var problems = new List<PayProblem>();
        var ranges = new List<(DateOnly From, DateOnly To)>();
        DateOnly? firstEmployed = null;
        var roles = worker.Roles;
        if (roles.Count == 0 && worker.EmployedFrom is { } legacyFrom)
        {
            // Only a start and an end are known (a worker stored before roles were carried): one employment.
            roles = [new RoleRecord($"Practitioner/{worker.WorkerId}", null, null, Iso(legacyFrom), worker.EmployedUntil is { } u ? Iso(u) : null, true)];
        }
        if (roles.Count == 0)
        {
            problems.Add(new PayProblem($"Practitioner/{worker.WorkerId}", "PractitionerRole", null,
                "is missing: no role says from when the worker is employed"));
        }
        foreach (var role in roles)
        {
            if (role.Active == false) continue; // made inactive in iHRIS: its days do not count
            if (!calendar.TryDateOf(role.Start, out var start))
            {
                problems.Add(new PayProblem(role.Reference, "period.start", role.Start, role.Start is null
                    ? "is missing: the first day of employment is needed to pay"
                    : "is not a full date (yyyy-MM-dd): the first day of employment is needed to pay"));
                continue;
            }
            DateOnly? end = null;
            if (!string.IsNullOrWhiteSpace(role.End))
            {
                if (!calendar.TryDateOf(role.End, out var parsedEnd))
                {
                    problems.Add(new PayProblem(role.Reference, "period.end", role.End, "is not a full date (yyyy-MM-dd)"));
                    continue;
                }
                if (parsedEnd < start)
                {
                    problems.Add(new PayProblem(role.Reference, "period.end", role.End, $"is before period.start {role.Start}"));
                    continue;
                }
                end = parsedEnd;
            }
            firstEmployed = firstEmployed is { } known && known < start ? known : start;
            var from = start > first ? start : first;
            var to = end is { } e && e < last ? e : last;
            if (!worker.Active && worker.EmployedUntil is { } until && until < to) to = until;
            if (from <= to) ranges.Add((from, to));
        }
        return new EmploymentDays(Merge(ranges), firstEmployed, problems);
    }

    /// <summary>The salary for the month of <paramref name="period"/>, or why it cannot be paid.</summary>
    public SalaryPay Salary(WorkerFacts worker, DateOnly period, string ruleName)
    {
        var (first, last) = PayCalculator.MonthOf(period);
        var daysInMonth = last.Day;
        var employment = Employment(worker, first, last);
        var problems = new List<PayProblem>(employment.Problems);
        var employed = employment.Count;
        if (employed == 0 || problems.Count > 0)
        {
            return new SalaryPay(0, rules.Currency, "", employed, problems);
        }

        var records = RecordsInEffect(worker, first, last, problems);
        // Each employed day's source: the record in effect that day, else the role covering it.
        var segments = new List<Segment>();
        // Latest start first (then the higher reference): the first record covering a day is the one in effect.
        records.Sort((a, b) => b.Start != a.Start ? b.Start.CompareTo(a.Start) : string.CompareOrdinal(b.Reference, a.Reference));
        var roleSalaries = RoleSalaries(worker);
        foreach (var (from, to) in employment.Ranges)
        {
            for (var day = from; day <= to; day = day.AddDays(1))
            {
                object? source = null;
                foreach (var record in records)
                {
                    if (record.Start <= day && (record.End is null || record.End >= day))
                    {
                        source = record;
                        break;
                    }
                }
                if (source is null)
                {
                    foreach (var role in roleSalaries)
                    {
                        if (role.Start <= day && (role.End is null || role.End >= day))
                        {
                            source = role;
                            break;
                        }
                    }
                }
                if (segments.Count > 0 && segments[^1].Source == source && segments[^1].To.AddDays(1) == day)
                {
                    segments[^1] = segments[^1] with { To = day };
                }
                else
                {
                    segments.Add(new Segment(day, day, source));
                }
            }
        }
        foreach (var gap in segments.Where(s => s.Source is null))
        {
            problems.Add(new PayProblem($"Practitioner/{worker.WorkerId}", SalaryParts.Basic, null,
                $"no salary record (nor role salary) covers {Range(gap.From, gap.To)}, when the worker is employed"));
        }
        var paid = segments.Where(s => s.Source is not null).Select(s => (Segment: s, Priced: Price(s, problems))).ToList();
        if (problems.Count > 0)
        {
            return new SalaryPay(0, rules.Currency, "", employed, problems);
        }

        decimal exact = 0;
        var text = new StringBuilder($"Salary, rule \"{ruleName}\" ({PartsPaidText()}): ");
        var parts = new List<string>();
        foreach (var (segment, priced) in paid)
        {
            var days = segment.To.DayNumber - segment.From.DayNumber + 1;
            var amount = priced!.Frequency.PayFor(priced.Amount * priced.Rate, days, daysInMonth);
            exact += amount;
            var conversion = priced.Rate == 1 ? "" :
                $" × {priced.Rate.ToString(CultureInfo.InvariantCulture)} {rules.Currency}/{priced.Currency} (exchange rates {rules.ExchangeRates.Version}" +
                (rules.ExchangeRates.MaintainedBy is { } by ? $", kept by {by}" : "") + ")";
            parts.Add($"{Range(segment.From, segment.To)} {priced.Reference}: {priced.Description} {priced.Currency}{conversion} " +
                      $"{priced.Frequency.Rule(days, daysInMonth)} = {PayCalculator.Money(PayCalculator.Round(amount), rules.Currency)}" +
                      (priced.NotPaid.Length > 0 ? $" ({priced.NotPaid})" : ""));
        }
        text.Append(string.Join("; ", parts));
        var total = PayCalculator.Round(exact, Currencies.MinorDigitsOf(rules.Currency, rules) ?? 2);
        text.Append(employed == daysInMonth ? "" : $"; employed {employed} of {daysInMonth} days");
        text.Append($"; total {PayCalculator.Money(total, rules.Currency)}");
        return new SalaryPay(total, rules.Currency, text.ToString(), employed, []);
    }

    /// <summary>
    /// Everything that keeps the worker's salary from being paid for the current or the previous month (what a run may
    /// pay without a stated reason), for the holds list; empty when both can be paid.
    /// </summary>
    public IReadOnlyList<PayProblem> Problems(WorkerFacts worker, DateOnly today, string ruleName, bool salaried)
    {
        var current = new DateOnly(today.Year, today.Month, 1);
        // A leaver's final month too, however long ago: what keeps their final pay from being paid holds them until
        // it is fixed (or they are closed), so their account is never closed on a final pay nobody could compute.
        var months = new List<DateOnly> { current.AddMonths(-1), current };
        if (!worker.Active && worker.EmployedUntil is { } until && new DateOnly(until.Year, until.Month, 1) is var final && !months.Contains(final))
        {
            months.Insert(0, final);
        }
        var problems = new List<PayProblem>();
        foreach (var month in months)
        {
            var found = salaried
                ? Salary(worker, month, ruleName).Problems
                : Employment(worker, month, PayCalculator.MonthOf(month).Last).Problems;
            problems.AddRange(found.Where(p => !problems.Contains(p)));
        }
        return problems;
    }

    private string PartsPaidText()
    {
        var paid = SalaryParts.All.Where(rules.PaidSalaryParts.Contains).Select(SalaryParts.Label).ToList();
        var notPaid = SalaryParts.All.Where(p => !rules.PaidSalaryParts.Contains(p)).Select(SalaryParts.Label).ToList();
        return "pays " + Join(paid) + (notPaid.Count > 0 ? $"; {Join(notPaid)} not paid" : "");
    }

    private static string Join(IReadOnlyList<string> items) => items.Count switch
    {
        0 => "nothing",
        1 => items[0],
        _ => string.Join(", ", items.Take(items.Count - 1)) + " and " + items[^1],
    };

    private sealed record Segment(DateOnly From, DateOnly To, object? Source);

    /// <summary>A salary record that can be in effect in the month, its texts read.</summary>
    private sealed record ParsedRecord(string Reference, DateOnly Start, DateOnly? End, SalaryRecord Raw);

    /// <summary>A segment's source turned into money: the amount paid per <see cref="Frequency"/> before conversion.</summary>
    private sealed record Priced(string Reference, decimal Amount, string Currency, decimal Rate, PayFrequency Frequency, string Description, string NotPaid);

    /// <summary>A role's own salary and the days it covers.</summary>
    private sealed record RoleSalary(RoleRecord Role, DateOnly Start, DateOnly? End);

    /// <summary>The records whose dates are readable and that can be in effect in [first, last]; unreadable dates are problems.</summary>
    private List<ParsedRecord> RecordsInEffect(WorkerFacts worker, DateOnly first, DateOnly last, List<PayProblem> problems)
    {
        var records = new List<ParsedRecord>();
        foreach (var record in worker.Salaries)
        {
            if (!calendar.TryDateOf(record.Start, out var start))
            {
                problems.Add(new PayProblem(record.Reference, "period.start", record.Start, record.Start is null
                    ? "is missing: a salary counts only from its start"
                    : "is not a full date (yyyy-MM-dd): a salary counts only from its start"));
                continue;
            }
            DateOnly? end = null;
            if (!string.IsNullOrWhiteSpace(record.End))
            {
                if (!calendar.TryDateOf(record.End, out var parsedEnd))
                {
                    problems.Add(new PayProblem(record.Reference, "period.end", record.End, "is not a full date (yyyy-MM-dd)"));
                    continue;
                }
                end = parsedEnd;
            }
            if (record.Current == false && end is null) continue; // marked not current and never ended: not in effect
            if (start > last || end < first) continue;
            records.Add(new ParsedRecord(record.Reference, start, end, record));
        }
        return records;
    }

    /// <summary>Roles with a salary of their own, latest start first (their dates were checked with the employment).</summary>
    private List<RoleSalary> RoleSalaries(WorkerFacts worker) =>
        worker.Roles.Where(r => r.Active != false && r.SalaryAmount is not null && calendar.TryDateOf(r.Start, out _))
            .Select(r => new RoleSalary(r, calendar.DateOrNull(r.Start)!.Value, calendar.DateOrNull(r.End)))
            .OrderByDescending(r => r.Start).ThenByDescending(r => r.Role.Reference, StringComparer.Ordinal).ToList();

    /// <summary>The money of a segment's source, or null with the problems added.</summary>
    private Priced? Price(Segment segment, List<PayProblem> problems) => segment.Source switch
    {
        ParsedRecord record => PriceRecord(record, problems),
        RoleSalary role => PriceRole(role.Role, problems),
        _ => null,
    };

    private Priced? PriceRecord(ParsedRecord record, List<PayProblem> problems)
    {
        var raw = record.Raw;
        var before = problems.Count;
        var currency = rules.SalaryCurrency;
        var digits = Currencies.MinorDigitsOf(currency, rules);
        if (digits is null)
        {
            Add(problems, new PayProblem(record.Reference, "currency", currency, "(PayRules:SalaryCurrency) has no known minor digits"));
            return null;
        }
        var amounts = new Dictionary<string, decimal>();
        foreach (var (part, text) in new[] { (SalaryParts.Basic, raw.BasicSalary), (SalaryParts.Allowance, raw.Allowance), (SalaryParts.Benefits, raw.Benefits) })
        {
            if (text is null && part != SalaryParts.Basic) continue;
            var (amount, problem) = SalaryText.Parse(text, digits.Value, currency);
            if (problem is not null) Add(problems, new PayProblem(record.Reference, part, text, problem));
            else amounts[part] = amount!.Value;
        }
        var frequency = FrequencyOf(record.Reference, raw.Frequency, raw.FrequencySystem, problems);
        var rate = RateOf(record.Reference, currency, "currency (PayRules:SalaryCurrency)", problems);
        if (problems.Count > before || frequency is null || rate is null) return null;

        var paidParts = SalaryParts.All.Where(p => amounts.ContainsKey(p) && rules.PaidSalaryParts.Contains(p)).ToList();
        var notPaid = SalaryParts.All.Where(p => amounts.ContainsKey(p) && !rules.PaidSalaryParts.Contains(p))
            .Select(p => $"{SalaryParts.Label(p)} {PayCalculator.Money(amounts[p], currency)} recorded, not paid").ToList();
        var paid = paidParts.Sum(p => amounts[p]);
        var description = paidParts.Count == 1
            ? $"{SalaryParts.Label(paidParts[0])} {Plain(paid)}"
            : string.Join(" + ", paidParts.Select(p => $"{SalaryParts.Label(p)} {Plain(amounts[p])}")) + $" = {Plain(paid)}";
        return new Priced(record.Reference, paid, currency, rate.Value, frequency, description, string.Join("; ", notPaid));
    }

    private Priced? PriceRole(RoleRecord role, List<PayProblem> problems)
    {
        var before = problems.Count;
        var value = role.SalaryAmount!.Value;
        var text = value.ToString(CultureInfo.InvariantCulture);
        var currency = role.SalaryCurrency;
        if (string.IsNullOrWhiteSpace(currency))
        {
            Add(problems, new PayProblem(role.Reference, "ihris-practitionerrole-salary.currency", null, "is missing: a role's salary is Money with its own currency"));
            return null;
        }
        var digits = Currencies.MinorDigitsOf(currency, rules);
        if (digits is null) Add(problems, new PayProblem(role.Reference, "ihris-practitionerrole-salary.currency", currency, "has no known minor digits"));
        else if (value < 0) Add(problems, new PayProblem(role.Reference, "ihris-practitionerrole-salary", text, "is negative"));
        else if (decimal.Round(value, digits.Value) != value)
            Add(problems, new PayProblem(role.Reference, "ihris-practitionerrole-salary", text, $"has more decimals than {currency}'s {digits}"));
        PayFrequency? frequency = null;
        if (rules.RoleSalaryFrequency is null)
        {
            Add(problems, new PayProblem(role.Reference, "ihris-practitionerrole-salary", $"{text} {currency}",
                "has no frequency, and PayRules:RoleSalaryFrequency states none: it is not assumed monthly"));
        }
        else
        {
            frequency = PayFrequency.Find(rules.RoleSalaryFrequency);
        }
        var rate = RateOf(role.Reference, currency, "ihris-practitionerrole-salary.currency", problems);
        if (problems.Count > before || frequency is null || rate is null) return null;
        return new Priced(role.Reference, value, currency, rate.Value, frequency, $"role salary {Plain(value)}", "");
    }

    private static PayFrequency? FrequencyOf(string reference, string? code, string? system, List<PayProblem> problems)
    {
        if (system is not null && system != PayFrequency.System)
        {
            Add(problems, new PayProblem(reference, "frequency", $"{system}#{code}", $"is not from iHRIS's CodeSystem {PayFrequency.System}"));
            return null;
        }
        if (string.IsNullOrWhiteSpace(code))
        {
            Add(problems, new PayProblem(reference, "frequency", code, "is missing: a salary's frequency is never assumed monthly"));
            return null;
        }
        var frequency = PayFrequency.Find(code);
        if (frequency is null)
        {
            Add(problems, new PayProblem(reference, "frequency", code,
                $"is not an iHRIS frequency code ({string.Join(", ", PayFrequency.All.Select(f => f.Code))})"));
        }
        return frequency;
    }

    private decimal? RateOf(string reference, string currency, string field, List<PayProblem> problems)
    {
        if (currency == rules.Currency) return 1m;
        if (rules.ExchangeRates.RateOf(currency) is { } rate) return rate;
        Add(problems, new PayProblem(reference, field, currency,
            $"is not the funding account's currency {rules.Currency}, and PayRules:ExchangeRates has no rate for it: set aside, never paid 1:1"));
        return null;
    }

    private static void Add(List<PayProblem> problems, PayProblem problem)
    {
        if (!problems.Contains(problem)) problems.Add(problem);
    }

    private static List<(DateOnly From, DateOnly To)> Merge(List<(DateOnly From, DateOnly To)> ranges)
    {
        var merged = new List<(DateOnly From, DateOnly To)>();
        foreach (var range in ranges.OrderBy(r => r.From))
        {
            if (merged.Count > 0 && range.From <= merged[^1].To.AddDays(1))
            {
                if (range.To > merged[^1].To) merged[^1] = (merged[^1].From, range.To);
            }
            else
            {
                merged.Add(range);
            }
        }
        return merged;
    }

    private static string Range(DateOnly from, DateOnly to) => from == to ? Iso(from) : $"{Iso(from)}–{Iso(to)}";

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Plain(decimal amount) => amount.ToString("0.00##", CultureInfo.InvariantCulture);
}
