using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.PayRuns;

namespace OneClickSuite.Payroll.Statements;

/// <summary>
/// A worker's query about a statement (ODK form <c>pay_query</c>, through the ODK adapter) becomes a dispute a clerk
/// answers in the portal. The answer, its outcome, who gave it and when are recorded; the statement in ODK then shows
/// the outcome and the answer, so the worker sees it where they asked.
/// </summary>
public sealed class Disputes(NpgsqlDataSource db, IPayrollOutbox outbox, PayStatements statements, TimeProvider clock, ILogger<Disputes> logger)
{
    /// <summary>Records a query (idempotent: an older or repeated version changes nothing; an answered one is not reopened).</summary>
    public async Task ReceiveAsync(PayQueryReceivedV1 query, CancellationToken ct)
    {
        await using var unit = await outbox.BeginAsync(ct);
        var (connection, tx) = (unit.Connection, unit.Transaction);
        Guid? statementId = null;
        string? workerId = query.Worker;
        if (Guid.TryParse(query.Statement, out var id))
        {
            await using var find = connection.Sql(tx, "SELECT worker_id FROM payroll.pay_statements WHERE id = $1", id);
            if (await find.ExecuteScalarAsync(ct) is string owner)
            {
                statementId = id;
                workerId = owner;
            }
        }
        bool inserted;
        await using (var upsert = connection.Sql(tx, """
            INSERT INTO payroll.disputes (id, submission_id, submission_version, statement_id, statement_text, worker_id, question, received_at, status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open')
            ON CONFLICT (submission_id) DO UPDATE SET submission_version = excluded.submission_version, statement_id = excluded.statement_id,
                statement_text = excluded.statement_text, worker_id = excluded.worker_id, question = excluded.question
            WHERE disputes.submission_version < excluded.submission_version AND disputes.status = 'open'
            RETURNING (xmax = 0)
            """, Guid.CreateVersion7(), query.SubmissionId, query.SubmissionVersion, statementId, query.Statement, workerId,
            query.Question.Trim(), query.SubmittedAt))
        {
            inserted = await upsert.ExecuteScalarAsync(ct) is true;
        }
        if (inserted && statementId is { } statement)
        {
            await RepublishAsync(unit, statement, ct);
        }
        await unit.CommitAsync(ct);
        if (inserted)
        {
            logger.LogInformation("Query {SubmissionId} about statement {Statement} received: a dispute for a clerk to answer", query.SubmissionId,
                query.Statement);
        }
    }

    public async Task<IReadOnlyList<DisputeView>> ListAsync(string? status, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, Select + " WHERE ($1::text IS NULL OR status = $1) ORDER BY received_at DESC LIMIT 500", status);
        return await ReadAllAsync(command, ct);
    }

    public async Task<DisputeView> GetAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = connection.Sql(null, Select + " WHERE id = $1", id);
        return (await ReadAllAsync(command, ct)).SingleOrDefault() ?? throw PayrollRefusal.NotFound($"dispute {id}");
    }

    /// <summary>A clerk answers a dispute, with its outcome; the statement in ODK then shows both.</summary>
    public async Task<DisputeView> AnswerAsync(Guid id, AnswerDispute request, Actor actor, CancellationToken ct)
    {
        PayRunSql.Require(actor, Actor.MakerRole);
        if (string.IsNullOrWhiteSpace(request.Answer)) throw PayrollRefusal.Invalid("an answer is needed");
        if (request.Outcome is null || !DisputeOutcome.All.Contains(request.Outcome))
            throw PayrollRefusal.Invalid($"outcome must be one of {string.Join(", ", DisputeOutcome.All)}");
        await using var unit = await outbox.BeginAsync(ct);
        Guid? statementId;
        await using (var answer = unit.Connection.Sql(unit.Transaction, """
            UPDATE payroll.disputes SET status = 'answered', answer = $2, outcome = $3, answered_by = $4, answered_at = $5
            WHERE id = $1 AND status = 'open'
            RETURNING statement_id
            """, id, request.Answer.Trim(), request.Outcome, actor.User, clock.GetUtcNow()))
        await using (var r = await answer.ExecuteReaderAsync(ct))
        {
            if (!await r.ReadAsync(ct))
            {
                await GetAsync(id, ct);
                throw PayrollRefusal.Conflict($"dispute {id} is answered already");
            }
            statementId = r.IsDBNull(0) ? null : r.GetGuid(0);
        }
        if (statementId is { } statement)
        {
            await RepublishAsync(unit, statement, ct);
        }
        await unit.CommitAsync(ct);
        logger.LogInformation("Dispute {Id} answered by {User}: {Outcome}", id, actor.User, request.Outcome);
        return await GetAsync(id, ct);
    }

    /// <summary>A new version of the statement (the query's state changed), announced in the same transaction.</summary>
    private async Task RepublishAsync(IPayrollTransaction unit, Guid statementId, CancellationToken ct)
    {
        await PayRunSql.ExecuteAsync(unit.Connection, unit.Transaction, "UPDATE payroll.pay_statements SET version = version + 1 WHERE id = $1", ct, statementId);
        if (await PayStatements.ReadAsync(unit.Connection, unit.Transaction, statementId, ct) is { } view)
        {
            await unit.PublishAsync(statements.ToMessage(view));
        }
    }

    private const string Select = """
        SELECT id, submission_id, statement_id, worker_id, question, received_at, status, answer, outcome, answered_by, answered_at
        FROM payroll.disputes
        """;

    private static async Task<List<DisputeView>> ReadAllAsync(NpgsqlCommand command, CancellationToken ct)
    {
        var disputes = new List<DisputeView>();
        await using var r = await command.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            string? Text(int i) => r.IsDBNull(i) ? null : r.GetString(i);
            disputes.Add(new DisputeView(r.GetGuid(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetGuid(2), Text(3), r.GetString(4),
                r.GetFieldValue<DateTimeOffset>(5), r.GetString(6), Text(7), Text(8), Text(9),
                r.IsDBNull(10) ? null : r.GetFieldValue<DateTimeOffset>(10)));
        }
        return disputes;
    }
}
