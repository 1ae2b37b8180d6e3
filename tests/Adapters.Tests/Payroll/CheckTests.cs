using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// What the approver sees before money moves: each check the issue lists, computed by the server per line; the ones
/// that indicate money may go to the wrong person block approval until the approver records why it may go ahead.
/// </summary>
public sealed class CheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateTimeOffset At = new(2026, 10, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateOnly September = new(2026, 9, 1);

    private static WorkerSnapshot Person(string id, string given, string family, string? birthDate, string? phone, decimal salary = 850m) =>
        PayrollWorld.Nurse(id, salary) with { GivenName = given, FamilyName = family, BirthDate = birthDate, Phone = phone };

    [Fact]
    public async Task Every_check_is_computed_per_line_and_the_blocking_ones_hold_approval_until_resolved_with_a_reason()
    {
        await using var world = await PayrollWorld.CreateAsync();
        // Paid in August: a steady nurse, and one whose pay now jumps.
        await world.AddAsync(Person("steady", "Grace", "Achieng", "1986-11-05", "+256700100003"));
        await world.AddAsync(Person("jump", "Peter", "Ssempala", "1990-07-22", "+256700100002", 1000m));
        foreach (var id in new[] { "steady", "jump" }) await world.LinkAccountAsync(id, 100 + id.Length);
        var august = await world.ApprovedRunAsync("2026-08", reason: "the month before the checks");
        await world.SettleAllAsync(august.Id);
        await world.Workforce.ApplyWorkerAsync(Person("jump", "Peter", "Ssempala", "1990-07-22", "+256700100002", 1500m), 2, null, null, Ct);

        // New in September: two records of one person (same name and birth date), a phone shared, an account shared,
        // a community health worker with no report, one with no account yet.
        await world.AddAsync(Person("twin-a", "Sarah", "Nakato", "1988-03-14", "+256700100011"));
        await world.AddAsync(Person("twin-b", "sarah  NAKATO", "", "1988-03-14", "+256700100012"));
        await world.AddAsync(Person("phone-a", "John", "Mugisha", null, "+256 700-100-099"));
        await world.AddAsync(Person("phone-b", "Johnny", "Mugisha", null, "+256700100099"));
        await world.AddAsync(Person("acct-a", "Ruth", "Auma", null, "+256700100021"));
        await world.AddAsync(Person("acct-b", "David", "Kato", null, "+256700100022"));
        await world.AddAsync(PayrollWorld.Chw("chw") with { Phone = "+256700100031" });
        await world.AddAsync(Person("no-account", "Moses", "Opio", null, "+256700100041"));
        var account = 200;
        foreach (var id in new[] { "twin-a", "twin-b", "phone-a", "phone-b", "chw" }) await world.LinkAccountAsync(id, account++);
        await world.LinkAccountAsync("acct-a", 777);
        await world.LinkAccountAsync("acct-b", 777);

        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        var checks = await world.Queries.GetChecksAsync(run.Id, false, 0, 500, Ct);
        string[] KindsOf(string worker) => checks.Where(c => c.WorkerId == worker).Select(c => c.Kind).Order().ToArray();

        Assert.Contains(CheckKind.PossibleDuplicate, KindsOf("twin-a"));
        Assert.Contains("same name and birth date", checks.Single(c => c.WorkerId == "twin-a" && c.Kind == CheckKind.PossibleDuplicate).Detail);
        Assert.Contains(CheckKind.PossibleDuplicate, KindsOf("phone-a"));
        Assert.Contains("same phone", checks.Single(c => c.WorkerId == "phone-b" && c.Kind == CheckKind.PossibleDuplicate).Detail);
        Assert.Contains(CheckKind.SharedAccount, KindsOf("acct-a"));
        Assert.Contains(CheckKind.SharedAccount, KindsOf("acct-b"));
        Assert.Contains(CheckKind.NoApprovedReport, KindsOf("chw"));
        Assert.Contains(CheckKind.NoAccount, KindsOf("no-account"));
        Assert.Contains(CheckKind.AmountChanged, KindsOf("jump"));
        Assert.Contains("+50.0% from 1000.00", checks.Single(c => c.Kind == CheckKind.AmountChanged).Detail);
        Assert.DoesNotContain(CheckKind.AmountChanged, KindsOf("steady"));
        Assert.DoesNotContain(CheckKind.FirstTimePayee, KindsOf("steady"));
        Assert.Contains(CheckKind.FirstTimePayee, KindsOf("twin-a"));
        var total = Assert.Single(checks, c => c.Kind == CheckKind.TotalChanged);
        Assert.Null(total.LineId);
        Assert.Contains("against 1850.00 for the same workers in 2026-08", total.Detail);
        Assert.All(checks.Where(c => c.Kind is CheckKind.PossibleDuplicate or CheckKind.SharedAccount), c => Assert.True(c.Blocking));
        Assert.All(checks.Where(c => c.Kind is not (CheckKind.PossibleDuplicate or CheckKind.SharedAccount or CheckKind.NotActive)),
            c => Assert.False(c.Blocking));

        // Submitted, then a worker leaves before the period paid: not active on the pay date, and blocking.
        await world.Lifecycle.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(Person("steady", "Grace", "Achieng", "1986-11-05", "+256700100003") with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 8, 31), Roles = [PayrollWorld.Role("steady", "2020-01-01", "2026-08-31")],
        }, 5, At), Ct);

        var refused = await Assert.ThrowsAsync<PayrollRefusal>(() => world.Lifecycle.ApproveAsync(run.Id, PayrollWorld.Checker, Ct));
        Assert.Equal(409, refused.Status);
        Assert.Contains("wrong person", refused.Message);
        Assert.DoesNotContain(world.Outbox.Sent, r => r.PayRunId == run.Id);
        var open = await world.Queries.GetChecksAsync(run.Id, true, 0, 500, Ct);
        Assert.Contains(open, c => c.WorkerId == "steady" && c.Kind == CheckKind.NotActive);
        Assert.Equal(open.Count, (await world.Queries.GetAsync(run.Id, Ct)).Checks!.Blocking);

        // A reason is required; the maker may not resolve; the approver resolves each with a reason that is kept.
        Assert.Equal(400, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Lifecycle.ResolveCheckAsync(run.Id, open[0].Id, PayrollWorld.Checker, " ", Ct))).Status);
        var both = new Actor("alice", new HashSet<string> { Actor.MakerRole, Actor.CheckerRole });
        Assert.Equal(403, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Lifecycle.ResolveCheckAsync(run.Id, open[0].Id, both, "I made it, I say so", Ct))).Status);
        foreach (var check in open)
        {
            var resolved = await world.Lifecycle.ResolveCheckAsync(run.Id, check.Id, PayrollWorld.Checker, $"verified in person: {check.Kind}", Ct);
            Assert.Equal(("bob", $"verified in person: {check.Kind}"), (resolved.ResolvedBy, resolved.Resolution));
        }
        var approved = await world.Lifecycle.ApproveAsync(run.Id, PayrollWorld.Checker, Ct);
        Assert.Equal(RunStatus.Disbursing, approved.Status);
        Assert.Equal(0, approved.Checks!.Blocking);
        Assert.Equal(open.Count, approved.Checks.Resolved);
    }

    [Fact]
    public async Task A_check_that_no_longer_applies_is_cleared_and_stops_blocking()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(Person("a", "Ann", "One", null, "+256700999001"));
        await world.AddAsync(Person("b", "Ben", "Two", null, "+256700999001"));
        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        Assert.Equal(2, (await world.Queries.GetAsync(run.Id, Ct)).Checks!.Blocking);

        // iHRIS corrects b's phone: at submission the duplicate is gone.
        await world.Workforce.ApplyWorkerAsync(Person("b", "Ben", "Two", null, "+256700999002"), 2, null, null, Ct);
        var submitted = await world.Lifecycle.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);
        Assert.Equal(0, submitted.Checks!.Blocking);
        Assert.Equal(RunStatus.Disbursing, (await world.Lifecycle.ApproveAsync(run.Id, PayrollWorld.Checker, Ct)).Status);
    }

    [Fact]
    public async Task An_incentive_counted_from_a_report_not_approved_is_flagged()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.Workforce.ApplyActivityAsync(new ActivityCountedV1("sub-1", "c1", September,
            new Dictionary<string, int> { ["households_visited"] = 40, ["referrals"] = 1 }, "hasIssues", 1, At), Ct);
        var run = await world.Drafting.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        var check = Assert.Single(await world.Queries.GetChecksAsync(run.Id, false, 0, 100, Ct), c => c.Kind == CheckKind.NoApprovedReport);
        Assert.Contains("sub-1 (hasIssues)", check.Detail);
    }
}
