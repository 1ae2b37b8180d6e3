using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Npgsql;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;

namespace OneClickSuite.OdkAdapter.Statements;

/// <summary>
/// Reads workers' queries about their statements (form <c>pay_query</c>: the worker, the statement picked from the
/// <c>pay_statements</c> list, the question) incrementally, as the activity intake reads reports: OData after a cursor
/// on <c>__system</c> timestamps, paged with <c>$skiptoken</c>. Each new or edited query is published to Payroll
/// (<see cref="PayQueryReceivedV1"/>), where it becomes a dispute a clerk answers; cursor, state and message commit
/// together (outbox). A query whose statement is unknown still goes on: the clerk sees what was asked.
/// </summary>
public sealed class QueryIntake(
    IServiceScopeFactory scopes,
    SuiteDatabase database,
    TransactionalOutbox outbox,
    Roster.OdkProject project,
    IOptions<StatementOptions> options,
    TimeProvider clock,
    ILogger<QueryIntake> logger) : BackgroundService
{
    private readonly SemaphoreSlim _polling = new(1, 1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodically.RunAsync(ct => PollOnceAsync(ct), () => options.Value.PollInterval, clock, logger, "Query intake: poll failed", stoppingToken);

    /// <summary>Reads every query changed since the cursor; answers how many were read. One poll at a time in this process.</summary>
    public async Task<int> PollOnceAsync(CancellationToken ct, bool wait = true)
    {
        if (!await _polling.WaitAsync(wait ? Timeout.Infinite : 0, ct)) throw new AlreadyRunning("a query poll");
        try
        {
            var settings = options.Value;
            var projectId = await project.IdAsync(ct);
            using var scope = scopes.CreateScope();
            var odk = scope.ServiceProvider.GetRequiredService<OdkClient>();
            var since = await CursorAsync(settings.QueryFormId, ct);
            var filter = since is { } at ? OdkOData.ChangedSince(at - settings.CursorOverlap) : null;
            var read = 0;
            await foreach (var page in odk.GetSubmissionPagesAsync(projectId, settings.QueryFormId, filter, settings.PageSize, ct))
            {
                read += page.Count;
                await ApplyPageAsync(page, ct);
            }
            return read;
        }
        finally
        {
            _polling.Release();
        }
    }

    private async Task<DateTimeOffset?> CursorAsync(string formId, CancellationToken ct)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand($"SELECT since FROM \"{database.Schema}\".query_cursor WHERE form_id = $1", connection)
        {
            Parameters = { new() { Value = formId } },
        };
        return await command.ExecuteScalarAsync(ct) is DateTime value ? new DateTimeOffset(DateTime.SpecifyKind(value, DateTimeKind.Utc)) : null;
    }

    private async Task ApplyPageAsync(IReadOnlyList<JsonObject> submissions, CancellationToken ct)
    {
        var schema = $"\"{database.Schema}\"";
        await using var tx = await outbox.BeginAsync(ct);
        DateTimeOffset? newest = null;
        foreach (var row in submissions)
        {
            var system = row["__system"] as JsonObject;
            var submittedAt = Instant(system?["submissionDate"]);
            var changedAt = Latest(Instant(system?["updatedAt"]) ?? submittedAt, Instant(system?["deletedAt"]));
            if (changedAt is { } changed && (newest is null || changed > newest)) newest = changed;
            var instanceId = Text(row["__id"]) ?? Text(row["meta"]?["instanceID"]);
            if (instanceId is null || Instant(system?["deletedAt"]) is not null) continue;
            var version = changedAt?.ToUnixTimeMilliseconds() ?? 0;

            await using (var seen = tx.Command($"SELECT version FROM {schema}.query_submissions WHERE instance_id = $1 FOR UPDATE"))
            {
                seen.Parameters.Add(new() { Value = instanceId });
                if (await seen.ExecuteScalarAsync(ct) is long known && known >= version) continue;
            }
            string? workerId = null;
            if (Guid.TryParse(Text(row["worker"]), out var entity))
            {
                await using var worker = tx.Command($"SELECT worker_id FROM {schema}.roster_entities WHERE entity_uuid = $1");
                worker.Parameters.Add(new() { Value = entity });
                workerId = await worker.ExecuteScalarAsync(ct) as string;
            }
            // The form stores the statement's entity uuid: Payroll knows the statement by its own id.
            var statement = Text(row["statement"]);
            if (Guid.TryParse(statement, out var statementEntity))
            {
                await using var find = tx.Command($"SELECT statement_id FROM {schema}.statement_entities WHERE entity_uuid = $1");
                find.Parameters.Add(new() { Value = statementEntity });
                if (await find.ExecuteScalarAsync(ct) is Guid statementId) statement = statementId.ToString();
            }
            var question = Text(row["question"]);
            await tx.PublishAsync(new PayQueryReceivedV1(instanceId, statement, workerId ?? Text(row["worker"]),
                string.IsNullOrWhiteSpace(question) ? "(no question written)" : question, submittedAt ?? clock.GetUtcNow(), version));
            await using (var record = tx.Command($"""
                INSERT INTO {schema}.query_submissions (instance_id, version) VALUES ($1, $2)
                ON CONFLICT (instance_id) DO UPDATE SET version = excluded.version, updated_at = now()
                """))
            {
                record.Parameters.Add(new() { Value = instanceId });
                record.Parameters.Add(new() { Value = version });
                await record.ExecuteNonQueryAsync(ct);
            }
        }
        if (newest is { } cursor)
        {
            await using var save = tx.Command($"""
                INSERT INTO {schema}.query_cursor (form_id, since, polled_at) VALUES ($1, $2, now())
                ON CONFLICT (form_id) DO UPDATE SET since = GREATEST({schema}.query_cursor.since, excluded.since), polled_at = now()
                """);
            save.Parameters.Add(new() { Value = options.Value.QueryFormId });
            save.Parameters.Add(new() { Value = cursor });
            await save.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;

    private static string? Text(JsonNode? node) =>
        node is JsonValue value ? (value.TryGetValue<string>(out var text) ? text : value.ToJsonString().Trim('"')) : null;

    private static DateTimeOffset? Instant(JsonNode? node) =>
        DateTimeOffset.TryParse(Text(node), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}

public static class StatementRegistration
{
    /// <summary>Statements written to ODK and queries read from it (options section "Statements").</summary>
    public static IHostApplicationBuilder AddStatements(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StatementOptions>().Bind(builder.Configuration.GetSection(StatementOptions.SectionName));
        builder.Services.AddTransient<StatementEntities>();
        builder.Services.AddSingleton<QueryIntake>();
        builder.Services.AddHostedService(services => services.GetRequiredService<QueryIntake>());
        return builder;
    }

    /// <summary><c>POST /queries/poll</c>: read workers' queries now; answers how many submissions were read.</summary>
    public static void MapQueryPoll(this WebApplication app) =>
        app.MapPost("/queries/poll", (QueryIntake intake, CancellationToken ct) =>
                AlreadyRunning.AnswerConflict(async () => Results.Ok(new { read = await intake.PollOnceAsync(ct, wait: false) })))
            .RequireSuitePolicy(SuiteIdentity.Operate);
}
