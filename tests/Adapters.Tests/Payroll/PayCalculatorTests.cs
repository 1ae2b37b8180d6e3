using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Tests;

public sealed class PayCalculatorTests
{
    private static readonly DateOnly September = new(2026, 9, 1); // 30 days
    private static readonly DateOnly October = new(2026, 10, 1);  // 31 days

    [Fact]
    public void Full_month_pays_the_monthly_salary()
    {
        var pay = PayCalculator.Salary(850m, "USD", September, new DateOnly(2021, 2, 1), null);
        Assert.Equal(850.00m, pay.Amount);
        Assert.DoesNotContain("days employed", pay.Explanation);
    }

    [Fact]
    public void Start_inside_the_month_is_prorated_by_calendar_days()
    {
        // Employed 16–30 September: 15 of 30 days.
        var pay = PayCalculator.Salary(850m, "USD", September, new DateOnly(2026, 9, 16), null);
        Assert.Equal(425.00m, pay.Amount);
        Assert.Contains("15/30 days employed (2026-09-16–2026-09-30)", pay.Explanation);
    }

    [Fact]
    public void End_inside_the_month_is_prorated_and_rounded_half_away_from_zero()
    {
        // Employed 1–10 October: 1000 × 10/31 = 322.580645… → 322.58; 1200 × 1/31 = 38.709677… → 38.71.
        Assert.Equal(322.58m, PayCalculator.Salary(1000m, "USD", October, null, new DateOnly(2026, 10, 10)).Amount);
        Assert.Equal(38.71m, PayCalculator.Salary(1200m, "USD", October, new DateOnly(2026, 10, 31), null).Amount);
        // 0.125 → 0.13 (midpoint away from zero, not banker's rounding to 0.12).
        Assert.Equal(0.13m, PayCalculator.Round(0.125m));
    }

    [Fact]
    public void Start_and_end_inside_the_same_month()
    {
        var pay = PayCalculator.Salary(900m, "USD", September, new DateOnly(2026, 9, 11), new DateOnly(2026, 9, 20));
        Assert.Equal(300.00m, pay.Amount);
    }

    [Fact]
    public void Employment_outside_the_month_pays_nothing()
    {
        Assert.Equal(0m, PayCalculator.Salary(900m, "USD", September, new DateOnly(2026, 10, 1), null).Amount);
        Assert.Equal(0m, PayCalculator.Salary(900m, "USD", September, null, new DateOnly(2026, 8, 31)).Amount);
    }

    private static IncentiveScheme Scheme() => new()
    {
        Rates = new() { ["households_visited"] = 0.50m, ["referrals"] = 2.00m },
        MaxUnits = new() { ["households_visited"] = 300 },
        Cap = 150m,
        Minimum = 5m,
        Stipend = 20m,
    };

    private static CountedSubmission Report(string id, int households, int referrals) =>
        new(id, new Dictionary<string, int> { ["households_visited"] = households, ["referrals"] = referrals });

    [Fact]
    public void Incentive_adds_rates_over_all_reports_of_the_period_plus_stipend()
    {
        // (40 + 20) × 0.50 + (3 + 2) × 2.00 = 40.00, plus stipend 20.00.
        var pay = PayCalculator.Incentive("CHW", Scheme(), "USD", [Report("s1", 40, 3), Report("s2", 20, 2)]);
        Assert.Equal(60.00m, pay.Amount);
        Assert.Contains("s1, s2", pay.Explanation);
    }

    [Fact]
    public void Incentive_is_capped_per_period_and_units_per_field()
    {
        // 500 visits count as 300 (MaxUnits) → 150.00; + 20 referrals × 2 = 190 → capped at 150; + stipend 20.
        var pay = PayCalculator.Incentive("CHW", Scheme(), "USD", [Report("s1", 500, 20)]);
        Assert.Equal(170.00m, pay.Amount);
        Assert.Contains("capped at 300", pay.Explanation);
        Assert.Contains("capped at 150.00 USD", pay.Explanation);
    }

    [Fact]
    public void Incentive_below_the_minimum_is_not_paid_but_the_stipend_is()
    {
        // 6 × 0.50 + 0 = 3.00 < 5.00 minimum.
        var pay = PayCalculator.Incentive("CHW", Scheme(), "USD", [Report("s1", 6, 0)]);
        Assert.Equal(20.00m, pay.Amount);
        Assert.Contains("below the minimum", pay.Explanation);

        // Exactly the minimum is paid: 10 × 0.50 = 5.00.
        Assert.Equal(25.00m, PayCalculator.Incentive("CHW", Scheme(), "USD", [Report("s1", 10, 0)]).Amount);
    }

    [Fact]
    public void Rule_by_job_code_wins_over_rule_by_cadre()
    {
        var rules = PayrollWorld.StandardRules();
        rules.Rules.Add(new PayRule { Name = "Cadre-wide", Kind = PayRuleKind.Salary, Cadres = ["Community health worker"] });
        Assert.Equal("CHW incentive", rules.RuleFor(PayrollWorld.ChwJob, "Community health worker")!.Name);
        Assert.Equal("Cadre-wide", rules.RuleFor("9999-9Z", "community health worker")!.Name);
        Assert.Null(rules.RuleFor("9999-9Z", "Surgeon"));
    }

    [Fact]
    public void Invalid_rule_sets_are_refused()
    {
        var rules = PayrollWorld.StandardRules();
        rules.Version = "";
        rules.Rules[0].Incentive!.Cap = 1m;
        var errors = rules.Validate().ToList();
        Assert.Contains(errors, e => e.Contains("Version"));
        Assert.Contains(errors, e => e.Contains("cap below its minimum"));
    }
}
