using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Npgsql;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>
/// The GSMA Mobile Money API v1.2 surface the suite uses (disbursements OpenAPI, plus the account holder name of
/// the master OpenAPI). POST and PATCH are asynchronous only (api-service-definition.md, "Batch Transactions API").
/// </summary>
public static class Api
{
    private const long MaxBatchBodyBytes = 512L * 1024 * 1024;

    public static void MapGsmaApi(this WebApplication app, ProviderOptions options)
    {
        var api = app.MapGroup(options.BasePath).AddEndpointFilter(AuthenticateAsync);
        api.MapPost("/batchtransactions", CreateBatchAsync);
        api.MapGet("/batchtransactions/{batchId}", GetBatchAsync);
        api.MapPatch("/batchtransactions/{batchId}", UpdateBatchAsync);
        api.MapGet("/batchtransactions/{batchId}/completions", (HttpContext http, string batchId, NpgsqlDataSource db, IOptions<ProviderOptions> o, CancellationToken ct) =>
            PageAsync(http, batchId, completions: true, db, o.Value, ct));
        api.MapGet("/batchtransactions/{batchId}/rejections", (HttpContext http, string batchId, NpgsqlDataSource db, IOptions<ProviderOptions> o, CancellationToken ct) =>
            PageAsync(http, batchId, completions: false, db, o.Value, ct));
        api.MapGet("/requeststates/{serverCorrelationId}", GetRequestStateAsync);
        api.MapGet("/responses/{clientCorrelationId}", GetResponseAsync);
        api.MapGet("/accounts/{identifierType}/{identifier}/accountname", GetAccountNameAsync);
        api.MapPost("/transactions/type/{transactionType}", CreateTransactionAsync);
        api.MapGet("/transactions/{transactionReference}", GetTransactionAsync);
        api.MapGet("/heartbeat", (Emulators.FaultSwitch faults) =>
        {
            var current = faults.Current;
            return current.FailureRate > 0 && current.Mode == Emulators.FaultModes.Slow
                ? Gsma.Json(new JsonObject { ["serviceStatus"] = "degraded", ["delay"] = current.DelayMs ?? 2_000 }, 200)
                : Gsma.Json(new JsonObject { ["serviceStatus"] = "available" }, 200);
        });
    }

    /// <summary>
    /// X-API-Key (get-started.md, "Custom Request Headers": the pre-shared client key) must equal MobileMoney:ApiKey,
    /// and X-Client-Id MobileMoney:ClientId when that is set; otherwise 401 authorisation/clientAuthorisationError.
    /// An X-Date that is not a date is a validation error.
    /// </summary>
    private static async ValueTask<object?> AuthenticateAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var options = http.RequestServices.GetRequiredService<IOptions<ProviderOptions>>().Value;
        if (!Same(http.Request.Headers["X-API-Key"].ToString(), options.ApiKey!)
            || options.ClientId is { Length: > 0 } clientId && !Same(http.Request.Headers["X-Client-Id"].ToString(), clientId))
        {
            return GsmaError.Unauthorised.ToResult();
        }
        var date = http.Request.Headers["X-Date"].ToString();
        if (date.Length > 0 && !Gsma.IsDate(date))
            return GsmaError.Validation("formatError", "X-Date is not a date.", "X-Date", date).ToResult();
        return await next(context);
    }

    private static bool Same(string supplied, string expected) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(supplied), Encoding.UTF8.GetBytes(expected));

    /// <summary>X-CorrelationID (UUID, optional) and X-Callback-URL (optional; polling without it).</summary>
    private static GsmaError? AsyncHeaders(HttpContext http, out Guid? correlationId, out string? callbackUrl)
    {
        correlationId = null;
        callbackUrl = null;
        var correlation = http.Request.Headers["X-CorrelationID"].ToString();
        if (correlation.Length > 0)
        {
            if (!Gsma.IsUuid(correlation)) return GsmaError.Validation("formatError", "X-CorrelationID must be a UUID.", "X-CorrelationID", correlation);
            correlationId = Guid.Parse(correlation);
        }
        var callback = http.Request.Headers["X-Callback-URL"].ToString();
        if (callback.Length > 0)
        {
            if (!Uri.TryCreate(callback, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                return GsmaError.Validation("formatError", "X-Callback-URL must be an absolute http(s) URL.", "X-Callback-URL", callback);
            callbackUrl = callback;
        }
        return null;
    }

    private static readonly GsmaError Duplicate = new("businessRule", "duplicateRequest",
        "A request with this X-CorrelationID has already been received.");

    /// <summary>Records an asynchronous request; null when the client correlation id was used before.</summary>
    internal static async Task<Guid?> InsertRequestAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid? clientCorrelationId,
        string kind, string? callbackUrl, string? target, byte[]? body, CancellationToken ct)
    {
        var id = Guid.NewGuid();
        await using var command = new NpgsqlCommand("""
            INSERT INTO mm_request (server_correlation_id, client_correlation_id, kind, notification_method, callback_url, target, body)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (client_correlation_id) DO NOTHING
            RETURNING server_correlation_id
            """, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter<Guid?> { TypedValue = clientCorrelationId, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = callbackUrl is null ? "polling" : "callback" });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)callbackUrl ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)target ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)body ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
        return await command.ExecuteScalarAsync(ct) is Guid created ? created : null;
    }

    private static async Task<byte[]> ReadBodyAsync(HttpContext http, long limit, CancellationToken ct)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct);
        return buffer.ToArray();
    }

    private static JsonDocument? ParseJson(byte[] body)
    {
        try { return JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 }); }
        catch (JsonException) { return null; }
    }

    /// <summary>
    /// POST /batchtransactions (batchtransactionsPOST): the envelope is checked now (requestBatchTransaction:
    /// transactions 1–999,999, batchTitle/batchDescription ≤ 256), each record while the batch is parsed.
    /// </summary>
    private static async Task<IResult> CreateBatchAsync(HttpContext http, NpgsqlDataSource db, RequestWorker worker, CancellationToken ct)
    {
        var headerError = AsyncHeaders(http, out var correlationId, out var callbackUrl);
        if (headerError is not null) return headerError.ToResult();
        var body = await ReadBodyAsync(http, MaxBatchBodyBytes, ct);
        using (var document = ParseJson(body))
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
                return GsmaError.Validation("formatError", "The body is not a JSON object.").ToResult();
            var root = document.RootElement;
            if (!root.TryGetProperty("transactions", out var transactions) || transactions.ValueKind == JsonValueKind.Null)
                return GsmaError.Validation("mandatoryValueNotSupplied", "transactions is missing.", "transactions").ToResult();
            if (transactions.ValueKind != JsonValueKind.Array)
                return GsmaError.Validation("formatError", "transactions must be an array.", "transactions").ToResult();
            var count = transactions.GetArrayLength();
            if (count is < 1 or > 999_999)
                return GsmaError.Validation("lengthError", "A batch holds 1 to 999,999 transactions.", "transactions",
                    count.ToString(CultureInfo.InvariantCulture)).ToResult();
            foreach (var name in new[] { "batchTitle", "batchDescription" })
            {
                var problem = Gsma.OptionalString(root, name, 256, out _, caseInsensitive: true);
                if (problem is not null) return GsmaError.Validation("lengthError", problem + ".", name).ToResult();
            }
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await InsertRequestAsync(connection, null, correlationId, RequestKinds.CreateBatch, callbackUrl, null, body, ct);
        if (id is null) return Duplicate.ToResult();
        worker.Signal();
        return Gsma.Json(Representations.PendingState(id.Value, callbackUrl is null ? "polling" : "callback"), 202);
    }

    private static async Task<IResult> GetBatchAsync(string batchId, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var batch = await Representations.BatchAsync(connection, batchId, ct);
        return batch is null ? GsmaError.NotFound("batch", batchId).ToResult() : Gsma.Json(batch, 200);
    }

    /// <summary>
    /// PATCH /batchtransactions/{batchId} (batchtransactionsBatchIdPATCH, genericPatch): only
    /// [{"op":"replace","path":"/batchStatus","value":"approved"}] of a batch in state "created" is accepted; the
    /// request is answered 202 and the batch is posted by the worker.
    /// </summary>
    private static async Task<IResult> UpdateBatchAsync(HttpContext http, string batchId, NpgsqlDataSource db, RequestWorker worker, CancellationToken ct)
    {
        var headerError = AsyncHeaders(http, out var correlationId, out var callbackUrl);
        if (headerError is not null) return headerError.ToResult();
        var body = await ReadBodyAsync(http, 64 * 1024, ct);
        using (var document = ParseJson(body))
        {
            var patchError = PatchProblem(document);
            if (patchError is not null) return patchError.ToResult();
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var id = await InsertRequestAsync(connection, transaction, correlationId, RequestKinds.ApproveBatch, callbackUrl, batchId, null, ct);
        if (id is null) return Duplicate.ToResult();
        string? status;
        await using (var find = new NpgsqlCommand("SELECT status FROM mm_batch WHERE batch_id = $1 FOR UPDATE", connection, transaction))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = batchId });
            status = await find.ExecuteScalarAsync(ct) as string;
        }
        if (status is null) return GsmaError.NotFound("batch", batchId).ToResult();
        if (status != "created")
        {
            return new GsmaError("businessRule", "incorrectState", $"The batch is {status}: only a created batch can be approved.",
                [("batchStatus", status)]).ToResult();
        }
        await using (var approve = new NpgsqlCommand("""
            UPDATE mm_batch SET status = 'approved', approval_date = now(), modification_date = now(), processing_flag = true
            WHERE batch_id = $1
            """, connection, transaction))
        {
            approve.Parameters.Add(new NpgsqlParameter { Value = batchId });
            await approve.ExecuteNonQueryAsync(ct);
        }
        await transaction.CommitAsync(ct);
        worker.Signal();
        return Gsma.Json(Representations.PendingState(id.Value, callbackUrl is null ? "polling" : "callback"), 202);
    }

    private static GsmaError? PatchProblem(JsonDocument? document)
    {
        if (document is null || document.RootElement.ValueKind != JsonValueKind.Array)
            return GsmaError.Validation("formatError", "The body must be an array of patch operations.");
        var operations = document.RootElement;
        if (operations.GetArrayLength() is < 1 or > 10)
            return GsmaError.Validation("lengthError", "A patch holds 1 to 10 operations.");
        foreach (var operation in operations.EnumerateArray())
        {
            if (operation.ValueKind != JsonValueKind.Object) return GsmaError.Validation("formatError", "A patch operation must be an object.");
            foreach (var name in new[] { "op", "path", "value" })
            {
                if (!operation.TryGetProperty(name, out var field) || field.ValueKind != JsonValueKind.String)
                    return GsmaError.Validation("mandatoryValueNotSupplied", $"{name} is missing.", name);
            }
            var op = operation.GetProperty("op").GetString();
            if (op is not ("replace" or "add")) return GsmaError.Validation("formatError", "op must be replace or add.", "op", op);
            var path = operation.GetProperty("path").GetString();
            if (path != "/batchStatus") return GsmaError.Validation("formatError", "Only batchStatus can be modified.", "path", path);
            var value = operation.GetProperty("value").GetString();
            if (value is not ("created" or "approved" or "completed"))
                return GsmaError.Validation("formatError", "batchStatus must be created, approved or completed.", "value", value);
            if (value != "approved")
                return new GsmaError("businessRule", "incorrectState", "A client can only set batchStatus to approved.", [("value", value!)]);
        }
        return null;
    }

    /// <summary>GET …/completions and …/rejections: limit (default 50, at most MaxPageLimit), offset, fromDateTime, toDateTime.</summary>
    private static async Task<IResult> PageAsync(HttpContext http, string batchId, bool completions, NpgsqlDataSource db,
        ProviderOptions options, CancellationToken ct)
    {
        var query = http.Request.Query;
        var limit = 50;
        if (query["limit"].ToString() is { Length: > 0 } limitText)
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1)
                return GsmaError.Validation("formatError", "limit must be a positive integer.", "limit", limitText).ToResult();
            limit = Math.Min(limit, options.MaxPageLimit);
        }
        var offset = 0;
        if (query["offset"].ToString() is { Length: > 0 } offsetText
            && (!int.TryParse(offsetText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out offset) || offset < 0))
        {
            return GsmaError.Validation("invalidOffset", "offset must be zero or a positive integer.", "offset", offsetText).ToResult();
        }
        DateTimeOffset? from = null, to = null;
        foreach (var (name, isFrom) in new[] { ("fromDateTime", true), ("toDateTime", false) })
        {
            if (query[name].ToString() is not { Length: > 0 } text) continue;
            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                return GsmaError.Validation("formatError", $"{name} is not a date-time.", name, text).ToResult();
            if (isFrom) from = parsed; else to = parsed;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        long pk;
        int total;
        await using (var find = new NpgsqlCommand(
            $"SELECT id, {(completions ? "completed_count" : "rejection_count")} FROM mm_batch WHERE batch_id = $1", connection))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = batchId });
            await using var reader = await find.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return GsmaError.NotFound("batch", batchId).ToResult();
            (pk, total) = (reader.GetInt64(0), reader.GetInt32(1));
        }

        var number = completions ? "completion_no" : "rejection_no";
        var date = completions ? "completion_date" : "rejection_date";
        var columns = completions
            ? "transaction_reference, requesting_reference, credit_party::text, debit_party::text, completion_date"
            : "transaction_reference, requesting_reference, credit_party::text, debit_party::text, rejection_date, rejection_reason";
        NpgsqlCommand command;
        if (from is null && to is null)
        {
            // Dense numbering: the page is an index range, however deep the offset.
            command = new NpgsqlCommand($"""
                SELECT {columns} FROM mm_batch_txn WHERE batch_id = $1 AND {number} > $2 AND {number} <= $3 ORDER BY {number}
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = pk });
            command.Parameters.Add(new NpgsqlParameter { Value = offset });
            command.Parameters.Add(new NpgsqlParameter { Value = (int)Math.Min(int.MaxValue, (long)offset + limit) });
        }
        else
        {
            var filter = $"batch_id = $1 AND {number} IS NOT NULL AND ($2::timestamptz IS NULL OR {date} >= $2) AND ($3::timestamptz IS NULL OR {date} <= $3)";
            await using (var count = new NpgsqlCommand($"SELECT count(*) FROM mm_batch_txn WHERE {filter}", connection))
            {
                AddRange(count, pk, from, to);
                total = (int)(long)(await count.ExecuteScalarAsync(ct))!;
            }
            command = new NpgsqlCommand($"SELECT {columns} FROM mm_batch_txn WHERE {filter} ORDER BY {number} OFFSET $4 LIMIT $5", connection);
            AddRange(command, pk, from, to);
            command.Parameters.Add(new NpgsqlParameter { Value = offset });
            command.Parameters.Add(new NpgsqlParameter { Value = limit });
        }

        var linkBase = $"{http.Request.Scheme}://{http.Request.Host}{options.BasePath}/transactions/";
        using var buffer = new MemoryStream();
        var returned = 0;
        await using (command)
        await using (var reader = await command.ExecuteReaderAsync(ct))
        await using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            while (await reader.ReadAsync(ct))
            {
                returned++;
                writer.WriteStartObject();
                if (!reader.IsDBNull(0)) writer.WriteString("transactionReference", reader.GetString(0));
                if (!reader.IsDBNull(1)) writer.WriteString("requestingOrganisationTransactionReference", reader.GetString(1));
                writer.WritePropertyName("creditParty");
                writer.WriteRawValue(reader.GetString(2), skipInputValidation: true);
                writer.WritePropertyName("debitParty");
                writer.WriteRawValue(reader.GetString(3), skipInputValidation: true);
                if (completions)
                {
                    writer.WriteString("completionDate", Gsma.Date(reader.GetFieldValue<DateTimeOffset>(4)));
                    writer.WriteString("link", linkBase + Uri.EscapeDataString(reader.GetString(0)));
                }
                else
                {
                    writer.WriteString("rejectionReason", reader.GetString(5));
                    writer.WriteString("rejectionDate", Gsma.Date(reader.GetFieldValue<DateTimeOffset>(4)));
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        http.Response.Headers["X-Records-Available-Count"] = total.ToString(CultureInfo.InvariantCulture);
        http.Response.Headers["X-Records-Returned-Count"] = returned.ToString(CultureInfo.InvariantCulture);
        return Results.Bytes(buffer.ToArray(), "application/json; charset=utf-8");
    }

    private static void AddRange(NpgsqlCommand command, long pk, DateTimeOffset? from, DateTimeOffset? to)
    {
        command.Parameters.Add(new NpgsqlParameter { Value = pk });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = from?.ToUniversalTime(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = to?.ToUniversalTime(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
    }

    private static async Task<IResult> GetRequestStateAsync(string serverCorrelationId, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!Gsma.IsUuid(serverCorrelationId))
            return GsmaError.Validation("formatError", "serverCorrelationId must be a UUID.", "serverCorrelationId", serverCorrelationId).ToResult();
        await using var connection = await db.OpenConnectionAsync(ct);
        var state = await Representations.RequestStateAsync(connection, Guid.Parse(serverCorrelationId), ct);
        return state is null ? GsmaError.NotFound("request state", serverCorrelationId).ToResult() : Gsma.Json(state, 200);
    }

    /// <summary>
    /// GET /responses/{clientCorrelationId} (responsesClientCorrelationIdGET, get-started.md "Missing Response
    /// Retrieval"): a link to what the request created; while the request has created nothing yet (pending) or
    /// failed, a link to its request state.
    /// </summary>
    private static async Task<IResult> GetResponseAsync(HttpContext http, string clientCorrelationId, NpgsqlDataSource db,
        IOptions<ProviderOptions> options, CancellationToken ct)
    {
        if (!Gsma.IsUuid(clientCorrelationId))
            return GsmaError.Validation("formatError", "clientCorrelationId must be a UUID.", "clientCorrelationId", clientCorrelationId).ToResult();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT server_correlation_id, kind, status, object_reference FROM mm_request WHERE client_correlation_id = $1
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Guid.Parse(clientCorrelationId) });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return GsmaError.NotFound("response", clientCorrelationId).ToResult();
        var root = $"{http.Request.Scheme}://{http.Request.Host}{options.Value.BasePath}";
        var kind = reader.GetString(1);
        var link = reader.GetString(2) == "completed" && !reader.IsDBNull(3)
            ? kind == RequestKinds.CreateTransaction
                ? $"{root}/transactions/{Uri.EscapeDataString(reader.GetString(3))}"
                : $"{root}/batchtransactions/{Uri.EscapeDataString(reader.GetString(3))}"
            : $"{root}/requeststates/{reader.GetGuid(0)}";
        return Gsma.Json(new JsonObject { ["link"] = link }, 200);
    }

    /// <summary>The identifierType enum of the master OpenAPI (parameters/identifierType).</summary>
    private static readonly HashSet<string> IdentifierTypes =
    [
        "accountid", "msisdn", "walletid", "linkref", "consumerno", "serviceprovider", "storeid", "accountcategory", "bankaccountno",
        "accountrank", "identityalias", "iban", "swiftbic", "sortcode", "organisationid", "bankname", "bankaccounttitle", "username",
        "emailaddress", "mandatereference",
    ];

    /// <summary>GET /accounts/{identifierType}/{identifier}/accountname (accountsIdentifierTypeIdentifierAccountnameGET): responseAccountName.</summary>
    private static async Task<IResult> GetAccountNameAsync(string identifierType, string identifier, NpgsqlDataSource db, CancellationToken ct)
    {
        if (!IdentifierTypes.Contains(identifierType))
            return GsmaError.Validation("formatError", "identifierType is not an account identifier type.", "identifierType", identifierType).ToResult();
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT w.name, w.first_name, w.last_name FROM mm_wallet_identifier i JOIN mm_wallet w ON w.id = i.wallet_id
            WHERE i.key = $1 AND i.value = $2
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = identifierType });
        command.Parameters.Add(new NpgsqlParameter { Value = identifier });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return GsmaError.NotFound("account", identifier).ToResult();
        var name = new JsonObject();
        if (!reader.IsDBNull(1)) name["firstName"] = reader.GetString(1);
        if (!reader.IsDBNull(2)) name["lastName"] = reader.GetString(2);
        name["fullName"] = reader.GetString(0);
        return Gsma.Json(new JsonObject { ["name"] = name }, 200);
    }

    /// <summary>
    /// POST /transactions/type/{transactionType} (transactionstypetransactionTypePUT, requestTransactionType):
    /// validated now, posted by the worker; debitParty defaults to the disbursement account.
    /// </summary>
    private static async Task<IResult> CreateTransactionAsync(HttpContext http, string transactionType, NpgsqlDataSource db,
        RequestWorker worker, CancellationToken ct)
    {
        if (!Gsma.TransactionTypes.Contains(transactionType))
            return GsmaError.Validation("formatError", "transactionType is not a transaction type.", "transactionType", transactionType).ToResult();
        if (!Gsma.PostedTypes.Contains(transactionType))
            return new GsmaError("businessRule", "transactionTypeError", $"This provider does not accept {transactionType} transactions.",
                [("transactionType", transactionType)]).ToResult();
        var headerError = AsyncHeaders(http, out var correlationId, out var callbackUrl);
        if (headerError is not null) return headerError.ToResult();
        var body = await ReadBodyAsync(http, 1024 * 1024, ct);
        using (var document = ParseJson(body))
        {
            if (document is null || document.RootElement.ValueKind != JsonValueKind.Object)
                return GsmaError.Validation("formatError", "The body is not a JSON object.").ToResult();
            var problem = Records.Check(document.RootElement, requireDebitParty: false, requireType: false);
            if (problem is not null) return problem.ToResult();
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        var id = await InsertRequestAsync(connection, null, correlationId, RequestKinds.CreateTransaction, callbackUrl, transactionType, body, ct);
        if (id is null) return Duplicate.ToResult();
        worker.Signal();
        return Gsma.Json(Representations.PendingState(id.Value, callbackUrl is null ? "polling" : "callback"), 202);
    }

    private static async Task<IResult> GetTransactionAsync(string transactionReference, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var transaction = await Representations.TransactionAsync(connection, transactionReference, ct);
        return transaction is null ? GsmaError.NotFound("transaction", transactionReference).ToResult() : Gsma.Json(transaction, 200);
    }
}

public static class RequestKinds
{
    public const string CreateBatch = "create-batch";
    public const string ApproveBatch = "approve-batch";
    public const string CreateTransaction = "create-transaction";
}
