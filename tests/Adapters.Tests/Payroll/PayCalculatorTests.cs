using OneClickSuite.Payroll.PayRules;

namespace OneClickSuite.Payroll.Tests;

public sealed class PayCalculatorTests
{
    [Fact]
    public void Rounding_is_once_at_the_end_half_away_from_zero()
    {
        // 0.125 → 0.13 (midpoint away from zero, not banker's rounding to 0.12).
        Assert.Equal(0.13m, PayCalculator.Round(0.125m));
        Assert.Equal(-0.13m, PayCalculator.Round(-0.125m));
        Assert.Equal((new DateOnly(2026, 9, 1), new DateOnly(2026, 9, 30)), PayCalculator.MonthOf(new DateOnly(2026, 9, 17)));
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
