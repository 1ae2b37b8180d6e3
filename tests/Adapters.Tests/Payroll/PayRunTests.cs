using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Tests;

public sealed class PayRunTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateOnly August = new(2026, 8, 1);
    private static readonly DateOnly September = new(2026, 9, 1);

    [Fact]
    public async Task A_run_has_one_explained_line_per_worker_and_records_the_rule_set_version()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        await world.AddAsync(PayrollWorld.Nurse("n2", 900m), from: new DateOnly(2026, 9, 16));
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.AddAsync(PayrollWorld.Nurse("n3", 1000m, facility: "facility-2"));
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);
        await world.ReportAsync("sub-other-month", "c1", August, households: 100, referrals: 0);

        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "facility", "facility-1"), PayrollWorld.Maker, Ct);

        Assert.Equal(RunStatus.Draft, run.Status);
        Assert.Equal("test-1", run.RuleSetVersion);
        Assert.Equal("alice", run.CreatedBy);
        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);
        Assert.Equal(["c1", "n1", "n2"], lines.Keys.Order());
        Assert.Equal(850.00m, lines["n1"].Amount);
        Assert.Equal(450.00m, lines["n2"].Amount); // 900 × 15/30
        Assert.Contains("15/30 days", lines["n2"].Explanation);
        Assert.Equal(50.00m, lines["c1"].Amount); // 40 × 0.5 + 5 × 2 + stipend 20
        Assert.Equal(["sub-1"], lines["c1"].Submissions);
        Assert.Equal(LineKind.Incentive, lines["c1"].Kind);
        Assert.Equal(1350.00m, run.Total);
    }

    [Fact]
    public async Task Employment_dates_on_roster_events_prorate_the_salary_of_joiners_and_leavers()
    {
        await using var world = await PayrollWorld.CreateAsync();
        var at = DateTimeOffset.UtcNow;
        // Joined on 11 September (role period.start); left on 20 September (the ended role's period.end).
        var joiner = PayrollWorld.Nurse("joiner", 900m, start: "2026-09-11");
        await world.Workforce.ApplyRosterEventAsync(new WorkerRegisteredV1(joiner with { EmployedFrom = new DateOnly(2026, 9, 11) }, 1, at), Ct);
        var leaver = PayrollWorld.Nurse("leaver", 600m, start: "2020-01-06");
        await world.Workforce.ApplyRosterEventAsync(new WorkerRegisteredV1(leaver, 1, at), Ct);
        await world.Workforce.ApplyRosterEventAsync(new WorkerLeftV1(leaver with
        {
            Active = false, EmployedUntil = new DateOnly(2026, 9, 20),
            Roles = [PayrollWorld.Role("leaver", "2020-01-06", "2026-09-20")],
        }, 2, at), Ct);

        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct);

        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);
        Assert.Equal(600.00m, lines["joiner"].Amount); // 900 × 20/30
        Assert.Equal(400.00m, lines["leaver"].Amount); // 600 × 20/30
        Assert.Contains("20/30 days", lines["leaver"].Explanation);
    }

    [Fact]
    public async Task Activity_that_arrives_while_a_draft_holds_the_line_is_paid_once_after_the_draft_is_cancelled()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);
        var draft = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct);
        // A second report while the draft holds c1's September line marks the month as changed; then the draft goes.
        await world.ReportAsync("sub-2", "c1", September, households: 20, referrals: 0);
        await world.PayRuns.CancelAsync(draft.Id, PayrollWorld.Maker, "recreate with the late report", Ct);

        var run = await world.ApprovedRunAsync("2026-09");

        var line = Assert.Single(await world.LinesAsync(run.Id));
        Assert.Equal(LineKind.Incentive, line.Kind);
        Assert.Equal(60.00m, line.Amount); // (40 + 20) × 0.5 + 5 × 2 + stipend 20
        Assert.Equal(60.00m, run.Total);
    }

    [Fact]
    public async Task A_run_for_one_worker_pays_that_worker_alone()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);

        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "worker", "c1"), PayrollWorld.Maker, Ct);

        var line = Assert.Single(await world.LinesAsync(run.Id));
        Assert.Equal(("c1", 50.00m), (line.WorkerId, line.Amount));
        var refused = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.CreateAsync(new NewPayRun("2026-09", "worker", null), PayrollWorld.Maker, Ct));
        Assert.Equal(400, refused.Status);
    }

    [Fact]
    public async Task Maker_checker_is_enforced_and_both_are_recorded()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);

        // Only a submitted run can be approved.
        var early = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.ApproveAsync(run.Id, PayrollWorld.Checker, Ct));
        Assert.Equal(409, early.Status);
        await world.PayRuns.SubmitAsync(run.Id, PayrollWorld.Maker, Ct);

        // The maker cannot approve, even holding the checker role too.
        var both = new Actor("alice", new HashSet<string> { Actor.MakerRole, Actor.CheckerRole });
        var self = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.ApproveAsync(run.Id, both, Ct));
        Assert.Equal(403, self.Status);
        Assert.Contains("maker–checker", self.Message);
        // Someone else without the checker role cannot either.
        var noRole = await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.PayRuns.ApproveAsync(run.Id, new Actor("carol", new HashSet<string> { Actor.MakerRole }), Ct));
        Assert.Equal(403, noRole.Status);
        Assert.Empty(world.Outbox.Sent);

        var approved = await world.PayRuns.ApproveAsync(run.Id, PayrollWorld.Checker, Ct);
        Assert.Equal(RunStatus.Disbursing, approved.Status);
        Assert.Equal("alice", approved.SubmittedBy);
        Assert.Equal("bob", approved.ApprovedBy);
        Assert.NotNull(approved.SubmittedAt);
        Assert.True(approved.ApprovedAt >= approved.SubmittedAt);

        var request = Assert.Single(world.Outbox.Sent);
        var line = Assert.Single(await world.LinesAsync(run.Id));
        Assert.Equal(line.PaymentId, request.PaymentId);
        Assert.Equal(850.00m, request.Amount);
        Assert.Equal(LineStatus.Requested, line.Status);

        // An approved run can no longer be cancelled.
        var cancel = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.CancelAsync(run.Id, PayrollWorld.Maker, "too late", Ct));
        Assert.Equal(409, cancel.Status);
    }

    [Fact]
    public async Task The_same_period_cannot_pay_a_worker_twice()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        await world.AddAsync(PayrollWorld.Nurse("n2", 850m, facility: "facility-2"));
        var first = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "facility", "facility-1"), PayrollWorld.Maker, Ct);

        // Everyone for the same month: n1 is already in a run, only n2 is left.
        var second = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct);
        Assert.Equal("n2", Assert.Single(await world.LinesAsync(second.Id)).WorkerId);
        Assert.Contains(second.Warnings!, w => w.Contains("already have a line"));

        // Nobody is left for a third run.
        var third = await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct));
        Assert.Equal(422, third.Status);

        // The database itself refuses a second line for (worker, period, kind), whatever the code does.
        await using (var connection = await world.Db.OpenConnectionAsync(Ct))
        await using (var copy = new NpgsqlCommand("""
            INSERT INTO payroll.pay_lines (id, run_id, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount,
                currency, explanation, submissions, status)
            SELECT gen_random_uuid(), $1, worker_id, employee_number, worker_name, facility_id, cadre, period, kind, amount, currency,
                explanation, submissions, 'pending' FROM payroll.pay_lines WHERE run_id = $2
            """, connection) { Parameters = { new() { Value = second.Id }, new() { Value = first.Id } } })
        {
            var ex = await Assert.ThrowsAsync<PostgresException>(() => copy.ExecuteNonQueryAsync(Ct));
            Assert.Equal(PostgresErrorCodes.UniqueViolation, ex.SqlState);
        }

        // Cancelling the first run frees its worker for a new run of that month.
        await world.PayRuns.CancelAsync(first.Id, PayrollWorld.Maker, "wrong facility", Ct);
        var again = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", "everyone", null), PayrollWorld.Maker, Ct);
        Assert.Equal("n1", Assert.Single(await world.LinesAsync(again.Id)).WorkerId);
    }

    [Fact]
    public async Task An_edited_or_rejected_submission_after_payment_becomes_an_adjustment_in_the_next_run()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.AddAsync(PayrollWorld.Chw("c2"));
        await world.ReportAsync("sub-1", "c1", August, households: 40, referrals: 5, version: 100);  // 40.00 + 20 = 60? (20 + 10 + 20 = 50)
        await world.ReportAsync("sub-2", "c2", August, households: 60, referrals: 0, version: 100);  // 30 + 20 = 50
        var august = await world.ApprovedRunAsync("2026-08", reason: "August was never run");
        await world.SettleAllAsync(august.Id);
        Assert.Equal(RunStatus.Completed, (await world.PayRuns.GetAsync(august.Id, Ct)).Status);
        var paid = (await world.LinesAsync(august.Id)).ToDictionary(l => l.WorkerId);
        Assert.Equal(50.00m, paid["c1"].Amount);
        Assert.Equal(50.00m, paid["c2"].Amount);

        // After payment: c1's report is edited upwards, c2's is rejected; an older version arriving late is ignored.
        await world.ReportAsync("sub-1", "c1", August, households: 80, referrals: 5, version: 200);
        await world.ReportAsync("sub-1", "c1", August, households: 1, referrals: 0, version: 150);
        await world.Workforce.WithdrawActivityAsync(new ActivityWithdrawnV1("sub-2", "c2", August, "rejected", 200), Ct);

        // The paid August lines are untouched.
        var augustAfter = (await world.LinesAsync(august.Id)).ToDictionary(l => l.WorkerId);
        Assert.Equal(50.00m, augustAfter["c1"].Amount);
        Assert.Equal(LineStatus.Paid, augustAfter["c1"].Status);
        Assert.Equal(50.00m, augustAfter["c2"].Amount);

        await world.ReportAsync("sub-3", "c1", September, households: 10, referrals: 0);
        var september = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);
        var lines = await world.LinesAsync(september.Id);
        var c1Adjustment = Assert.Single(lines, l => l.WorkerId == "c1" && l.Kind == LineKind.Adjustment);
        Assert.Equal("2026-08", c1Adjustment.Period);
        Assert.Equal(20.00m, c1Adjustment.Amount); // 40 more visits × 0.50
        Assert.Contains("instead of 50.00 USD", c1Adjustment.Explanation);
        var c2Adjustment = Assert.Single(lines, l => l.WorkerId == "c2" && l.Kind == LineKind.Adjustment);
        Assert.Equal(-30.00m, c2Adjustment.Amount); // only the stipend remains owed
        Assert.Equal(25.00m, Assert.Single(lines, l => l.WorkerId == "c1" && l.Kind == LineKind.Incentive).Amount);

        // Approval pays the positive adjustment and records the negative one as owed back, not paid.
        await world.PayRuns.SubmitAsync(september.Id, PayrollWorld.Maker, Ct);
        await world.PayRuns.ApproveAsync(september.Id, PayrollWorld.Checker, Ct);
        var requested = world.Outbox.Sent.Where(r => r.PayRunId == september.Id).ToList();
        Assert.Equal([20.00m, 20.00m, 25.00m], requested.Select(r => r.Amount).Order());
        Assert.Equal(LineStatus.ToRecover, (await world.LinesAsync(september.Id)).Single(l => l.Amount < 0).Status);

        // Once adjusted, the next run does not adjust again.
        await world.AddAsync(PayrollWorld.Nurse("n1", 100m));
        var october = await world.PayRuns.CreateAsync(new NewPayRun("2026-10", null, null), PayrollWorld.Maker, Ct);
        Assert.DoesNotContain(await world.LinesAsync(october.Id), l => l.Kind == LineKind.Adjustment);
    }

    [Fact]
    public async Task Failed_lines_are_retried_under_a_new_payment_id_or_written_off_with_a_reason()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        await world.AddAsync(PayrollWorld.Nurse("n2", 900m));
        await world.AddAsync(PayrollWorld.Nurse("n3", 950m));
        var run = await world.ApprovedRunAsync("2026-09");
        var requests = world.Outbox.Sent.ToDictionary(r => r.WorkerId);

        await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(requests["n1"].PaymentId, requests["n1"].Reference, 7, DateTimeOffset.UtcNow), Ct);
        foreach (var worker in new[] { "n2", "n3" })
        {
            await world.PayRuns.RecordFailedAsync(new PaymentFailedV1(requests[worker].PaymentId, "credits blocked", 403,
                "error.msg.savings.account.credit.transaction.not.allowed", DateTimeOffset.UtcNow), Ct);
        }
        // A duplicate outcome changes nothing.
        await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(requests["n1"].PaymentId, requests["n1"].Reference, 7, DateTimeOffset.UtcNow), Ct);
        var afterOutcomes = await world.PayRuns.GetAsync(run.Id, Ct);
        Assert.Equal(RunStatus.CompletedWithFailures, afterOutcomes.Status);
        Assert.Equal(1, afterOutcomes.LinesByStatus[LineStatus.Paid]);
        Assert.Equal(2, afterOutcomes.LinesByStatus[LineStatus.Failed]);

        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);
        var noReason = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.WriteOffLineAsync(run.Id, lines["n3"].Id, PayrollWorld.Maker, " ", Ct));
        Assert.Equal(400, noReason.Status);
        var paidLine = await Assert.ThrowsAsync<PayrollRefusal>(() => world.PayRuns.RetryLineAsync(run.Id, lines["n1"].Id, PayrollWorld.Maker, Ct));
        Assert.Equal(409, paidLine.Status);

        var retried = await world.PayRuns.RetryLineAsync(run.Id, lines["n2"].Id, PayrollWorld.Maker, Ct);
        Assert.NotEqual(requests["n2"].PaymentId, retried.PaymentId);
        Assert.Equal(2, retried.Attempts);
        Assert.Equal(RunStatus.Disbursing, (await world.PayRuns.GetAsync(run.Id, Ct)).Status);
        // A late success of the old attempt must not mark the retried line paid.
        await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(requests["n2"].PaymentId, requests["n2"].Reference, 8, DateTimeOffset.UtcNow), Ct);
        Assert.Equal(LineStatus.Requested, (await world.PayRuns.GetLineAsync(run.Id, lines["n2"].Id, Ct)).Status);
        await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(retried.PaymentId!.Value, retried.PaymentReference!, 9, DateTimeOffset.UtcNow), Ct);

        var writtenOff = await world.PayRuns.WriteOffLineAsync(run.Id, lines["n3"].Id, PayrollWorld.Maker, "worker left; paid in cash", Ct);
        Assert.Equal(LineStatus.WrittenOff, writtenOff.Status);
        Assert.Equal("alice", writtenOff.WrittenOffBy);
        var final = await world.PayRuns.GetAsync(run.Id, Ct);
        Assert.Equal(RunStatus.CompletedWithFailures, final.Status);
        Assert.Equal(2, final.LinesByStatus[LineStatus.Paid]);
    }

    [Fact]
    public async Task A_payment_without_outcome_is_requested_again_under_the_same_id()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m));
        await world.AddAsync(PayrollWorld.Nurse("n2", 900m));
        var run = await world.ApprovedRunAsync("2026-09");
        var first = world.Outbox.Sent.ToDictionary(r => r.WorkerId);
        await world.PayRuns.RecordSettledAsync(new PaymentSettledV1(first["n1"].PaymentId, first["n1"].Reference, 1, DateTimeOffset.UtcNow), Ct);

        var resender = new PaymentResender(world.Outbox,
            Microsoft.Extensions.Options.Options.Create(new Reconciliation.PayrollOptions { ResendAfter = TimeSpan.Zero }),
            TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<PaymentResender>.Instance);
        Assert.Equal(1, await resender.ResendOverdueAsync(Ct));

        var again = world.Outbox.Sent.Skip(first.Count).Single();
        Assert.Equal(first["n2"].PaymentId, again.PaymentId); // same id, so the same Idempotency-Key
        Assert.Equal(first["n2"].Amount, again.Amount);
        Assert.Equal(first["n2"].PayDate, again.PayDate);
        Assert.Equal(run.Id, again.PayRunId);
    }

    [Fact]
    public async Task A_two_hour_outage_asks_again_for_each_payment_a_few_times_not_every_round()
    {
        await using var world = await PayrollWorld.CreateAsync();
        for (var i = 0; i < 50; i++) await world.AddAsync(PayrollWorld.Nurse($"n{i}", 850m));
        await world.ApprovedRunAsync("2026-09");
        var sentAtApproval = world.Outbox.Sent.Count;

        // Nothing answers for two hours; the resender runs every 2.5 minutes as it does with ResendAfter = 5 min.
        var clock = new SteppedClock(DateTimeOffset.UtcNow);
        var resender = new PaymentResender(world.Outbox,
            Microsoft.Extensions.Options.Options.Create(new Reconciliation.PayrollOptions { ResendAfter = TimeSpan.FromMinutes(5), MaxResends = 3 }),
            clock, Microsoft.Extensions.Logging.Abstractions.NullLogger<PaymentResender>.Instance);
        var resent = 0;
        for (var round = 0; round < 48; round++)
        {
            clock.Advance(TimeSpan.FromMinutes(2.5));
            resent += await resender.ResendOverdueAsync(Ct);
        }
        // Each payment again after 5, 20 and 80 minutes: three copies each, where one per round would have been 46.
        Assert.Equal(50 * 3, resent);
        Assert.All(world.Outbox.Sent.Skip(sentAtApproval).GroupBy(r => r.PaymentId), copies => Assert.Equal(3, copies.Count()));
    }

    private sealed class SteppedClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;
        public void Advance(TimeSpan by) => _now += by;
        public override DateTimeOffset GetUtcNow() => _now;
    }

    [Theory]
    [InlineData("=HYPERLINK(\"http://x\")", "\"'=HYPERLINK(\"\"http://x\"\")\"")]
    [InlineData("+256700000000", "'+256700000000")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("Sarah Nakato", "Sarah Nakato")]
    [InlineData("Nakato, Sarah", "\"Nakato, Sarah\"")]
    public void Csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(string text, string cell) =>
        Assert.Equal(cell, PayRunCsv.Field(text));

    [Fact]
    public async Task Csv_export_lists_every_line_with_its_explanation()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m), from: new DateOnly(2026, 9, 16));
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);
        var run = await world.PayRuns.CreateAsync(new NewPayRun("2026-09", null, null), PayrollWorld.Maker, Ct);

        var text = new StringWriter();
        await PayRunCsv.WriteAsync(text, run, world.PayRuns.StreamLinesAsync(run.Id, Ct), Ct);
        var rows = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, rows.Length);
        Assert.StartsWith("run_id,run_period,rule_set_version,employee_number", rows[0]);
        Assert.Contains(rows, r => r.Contains("EMP-n1") && r.Contains(",425.00,USD,pending,") && r.Contains("15/30 days"));
        // The incentive explanation holds commas, so it is quoted.
        Assert.Contains(rows, r => r.Contains("EMP-c1") && r.Contains(",50.00,USD,") && r.Contains("\"Rule \"\"CHW incentive\"\""));
    }

    [Fact]
    public async Task Outcomes_arriving_side_by_side_complete_the_run()
    {
        // Payroll handles several payment outcomes at once: the last two lines settled together must still complete
        // the run (each saw the other's line still requested before the run was locked).
        await using var world = await PayrollWorld.CreateAsync();
        for (var n = 0; n < 8; n++) await world.AddAsync(PayrollWorld.Nurse($"side-{n}", 800m + n));
        foreach (var period in new[] { "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06" })
        {
            var run = await world.ApprovedRunAsync(period, reason: "back pay for the first half of the year");
            var requests = world.Outbox.Sent.Where(r => r.PayRunId == run.Id).ToList();
            Assert.Equal(8, requests.Count);
            await Task.WhenAll(requests.Select(request => Task.Run(() => world.PayRuns.RecordSettledAsync(
                new PaymentSettledV1(request.PaymentId, request.Reference, 1, DateTimeOffset.UtcNow), Ct))));
            Assert.Equal(RunStatus.Completed, (await world.PayRuns.GetAsync(run.Id, Ct)).Status);
        }
    }
}
