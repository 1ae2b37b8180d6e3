using System.Diagnostics;
using Npgsql;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// Runs API calls the way Fineract's command pipeline does, with its idempotency rules
/// (SynchronousCommandProcessingService, IdempotencyStoreFilter):
/// a key is unique per (action, entity) across the tenant; a finished command is replayed with
/// x-served-from-cache; one still running answers 425 after Fineract's retries; a failed one replays its error.
/// </summary>
/// <remarks>
/// The key row is inserted first, inside the command's own transaction, and is updated with the response in that
/// same transaction. A second request with the same key blocks on the uncommitted row (unique index) and, after a
/// short lock timeout, is told the command is in flight. Nothing is ever left half-done: a crash rolls back the
/// effects and the key together. This holds across processes sharing the database.
/// </remarks>
public sealed class CommandPipeline(NpgsqlDataSource db, RouteTable routes, CommandGate gate, ILogger<CommandPipeline> logger)
{
    public const int MaxKeyLength = 50;
    public const string InFlightStatus = "UNDER_PROCESSING";
    public static readonly ActivitySource Activity = new("OneClickSuite.Emulators.Fineract");

    /// <summary>resilience4j executeCommand: 3 attempts, 1 s wait, backoff x2 (application.properties).</summary>
    public TimeSpan[] InFlightRetryDelays { get; set; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    public async Task<ApiResult> ExecuteAsync(ApiRequest request, CancellationToken ct)
    {
        try
        {
            var (route, values) = routes.Find(request)!.Value;
            using var activity = Activity.StartActivity($"{route.Method} {route.Template}");
            if (!route.IsCommand)
            {
                await using var connection = await db.OpenConnectionAsync(ct);
                var body = await route.Handler(new CommandContext(connection, null, request, values, JsonCommand.Empty));
                return new ApiResult(200, body);
            }
            var json = JsonCommand.Parse(request.Body);
            CheckKeyLength(request.IdempotencyKey);
            return request.IdempotencyKey is null
                ? await RunAsync(route, values, request, json, ct)
                : await RunIdempotentAsync(route, values, request, json, request.IdempotencyKey, ct);
        }
        catch (FineractException ex)
        {
            return new ApiResult(ex.Status, ex.Body);
        }
    }

    /// <summary>One item of a batch inside the batch's enclosing transaction: any failure is thrown to the caller.</summary>
    public async Task<ApiResult> ExecuteInTransactionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction,
        Route route, string[] values, ApiRequest request, CancellationToken ct)
    {
        if (!route.IsCommand)
            return new ApiResult(200, await route.Handler(new CommandContext(connection, transaction, request, values, JsonCommand.Empty)));
        var json = JsonCommand.Parse(request.Body);
        CheckKeyLength(request.IdempotencyKey);
        long? commandId = null;
        if (request.IdempotencyKey is { } key)
        {
            var claim = await ClaimAsync(connection, transaction, route, key, savepoint: false, ct);
            if (claim.Replay is not null) return claim.Replay;
            commandId = claim.CommandId;
        }
        await gate.PassAsync(request, ct);
        var body = await route.Handler(new CommandContext(connection, transaction, request, values, json));
        if (commandId is { } id) await StoreAsync(connection, transaction, id, "PROCESSED", 200, body, ct);
        return new ApiResult(200, body);
    }

    public static void CheckKeyLength(string? key)
    {
        // Fineract keeps the key in a varchar(50) column; a longer one cannot be stored.
        if (key is { Length: > MaxKeyLength })
            throw FineractException.Validation(new ParameterError("validation.msg.idempotency.key.exceeds.max.length",
                $"The parameter `Idempotency-Key` exceeds max length of {MaxKeyLength}.", "Idempotency-Key", [MaxKeyLength, key]));
    }

    private async Task<ApiResult> RunAsync(Route route, string[] values, ApiRequest request, JsonCommand json, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await gate.PassAsync(request, ct);
        var body = await route.Handler(new CommandContext(connection, transaction, request, values, json));
        await transaction.CommitAsync(ct);
        return new ApiResult(200, body);
    }

    private async Task<ApiResult> RunIdempotentAsync(Route route, string[] values, ApiRequest request, JsonCommand json,
        string key, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            await using var transaction = await connection.BeginTransactionAsync(ct);
            Claim claim;
            try
            {
                claim = await ClaimAsync(connection, transaction, route, key, savepoint: true, ct);
            }
            catch (FineractException ex) when (ex.Status == 425)
            {
                await transaction.RollbackAsync(ct);
                if (attempt < InFlightRetryDelays.Length)
                {
                    await Task.Delay(InFlightRetryDelays[attempt], ct);
                    continue;
                }
                logger.LogInformation("Command {Action} {Entity} with key {Key} is still in flight", route.Action, route.Entity, key);
                // IdempotentCommandExceptionMapper answers 425 with the current request's own body.
                return new ApiResult(425, json.Raw, FromCache: true);
            }
            if (claim.Replay is not null)
            {
                await transaction.RollbackAsync(ct);
                return claim.Replay;
            }

            try
            {
                await gate.PassAsync(request, ct);
                var body = await route.Handler(new CommandContext(connection, transaction, request, values, json));
                await StoreAsync(connection, transaction, claim.CommandId, "PROCESSED", 200, body, ct);
                await transaction.CommitAsync(ct);
                return new ApiResult(200, body);
            }
            catch (FineractException ex)
            {
                // The effects go, the failure stays: a retry with the same key replays this error.
                await using (var rollback = new NpgsqlCommand("ROLLBACK TO SAVEPOINT command", connection, transaction))
                    await rollback.ExecuteNonQueryAsync(ct);
                await StoreAsync(connection, transaction, claim.CommandId, "ERROR", ex.Status, ex.Body, ct);
                await transaction.CommitAsync(ct);
                return new ApiResult(ex.Status, ex.Body);
            }
        }
    }

    private sealed record Claim(long CommandId, ApiResult? Replay);

    /// <summary>Inserts the key row first; an in-flight holder of the same key makes this wait, then give up with 425.</summary>
    private static async Task<Claim> ClaimAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Route route,
        string key, bool savepoint, CancellationToken ct)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = '250ms'"));
        var insert = new NpgsqlBatchCommand("""
            INSERT INTO m_portfolio_command_source (action_name, entity_name, idempotency_key, status)
            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id
            """);
        insert.Parameters.Add(new NpgsqlParameter { Value = route.Action });
        insert.Parameters.Add(new NpgsqlParameter { Value = route.Entity });
        insert.Parameters.Add(new NpgsqlParameter { Value = key });
        insert.Parameters.Add(new NpgsqlParameter { Value = InFlightStatus });
        batch.BatchCommands.Add(insert);
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL lock_timeout = 0"));
        if (savepoint) batch.BatchCommands.Add(new NpgsqlBatchCommand("SAVEPOINT command"));

        long? commandId = null;
        try
        {
            await using var reader = await batch.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) commandId = reader.GetInt64(0);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.LockNotAvailable)
        {
            throw new FineractException(425, "");
        }
        if (commandId is { } id) return new Claim(id, null);

        await using var select = new NpgsqlCommand("""
            SELECT status, result_status_code, result FROM m_portfolio_command_source
            WHERE action_name = $1 AND entity_name = $2 AND idempotency_key = $3
            """, connection, transaction);
        select.Parameters.Add(new NpgsqlParameter { Value = route.Action });
        select.Parameters.Add(new NpgsqlParameter { Value = route.Entity });
        select.Parameters.Add(new NpgsqlParameter { Value = key });
        await using var stored = await select.ExecuteReaderAsync(ct);
        if (!await stored.ReadAsync(ct) || stored.GetString(0) == InFlightStatus) throw new FineractException(425, "");
        return new Claim(0, new ApiResult(stored.GetInt32(1), stored.GetString(2), FromCache: true));
    }

    private static async Task StoreAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, long commandId,
        string status, int statusCode, string body, CancellationToken ct)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE m_portfolio_command_source SET status = $2, result_status_code = $3, result = $4 WHERE id = $1",
            connection, transaction);
        update.Parameters.Add(new NpgsqlParameter { Value = commandId });
        update.Parameters.Add(new NpgsqlParameter { Value = status });
        update.Parameters.Add(new NpgsqlParameter { Value = statusCode });
        update.Parameters.Add(new NpgsqlParameter { Value = body });
        await update.ExecuteNonQueryAsync(ct);
    }
}

/// <summary>
/// A point every command passes just before its work, after its idempotency key is taken.
/// Tests use it to hold a command in flight; in normal operation it does nothing.
/// </summary>
public sealed class CommandGate
{
    public Func<ApiRequest, CancellationToken, Task>? BeforeCommand { get; set; }

    public Task PassAsync(ApiRequest request, CancellationToken ct) => BeforeCommand?.Invoke(request, ct) ?? Task.CompletedTask;
}
