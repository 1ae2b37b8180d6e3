using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// A statement per paid line (what counted, deductions, what was paid, where and when), sent on for ODK; a worker's
/// query about it becomes a dispute a clerk answers, and the answer goes back onto the statement.
/// </summary>
public sealed class StatementTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static readonly DateOnly September = new(2026, 9, 1);

    [Fact]
    public async Task Each_paid_line_issues_one_statement_with_what_counted_what_was_paid_where_and_when()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.AddAsync(PayrollWorld.Nurse("n1", 850m), from: new DateOnly(2026, 9, 16));
        await world.LinkAccountAsync("c1", 41);
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);
        var run = await world.ApprovedRunAsync("2026-09");
        Assert.Empty(world.Outbox.Statements); // nothing is paid yet

        await world.SettleAllAsync(run.Id);
        await world.SettleAllAsync(run.Id); // a repeated outcome issues nothing more
        Assert.Equal(2, world.Outbox.Statements.Count);

        var lines = (await world.LinesAsync(run.Id)).ToDictionary(l => l.WorkerId);
        var chw = Assert.Single(await world.Statements.ListAsync("c1", null, 0, 10, Ct));
        Assert.Equal((lines["c1"].Id, "2026-09", 50.00m, "USD"), (chw.Id, chw.Period, chw.Amount, chw.Currency));
        Assert.Equal(["sub-1"], chw.Submissions);
        Assert.Contains("households_visited 40 × 0.50 USD", chw.Counted);
        Assert.Contains("no deductions", chw.Deductions);
        Assert.Equal("Fineract savings account #41", chw.PaidTo);
        Assert.Equal(world.Clock.GetUtcNow(), chw.PaidAt);
        Assert.Equal(lines["c1"].PaymentReference, chw.PaymentReference);
        Assert.Contains("15/30 days", (await world.Statements.GetAsync(lines["n1"].Id, Ct)).Counted);

        var message = world.Outbox.Statements.Single(s => s.WorkerId == "c1");
        Assert.Equal((chw.Id, 1L, 50.00m), (message.StatementId, message.Version, message.Amount));
        Assert.Contains("What counted:", message.Details);
        Assert.Contains("Fineract savings account #41", message.Details);
    }

    [Fact]
    public async Task A_query_becomes_a_dispute_a_clerk_answers_and_the_answer_goes_back_onto_the_statement()
    {
        await using var world = await PayrollWorld.CreateAsync();
        await world.AddAsync(PayrollWorld.Chw("c1"));
        await world.ReportAsync("sub-1", "c1", September, households: 40, referrals: 5);
        var run = await world.ApprovedRunAsync("2026-09");
        await world.SettleAllAsync(run.Id);
        var statement = Assert.Single(world.Outbox.Statements);

        var query = new PayQueryReceivedV1("uuid:q1", statement.StatementId.ToString(), "c1", "I visited 60 households, not 40", world.Clock.GetUtcNow(), 10);
        await world.Disputes.ReceiveAsync(query, Ct);
        await world.Disputes.ReceiveAsync(query, Ct); // redelivered
        await world.Disputes.ReceiveAsync(query with { Question = "older text", SubmissionVersion = 5 }, Ct);
        var dispute = Assert.Single(await world.Disputes.ListAsync(DisputeStatus.Open, Ct));
        Assert.Equal((statement.StatementId, "c1", "I visited 60 households, not 40"), (dispute.StatementId, dispute.WorkerId, dispute.Question));
        Assert.Equal(DisputeStatus.Open, world.Outbox.Statements[^1].QueryStatus);

        // A viewer-like actor or an empty answer is refused; the clerk's answer and outcome are recorded.
        Assert.Equal(403, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Disputes.AnswerAsync(dispute.Id, new AnswerDispute("no", DisputeOutcome.Confirmed), PayrollWorld.Checker, Ct))).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Disputes.AnswerAsync(dispute.Id, new AnswerDispute(" ", DisputeOutcome.Confirmed), PayrollWorld.Maker, Ct))).Status);
        Assert.Equal(400, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Disputes.AnswerAsync(dispute.Id, new AnswerDispute("yes", "maybe"), PayrollWorld.Maker, Ct))).Status);
        var answered = await world.Disputes.AnswerAsync(dispute.Id,
            new AnswerDispute("Only the report approved by your supervisor counts; the second one was rejected.", DisputeOutcome.Confirmed),
            PayrollWorld.Maker, Ct);
        Assert.Equal((DisputeStatus.Answered, DisputeOutcome.Confirmed, "alice"), (answered.Status, answered.Outcome, answered.AnsweredBy));
        Assert.Equal(409, (await Assert.ThrowsAsync<PayrollRefusal>(() =>
            world.Disputes.AnswerAsync(dispute.Id, new AnswerDispute("again", DisputeOutcome.Referred), PayrollWorld.Maker, Ct))).Status);

        var latest = world.Outbox.Statements[^1];
        Assert.Equal((statement.StatementId, 3L, DisputeOutcome.Confirmed), (latest.StatementId, latest.Version, latest.QueryStatus));
        Assert.StartsWith("Only the report approved", latest.QueryAnswer);

        // A query naming no statement Payroll issued is still a dispute: the clerk sees what was asked.
        await world.Disputes.ReceiveAsync(new PayQueryReceivedV1("uuid:q2", "not-a-statement", "c1", "Where is my pay?", world.Clock.GetUtcNow(), 1), Ct);
        var unknown = Assert.Single(await world.Disputes.ListAsync(DisputeStatus.Open, Ct));
        Assert.Null(unknown.StatementId);
        Assert.Equal("c1", unknown.WorkerId);
    }
}
