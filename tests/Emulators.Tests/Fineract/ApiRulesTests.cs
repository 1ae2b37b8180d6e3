using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Fineract.Tests;

public sealed class SharedFineract : IAsyncLifetime
{
    public FineractHost Host { get; private set; } = null!;
    public long ProductId { get; private set; }

    public async ValueTask InitializeAsync()
    {
        Host = await FineractHost.StartAsync();
        ProductId = await Host.CreateProductAsync();
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Status codes and error bodies as contracts/fineract/api-shapes.md describes them.</summary>
public sealed class ApiRulesTests(SharedFineract shared) : IClassFixture<SharedFineract>
{
    private FineractHost Host => shared.Host;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Code(JsonNode? body, int error = 0) => (string)body!["errors"]![error]!["userMessageGlobalisationCode"]!;

    [Fact]
    public async Task Missing_tenant_header_is_400_before_authentication()
    {
        var response = await Host.NewClient("mifos", FineractHost.Password, tenant: null).GetAsync("offices", Ct);
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("Fineract Platform API", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Unknown_tenant_is_400()
    {
        var response = await Host.NewClient("mifos", FineractHost.Password, tenant: "other").GetAsync("offices", Ct);
        Assert.Equal(400, (int)response.StatusCode);
    }

    [Fact]
    public async Task Wrong_password_is_401()
    {
        var response = await Host.NewClient("mifos", "not-the-password").GetAsync("offices", Ct);
        Assert.Equal(401, (int)response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("Unauthorized", (string)body!["error"]!);
    }

    [Fact]
    public async Task Seed_has_head_office_and_money_transfer()
    {
        var (_, office, _) = await Host.GetAsync("offices/1");
        Assert.Equal("Head Office", (string)office!["name"]!);
        Assert.Equal(new JsonArray(2009, 1, 1).ToJsonString(), office["openingDate"]!.ToJsonString());
        var (_, types, _) = await Host.GetAsync("paymenttypes");
        Assert.Equal("Money Transfer", (string)types!.AsArray().Single(t => (long)t!["id"]! == 1)!["name"]!);
    }

    [Fact]
    public async Task Unknown_field_is_400_parameter_unsupported()
    {
        var (status, body, _) = await Host.PostAsync("clients",
            """{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","nickname":"x"}""");
        Assert.Equal(400, status);
        Assert.Equal("400", (string)body!["httpStatusCode"]!);
        Assert.Equal("validation.msg.validation.errors.exist", (string)body["userMessageGlobalisationCode"]!);
        Assert.Equal("error.msg.parameter.unsupported", Code(body));
        Assert.Equal("nickname", (string)body["errors"]![0]!["parameterName"]!);
    }

    [Fact]
    public async Task Empty_client_lists_errors_in_upstream_order()
    {
        var (status, body, _) = await Host.PostAsync("clients", """{"locale":"en","dateFormat":"yyyy-MM-dd"}""");
        Assert.Equal(400, status);
        Assert.Equal(["validation.msg.client.officeId.cannot.be.blank", "validation.msg.client.id..no.name.details.passed",
            "validation.msg.client.legalFormId.cannot.be.blank"], body!["errors"]!.AsArray().Select(e => (string)e!["userMessageGlobalisationCode"]!));
        Assert.Null(body["errors"]![0]!["value"]);
        Assert.Equal("[{}]", body["errors"]![0]!["args"]!.ToJsonString());
    }

    [Fact]
    public async Task Date_without_dateFormat_is_400_missing_dateFormat()
    {
        var (status, body, _) = await Host.PostAsync("clients",
            """{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","active":true,"activationDate":"2024-01-15","locale":"en"}""");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.missing.dateFormat.parameter", Code(body));
    }

    [Fact]
    public async Task Date_without_locale_is_400_missing_locale()
    {
        var (status, body, _) = await Host.PostAsync("clients",
            """{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","active":true,"activationDate":"2024-01-15","dateFormat":"yyyy-MM-dd"}""");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.missing.locale.parameter", Code(body));
    }

    [Fact]
    public async Task String_amount_without_locale_is_400_missing_locale()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit",
            """{"transactionDate":"01 February 2024","dateFormat":"dd MMMM yyyy","transactionAmount":"1,000.50","paymentTypeId":1}""");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.missing.locale.parameter", Code(body));
        Assert.Equal("transactionDate", (string)body!["errors"]![0]!["parameterName"]!);
    }

    [Fact]
    public async Task Localized_string_amount_and_month_name_date_are_accepted()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit",
            """{"transactionDate":"1 february 2024","dateFormat":"dd MMMM yyyy","locale":"en","transactionAmount":"1,000.50","paymentTypeId":1}""");
        Assert.True(status == 200, body?.ToJsonString());
        Assert.Equal(1000.50m, await Host.BalanceAsync(savingsId));
    }

    [Theory]
    [InlineData("xx_us", new[] { "The parameter `locale` has an invalid language value xx .", "The parameter `locale` has an invalid country value us ." }, new[] { "xx", "us" })]
    [InlineData("EN_us", new[] { "The parameter `locale` has an invalid country value us ." }, new[] { "us" })]
    public async Task Bad_locale_lists_each_bad_part_with_its_value(string locale, string[] messages, string[] values)
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit",
            $$"""{"transactionDate":"2024-02-01","transactionAmount":5,"paymentTypeId":1,"dateFormat":"yyyy-MM-dd","locale":"{{locale}}"}""");
        Assert.Equal(400, status);
        var errors = body!["errors"]!.AsArray();
        Assert.Equal(messages, errors.Select(e => (string)e!["defaultUserMessage"]!));
        Assert.All(errors, e => Assert.Equal("validation.msg.invalid.locale.format", (string)e!["userMessageGlobalisationCode"]!));
        Assert.All(errors, e => Assert.Equal("locale", (string)e!["parameterName"]!));
        Assert.Equal(values, errors.Select(e => (string)e!["args"]![0]!["value"]!));
    }

    [Fact]
    public async Task Amount_of_zero_is_400_not_greater_than_zero()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(0));
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.savingsaccount.transaction.transactionAmount.not.greater.than.zero", Code(body));
    }

    [Fact]
    public async Task Deposit_without_payment_type_is_400()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit",
            """{"transactionDate":"2024-02-01","transactionAmount":5,"dateFormat":"yyyy-MM-dd","locale":"en"}""");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank", Code(body));
    }

    [Fact]
    public async Task Malformed_json_is_a_bare_400_error()
    {
        var (status, body, _) = await Host.PostAsync("clients", """{"officeId":1,""");
        Assert.Equal(400, status);
        Assert.Equal("error.msg.invalid.request.body", (string)body!["userMessageGlobalisationCode"]!);
        Assert.Null(body["httpStatusCode"]);
    }

    [Fact]
    public async Task Unknown_savings_account_is_404()
    {
        var (status, body, _) = await Host.GetAsync("savingsaccounts/999999");
        Assert.Equal(404, status);
        Assert.Equal("error.msg.saving.account.id.invalid", Code(body));
        Assert.Equal("error.msg.resource.not.found", (string)body!["userMessageGlobalisationCode"]!);
    }

    [Fact]
    public async Task Duplicate_external_id_is_403()
    {
        var externalId = Guid.NewGuid().ToString("N");
        await Host.CreateClientWithAccountAsync(shared.ProductId, externalId);
        var (status, body, _) = await Host.PostAsync("clients",
            $$"""{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","externalId":"{{externalId}}"}""");
        Assert.Equal(403, status);
        Assert.Equal("error.msg.client.duplicate.externalId", (string)body!["userMessageGlobalisationCode"]!);
        Assert.Equal("403", (string)body["httpStatusCode"]!);
    }

    [Fact]
    public async Task Client_with_savingsProductId_gets_an_active_account()
    {
        var externalId = Guid.NewGuid().ToString("N");
        var (clientId, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId, externalId);
        var (_, account, _) = await Host.GetAsync($"savingsaccounts/{savingsId}");
        Assert.Equal(300, (int)account!["status"]!["id"]!);
        Assert.Equal(clientId, (long)account["clientId"]!);
        Assert.Equal("[2024,1,15]", account["timeline"]!["activatedOnDate"]!.ToJsonString());
        var (_, client, _) = await Host.GetAsync($"clients/external-id/{externalId}");
        Assert.Equal(clientId, (long)client!["id"]!);
        Assert.Equal("clientStatusType.active", (string)client["status"]!["code"]!);
    }

    [Fact]
    public async Task Deposits_raise_the_balance_exactly()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        for (var i = 0; i < 3; i++)
        {
            var (status, body, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(0.10m));
            Assert.Equal(200, status);
            Assert.Equal(savingsId, (long)body!["savingsId"]!);
            var transactionId = (long)body["resourceId"]!;
            var (_, transaction, _) = await Host.GetAsync($"savingsaccounts/{savingsId}/transactions/{transactionId}");
            Assert.Equal(0.10m, (decimal)transaction!["amount"]!);
        }
        Assert.Equal(0.30m, await Host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Sixteen_concurrent_depositors_lose_nothing()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var deposits = Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = 0; i < 5; i++)
            {
                var (status, _, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(1.01m));
                Assert.Equal(200, status);
            }
        });
        await Task.WhenAll(deposits);
        Assert.Equal(80.80m, await Host.BalanceAsync(savingsId));
    }

    private static string Transfer(long fromClient, long fromAccount, long toClient, long toAccount, decimal amount) => $$"""
        {"fromOfficeId":1,"fromClientId":{{fromClient}},"fromAccountType":2,"fromAccountId":{{fromAccount}},
         "toOfficeId":1,"toClientId":{{toClient}},"toAccountType":2,"toAccountId":{{toAccount}},
         "transferDate":"2024-02-02","transferAmount":{{amount}},"transferDescription":"salary","locale":"en","dateFormat":"yyyy-MM-dd"}
        """;

    [Fact]
    public async Task Transfer_moves_money_and_refuses_overdraft()
    {
        var (payer, payerAccount) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (worker, workerAccount) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        await Host.PostAsync($"savingsaccounts/{payerAccount}/transactions?command=deposit", FineractHost.Deposit(100));

        var (status, body, _) = await Host.PostAsync("accounttransfers", Transfer(payer, payerAccount, worker, workerAccount, 60));
        Assert.Equal(200, status);
        Assert.Equal(payerAccount, (long)body!["savingsId"]!);

        var (refused, error, _) = await Host.PostAsync("accounttransfers", Transfer(payer, payerAccount, worker, workerAccount, 60));
        Assert.Equal(403, refused);
        Assert.Equal("error.msg.savingsaccount.transaction.insufficient.account.balance", Code(error));

        Assert.Equal(40m, await Host.BalanceAsync(payerAccount));
        Assert.Equal(60m, await Host.BalanceAsync(workerAccount));
    }

    [Fact]
    public async Task Both_legs_of_a_transfer_carry_the_transfer_and_no_note()
    {
        var (payer, payerAccount) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (worker, workerAccount) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        await Host.PostAsync($"savingsaccounts/{payerAccount}/transactions?command=deposit", FineractHost.Deposit(100));
        var (_, created, _) = await Host.PostAsync("accounttransfers", Transfer(payer, payerAccount, worker, workerAccount, 60));
        var transferId = (long)created!["resourceId"]!;

        foreach (var (account, withdrawal) in new[] { (payerAccount, true), (workerAccount, false) })
        {
            var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account}?associations=transactions");
            Assert.Equal(200, status);
            var leg = body!["transactions"]!.AsArray().Single(t => t!["transfer"] is not null)!;
            Assert.Equal(withdrawal, (bool)leg["transactionType"]!["withdrawal"]!);
            Assert.Equal(withdrawal ? "DEBIT" : "CREDIT", (string)leg["entryType"]!);
            Assert.Null(leg["note"]);
            Assert.Null(leg["paymentDetailData"]);
            var transfer = leg["transfer"]!;
            Assert.Equal(["id", "reversed", "currency", "transferAmount", "transferDate", "transferDescription"],
                transfer.AsObject().Select(p => p.Key));
            Assert.Equal(transferId, (long)transfer["id"]!);
            Assert.Equal("salary", (string)transfer["transferDescription"]!);
            Assert.Equal(60m, (decimal)transfer["transferAmount"]!);
            Assert.Equal("[2024,2,2]", transfer["transferDate"]!.ToJsonString());

            var (one, single, _) = await Host.GetAsync($"savingsaccounts/{account}/transactions/{(long)leg["id"]!}");
            Assert.Equal(200, one);
            Assert.Equal(leg.ToJsonString(), single!.ToJsonString());
        }
    }

    [Fact]
    public async Task Batch_with_enclosing_transaction_rolls_back_everything()
    {
        var first = Guid.NewGuid().ToString("N");
        string Client(string externalId) => System.Text.Json.JsonSerializer.Serialize(
            $$"""{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","externalId":"{{externalId}}"}""");
        var (status, body, _) = await Host.PostAsync("batches?enclosingTransaction=true", $$"""
            [{"requestId":1,"relativeUrl":"clients","method":"POST","body":{{Client(first)}}},
             {"requestId":2,"relativeUrl":"clients","method":"POST","body":{{Client(first)}}}]
            """);
        Assert.Equal(200, status);
        var items = body!.AsArray();
        Assert.Single(items);
        Assert.Equal(2, (int)items[0]!["requestId"]!);
        Assert.Equal(403, (int)items[0]!["statusCode"]!);
        var (lookup, _, _) = await Host.GetAsync($"clients/external-id/{first}");
        Assert.Equal(404, lookup);
    }

    [Fact]
    public async Task Batch_resolves_references_to_the_parent_answer()
    {
        var externalId = Guid.NewGuid().ToString("N");
        var client = System.Text.Json.JsonSerializer.Serialize(
            $$"""{"officeId":1,"legalFormId":1,"firstname":"A","lastname":"B","externalId":"{{externalId}}"}""");
        var update = System.Text.Json.JsonSerializer.Serialize("""{"lastname":"C"}""");
        var (status, body, _) = await Host.PostAsync("batches?enclosingTransaction=true", $$"""
            [{"requestId":1,"relativeUrl":"clients","method":"POST","body":{{client}}},
             {"requestId":2,"relativeUrl":"clients/$.clientId","method":"PUT","reference":1,"body":{{update}}}]
            """);
        Assert.Equal(200, status);
        Assert.All(body!.AsArray(), item => Assert.Equal(200, (int)item!["statusCode"]!));
        var (_, stored, _) = await Host.GetAsync($"clients/external-id/{externalId}");
        Assert.Equal("A C", (string)stored!["displayName"]!);
    }

    [Fact]
    public async Task Batch_answers_501_for_account_transfers()
    {
        var (status, body, _) = await Host.PostAsync("batches", """
            [{"requestId":7,"relativeUrl":"accounttransfers","method":"POST","body":"{}"}]
            """);
        Assert.Equal(200, status);
        var item = body!.AsArray().Single()!;
        Assert.Equal(501, (int)item["statusCode"]!);
        Assert.Equal("Resource with method POST and relativeUrl accounttransfers doesn't exist", (string)item["body"]!);
        Assert.Null(item["headers"]);
    }

    [Fact]
    public async Task Idempotency_key_longer_than_50_is_refused()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (status, _, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit",
            FineractHost.Deposit(5), new string('k', 51));
        Assert.Equal(400, status);
        Assert.Equal(0m, await Host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Repeated_key_replays_the_stored_answer_from_cache()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var key = Guid.NewGuid().ToString("N");
        var url = $"savingsaccounts/{savingsId}/transactions?command=deposit";
        var (firstStatus, first, firstResponse) = await Host.PostAsync(url, FineractHost.Deposit(25), key);
        var (secondStatus, second, secondResponse) = await Host.PostAsync(url, FineractHost.Deposit(25), key);
        Assert.Equal(200, firstStatus);
        Assert.False(firstResponse.Headers.Contains("x-served-from-cache"));
        Assert.Equal(200, secondStatus);
        Assert.Equal("true", secondResponse.Headers.GetValues("x-served-from-cache").Single());
        Assert.Equal(first!.ToJsonString(), second!.ToJsonString());
        Assert.Equal(25m, await Host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Failed_command_replays_its_error_for_the_same_key()
    {
        var (_, savingsId) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var key = Guid.NewGuid().ToString("N");
        var (status, error, _) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=withdrawal", FineractHost.Deposit(10), key);
        Assert.Equal(403, status);
        await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=deposit", FineractHost.Deposit(50));

        var (replayed, body, response) = await Host.PostAsync($"savingsaccounts/{savingsId}/transactions?command=withdrawal", FineractHost.Deposit(10), key);
        Assert.Equal(403, replayed);
        Assert.Equal("true", response.Headers.GetValues("x-served-from-cache").Single());
        Assert.Equal(error!.ToJsonString(), body!.ToJsonString());
        Assert.Equal(50m, await Host.BalanceAsync(savingsId));
    }

    [Fact]
    public async Task Client_close_needs_closed_accounts()
    {
        var (clientId, _) = await Host.CreateClientWithAccountAsync(shared.ProductId);
        var (_, codes, _) = await Host.GetAsync("codes");
        var codeId = (long)codes!.AsArray().Single(c => (string)c!["name"]! == "ClientClosureReason")!["id"]!;
        var (_, reason, _) = await Host.PostAsync($"codes/{codeId}/codevalues", $$"""{"name":"Left {{Guid.NewGuid():N}}"}""");
        var (status, body, _) = await Host.PostAsync($"clients/{clientId}?command=close",
            $$"""{"closureDate":"2024-03-01","closureReasonId":{{(long)reason!["subResourceId"]!}},"dateFormat":"yyyy-MM-dd","locale":"en"}""");
        Assert.Equal(403, status);
        Assert.Equal("error.msg.client.close.non-closed.savings.account", Code(body));
    }
}
