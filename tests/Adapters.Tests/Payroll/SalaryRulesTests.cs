using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// How a salary is read from iHRIS's own records: the one accepted form of the salary strings, iHRIS's frequency codes
/// and their conversion, currencies, and the days of the month (records from their start, every contiguous role, the
/// ministry's dates). Each rule here fails without the code that makes it.
/// </summary>
public sealed class SalaryRulesTests
{
    private static readonly DateOnly September = new(2026, 9, 1); // 30 days
    private const string Record = "Basic/w1-salary";

    private static PayRuleSet Rules(Action<PayRuleSet>? change = null)
    {
        var rules = PayrollWorld.StandardRules();
        change?.Invoke(rules);
        return rules;
    }

    private static WorkerFacts Worker(params SalaryRecord[] salaries) =>
        new("w1", [PayrollWorld.Role("w1", "2020-01-01")], salaries, true, null);

    private static SalaryRecord Monthly(string? basic, string start = "2020-01-01", string? end = null, string? allowance = null, string? benefits = null) =>
        PayrollWorld.Salary(Record, basic, "monthly", start, end, allowance, benefits);

    private static SalaryPay Pay(WorkerFacts worker, PayRuleSet? rules = null, MinistryCalendar? calendar = null, DateOnly? period = null) =>
        new WorkerPay(rules ?? Rules(), calendar ?? MinistryCalendar.Utc).Salary(worker, period ?? September, "Salaried nurses");

    // 1. Salary text

    [Theory]
    [InlineData("1500", 1500)]
    [InlineData("1500.5", 1500.5)]
    [InlineData("1500.50", 1500.50)]
    [InlineData("0850.00", 850)]
    [InlineData("0", 0)]
    public void The_accepted_form_is_digits_with_an_optional_dot_and_at_most_the_currencys_decimals(string text, decimal expected)
    {
        var (amount, problem) = SalaryText.Parse(text, 2, "USD");
        Assert.Null(problem);
        Assert.Equal(expected, amount);
    }

    [Theory]
    [InlineData("1500,50", "comma")]
    [InlineData("1,500.50", "comma")]
    [InlineData("1 500", "space")]
    [InlineData("1500 ", "space")]
    [InlineData("fifteen hundred", "space")]
    [InlineData("abc", "not a plain number")]
    [InlineData("USD1500", "not a plain number")]
    [InlineData("1e3", "not a plain number")]
    [InlineData("-850", "negative")]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("1500.505", "3 decimals")]
    [InlineData("1500.", "ends with a '.'")]
    [InlineData(".50", "no digit before")]
    [InlineData("1.500.50", "more than one '.'")]
    public void Anything_else_sets_the_worker_aside_naming_the_field_the_value_and_the_record(string text, string why)
    {
        foreach (var field in SalaryParts.All)
        {
            var record = PayrollWorld.Salary(Record, field == SalaryParts.Basic ? text : "800.00", "monthly", "2020-01-01",
                allowance: field == SalaryParts.Allowance ? text : null, benefits: field == SalaryParts.Benefits ? text : null);
            var pay = Pay(Worker(record));

            Assert.True(pay.Held, $"{field} \"{text}\" was accepted");
            Assert.Equal(0m, pay.Amount);
            var problem = Assert.Single(pay.Problems);
            Assert.Equal((Record, field, text), (problem.Record, problem.Field, problem.Value));
            Assert.Contains(why, problem.Reason);
            Assert.Contains(field, problem.ToString());
            Assert.Contains(Record, problem.ToString());
        }
    }

    [Fact]
    public void A_missing_basic_salary_sets_the_worker_aside()
    {
        var problem = Assert.Single(Pay(Worker(Monthly(null))).Problems);
        Assert.Equal((SalaryParts.Basic, (string?)null), (problem.Field, problem.Value));
        Assert.Contains("missing", problem.Reason);
    }

    [Fact]
    public void The_decimals_allowed_are_the_currencys_own()
    {
        var ugx = Rules(r => { r.Currency = "UGX"; r.SalaryCurrency = "UGX"; });
        Assert.Equal(1500m, Pay(Worker(Monthly("1500")), ugx).Amount);
        var refused = Assert.Single(Pay(Worker(Monthly("1500.50")), ugx).Problems);
        Assert.Contains("UGX has no minor unit", refused.Reason);
        // Paid in shillings, a prorated salary is rounded to whole shillings: 1,000 × 14/30 = 466.67 → 467.
        var joined = Worker(Monthly("1000", start: "2026-09-17")) with { Roles = [PayrollWorld.Role("w1", "2026-09-17")] };
        Assert.Equal(467m, Pay(joined, ugx).Amount);
        Assert.Equal(1500.505m, SalaryText.Parse("1500.505", 3, "BHD").Amount);
        Assert.Contains(Rules(r => r.Currency = "BHD").Validate(), e => e.Contains("2 decimals at most"));
    }

    // 2. Frequency

    [Theory]
    [InlineData("daily", 9000.00)]       // 300 × 30 calendar days
    [InlineData("weekly", 1285.71)]      // 300 ÷ 7 × 30 = 1285.714…
    [InlineData("monthly", 300.00)]
    [InlineData("quaterly", 100.00)]     // 300 ÷ 3
    [InlineData("biannually", 50.00)]    // 300 ÷ 6
    [InlineData("annualy", 25.00)]       // 300 ÷ 12
    public void Each_iHRIS_frequency_code_becomes_a_month_by_its_stated_rule(string code, decimal expected)
    {
        var pay = Pay(Worker(PayrollWorld.Salary(Record, "300.00", code, "2020-01-01")));
        Assert.False(pay.Held, string.Join("; ", pay.Problems));
        Assert.Equal(expected, pay.Amount);
        Assert.Contains(code, pay.Explanation);
    }

    [Fact]
    public void Frequencies_prorate_by_calendar_days_too()
    {
        // Annual 12,000.00 from 16 September: 12,000 × 15 ÷ (12 × 30) = 500.00; quarterly 2,400.00 from the 10th: 2,400 × 21 ÷ 90 = 560.00.
        Assert.Equal(500.00m, Pay(Worker(PayrollWorld.Salary(Record, "12000.00", "annualy", "2026-09-16")) with
            { Roles = [PayrollWorld.Role("w1", "2026-09-16")] }).Amount);
        Assert.Equal(560.00m, Pay(Worker(PayrollWorld.Salary(Record, "2400.00", "quaterly", "2026-09-10")) with
            { Roles = [PayrollWorld.Role("w1", "2026-09-10")] }).Amount);
    }

    [Theory]
    [InlineData("Monthly")]
    [InlineData("annually")]
    [InlineData("quarterly")]
    [InlineData("yearly")]
    [InlineData("bi-annually")]
    [InlineData("fortnightly")]
    [InlineData(null)]
    public void An_unknown_or_missing_frequency_is_set_aside_not_assumed_monthly(string? code)
    {
        var record = new SalaryRecord(Record, "850.00", null, null, code, code is null ? null : PayFrequency.System, "2020-01-01", null, true);
        var problem = Assert.Single(Pay(Worker(record)).Problems);
        Assert.Equal(("frequency", code), (problem.Field, problem.Value));
        Assert.Contains(code is null ? "never assumed monthly" : "not an iHRIS frequency code", problem.Reason);
    }

    [Fact]
    public void A_frequency_from_another_code_system_is_set_aside()
    {
        var record = new SalaryRecord(Record, "850.00", null, null, "monthly", "http://example.org/frequencies", "2020-01-01", null, true);
        Assert.Contains("ihris-frequency-codesystem", Assert.Single(Pay(Worker(record)).Problems).Reason);
    }

    [Fact]
    public void The_frequency_codes_are_iHRISs_own_spelling()
    {
        // iHRIS/iHRIS ihris-backend/ihris-backend-site/ig/input/fsh/IhrisSalary.fsh, CodeSystem IhrisFrequency.
        Assert.Equal(["daily", "weekly", "monthly", "quaterly", "biannually", "annualy"], PayFrequency.All.Select(f => f.Code));
        Assert.Equal("http://ihris.org/fhir/CodeSystem/ihris-frequency-codesystem", PayFrequency.System);
    }

    // 3. Currency

    [Fact]
    public void A_salary_in_another_currency_is_set_aside_never_paid_one_to_one()
    {
        var rules = Rules(r => r.RoleSalaryFrequency = "monthly");
        var worker = new WorkerFacts("w1", [PayrollWorld.Role("w1", "2020-01-01") with { SalaryAmount = 120000m, SalaryCurrency = "KES" }], [], true, null);
        var held = Pay(worker, rules);
        var problem = Assert.Single(held.Problems);
        Assert.Equal(("PractitionerRole/w1-role", "KES"), (problem.Record, problem.Value));
        Assert.Contains("not the funding account's currency USD", problem.Reason);

        // Bare salary strings are in PayRules:SalaryCurrency: another one than the funding account's is set aside too.
        var kesStrings = Pay(Worker(Monthly("850.00")), Rules(r => r.SalaryCurrency = "KES"));
        Assert.Equal(("currency (PayRules:SalaryCurrency)", "KES"), (kesStrings.Problems.Single().Field, kesStrings.Problems.Single().Value));
    }

    [Fact]
    public void A_rate_a_person_maintains_converts_it_and_the_line_says_which_table()
    {
        var rules = Rules(r =>
        {
            r.RoleSalaryFrequency = "monthly";
            r.ExchangeRates = new ExchangeRateTable { Version = "2026-09 central bank mid-rate", MaintainedBy = "finance desk", Rates = { ["KES"] = 0.0077m } };
        });
        var worker = new WorkerFacts("w1", [PayrollWorld.Role("w1", "2020-01-01") with { SalaryAmount = 120000m, SalaryCurrency = "KES" }], [], true, null);
        var pay = Pay(worker, rules);
        Assert.False(pay.Held);
        Assert.Equal(924.00m, pay.Amount); // 120,000 × 0.0077
        Assert.Equal("USD", pay.Currency);
        Assert.Contains("0.0077 USD/KES", pay.Explanation);
        Assert.Contains("2026-09 central bank mid-rate", pay.Explanation);
    }

    [Fact]
    public void A_role_salary_has_no_frequency_so_the_rule_set_must_state_one()
    {
        var worker = new WorkerFacts("w1", [PayrollWorld.Role("w1", "2020-01-01") with { SalaryAmount = 900m, SalaryCurrency = "USD" }], [], true, null);
        Assert.Contains("not assumed monthly", Assert.Single(Pay(worker).Problems).Reason);
        Assert.Equal(900.00m, Pay(worker, Rules(r => r.RoleSalaryFrequency = "monthly")).Amount);
    }

    // 4. Dates

    [Fact]
    public void A_raise_entered_in_advance_is_paid_only_from_its_start()
    {
        var worker = Worker(PayrollWorld.Salary("Basic/w1-a", "850.00", "monthly", "2020-01-01"),
            PayrollWorld.Salary("Basic/w1-b", "1000.00", "monthly", "2026-10-01"));
        Assert.Equal(850.00m, Pay(worker).Amount);
        Assert.Equal(1000.00m, Pay(worker, period: new DateOnly(2026, 10, 1)).Amount);
    }

    [Fact]
    public void A_promotion_on_the_fifteenth_pays_both_parts_of_the_month()
    {
        var worker = new WorkerFacts("w1",
            [PayrollWorld.Role("w1", "2020-01-01", "2026-09-14", suffix: "nurse"), PayrollWorld.Role("w1", "2026-09-15", suffix: "senior")],
            [PayrollWorld.Salary("Basic/w1-a", "850.00", "monthly", "2020-01-01", "2026-09-14"),
             PayrollWorld.Salary("Basic/w1-b", "1200.00", "monthly", "2026-09-15")], true, null);
        var pay = Pay(worker);
        Assert.Equal(1036.67m, pay.Amount); // 850 × 14/30 + 1200 × 16/30 = 396.666… + 640
        Assert.Equal(30, pay.DaysEmployed);
        Assert.Contains("2026-09-01–2026-09-14", pay.Explanation);
        Assert.Contains("2026-09-15–2026-09-30", pay.Explanation);
    }

    [Fact]
    public void Dates_are_the_ministrys_not_UTC_instants()
    {
        // The role ends at 23:30 UTC on the 20th: in Kampala (UTC+3) that is already the 21st, worked in full.
        var worker = new WorkerFacts("w1", [PayrollWorld.Role("w1", "2020-01-01", "2026-09-20T23:30:00+00:00")],
            [Monthly("900.00")], false, new DateOnly(2026, 9, 21));
        Assert.Equal(630.00m, Pay(worker, calendar: MinistryCalendar.FromId("Africa/Kampala")).Amount); // 900 × 21/30
        Assert.Equal(600.00m, Pay(worker with { EmployedUntil = new DateOnly(2026, 9, 20) }).Amount);    // 900 × 20/30 in UTC
    }

    [Fact]
    public void A_record_not_current_and_never_ended_is_not_in_effect()
    {
        var worker = Worker(PayrollWorld.Salary("Basic/w1-old", "500.00", "monthly", "2019-01-01", current: false),
            PayrollWorld.Salary("Basic/w1-now", "700.00", "monthly", "2018-01-01"));
        Assert.Equal(700.00m, Pay(worker).Amount);
    }

    [Fact]
    public void Days_without_any_salary_set_the_worker_aside()
    {
        var worker = Worker(PayrollWorld.Salary("Basic/w1-a", "850.00", "monthly", "2020-01-01", "2026-09-10"),
            PayrollWorld.Salary("Basic/w1-b", "900.00", "monthly", "2026-09-15"));
        var problem = Assert.Single(Pay(worker).Problems);
        Assert.Contains("2026-09-11–2026-09-14", problem.Reason);
    }

    [Fact]
    public void A_role_without_a_start_or_with_a_partial_date_sets_the_worker_aside()
    {
        var noStart = new WorkerFacts("w1", [PayrollWorld.Role("w1", null!)], [Monthly("850.00")], true, null);
        Assert.Equal(("PractitionerRole/w1-role", "period.start"), (Pay(noStart).Problems.Single().Record, Pay(noStart).Problems.Single().Field));
        var partial = new WorkerFacts("w1", [PayrollWorld.Role("w1", "2026-09")], [Monthly("850.00")], true, null);
        Assert.Equal("2026-09", Assert.Single(Pay(partial).Problems).Value);
    }

    // Allowances and benefits

    [Fact]
    public void Allowances_are_paid_benefits_are_not_and_every_line_says_so()
    {
        var pay = Pay(Worker(Monthly("800.00", allowance: "100.00", benefits: "50.00")));
        Assert.Equal(900.00m, pay.Amount);
        Assert.Contains("pays basic salary and allowance; benefits not paid", pay.Explanation);
        Assert.Contains("benefits 50.00 USD recorded, not paid", pay.Explanation);

        var basicOnly = Pay(Worker(Monthly("800.00", allowance: "100.00")), Rules(r => r.PaidSalaryParts = [SalaryParts.Basic]));
        Assert.Equal(800.00m, basicOnly.Amount);
        Assert.Contains("allowance and benefits not paid", basicOnly.Explanation);
    }

    [Fact]
    public void A_rule_set_that_names_an_unknown_part_frequency_or_rate_is_refused_at_start()
    {
        var errors = Rules(r =>
        {
            r.PaidSalaryParts = ["bsalary", "bonus"];
            r.RoleSalaryFrequency = "Monthly";
            r.ExchangeRates = new ExchangeRateTable { Rates = { ["KES"] = 0m } };
        }).Validate().ToList();
        Assert.Contains(errors, e => e.Contains("'bonus'"));
        Assert.Contains(errors, e => e.Contains("RoleSalaryFrequency 'Monthly'"));
        Assert.Contains(errors, e => e.Contains("ExchangeRates:Version"));
        Assert.Contains(errors, e => e.Contains("KES must be above zero"));
    }
}
