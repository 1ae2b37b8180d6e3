using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>
/// The operations app's batch reads (ph-ee-operations-app <c>BatchApi</c>, <c>BatchServiceImpl</c>), under
/// <c>/api/v1</c>. Tenant: header <c>Platform-TenantId</c> or parameter <c>tenantIdentifier</c>
/// (<c>TenantAwareHeaderFilter</c>: missing → 500, empty body). No bearer needed (<c>rest.authorization.enabled=false</c>).
/// </summary>
internal static class Operations
{
    public static void Map(WebApplication app)
    {
        app.MapGet("/api/v1/batch", BatchSummaryAsync);
        app.MapGet("/api/v1/batches/{batchId}", BatchAndSubBatchesAsync);
        app.MapGet("/api/v1/batch/detail", DetailAsync);
        app.MapGet("/api/v1/transfers", TransfersAsync);
    }

    /// <summary>
    /// <c>GET /api/v1/transfers</c> (OperationsDetailedApi.transfers): filters clientCorrelationId, transactionId,
    /// payeePartyId, currency, status; page from 0, size 1 by default, newest first (sortedOrder DESC on startedAt).
    /// Each row is a <c>TransferResponse</c>: errorInformation parsed as a PH-EE error object, null when not JSON.
    /// The page is built as <c>new PageImpl(list, pageable, transferPage.getTotalPages())</c>: its totalElements
    /// is the underlying page count, a quirk kept here.
    /// </summary>
    private static async Task<IResult> TransfersAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (Tenant(http) is not { } tenant) return Results.StatusCode(500);
        var q = http.Request.Query;
        string? F(string name) => q.TryGetValue(name, out var v) ? v.ToString() : null;
        var page = int.TryParse(q["page"], out var p) ? p : 0;
        var size = int.TryParse(q["size"], out var z) ? z : 1;
        if (page < 0 || size < 1) return Results.StatusCode(500);
        var ascending = string.Equals(F("sortedOrder"), "ASC", StringComparison.OrdinalIgnoreCase);
        var status = F("status")?.ToUpperInvariant() is "COMPLETED" or "FAILED" or "IN_PROGRESS" or "UNKNOWN" or "EXCEPTION"
            ? F("status")!.ToUpperInvariant() : null;
        const string Where = """
            FROM ph_transfer t JOIN ph_batch b ON b.batch_id = t.batch_id
            WHERE b.tenant = $1 AND ($2::text IS NULL OR t.client_correlation_id = $2) AND ($3::text IS NULL OR t.transaction_id = $3)
              AND ($4::text IS NULL OR t.payee_party_id = $4) AND ($5::text IS NULL OR t.currency = $5) AND ($6::text IS NULL OR t.status = $6)
            """;
        void Bind(NpgsqlCommand c)
        {
            c.Parameters.AddWithValue(tenant);
            foreach (var v in new[] { F("clientCorrelationId"), F("transactionId"), F("payeePartyId"), F("currency"), status })
                c.Parameters.AddWithValue((object?)v ?? DBNull.Value);
        }
        await using var connection = await db.OpenConnectionAsync(ct);
        long total;
        await using (var count = new NpgsqlCommand("SELECT count(*) " + Where, connection))
        {
            Bind(count);
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        var content = new JsonArray();
        await using (var select = new NpgsqlCommand($"""
            SELECT t.id, t.workflow_instance_key, t.transaction_id, t.started_at, t.completed_at, t.status, t.payee_dfsp_id,
                   t.payee_party_id, t.payee_party_id_type, t.payer_party_id, t.payer_party_id_type, t.amount, t.currency,
                   t.error_information, t.batch_id, t.client_correlation_id
            {Where} ORDER BY t.started_at {(ascending ? "ASC" : "DESC")}, t.id {(ascending ? "ASC" : "DESC")} LIMIT $7 OFFSET $8
            """, connection))
        {
            Bind(select);
            select.Parameters.AddWithValue(size);
            select.Parameters.AddWithValue((long)page * size);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var row = TransferJson(reader);
                JsonNode? error = null;
                try { error = row["errorInformation"] is { } e ? JsonNode.Parse(e.ToString()) as JsonObject : null; }
                catch (System.Text.Json.JsonException) { }
                row["errorInformation"] = error;
                row["workflowInstanceKey"] = reader.GetInt64(1);
                content.Add(row);
            }
        }
        var totalPages = (total + size - 1) / size;
        return Results.Json(PageJson(content, page, size, totalPages));
    }

    private static string? Tenant(HttpContext http) =>
        http.Request.Headers["Platform-TenantId"].ToString() is { Length: > 0 } t ? t
        : http.Request.Query["tenantIdentifier"].ToString() is { Length: > 0 } q ? q : null;

    internal sealed record Totals(long Total, long Ongoing, long Failed, long Completed, decimal TotalAmount, decimal CompletedAmount,
        decimal OngoingAmount, decimal FailedAmount);

    internal sealed record BatchRow(string BatchId, string RequestId, string? Note, DateTime StartedAt, DateTime? CompletedAt,
        string? Institution, string? Modes);

    internal static async Task<(BatchRow Batch, Totals Totals)?> LoadAsync(NpgsqlDataSource db, string tenant, string batchId, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT b.batch_id, b.request_id, b.note, b.started_at, b.completed_at, b.registering_institution_id,
                   (SELECT string_agg(DISTINCT t.payment_mode, ',') FROM ph_transfer t WHERE t.batch_id = b.batch_id),
                   count(t.id), count(t.id) FILTER (WHERE t.status = 'IN_PROGRESS'), count(t.id) FILTER (WHERE t.status = 'FAILED'),
                   count(t.id) FILTER (WHERE t.status = 'COMPLETED'), coalesce(sum(t.amount), 0),
                   coalesce(sum(t.amount) FILTER (WHERE t.status = 'COMPLETED'), 0),
                   coalesce(sum(t.amount) FILTER (WHERE t.status = 'IN_PROGRESS'), 0),
                   coalesce(sum(t.amount) FILTER (WHERE t.status = 'FAILED'), 0)
            FROM ph_batch b LEFT JOIN ph_transfer t ON t.batch_id = b.batch_id
            WHERE b.batch_id = $1 AND b.tenant = $2
            GROUP BY b.batch_id
            """);
        command.Parameters.AddWithValue(batchId);
        command.Parameters.AddWithValue(tenant);
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return (new BatchRow(reader.GetString(0), reader.GetString(1), S(2), reader.GetDateTime(3),
                reader.IsDBNull(4) ? null : reader.GetDateTime(4), S(5), S(6)),
            new Totals(reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10), reader.GetDecimal(11),
                reader.GetDecimal(12), reader.GetDecimal(13), reader.GetDecimal(14)));
    }

    /// <summary>DecimalFormat("#.##") rounding FLOOR, as generateBatchSummaryResponse formats percentages.</summary>
    private static string Percent(long part, long total)
    {
        var value = total == 0 ? 0d : (double)part / total * 100;
        return (Math.Floor(value * 100) / 100).ToString("0.##", CultureInfo.InvariantCulture);
    }

    /// <summary>Batch amounts are Long columns in the operations app (<c>Batch.totalAmount</c>): fractions are dropped.</summary>
    private static long Whole(decimal amount) => (long)decimal.Truncate(amount);

    /// <summary>
    /// <c>GET /api/v1/batch?batchId=</c> → <c>BatchDTO</c> (BatchApi.batchDetails, generateBatchSummaryResponse);
    /// unknown batch: 404 with a plain-text message.
    /// </summary>
    private static async Task<IResult> BatchSummaryAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (Tenant(http) is not { } tenant) return Results.StatusCode(500);
        var batchId = http.Request.Query["batchId"].ToString();
        var loaded = await LoadAsync(db, tenant, batchId, ct);
        if (loaded is not var (batch, t))
            return Results.Text($"Batch corresponding to batchId: {(batchId.Length == 0 ? "null" : batchId)} does not exist.", "text/plain", statusCode: 404);
        var status = t.Total == t.Completed ? "COMPLETED"
            : t.Ongoing != 0 && batch.CompletedAt is null ? "Pending"
            : "UNKNOWN";
        return Results.Json(new JsonObject
        {
            ["batchId"] = batch.BatchId,
            ["requestId"] = batch.RequestId,
            ["total"] = t.Total,
            ["ongoing"] = t.Ongoing,
            ["failed"] = t.Failed,
            ["successful"] = t.Completed,
            ["totalAmount"] = Whole(t.TotalAmount),
            ["successfulAmount"] = Whole(t.CompletedAmount),
            ["pendingAmount"] = Whole(t.OngoingAmount),
            ["failedAmount"] = Whole(t.FailedAmount),
            ["file"] = null,
            ["notes"] = batch.Note,
            ["createdAt"] = null,
            ["status"] = status,
            ["modes"] = null,
            ["purpose"] = null,
            ["failPercentage"] = Percent(t.Failed, t.Total),
            ["successPercentage"] = Percent(t.Completed, t.Total),
            ["registeringInstitutionId"] = batch.Institution,
            ["payerFsp"] = null,
            ["correlationId"] = batch.RequestId,
        });
    }

    /// <summary>
    /// <c>GET /api/v1/batches/{batchId}</c> with required header <c>X-Correlation-ID</c> →
    /// <c>BatchAndSubBatchSummaryResponse</c> (BatchServiceImpl.updateResponseWithBatchInfo); unknown: 404, empty body.
    /// </summary>
    private static async Task<IResult> BatchAndSubBatchesAsync(HttpContext http, string batchId, NpgsqlDataSource db, CancellationToken ct)
    {
        if (Tenant(http) is not { } tenant) return Results.StatusCode(500);
        if (!http.Request.Headers.ContainsKey("X-Correlation-ID")) return Results.StatusCode(400);
        var loaded = await LoadAsync(db, tenant, batchId, ct);
        if (loaded is not var (batch, t)) return Results.StatusCode(404);
        var status = t.Total > 0 && t.Total == t.Completed ? "COMPLETED" : t.Ongoing > 0 ? "IN_PROGRESS" : t.Failed > 0 ? "FAILED" : "null";
        return Results.Json(new JsonObject
        {
            ["batchId"] = batch.BatchId,
            ["requestId"] = batch.RequestId,
            ["startedAt"] = Date(batch.StartedAt),
            ["completedAt"] = batch.CompletedAt is { } c ? Date(c) : null,
            ["registeringInstitutionId"] = batch.Institution,
            ["total"] = t.Total,
            ["ongoing"] = t.Ongoing,
            ["successful"] = t.Completed,
            ["failed"] = t.Failed,
            ["totalAmount"] = Whole(t.TotalAmount),
            ["pendingAmount"] = Whole(t.OngoingAmount),
            ["successfulAmount"] = Whole(t.CompletedAmount),
            ["failedAmount"] = Whole(t.FailedAmount),
            ["file"] = null,
            ["notes"] = batch.Note,
            ["createdAt"] = batch.StartedAt.ToString("ddd MMM dd HH:mm:ss 'UTC' yyyy", CultureInfo.InvariantCulture),
            ["status"] = status,
            ["modes"] = batch.Modes,
            ["purpose"] = null,
            ["failedPercentage"] = Percent(t.Failed, t.Total),
            ["successPercentage"] = Percent(t.Completed, t.Total),
            ["payerFsp"] = null,
            ["payeeFsp"] = null,
            ["generatedBy"] = null,
            ["generatedAt"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture),
            ["totalSubBatches"] = 0,
            ["approvedTransactionCount"] = 0,
            ["approvedAmount"] = 0,
            ["totalInstructionCount"] = t.Total,
        });
    }

    /// <summary>
    /// <c>GET /api/v1/batch/detail?batchId&amp;status=ALL&amp;pageNo=0&amp;pageSize=10</c> → Spring Data
    /// <c>Page&lt;Transfer&gt;</c> (BatchApi.batchDetails, TransferRepository.findAllByBatchId[AndStatus]).
    /// </summary>
    private static async Task<IResult> DetailAsync(HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        if (Tenant(http) is not { } tenant) return Results.StatusCode(500);
        var query = http.Request.Query;
        if (!query.ContainsKey("batchId"))
            return Results.Json(new JsonObject
            {
                ["timestamp"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff+00:00", CultureInfo.InvariantCulture),
                ["status"] = 400, ["error"] = "Bad Request", ["path"] = "/api/v1/batch/detail",
            }, statusCode: 400);
        var batchId = query["batchId"].ToString();
        var status = query["status"].ToString() is { Length: > 0 } s ? s.ToUpperInvariant() : "ALL";
        var filter = status is "COMPLETED" or "IN_PROGRESS" or "FAILED" ? status : null;
        var pageNo = int.TryParse(query["pageNo"], out var p) ? p : 0;
        var pageSize = int.TryParse(query["pageSize"], out var z) ? z : 10;
        if (pageNo < 0 || pageSize < 1) return Results.StatusCode(500);

        await using var connection = await db.OpenConnectionAsync(ct);
        long total;
        await using (var count = new NpgsqlCommand("""
            SELECT count(*) FROM ph_transfer t JOIN ph_batch b ON b.batch_id = t.batch_id
            WHERE t.batch_id = $1 AND b.tenant = $2 AND ($3::text IS NULL OR t.status = $3)
            """, connection))
        {
            count.Parameters.AddWithValue(batchId);
            count.Parameters.AddWithValue(tenant);
            count.Parameters.AddWithValue((object?)filter ?? DBNull.Value);
            total = (long)(await count.ExecuteScalarAsync(ct))!;
        }
        var content = new JsonArray();
        await using (var select = new NpgsqlCommand("""
            SELECT t.id, t.workflow_instance_key, t.transaction_id, t.started_at, t.completed_at, t.status, t.payee_dfsp_id,
                   t.payee_party_id, t.payee_party_id_type, t.payer_party_id, t.payer_party_id_type, t.amount, t.currency,
                   t.error_information, t.batch_id, t.client_correlation_id
            FROM ph_transfer t JOIN ph_batch b ON b.batch_id = t.batch_id
            WHERE t.batch_id = $1 AND b.tenant = $2 AND ($3::text IS NULL OR t.status = $3)
            ORDER BY t.id LIMIT $4 OFFSET $5
            """, connection))
        {
            select.Parameters.AddWithValue(batchId);
            select.Parameters.AddWithValue(tenant);
            select.Parameters.AddWithValue((object?)filter ?? DBNull.Value);
            select.Parameters.AddWithValue(pageSize);
            select.Parameters.AddWithValue((long)pageNo * pageSize);
            await using var reader = await select.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                content.Add(TransferJson(reader));
            }
        }
        return Results.Json(PageJson(content, pageNo, pageSize, total));
    }

    /// <summary>Spring Data's PageImpl as Jackson writes it (Spring Boot 2.x), unsorted.</summary>
    private static JsonObject PageJson(JsonArray content, int pageNo, int pageSize, long total)
    {
        // PageImpl: on a short last page the total becomes offset + content size.
        if (content.Count > 0 && (long)pageNo * pageSize + pageSize > total) total = (long)pageNo * pageSize + content.Count;
        var totalPages = (int)((total + pageSize - 1) / pageSize);
        JsonObject Sort() => new() { ["sorted"] = false, ["unsorted"] = true, ["empty"] = true };
        return new JsonObject
        {
            ["content"] = content,
            ["pageable"] = new JsonObject
            {
                ["sort"] = Sort(), ["offset"] = (long)pageNo * pageSize, ["pageNumber"] = pageNo, ["pageSize"] = pageSize,
                ["paged"] = true, ["unpaged"] = false,
            },
            ["last"] = pageNo >= totalPages - 1,
            ["totalPages"] = totalPages,
            ["totalElements"] = total,
            ["size"] = pageSize,
            ["number"] = pageNo,
            ["sort"] = Sort(),
            ["first"] = pageNo == 0,
            ["numberOfElements"] = content.Count,
            ["empty"] = content.Count == 0,
        };
    }

    /// <summary>One <c>Transfer</c> entity as Jackson writes it (columns in the order the queries select them).</summary>
    private static JsonObject TransferJson(NpgsqlDataReader reader)
    {
        string? S(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
        return new JsonObject
        {
            ["id"] = reader.GetInt64(0),
            ["workflowInstanceKey"] = reader.GetInt64(1).ToString(CultureInfo.InvariantCulture),
            ["transactionId"] = reader.GetString(2),
            ["startedAt"] = Date(reader.GetDateTime(3)),
            ["completedAt"] = reader.IsDBNull(4) ? null : Date(reader.GetDateTime(4)),
            ["status"] = reader.GetString(5),
            ["statusDetail"] = null,
            ["payeeDfspId"] = S(6),
            ["payeePartyId"] = S(7),
            ["payeePartyIdType"] = S(8),
            ["payeeFee"] = null,
            ["payeeFeeCurrency"] = null,
            ["payeeQuoteCode"] = null,
            ["payerDfspId"] = null,
            ["payerPartyId"] = S(9),
            ["payerPartyIdType"] = S(10),
            ["payerFee"] = null,
            ["payerFeeCurrency"] = null,
            ["payerQuoteCode"] = null,
            ["amount"] = reader.GetDecimal(11).ToString(CultureInfo.InvariantCulture),
            ["currency"] = S(12),
            ["direction"] = "OUTGOING",
            ["errorInformation"] = S(13),
            ["batchId"] = reader.GetString(14),
            ["clientCorrelationId"] = S(15),
        };
    }

    /// <summary>java.util.Date as Spring Boot's Jackson writes it (ISO-8601, millis, "+00:00").</summary>
    internal static string Date(DateTime utc) =>
        DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+00:00'", CultureInfo.InvariantCulture);
}
