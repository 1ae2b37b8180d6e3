using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// The rules a pay run keeps on a real database: which months may be run, workers set aside until iHRIS is fixed,
/// leavers paid their final pay and nothing after, totals per currency. The world's clock is 10 October 2026.
/// </summary>
public sealed class PayRunRulesTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset At = new(2026, 10, 10, 9, 0, 0, TimeSpan.Zero);

    // 6. Periods

    [Fact]
    public async Task A_run_is_for_the_current_or_previous_month_unless_the_clerk_states_a_reason()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m, facility: "f-1"));
        await world.AddAsync(PayrollWorld.Nurse("n2", 850m, facility: "f-2"));
        await world.AddAsync(PayrollWorld.Nurse("n3", 850m, facility: "f-3"));

        Assert.Null((await world.Drafting.CreateAsync(new NewPayRun("2026-10", "facility", "f-1"), PayrollWorld.Maker, Ct)).PeriodReason);
        Assert.Equal(RunStatus.Draft, (await world.Drafting.CreateAsync(new NewPayRun("2026-09", "facility", "f-1"), PayrollWorld.Maker, Ct)).Status);

        var older = await Assert.ThrowsAsync<PayrollRefusal>(() => world.Drafting.CreateAsync(new NewPayRun("2026-08", "facility", "f-2"), PayrollWorld.Maker, Ct));
        Assert.Equal(400, older.Status);
        Assert.Contains("state a reason", older.Message);
        var blank = await Assert.ThrowsAsync<PayrollRefusal>(() => world.Drafting.CreateAsync(new NewPayRun("2025-01", "facility", "f-2", "  "), PayrollWorld.Maker, Ct));
        Assert.Equal(400, blank.Status);

        var withReason = await world.Drafting.CreateAsync(new NewPayRun("2026-08", "facility", "f-2", "August was never paid at f-2"), PayrollWorld.Maker, Ct);
        Assert.Equal("August was never paid at f-2", withReason.PeriodReason);
        Assert.Equal("August was never paid at f-2", (await world.Queries.GetAsync(withReason.Id, Ct)).PeriodReason);

        var future = await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Drafting.CreateAsync(new NewPayRun("2026-11", "facility", "f-3", "paying ahead"), PayrollWorld.Maker, Ct));
        Assert.Equal(422, future.Status);
    }

    [Fact]
    public async Task The_current_month_is_the_ministrys()
    {
        // 22:00 UTC on 30 September is already 1 October in Kampala: October is current, September previous, August older.
        await using var world = await PayrollWorld.CreateAsync(calendar: MinistryCalendar.FromId("Africa/Kampala"));
        world.Clock.Now = new DateTimeOffset(2026, 9, 30, 22, 0, 0, TimeSpan.Zero);
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        Assert.Equal(RunStatus.Draft, (await world.Drafting.CreateAsync(new NewPayRun("2026-10", null, null), PayrollWorld.Maker, Ct)).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Drafting.CreateAsync(new NewPayRun("2026-08", null, null), PayrollWorld.Maker, Ct))).Status);
    }

    [Fact]
    public async Task A_run_is_never_for_a_period_before_the_workers_first_employment()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("late", 850m, start: "2026-10-01"));

        var refused = await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Drafting.CreateAsync(new NewPayRun("2026-09", "worker", "late"), PayrollWorld.Maker, Ct));
        Assert.Equal(422, refused.Status);
        Assert.Contains("first employed on 2026-10-01", refused.Message);
        // Nor does an older run with a reason pay them.
        await world.AddAsync(PayrollWorld.Nurse("early", 850m));
        var back = await world.Drafting.CreateAsync(new NewPayRun("2026-05", null, null, "back pay"), PayrollWorld.Maker, Ct);
        Assert.Equal(["early"], (await world.LinesAsync(back.Id)).Select(l => l.WorkerId));
    }

    // 1, 2 and 3 in a run: set aside, with a reason that names field, value and record, until fixed

    [Fact]
    public async Task A_worker_set_aside_gets_nothing_until_iHRIS_is_fixed_and_the_reason_is_kept_where_a_person_sees_it()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var bad = PayrollWorld.Nurse("comma", 0m) with { Salaries = [PayrollWorld.Salary("Basic/comma-salary", "1500,50", "monthly", "2020-01-01")] };
        await world.Workforce.ApplyRosterEventAsync(new WorkerRegisteredV1(bad, 1, At), Ct);
        await world.AddAsync(PayrollWorld.Nurse("fine", 850m));

        // Held as soon as the roster event arrives, before any run.
        var hold = Assert.Single(await world.Holds.ListAsync(null, Ct));
        Assert.Equal(("comma", "Basic/comma-salary", "bsalary", "1500,50"), (hold.WorkerId, hold.Record, hold.Field, hold.Value));

        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        Assert.Equal(["fine"], (await world.LinesAsync(run.Id)).Select(l => l.WorkerId));
        var warning = Assert.Single(run.Warnings!, w => w.Contains("EMP-comma"));
        Assert.Contains("Basic/comma-salary", warning);
        Assert.Contains("bsalary \"1500,50\"", warning);
        Assert.Contains("set aside", (await world.Queries.GetAsync(run.Id, Ct)).Warnings!.Single(w => w.Contains("EMP-comma")));

        // Fixed in iHRIS: the next roster event releases the worker, the next run pays them.
        var fixedRecord = bad with { Salaries = [PayrollWorld.Salary("Basic/comma-salary", "1500.50", "monthly", "2020-01-01")] };
        await world.Workforce.ApplyRosterEventAsync(new WorkerChangedV1(fixedRecord, 2, At), Ct);
        Assert.Empty(await world.Holds.ListAsync(null, Ct));
        var next = await world.Drafting.CreateAsync(new NewPayRun("2026-10", null, null), PayrollWorld.Maker, Ct);
        Assert.Equal(1500.50m, (await world.LinesAsync(next.Id)).Single(l => l.WorkerId == "comma").Amount);
    }

    [Fact]
    public async Task Nothing_is_paid_for_a_held_worker_even_for_a_month_whose_record_was_fine()
    {
        await using var world = await PayrollWorld.CreateAsync();
        // September's record is fine; the raise from October is written "1 200": October cannot be paid, so nothing is.
        var worker = PayrollWorld.Nurse("raise", 0m) with
        {
            Salaries =
            [
                PayrollWorld.Salary("Basic/raise-a", "850.00", "monthly", "2020-01-01", "2026-09-30"),
                PayrollWorld.Salary("Basic/raise-b", "1 200", "monthly", "2026-10-01"),
            ],
        };
        await world.AddAsync(worker);
        await world.AddAsync(PayrollWorld.Nurse("other", 100m));
        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        Assert.DoesNotContain(await world.LinesAsync(run.Id), l => l.WorkerId == "raise");
        Assert.Equal("Basic/raise-b", Assert.Single(await world.Holds.ListAsync("raise", Ct)).Record);
    }

    [Fact]
    public async Task A_runs_totals_are_per_currency_and_only_the_funding_currency_is_requested()
    {
        var rules = PayrollWorld.StandardRules();
        rules.RoleSalaryFrequency = "monthly";
        rules.ExchangeRates = new ExchangeRateTable { Version = "test rates", Rates = { ["KES"] = 0.0077m } };
        await using var world = await PayrollWorld.CreateAsync(rules);
        await world.AddAsync(PayrollWorld.Nurse("usd", 850m));
        await world.AddAsync(PayrollWorld.Nurse("kes", 0m) with
        {
            Salaries = [], Roles = [PayrollWorld.Role("kes", "2020-01-01") with { SalaryAmount = 120000m, SalaryCurrency = "KES" }],
        });
        await world.AddAsync(PayrollWorld.Nurse("tzs", 0m) with
        {
            Salaries = [], Roles = [PayrollWorld.Role("tzs", "2020-01-01") with { SalaryAmount = 2000000m, SalaryCurrency = "TZS" }],
        });

        var run = await world.ApprovedRunAsync("2026-09");
        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);
        Assert.Equal(["kes", "usd"], lines.Keys.Order());
        Assert.All(lines.Values, l => Assert.Equal("USD", l.Currency));
        Assert.Equal(new Dictionary<string, decimal> { ["USD"] = 1774.00m }, run.TotalsByCurrency); // 850 + 120,000 × 0.0077
        Assert.Contains(run.Warnings!, w => w.Contains("TZS") && w.Contains("PractitionerRole/tzs-role"));
        Assert.All(world.Outbox.Sent, r => Assert.Equal("USD", r.Currency));
    }

    // 5. Leavers

    [Fact]
    public async Task A_leaver_receives_their_final_prorated_pay_and_nothing_after_it_and_only_then_is_their_account_closed()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var leaver = PayrollWorld.Nurse("leaver", 600m, start: "2019-01-01");
        await world.Workforce.ApplyRosterEventAsync(new WorkerRegisteredV1(leaver, 1, At), Ct);
        await world.LinkAccountAsync("leaver", 501);
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(leaver with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 9, 20), Roles = [PayrollWorld.Role("leaver", "2019-01-01", "2026-09-20")],
        }, 2, At), Ct);

        // Left, but owed September's days: the account stays open.
        Assert.Empty(world.Outbox.Closed);
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Empty(world.Outbox.Closed);

        var september = await world.ApprovedRunAsync("2026-09");
        var final = Assert.Single(await world.LinesAsync(september.Id));
        Assert.Equal(400.00m, final.Amount); // 600 × 20/30
        Assert.Contains(await world.Queries.GetChecksAsync(september.Id, false, 0, 100, Ct), c => c.Kind == CheckKind.FinalPay);
        Assert.Empty(world.Outbox.Closed); // requested, not yet settled

        await world.SettleAllAsync(september.Id);
        var closed = Assert.Single(world.Outbox.Closed);
        Assert.Equal(("leaver", new DateOnly(2026, 9, 1), 2L), (closed.WorkerId, closed.FinalPeriod, closed.RosterRevision));

        // Nothing after it.
        await world.AddAsync(PayrollWorld.Nurse("stayer", 100m));
        var october = await world.Drafting.CreateAsync(new NewPayRun("2026-10", null, null), PayrollWorld.Maker, Ct);
        Assert.Equal(["stayer"], (await world.LinesAsync(october.Id)).Select(l => l.WorkerId));
        await Assert.ThrowsAsync<PayrollRefusal>(() => world.Drafting.CreateAsync(new NewPayRun("2026-10", "worker", "leaver"), PayrollWorld.Maker, Ct));
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Single(world.Outbox.Closed);
    }

    [Fact]
    public async Task A_leaver_set_aside_at_their_final_run_or_whose_final_month_no_run_paid_stays_open_until_paid()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("stayer", 100m));
        // Left on 20 September with a salary text Payroll will not read: set aside in September's run.
        var held = PayrollWorld.Nurse("held", 0m) with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 9, 20), Roles = [PayrollWorld.Role("held", "2020-01-01", "2026-09-20")],
            Salaries = [PayrollWorld.Salary("Basic/held-salary", "1500,50", "monthly", "2020-01-01")],
        };
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(held, 1, At), Ct);
        await world.LinkAccountAsync("held", 601);
        // Left on 15 October; no run for October is ever made here.
        var skipped = PayrollWorld.Nurse("skipped", 620m) with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 10, 15), Roles = [PayrollWorld.Role("skipped", "2020-01-01", "2026-10-15")],
        };
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(skipped, 2, At), Ct);

        var september = await world.ApprovedRunAsync("2026-09");
        Assert.DoesNotContain(await world.LinesAsync(september.Id), l => l.WorkerId == "held");
        await world.SettleAllAsync(september.Id);

        // Two months on, both final months are older than the previous month: neither account is closed, and the
        // hold on the unreadable final pay stays on the Problems page.
        world.Clock.Now = new DateTimeOffset(2026, 12, 10, 9, 0, 0, TimeSpan.Zero);
        await world.Holds.RefreshAsync("held", Ct);
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Empty(world.Outbox.Closed);
        Assert.Contains(await world.Holds.ListAsync("held", Ct), h => h.Field == "bsalary" && h.Value == "1500,50");

        // Fixed in iHRIS: the hold goes, but September's run set them aside, so they are still owed September.
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(held with
        {
            Salaries = [PayrollWorld.Salary("Basic/held-salary", "1500.00", "monthly", "2020-01-01")],
        }, 3, At), Ct);
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Empty(world.Outbox.Closed);

        // Their final pay (1500 × 20/30), then the account closes; the other leaver's stays open.
        var final = await world.ApprovedRunAsync("2026-09", "worker", "held", reason: "final pay set aside in September");
        Assert.Equal(1000.00m, Assert.Single(await world.LinesAsync(final.Id)).Amount);
        await world.SettleAllAsync(final.Id);
        Assert.Equal(["held"], world.Outbox.Closed.Select(c => c.WorkerId));
    }

    [Fact]
    public async Task A_failed_final_payment_keeps_the_account_open_and_a_leaver_long_gone_is_closed_at_once()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var leaver = PayrollWorld.Nurse("failing", 600m);
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(leaver with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 9, 20), Roles = [PayrollWorld.Role("failing", "2020-01-01", "2026-09-20")],
        }, 1, At), Ct);
        var run = await world.ApprovedRunAsync("2026-09");
        var request = Assert.Single(world.Outbox.Sent);
        await world.Outcomes.RecordFailedAsync(new PaymentFailedV1(request.PaymentId, "refused", 403, "x", At), Ct);
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Empty(world.Outbox.Closed);
        var line = Assert.Single(await world.LinesAsync(run.Id));
        await world.Lifecycle.WriteOffLineAsync(run.Id, line.Id, PayrollWorld.Maker, "paid in cash at the facility", Ct);
        await world.Leavers.CloseSettledAsync(null, Ct);
        Assert.Equal("failing", Assert.Single(world.Outbox.Closed).WorkerId);

        // Left in 2024: no ordinary run pays that month any more, and nothing is unsettled.
        var old = PayrollWorld.Nurse("gone", 600m);
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(old with
        {
            Active = false, EmployedUntil = new DateOnly(2024, 12, 31), Roles = [PayrollWorld.Role("gone", "2020-01-01", "2024-12-31")],
        }, 3, At), Ct);
        Assert.Contains(world.Outbox.Closed, c => c.WorkerId == "gone" && c.FinalPeriod == new DateOnly(2024, 12, 1) && c.RosterRevision == 3);
    }
}
