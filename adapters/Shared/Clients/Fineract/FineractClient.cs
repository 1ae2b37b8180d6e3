using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace OneClickSuite.Clients.Fineract;

/// <summary>
/// Typed client for Apache Fineract's REST API (<c>/fineract-provider/api/v1</c>): HTTP Basic, tenant header,
/// <c>dateFormat</c> + <c>locale</c> on every body. Works against the real server and the emulator alike.
/// </summary>
/// <remarks>
/// The standard resilience handler retries POSTs; that is safe for money because every deposit and transfer carries
/// an Idempotency-Key, so a repeat is answered from Fineract's idempotency store instead of moving money twice.
/// </remarks>
public sealed class FineractClient
{
    public const string TenantHeader = "Fineract-Platform-TenantId";
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const string ServedFromCacheHeader = "x-served-from-cache";
    public const int SavingsAccountType = 2;

    private readonly HttpClient _http;
    private readonly string _tenant;
    private string _username;
    private string _password;

    public FineractClient(HttpClient http, IOptions<FineractOptions> options)
    {
        _http = http;
        _tenant = options.Value.Tenant;
        _username = options.Value.Username;
        _password = options.Value.Password ?? "";
    }

    /// <summary>Use other credentials on this instance only (e.g. the upstream default before it is changed).</summary>
    public void UseCredentials(string username, string password)
    {
        _username = username;
        _password = password;
    }

    // Clients

    /// <summary><c>GET /clients/external-id/{externalId}</c>; null when no client has it.</summary>
    public async Task<FineractClientRecord?> GetClientByExternalIdAsync(string externalId, CancellationToken ct = default)
    {
        var (status, body, _) = await SendRawAsync(HttpMethod.Get, $"clients/external-id/{Uri.EscapeDataString(externalId)}", null, null, ct);
        if (status == HttpStatusCode.NotFound)
        {
            return null;
        }
        return Deserialize<FineractClientRecord>(body);
    }

    public Task<FineractClientRecord> GetClientAsync(long clientId, CancellationToken ct = default) =>
        GetAsync<FineractClientRecord>($"clients/{clientId}", ct);

    public async Task<CreatedFineractClient> CreateClientAsync(NewFineractClient client, string? idempotencyKey = null, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["officeId"] = client.OfficeId,
            ["legalFormId"] = (int)client.LegalForm,
        };
        if (client.Fullname is not null)
        {
            body["fullname"] = client.Fullname;
        }
        else
        {
            body["firstname"] = client.Firstname;
            body["lastname"] = client.Lastname;
        }
        if (client.ExternalId is not null) body["externalId"] = client.ExternalId;
        if (client.MobileNo is not null) body["mobileNo"] = client.MobileNo;
        body["active"] = client.ActivationDate is not null;
        if (client.ActivationDate is { } activated) body["activationDate"] = FineractJson.FormatDate(activated);
        if (client.SavingsProductId is { } productId) body["savingsProductId"] = productId;

        var result = await CommandAsync(HttpMethod.Post, "clients", body.WithLocale(), idempotencyKey, ct);
        return new CreatedFineractClient(result.ClientId ?? result.ResourceId ?? 0, result.SavingsId, result.ServedFromCache);
    }

    /// <summary><c>PUT /clients/{id}</c> with the fields that are not null.</summary>
    public Task<FineractCommandResult> UpdateClientAsync(
        long clientId, string? firstname = null, string? lastname = null, string? mobileNo = null, CancellationToken ct = default)
    {
        var body = new JsonObject();
        if (firstname is not null) body["firstname"] = firstname;
        if (lastname is not null) body["lastname"] = lastname;
        if (mobileNo is not null) body["mobileNo"] = mobileNo;
        return CommandAsync(HttpMethod.Put, $"clients/{clientId}", body.WithLocale(), null, ct);
    }

    public async Task<IReadOnlyList<FineractClientSavingsAccount>> GetClientSavingsAccountsAsync(long clientId, CancellationToken ct = default)
    {
        var accounts = await GetAsync<JsonObject>($"clients/{clientId}/accounts", ct);
        return accounts["savingsAccounts"]?.Deserialize<List<FineractClientSavingsAccount>>(FineractJson.Options) ?? [];
    }

    // Savings products and payment types

    public Task<List<FineractSavingsProduct>> ListSavingsProductsAsync(CancellationToken ct = default) =>
        GetAsync<List<FineractSavingsProduct>>("savingsproducts", ct);

    public async Task<FineractSavingsProduct?> FindSavingsProductByNameAsync(string name, CancellationToken ct = default) =>
        (await ListSavingsProductsAsync(ct)).FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>A plain savings product: no interest, no accounting (rule 1 = none).</summary>
    public async Task<long> CreateSavingsProductAsync(
        string name, string shortName, string currencyCode, decimal nominalAnnualInterestRate = 0, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["shortName"] = shortName,
            ["description"] = name,
            ["currencyCode"] = currencyCode,
            ["digitsAfterDecimal"] = 2,
            ["inMultiplesOf"] = 1,
            ["nominalAnnualInterestRate"] = nominalAnnualInterestRate,
            ["interestCompoundingPeriodType"] = 1, // daily
            ["interestPostingPeriodType"] = 4, // monthly
            ["interestCalculationType"] = 1, // daily balance
            ["interestCalculationDaysInYearType"] = 365,
            ["accountingRule"] = 1, // none
        };
        var result = await CommandAsync(HttpMethod.Post, "savingsproducts", body.WithLocaleOnly(), null, ct);
        return result.ResourceId ?? throw new FineractException("Fineract created a savings product without an id.", 200);
    }

    public Task<List<FineractPaymentType>> ListPaymentTypesAsync(CancellationToken ct = default) =>
        GetAsync<List<FineractPaymentType>>("paymenttypes", ct);

    public async Task<long> CreatePaymentTypeAsync(string name, string? description = null, bool isCashPayment = false, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["name"] = name,
            ["description"] = description ?? name,
            ["isCashPayment"] = isCashPayment,
            ["position"] = 1,
        };
        var result = await CommandAsync(HttpMethod.Post, "paymenttypes", body, null, ct);
        return result.ResourceId ?? throw new FineractException("Fineract created a payment type without an id.", 200);
    }

    // Savings accounts

    public async Task<long> CreateSavingsAccountAsync(long clientId, long productId, DateOnly submittedOn, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["clientId"] = clientId,
            ["productId"] = productId,
            ["submittedOnDate"] = FineractJson.FormatDate(submittedOn),
        };
        var result = await CommandAsync(HttpMethod.Post, "savingsaccounts", body.WithLocale(), null, ct);
        return result.SavingsId ?? result.ResourceId ?? throw new FineractException("Fineract created a savings account without an id.", 200);
    }

    public Task<FineractCommandResult> ApproveSavingsAccountAsync(long savingsAccountId, DateOnly approvedOn, CancellationToken ct = default) =>
        CommandAsync(HttpMethod.Post, $"savingsaccounts/{savingsAccountId}?command=approve",
            new JsonObject { ["approvedOnDate"] = FineractJson.FormatDate(approvedOn) }.WithLocale(), null, ct);

    public Task<FineractCommandResult> ActivateSavingsAccountAsync(long savingsAccountId, DateOnly activatedOn, CancellationToken ct = default) =>
        CommandAsync(HttpMethod.Post, $"savingsaccounts/{savingsAccountId}?command=activate",
            new JsonObject { ["activatedOnDate"] = FineractJson.FormatDate(activatedOn) }.WithLocale(), null, ct);

    /// <summary>
    /// Stops further credits to a leaver's account while letting them withdraw what is there
    /// (<c>POST /savingsaccounts/{id}?command=blockCredit</c>, SavingsApiConstants.COMMAND_BLOCK_CREDIT).
    /// </summary>
    /// <summary>Stops money coming in: deposits and transfers to the account then fail with 403
    /// <c>error.msg.savings.account.credit.transaction.not.allowed</c>. Fineract expects the reason with it.</summary>
    public Task<FineractCommandResult> BlockCreditsAsync(long savingsAccountId, string reason = "Left the workforce (iHRIS)", CancellationToken ct = default) =>
        CommandAsync(HttpMethod.Post, $"savingsaccounts/{savingsAccountId}?command=blockCredit", new JsonObject { ["reasonForBlock"] = reason }, null, ct);

    public Task<FineractCommandResult> UnblockCreditsAsync(long savingsAccountId, CancellationToken ct = default) =>
        CommandAsync(HttpMethod.Post, $"savingsaccounts/{savingsAccountId}?command=unblockCredit", new JsonObject(), null, ct);

    /// <summary>The account with its balance (<c>summary</c>); with <paramref name="withTransactions"/> its transactions too.</summary>
    public Task<FineractSavingsAccount> GetSavingsAccountAsync(long savingsAccountId, bool withTransactions = false, CancellationToken ct = default) =>
        GetAsync<FineractSavingsAccount>(
            withTransactions ? $"savingsaccounts/{savingsAccountId}?associations=transactions" : $"savingsaccounts/{savingsAccountId}", ct);

    public async Task<IReadOnlyList<FineractSavingsTransaction>> ListSavingsTransactionsAsync(long savingsAccountId, CancellationToken ct = default) =>
        (await GetSavingsAccountAsync(savingsAccountId, withTransactions: true, ct)).Transactions ?? [];

    /// <summary>
    /// Every transaction of the account that <paramref name="search"/> selects, page after page
    /// (<c>GET /savingsaccounts/{id}/transactions/search</c>). Pages are read in ascending id order, so a transaction
    /// booked meanwhile lands after what was read instead of shifting it; one seen twice is kept once.
    /// </summary>
    public async Task<IReadOnlyList<FineractSavingsTransaction>> SearchSavingsTransactionsAsync(
        long savingsAccountId, FineractTransactionSearch search, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(search.PageSize, 1);
        var seen = new HashSet<long>();
        var found = new List<FineractSavingsTransaction>();
        for (var page = 0; ; page++)
        {
            var answer = await SearchSavingsTransactionsPageAsync(savingsAccountId, search, page, ct);
            var content = answer.Content ?? [];
            foreach (var transaction in content)
            {
                if (seen.Add(transaction.Id)) found.Add(transaction);
            }
            if (content.Count < search.PageSize || (long)(page + 1) * search.PageSize >= answer.Total) return found;
        }
    }

    /// <summary>
    /// One page of a transaction search. Fineract's <c>offset</c> is a page number, not a row count
    /// (<c>PageRequest.of(offset, limit)</c>): page <paramref name="page"/> starts at row <c>page × PageSize</c>.
    /// </summary>
    public Task<FineractSavingsTransactionPage> SearchSavingsTransactionsPageAsync(
        long savingsAccountId, FineractTransactionSearch search, int page, CancellationToken ct = default)
    {
        var query = new List<string>();
        if (search.FromDate is { } from) query.Add("fromDate=" + FineractJson.FormatDate(from));
        if (search.ToDate is { } to) query.Add("toDate=" + FineractJson.FormatDate(to));
        if (search.Debit is { } debit) query.Add("debit=" + (debit ? "true" : "false"));
        if (search.Credit is { } credit) query.Add("credit=" + (credit ? "true" : "false"));
        query.Add($"offset={page}");
        query.Add($"limit={search.PageSize}");
        // Without orderBy Fineract sorts by value date descending, so a transaction booked between two requests
        // would push the later pages back; id ascending keeps them still. orderBy needs sortOrder beside it.
        query.Add("orderBy=id");
        query.Add("sortOrder=ASC");
        query.Add("dateFormat=" + FineractJson.DateFormat);
        query.Add("locale=" + FineractJson.Locale);
        return GetAsync<FineractSavingsTransactionPage>(
            $"savingsaccounts/{savingsAccountId}/transactions/search?{string.Join('&', query)}", ct);
    }

    // Money

    public Task<FineractCommandResult> DepositAsync(FineractDeposit deposit, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["transactionDate"] = FineractJson.FormatDate(deposit.TransactionDate),
            ["transactionAmount"] = deposit.Amount,
            ["paymentTypeId"] = deposit.PaymentTypeId,
        };
        if (deposit.ReceiptNumber is not null) body["receiptNumber"] = deposit.ReceiptNumber;
        if (deposit.Note is not null) body["note"] = deposit.Note;
        return CommandAsync(HttpMethod.Post, $"savingsaccounts/{deposit.SavingsAccountId}/transactions?command=deposit",
            body.WithLocale(), deposit.IdempotencyKey, ct);
    }

    public Task<FineractCommandResult> TransferAsync(FineractTransfer transfer, CancellationToken ct = default)
    {
        var body = new JsonObject
        {
            ["fromOfficeId"] = transfer.FromOfficeId,
            ["fromClientId"] = transfer.FromClientId,
            ["fromAccountType"] = SavingsAccountType,
            ["fromAccountId"] = transfer.FromSavingsAccountId,
            ["toOfficeId"] = transfer.ToOfficeId,
            ["toClientId"] = transfer.ToClientId,
            ["toAccountType"] = SavingsAccountType,
            ["toAccountId"] = transfer.ToSavingsAccountId,
            ["transferDate"] = FineractJson.FormatDate(transfer.TransferDate),
            ["transferAmount"] = transfer.Amount,
            ["transferDescription"] = transfer.Description,
        };
        return CommandAsync(HttpMethod.Post, "accounttransfers", body.WithLocale(), transfer.IdempotencyKey, ct);
    }

    /// <summary>
    /// <c>POST /batches</c>. With <paramref name="enclosingTransaction"/> one failing item rolls back all, and Fineract
    /// answers with that single failing item.
    /// </summary>
    public async Task<IReadOnlyList<FineractBatchResult>> BatchAsync(
        IEnumerable<FineractBatchItem> items, bool enclosingTransaction, CancellationToken ct = default)
    {
        var requests = new JsonArray();
        foreach (var item in items)
        {
            var request = new JsonObject
            {
                ["requestId"] = item.RequestId,
                ["relativeUrl"] = item.RelativeUrl,
                ["method"] = item.Method,
            };
            if (item.IdempotencyKey is not null)
            {
                request["headers"] = new JsonArray(new JsonObject { ["name"] = IdempotencyKeyHeader, ["value"] = item.IdempotencyKey });
            }
            if (item.Reference is { } reference) request["reference"] = reference;
            if (item.Body is not null) request["body"] = item.Body;
            requests.Add(request);
        }
        var path = enclosingTransaction ? "batches?enclosingTransaction=true" : "batches";
        var (status, body, fromCache) = await SendRawAsync(HttpMethod.Post, path, requests, null, ct);
        EnsureSuccess(status, body, fromCache, $"POST {path}");
        return Deserialize<List<FineractBatchResult>>(body);
    }

    // Users

    /// <summary><c>PUT /users/{id}</c> with a new password.</summary>
    public Task<FineractCommandResult> ChangePasswordAsync(long userId, string newPassword, CancellationToken ct = default) =>
        CommandAsync(HttpMethod.Put, $"users/{userId}",
            new JsonObject { ["password"] = newPassword, ["repeatPassword"] = newPassword }, null, ct);

    // Plumbing

    private async Task<T> GetAsync<T>(string path, CancellationToken ct)
    {
        var (status, body, fromCache) = await SendRawAsync(HttpMethod.Get, path, null, null, ct);
        EnsureSuccess(status, body, fromCache, $"GET {path}");
        return Deserialize<T>(body);
    }

    private async Task<FineractCommandResult> CommandAsync(HttpMethod method, string path, JsonNode body, string? idempotencyKey, CancellationToken ct)
    {
        var (status, text, fromCache) = await SendRawAsync(method, path, body, idempotencyKey, ct);
        EnsureSuccess(status, text, fromCache, $"{method} {path}");
        var result = JsonNode.Parse(text) as JsonObject ?? [];
        return new FineractCommandResult(
            (long?)result["officeId"], (long?)result["clientId"], (long?)result["savingsId"], (long?)result["resourceId"], fromCache);
    }

    private async Task<(HttpStatusCode Status, string Body, bool ServedFromCache)> SendRawAsync(
        HttpMethod method, string path, JsonNode? body, string? idempotencyKey, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_username}:{_password}")));
        request.Headers.Add(TenantHeader, _tenant);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (idempotencyKey is not null)
        {
            request.Headers.Add(IdempotencyKeyHeader, idempotencyKey);
        }
        if (body is not null)
        {
            // Fineract stores idempotent replies only for Content-Type application/json.
            request.Content = JsonContent.Create(body, options: FineractJson.Options);
        }

        using var response = await HttpFailures.SendAsync(_http, request,
            (message, ex) => new FineractException(message, null, innerException: ex), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        var fromCache = response.Headers.TryGetValues(ServedFromCacheHeader, out var values)
                        && values.Any(v => string.Equals(v, "true", StringComparison.OrdinalIgnoreCase));
        return (response.StatusCode, text, fromCache);
    }

    private static void EnsureSuccess(HttpStatusCode status, string body, bool fromCache, string request)
    {
        if ((int)status is < 200 or >= 300)
        {
            throw FineractJson.ParseError((int)status, body, fromCache, request);
        }
    }

    private static T Deserialize<T>(string body) =>
        JsonSerializer.Deserialize<T>(body, FineractJson.Options)
        ?? throw new FineractException($"Fineract answered an empty body where {typeof(T).Name} was expected.", 200);
}
