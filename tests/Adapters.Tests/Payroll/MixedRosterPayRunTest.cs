using System.Globalization;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// One pay run over a roster that mixes every case of the issue: each frequency, joiners, leavers (one whose end is a
/// dateTime that falls on another day in the ministry's zone), a promotion mid-month, a raise entered in advance,
/// allowances and benefits, a role salary in another currency with a rate and one without, community health
/// workers, someone starting next month, and every salary text that must be set aside. The expected lines are worked
/// out here, independently of Payroll's code, by counting each record's days from the raw records; they must match
/// to the cent.
/// </summary>
public sealed class MixedRosterPayRunTest
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset At = new(2026, 10, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly First = new(2026, 9, 1);
    private static readonly DateOnly Last = new(2026, 9, 30);
    private static readonly TimeZoneInfo Kampala = TimeZoneInfo.FindSystemTimeZoneById("Africa/Kampala");
    private const decimal KesRate = 0.0077m;

    private static WorkerSnapshot Salaried(string id, (string Start, string? End)[] roles, params SalaryRecord[] salaries) =>
        PayrollWorld.Nurse(id, 0m) with
        {
            Roles = roles.Select((r, i) => PayrollWorld.Role(id, r.Start, r.End, suffix: $"role{i + 1}")).ToList(),
            Salaries = salaries.ToList(),
        };

    private static SalaryRecord S(string id, string? text, string? frequency, string start, string? end = null, string? allowance = null,
        string? benefits = null, int n = 1) => PayrollWorld.Salary($"Basic/{id}-s{n}", text, frequency, start, end, allowance, benefits);

    private static readonly (string, string?)[] Always = [("2019-01-01", null)];

    [Fact]
    public async Task A_run_over_a_roster_mixing_every_case_pays_each_line_to_the_cent_as_counted_by_day_from_the_raw_records()
    {
        var rules = PayrollWorld.StandardRules();
        rules.RoleSalaryFrequency = "monthly";
        rules.ExchangeRates = new ExchangeRateTable { Version = "test 2026-09", Rates = { ["KES"] = KesRate } };
        await using var world = await PayrollWorld.CreateAsync(rules, MinistryCalendar.FromId("Africa/Kampala"));

        var paid = new List<WorkerSnapshot>
        {
            Salaried("full", Always, S("full", "850.00", "monthly", "2019-01-01")),
            Salaried("joiner", [("2026-09-16", null)], S("joiner", "900.00", "monthly", "2026-09-16")),
            Salaried("promoted", [("2019-01-01", "2026-09-14"), ("2026-09-15", null)],
                S("promoted", "850.00", "monthly", "2019-01-01", "2026-09-14"), S("promoted", "1200.00", "monthly", "2026-09-15", n: 2)),
            Salaried("raise-ahead", Always, S("raise-ahead", "850.00", "monthly", "2019-01-01"), S("raise-ahead", "1000.00", "monthly", "2026-10-01", n: 2)),
            Salaried("annual", Always, S("annual", "12000.00", "annualy", "2019-01-01")),
            Salaried("quarter", [("2026-09-10", null)], S("quarter", "2400.00", "quaterly", "2026-09-10")),
            Salaried("biannual", Always, S("biannual", "3000", "biannually", "2019-01-01")),
            Salaried("weekly", Always, S("weekly", "210.00", "weekly", "2019-01-01")),
            Salaried("daily", [("2026-09-21", null)], S("daily", "15.50", "daily", "2026-09-21")),
            Salaried("allowance", Always, S("allowance", "800.00", "monthly", "2019-01-01", allowance: "100.00", benefits: "50.00")),
            Salaried("kes", Always) with { Roles = [PayrollWorld.Role("kes", "2019-01-01") with { SalaryAmount = 120000m, SalaryCurrency = "KES" }] },
            Salaried("no-start-yet", [("2026-10-01", null)], S("no-start-yet", "850.00", "monthly", "2026-10-01")),
        };
        var leavers = new List<WorkerSnapshot>
        {
            Salaried("leaver", [("2019-01-01", "2026-09-20")], S("leaver", "600.00", "monthly", "2019-01-01")) with
                { Active = false, EmployedUntil = new DateOnly(2026, 9, 20) },
            // 22:30 UTC on the 20th is the 21st in Kampala: worked.
            Salaried("tz-leaver", [("2019-01-01", "2026-09-20T22:30:00Z")], S("tz-leaver", "900.00", "monthly", "2019-01-01")) with
                { Active = false, EmployedUntil = new DateOnly(2026, 9, 21) },
        };
        var setAside = new (WorkerSnapshot Worker, string Record, string Field, string? Value)[]
        {
            (Salaried("comma", Always, S("comma", "1500,50", "monthly", "2019-01-01")), "Basic/comma-s1", "bsalary", "1500,50"),
            (Salaried("thousands", Always, S("thousands", "1,500.50", "monthly", "2019-01-01")), "Basic/thousands-s1", "bsalary", "1,500.50"),
            (Salaried("space", Always, S("space", "1 500", "monthly", "2019-01-01")), "Basic/space-s1", "bsalary", "1 500"),
            (Salaried("letters", Always, S("letters", "850USD", "monthly", "2019-01-01")), "Basic/letters-s1", "bsalary", "850USD"),
            (Salaried("negative", Always, S("negative", "-850", "monthly", "2019-01-01")), "Basic/negative-s1", "bsalary", "-850"),
            (Salaried("empty", Always, S("empty", "", "monthly", "2019-01-01")), "Basic/empty-s1", "bsalary", ""),
            (Salaried("bad-allowance", Always, S("bad-allowance", "800.00", "monthly", "2019-01-01", allowance: "1oo")), "Basic/bad-allowance-s1", "allowance", "1oo"),
            (Salaried("bad-benefits", Always, S("bad-benefits", "800.00", "monthly", "2019-01-01", benefits: "fifty")), "Basic/bad-benefits-s1", "benefits", "fifty"),
            (Salaried("no-frequency", Always, S("no-frequency", "850.00", null, "2019-01-01")), "Basic/no-frequency-s1", "frequency", null),
            (Salaried("yearly", Always, S("yearly", "12000.00", "yearly", "2019-01-01")), "Basic/yearly-s1", "frequency", "yearly"),
            (Salaried("tzs", Always) with { Roles = [PayrollWorld.Role("tzs", "2019-01-01") with { SalaryAmount = 2000000m, SalaryCurrency = "TZS" }] },
                "PractitionerRole/tzs-role", "ihris-practitionerrole-salary.currency", "TZS"),
            (Salaried("undated", [("2026-09", null)], S("undated", "850.00", "monthly", "2019-01-01")), "PractitionerRole/undated-role1", "period.start", "2026-09"),
        };
        var chws = new List<WorkerSnapshot> { PayrollWorld.Chw("chw", start: "2019-01-01"), PayrollWorld.Chw("chw-new", start: "2026-09-25") };

        foreach (var worker in paid.Concat(setAside.Select(s => s.Worker)).Concat(chws))
            await world.Workforce.ApplyRosterEventAsync(new WorkerRegisteredV1(worker, 1, At), Ct);
        foreach (var leaver in leavers)
            await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(leaver, 2, At), Ct);
        await world.ReportAsync("r1", "chw", First, households: 40, referrals: 3);
        await world.ReportAsync("r2", "chw", First, households: 20, referrals: 0);

        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);

        // Worked out here from the raw records, day by day.
        var expected = paid.Concat(leavers).ToDictionary(w => w.WorkerId, ExpectedSalary);
        expected["chw"] = (40 + 20) * 0.50m + 3 * 2.00m + 20.00m; // rates, then the stipend
        expected["chw-new"] = 20.00m;                             // joined on the 25th: stipend only, no report
        foreach (var (worker, amount) in expected.Where(e => e.Value == 0).ToList()) expected.Remove(worker);

        Assert.Equal(expected.Keys.Order(), lines.Keys.Order());
        foreach (var (worker, amount) in expected)
        {
            Assert.True(amount == lines[worker].Amount, $"{worker}: expected {amount}, the run has {lines[worker].Amount} ({lines[worker].Explanation})");
            Assert.Equal("USD", lines[worker].Currency);
        }
        Assert.Equal(expected.Values.Sum(), run.Total);
        Assert.Equal(expected.Values.Sum(), run.TotalsByCurrency!["USD"]);

        // Spot checks of the explanation a person reads.
        Assert.Contains("2026-09-01–2026-09-14", lines["promoted"].Explanation);
        Assert.Contains("annualy ÷ 12", lines["annual"].Explanation);
        Assert.Contains("benefits 50.00 USD recorded, not paid", lines["allowance"].Explanation);
        Assert.Contains("0.0077 USD/KES", lines["kes"].Explanation);
        Assert.Contains("employed 21 of 30 days", lines["tz-leaver"].Explanation);

        // Everyone set aside is named with the field, the value and the record; nothing is paid to them.
        foreach (var (worker, record, field, value) in setAside)
        {
            Assert.DoesNotContain(worker.WorkerId, lines.Keys);
            var warning = Assert.Single(run.Warnings!, w => w.StartsWith($"{worker.EmployeeNumber} ", StringComparison.Ordinal));
            Assert.Contains(record, warning);
            Assert.Contains(value is null ? $"{field} (none)" : $"{field} \"{value}\"", warning);
            Assert.Contains(await world.Holds.ListAsync(worker.WorkerId, Ct), h => h.Record == record && h.Field == field && h.Value == value);
        }

        // Approved and paid: every request carries exactly the expected amount.
        await world.Lifecycle.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);
        await world.Lifecycle.ApproveAsync(run.Id, PayrollWorld.Checker, Ct);
        var requested = world.Outbox.Sent.Where(r => r.PayRunId == run.Id).ToDictionary(r => r.WorkerId, r => r.Amount);
        Assert.Equal(expected.OrderBy(e => e.Key), requested.OrderBy(r => r.Key));
    }

    /// <summary>
    /// The month's salary counted by hand: for each day of September, is the worker employed (a role covers it), and
    /// which record is in effect (the latest-starting one covering it, else the role's own salary)? Then each record's
    /// days × its amount (basic + allowance, in USD) ÷ its frequency's divisor (calendar days: a month of 30 days is
    /// 30, a quarter 90, half a year 180, a year 360, a week 7, a day 1), summed and rounded once.
    /// </summary>
    private static decimal ExpectedSalary(WorkerSnapshot worker)
    {
        var days = new Dictionary<string, int>();
        for (var day = First; day <= Last; day = day.AddDays(1))
        {
            if (!worker.Roles.Any(r => Day(r.Start!) <= day && (r.End is null || Day(r.End) >= day))) continue;
            if (!worker.Active && worker.EmployedUntil < day) continue;
            var record = worker.Salaries
                .Where(s => Day(s.Start!) <= day && (s.End is null || Day(s.End) >= day))
                .OrderByDescending(s => Day(s.Start!)).FirstOrDefault();
            var key = record?.Reference ?? worker.Roles.First(r => r.SalaryAmount is not null).Reference;
            days[key] = days.GetValueOrDefault(key) + 1;
        }
        decimal total = 0;
        foreach (var (reference, count) in days)
        {
            var record = worker.Salaries.FirstOrDefault(s => s.Reference == reference);
            decimal amount, divisor;
            if (record is not null)
            {
                amount = decimal.Parse(record.BasicSalary!, CultureInfo.InvariantCulture) +
                         (record.Allowance is null ? 0 : decimal.Parse(record.Allowance, CultureInfo.InvariantCulture));
                divisor = record.Frequency switch
                {
                    "monthly" => 30, "quaterly" => 90, "biannually" => 180, "annualy" => 360, "weekly" => 7, "daily" => 1,
                    _ => throw new InvalidOperationException(record.Frequency),
                };
            }
            else
            {
                var role = worker.Roles.Single(r => r.Reference == reference);
                amount = role.SalaryAmount!.Value * (role.SalaryCurrency == "KES" ? KesRate : 1m);
                divisor = 30;
            }
            total += amount * count / divisor;
        }
        return Math.Round(total, 2, MidpointRounding.AwayFromZero);
    }

    private static DateOnly Day(string fhir) => fhir.Contains('T')
        ? DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.Parse(fhir, CultureInfo.InvariantCulture), Kampala).DateTime)
        : DateOnly.ParseExact(fhir, "yyyy-MM-dd", CultureInfo.InvariantCulture);
}
