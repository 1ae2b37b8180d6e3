using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using OneClickSuite.Clients.PaymentHub;

namespace OneClickSuite.Emulators.PaymentHub;

/// <summary>
/// <c>POST /batchtransactions</c> as ph-ee-bulk-processor answers it (<c>BatchTransactionsController</c>,
/// <c>ProcessorStartRoute</c>, <c>ProcessorStartRouteService</c>, connector-common <c>WebSignatureInterceptor</c>).
/// </summary>
internal sealed class Bulk(NpgsqlDataSource db, IConfiguration configuration, Authorization authorization, ILogger<Bulk> logger)
{
    public static readonly string[] Columns = PaymentHubClient.CsvHeader.Split(',');
    private const int CsvSizeLimit = 100_000;
    private static readonly string[] Required = ["X-CorrelationID", "Purpose", "Type", "Platform-TenantId"];

    public async Task<IResult> PostAsync(HttpContext http)
    {
        var request = http.Request;
        var multipart = request.HasFormContentType && request.ContentType!.Contains("multipart", StringComparison.OrdinalIgnoreCase);
        string? fileText = null;
        string? rawBody = null;
        if (multipart)
        {
            var form = await request.ReadFormAsync(http.RequestAborted);
            var file = form.Files.FirstOrDefault();
            if (file is not null)
            {
                using var reader = new StreamReader(file.OpenReadStream());
                fileText = await reader.ReadToEndAsync(http.RequestAborted);
            }
        }
        else
        {
            using var reader = new StreamReader(request.Body);
            rawBody = await reader.ReadToEndAsync(http.RequestAborted);
        }

        string? Header(string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : null;
        var tenant = Header("Platform-TenantId");

        // 1. The JWS interceptor runs before the controller binds its headers.
        if (configuration.GetValue("PaymentHub:Jws:Enabled", true))
        {
            var payload = multipart ? PaymentHubSignature.MultipartPayload(fileText ?? "") : rawBody;
            var data = PaymentHubSignature.DataToHash(
                PaymentHubSignature.HeaderOrder.Select(Header).ToList(), payload);
            var refusal = VerifySignature(Header("X-SIGNATURE"), data, tenant);
            if (refusal is not null) return refusal;
        }

        // 2. Spring's missing required header, mapped by GlobalExceptionMapper.handleException to 500.
        foreach (var name in Required)
        {
            if (Header(name) is null)
                return Mapped($"Required request header '{name}' for method parameter type String is not present");
        }
        var type = Header("Type")!;
        var fileName = Header("filename");

        // 3. isValidRequest: the last failing check wins, and getErrorResponse ignores its arguments.
        var invalid = (multipart && !type.Equals("csv", StringComparison.OrdinalIgnoreCase))
                      || (!multipart && !type.Equals("raw", StringComparison.OrdinalIgnoreCase));
        if (multipart && fileName is null)
            return Mapped("Cannot invoke \"String.isEmpty()\" because \"fileName\" is null");
        if (multipart && fileName!.Length == 0) invalid = true;
        if (!type.Equals("raw", StringComparison.OrdinalIgnoreCase) && !type.Equals("csv", StringComparison.OrdinalIgnoreCase)) invalid = true;
        if (invalid)
            return Results.Json(new JsonObject
            {
                ["errorInformation"] = "File not uploaded",
                ["errorDescription"] = "There was no fie uploaded with the request. Please upload a file and try again.",
                ["errorCode"] = 400,
            }, statusCode: 400);

        List<Row> rows;
        string csvText;
        if (multipart)
        {
            if (fileText is null)
                return Results.Json(new JsonObject
                {
                    ["errorInformation"] = "File not uploaded",
                    ["errorDescription"] = "There was no fie uploaded with the request. Please upload a file and try again.",
                    ["errorCode"] = 400,
                }, statusCode: 400);
            // direct:validate-file: Tika judges the type by the name's extension.
            if (!fileName!.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
                return RouteError("Broken file", "The file uploaded is broken as it has a different extension. Please upload a csv file and try again.");
            csvText = fileText;
        }
        else
        {
            List<JsonObject?>? items;
            try { items = JsonSerializer.Deserialize<List<JsonObject?>>(rawBody ?? ""); }
            catch (JsonException ex) { return Mapped(ex.Message); }
            csvText = ToCsv(items ?? []);
        }

        // validateFileSyncResponse: size, then the header's column names.
        if (System.Text.Encoding.UTF8.GetByteCount(csvText) > CsvSizeLimit)
            return RouteError("File too big", "The file uploaded is too big. Please upload a file and try again.");
        var lines = csvText.Replace("\r\n", "\n").Split('\n');
        var header = lines[0].Split(',');
        if (lines[0].Length > 0 && header.Any(c => !Columns.Contains(c)))
            return RouteError("Invalid file structure", "The file uploaded contains wrong structure. Please upload correct file columns and try again.");

        var dataValid = true;
        rows = [];
        foreach (var line in lines.Skip(1))
        {
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (cells.Length != Columns.Length) dataValid = false;
            string Cell(string column)
            {
                var i = Array.IndexOf(header, column);
                return i >= 0 && i < cells.Length ? cells[i].Trim() : "";
            }
            decimal.TryParse(Cell("amount"), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount);
            rows.Add(new Row(Cell("request_id"), Cell("payment_mode"), Cell("payer_identifier_type"), Cell("payer_identifier"),
                Cell("payee_identifier_type"), Cell("payee_identifier"), amount, Cell("amount"), Cell("currency"), Cell("note"),
                Cell("payee_dfsp_id")));
        }

        var batchId = Guid.NewGuid().ToString();
        var correlationId = Header("X-CorrelationID")!;
        var purpose = Header("Purpose");
        if (string.IsNullOrEmpty(purpose)) purpose = "test payment";
        await StoreAsync(batchId, tenant!, correlationId, purpose, Header("X-CallbackURL"), Header("X-Registering-Institution-ID"),
            Header("X-Program-ID"), Header("X-PayeeDFSP-ID"), dataValid ? null : "Invalid data in file data processing stopped", rows,
            http.RequestAborted);
        if (authorization.Enabled) authorization.Request(batchId);
        logger.LogInformation("Batch {BatchId} accepted: {Count} rows, correlation {CorrelationId}", batchId, rows.Count, correlationId);

        var polling = (configuration["PaymentHub:PollingPath"] ?? "/batch/Summary/") + batchId;
        return Results.Json(new JsonObject
        {
            ["PollingPath"] = polling,
            ["SuggestedCallbackSeconds"] = configuration["PaymentHub:SuggestedCallbackSeconds"] ?? "120",
        }, statusCode: 202);
    }

    private sealed record Row(string RequestId, string PaymentMode, string PayerType, string Payer, string PayeeType, string Payee,
        decimal Amount, string AmountText, string Currency, string Note, string PayeeDfspId);

    /// <summary>RestRequestConvertor.convertListFrom then CsvWriter: id = index, a missing requestId becomes a UUID.</summary>
    private static string ToCsv(List<JsonObject?> items)
    {
        var csv = new System.Text.StringBuilder(PaymentHubClient.CsvHeader).Append('\n');
        for (var i = 0; i < items.Count; i++)
        {
            var item = items[i] ?? [];
            string S(string name) => item[name]?.ToString() ?? "";
            string Party(string name, string part) => item[name] is JsonArray { Count: > 0 } a ? a[0]?[part]?.ToString() ?? "" : "";
            var requestId = S("requestId");
            if (requestId.Length == 0) requestId = Guid.NewGuid().ToString();
            csv.AppendJoin(',', i.ToString(CultureInfo.InvariantCulture), requestId, S("paymentMode"),
                Party("debitParty", "key"), Party("debitParty", "value"), Party("creditParty", "key"), Party("creditParty", "value"),
                S("amount"), S("currency"), S("descriptionText"), "", "", "", "", "").Append('\n');
        }
        return csv.ToString();
    }

    private async Task StoreAsync(string batchId, string tenant, string correlationId, string purpose, string? callbackUrl,
        string? institution, string? program, string? payeeDfspId, string? note, List<Row> rows, CancellationToken ct)
    {
        // DeDuplicationRoute: a second row with the same payee, payee type, amount text and currency leaves the batch
        // with the note "Duplicate transaction."; the operations app lists it FAILED with that text
        // (ph-ee-integration-test batch.feature BD-017, BatchApiStepDef.iShouldGetTransactionsWithNoteSetAs).
        var dedup = configuration.GetValue("PaymentHub:Deduplication", true);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var duplicates = new HashSet<Row>(ReferenceEqualityComparer.Instance);
        foreach (var row in rows)
        {
            if (dedup && !seen.Add($"{row.Payee}{row.PayeeType}{row.AmountText}{row.Currency}")) duplicates.Add(row);
        }
        var kept = rows; // duplicates stay, FAILED
        var phases = configuration.GetSection("PaymentHub:CallbackPhases").Get<int[]>() ?? [20, 40, 60, 80, 100];

        await using var connection = await db.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO ph_batch (batch_id, tenant, request_id, purpose, callback_url, registering_institution_id, program_id,
                                  payee_dfsp_id, note, phases_left, duplicates, completed_at, authorization_status)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $12 THEN now() END, $13)
            """, connection, tx))
        {
            insert.Parameters.AddWithValue(batchId);
            insert.Parameters.AddWithValue(tenant);
            insert.Parameters.AddWithValue(correlationId);
            insert.Parameters.AddWithValue(purpose);
            insert.Parameters.AddWithValue((object?)callbackUrl ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)institution ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)program ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)payeeDfspId ?? DBNull.Value);
            insert.Parameters.AddWithValue((object?)note ?? DBNull.Value);
            insert.Parameters.AddWithValue(phases);
            insert.Parameters.AddWithValue(duplicates.Count);
            insert.Parameters.AddWithValue(kept.Count == duplicates.Count);
            insert.Parameters.AddWithValue(authorization.Enabled ? "requested" : DBNull.Value);
            await insert.ExecuteNonQueryAsync(ct);
        }
        foreach (var row in kept)
        {
            await using var insert = new NpgsqlCommand("""
                INSERT INTO ph_transfer (batch_id, workflow_instance_key, transaction_id, client_correlation_id, payment_mode,
                    payer_party_id_type, payer_party_id, payee_party_id_type, payee_party_id, payee_dfsp_id, amount, currency, note, status,
                    error_information, completed_at, dispatched)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, CASE WHEN $16 THEN now() END, $16)
                """, connection, tx);
            var duplicate = duplicates.Contains(row);
            insert.Parameters.AddWithValue(batchId);
            insert.Parameters.AddWithValue(Random.Shared.NextInt64(2_251_799_813_685_248, 4_503_599_627_370_495));
            insert.Parameters.AddWithValue(Guid.NewGuid().ToString());
            insert.Parameters.AddWithValue(row.RequestId);
            insert.Parameters.AddWithValue(row.PaymentMode);
            insert.Parameters.AddWithValue(row.PayerType);
            insert.Parameters.AddWithValue(row.Payer);
            insert.Parameters.AddWithValue(row.PayeeType);
            insert.Parameters.AddWithValue(row.Payee);
            insert.Parameters.AddWithValue(row.PayeeDfspId.Length > 0 ? row.PayeeDfspId : (object?)payeeDfspId ?? DBNull.Value);
            insert.Parameters.AddWithValue(row.Amount);
            insert.Parameters.AddWithValue(row.Currency);
            insert.Parameters.AddWithValue(duplicate ? "Duplicate transaction." : row.Note);
            insert.Parameters.AddWithValue(duplicate ? "FAILED" : "IN_PROGRESS");
            insert.Parameters.AddWithValue(duplicate ? "Duplicate transaction." : DBNull.Value);
            insert.Parameters.AddWithValue(duplicate);
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    private IResult? VerifySignature(string? signature, string data, string? tenant)
    {
        var key = tenant is null ? null : configuration[$"PaymentHub:Jws:TenantKeys:{tenant}"];
        RSAParameters publicKey;
        string? recovered;
        try
        {
            publicKey = PublicKey(key ?? throw new InvalidOperationException("no key for tenant"));
            recovered = PaymentHubSignature.Recover(signature ?? throw new InvalidOperationException("no signature"), publicKey);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or CryptographicException or ArgumentException)
        {
            return PhError("InvalidPublicKeyConfigured", "The public key configured is invalid", "Certificate" + key, null);
        }
        if (recovered == PaymentHubSignature.Hash(data)) return null;
        return PhError("InvalidJsonWebSignature", "The JWS passed is not valid", "Pass the valid header value for X-SIGNATURE",
            new JsonArray(new JsonObject { ["key"] = "X-SIGNATURE", ["value"] = signature }));
    }

    /// <summary>A tenant key: an X.509 certificate (as PH-EE's jws.tenantKeys[].certificate) or a SubjectPublicKeyInfo, Base64.</summary>
    private static RSAParameters PublicKey(string base64)
    {
        var der = Convert.FromBase64String(base64);
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            using var fromCertificate = certificate.GetRSAPublicKey() ?? throw new CryptographicException("not RSA");
            return fromCertificate.ExportParameters(false);
        }
        catch (CryptographicException)
        {
            using var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(der, out _);
            return rsa.ExportParameters(false);
        }
    }

    private static IResult PhError(string code, string description, string developerMessage, JsonArray? parameters)
    {
        var body = new JsonObject
        {
            ["errorCategory"] = "Validation",
            ["errorCode"] = code,
            ["errorDescription"] = description,
            ["developerMessage"] = developerMessage,
        };
        if (parameters is not null) body["errorParameters"] = parameters;
        return Results.Json(body, statusCode: 400);
    }

    /// <summary>GlobalExceptionMapper.handleException: 500 with ExceptionMapperDTO.</summary>
    private static IResult Mapped(string? message) =>
        Results.Json(new JsonObject { ["responseCode"] = "01", ["responseDescription"] = message }, statusCode: 500);

    /// <summary>ProcessorStartRoute.setErrorResponse: its keys carry a colon and spaces.</summary>
    private static IResult RouteError(string information, string description) =>
        Results.Json(new JsonObject { ["Error Information: "] = information, ["Error Description : "] = description }, statusCode: 400);
}
