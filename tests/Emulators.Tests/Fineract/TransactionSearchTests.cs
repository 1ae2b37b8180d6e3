using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Fineract.Tests;

/// <summary>A payer's account with a deposit, a withdrawal with a note and four transfers on known dates.</summary>
public sealed class SearchableAccount : IAsyncLifetime
{
    public FineractHost Host { get; private set; } = null!;
    public long AccountId { get; private set; }
    public long DepositId { get; private set; }
    public long WithdrawalId { get; private set; }
    /// <summary>Transfer date (day of February 2024) → the payer's leg.</summary>
    public Dictionary<int, long> TransferLegs { get; } = [];

    public async ValueTask InitializeAsync()
    {
        Host = await FineractHost.StartAsync();
        var product = await Host.CreateProductAsync();
        var (payer, payerAccount) = await Host.CreateClientWithAccountAsync(product);
        var (worker, workerAccount) = await Host.CreateClientWithAccountAsync(product);
        AccountId = payerAccount;
        DepositId = await TransactionIdAsync($"savingsaccounts/{payerAccount}/transactions?command=deposit", FineractHost.Deposit(1000));
        WithdrawalId = await TransactionIdAsync($"savingsaccounts/{payerAccount}/transactions?command=withdrawal",
            """{"transactionDate":"2024-02-05","transactionAmount":7,"paymentTypeId":1,"note":"petty cash","dateFormat":"yyyy-MM-dd","locale":"en"}""");
        foreach (var (day, amount) in new[] { (2, 10m), (5, 20m), (10, 30m), (15, 40m) })
        {
            var (status, body, _) = await Host.PostAsync("accounttransfers", $$"""
                {"fromOfficeId":1,"fromClientId":{{payer}},"fromAccountType":2,"fromAccountId":{{payerAccount}},
                 "toOfficeId":1,"toClientId":{{worker}},"toAccountType":2,"toAccountId":{{workerAccount}},
                 "transferDate":"2024-02-{{day:D2}}","transferAmount":{{amount}},"transferDescription":"pay-{{day}}",
                 "locale":"en","dateFormat":"yyyy-MM-dd"}
                """);
            Assert.True(status == 200, body?.ToJsonString());
        }
        var (_, account, _) = await Host.GetAsync($"savingsaccounts/{payerAccount}?associations=transactions");
        foreach (var leg in account!["transactions"]!.AsArray().Where(t => t!["transfer"] is not null))
            TransferLegs[(int)leg!["date"]![2]!] = (long)leg["id"]!;
    }

    private async Task<long> TransactionIdAsync(string url, string json)
    {
        var (status, body, _) = await Host.PostAsync(url, json);
        Assert.True(status == 200, body?.ToJsonString());
        return (long)body!["resourceId"]!;
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>GET savingsaccounts/{id}/transactions/search as SavingsAccountTransactionsApiResource.searchTransactions answers it.</summary>
public sealed class TransactionSearchTests(SearchableAccount account) : IClassFixture<SearchableAccount>
{
    private FineractHost Host => account.Host;

    private async Task<JsonNode> SearchAsync(string query)
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?{query}");
        Assert.True(status == 200, $"{status} {body?.ToJsonString()}");
        return body!;
    }

    private static long[] Ids(JsonNode page) => page["content"]!.AsArray().Select(t => (long)t!["id"]!).ToArray();

    [Fact]
    public async Task Answers_a_spring_page_of_transactions_in_upstream_field_order()
    {
        var page = await SearchAsync("fromDate=2024-02-05&toDate=2024-02-05&dateFormat=yyyy-MM-dd&locale=en");

        Assert.Equal(["total", "content", "pageable"], page.AsObject().Select(p => p.Key));
        Assert.Equal(2, (long)page["total"]!);
        Assert.Equal("""{"sort":{"orders":[{"direction":"DESC","property":"transaction_date","ignoreCase":false,"nullHandling":"NATIVE"},{"direction":"DESC","property":"created_on_utc","ignoreCase":false,"nullHandling":"NATIVE"},{"direction":"DESC","property":"id","ignoreCase":false,"nullHandling":"NATIVE"}]},"pageNumber":0,"pageSize":50}""",
            page["pageable"]!.ToJsonString());

        var items = page["content"]!.AsArray().ToDictionary(t => (long)t!["id"]!);
        var transfer = items[account.TransferLegs[5]]!;
        Assert.Equal(["id", "transactionType", "entryType", "accountId", "accountNo", "date", "currency", "amount", "runningBalance",
            "reversed", "transfer", "submittedOnDate", "interestedPostedAsOn", "submittedByUsername", "isManualTransaction", "isReversal",
            "originalTransactionId", "lienTransaction", "releaseTransactionId", "chargesPaidByData"], transfer.AsObject().Select(p => p.Key));
        Assert.Equal("pay-5", (string)transfer["transfer"]!["transferDescription"]!);
        Assert.Equal(20m, (decimal)transfer["transfer"]!["transferAmount"]!);
        Assert.True((bool)transfer["transactionType"]!["withdrawal"]!);
        Assert.Equal("DEBIT", (string)transfer["entryType"]!);
        Assert.Equal("[2024,2,5]", transfer["date"]!.ToJsonString());

        var withdrawal = items[account.WithdrawalId]!;
        Assert.Equal("petty cash", (string)withdrawal["note"]!);
        Assert.Equal(1L, (long)withdrawal["paymentDetailData"]!["paymentType"]!["id"]!);
        Assert.Null(withdrawal["transfer"]);
    }

    [Fact]
    public async Task Value_dates_are_inclusive_at_both_ends()
    {
        var page = await SearchAsync("fromDate=2024-02-05&toDate=2024-02-10&dateFormat=yyyy-MM-dd&locale=en");
        Assert.Equal(new[] { account.TransferLegs[10], account.TransferLegs[5], account.WithdrawalId }.Order(), Ids(page).Order());

        var from = await SearchAsync("fromDate=2024-02-10");
        Assert.Equal(new[] { account.TransferLegs[10], account.TransferLegs[15] }.Order(), Ids(from).Order());
        var to = await SearchAsync("toDate=2024-02-02");
        Assert.Equal(new[] { account.DepositId, account.TransferLegs[2] }.Order(), Ids(to).Order());
    }

    [Fact]
    public async Task Without_dateFormat_and_locale_dates_are_yyyy_MM_dd_and_other_patterns_follow_dateFormat()
    {
        Assert.Equal(2, (long)(await SearchAsync("fromDate=2024-02-05&toDate=2024-02-05"))["total"]!);
        Assert.Equal(2, (long)(await SearchAsync("fromDate=05%20February%202024&toDate=05%20February%202024&dateFormat=dd%20MMMM%20yyyy&locale=en"))["total"]!);
        // SMART resolution: 30 February is the month's last day, not an error.
        var clipped = await SearchAsync("fromDate=2024-02-16&toDate=2024-02-30");
        Assert.Equal(0, (long)clipped["total"]!);
        Assert.Equal(5, (long)(await SearchAsync("fromDate=2024-02-02&toDate=2024-02-31"))["total"]!);
    }

    [Fact]
    public async Task Debit_and_credit_select_by_entry_type()
    {
        var debits = await SearchAsync("debit=true");
        Assert.Equal(new[] { account.WithdrawalId }.Concat(account.TransferLegs.Values).Order(), Ids(debits).Order());
        Assert.All(debits["content"]!.AsArray(), t => Assert.Equal("DEBIT", (string)t!["entryType"]!));

        Assert.Equal([account.DepositId], Ids(await SearchAsync("debit=false")));
        Assert.Equal([account.DepositId], Ids(await SearchAsync("credit=true")));
        // Boolean.valueOf: anything but "true" is false.
        Assert.Equal([account.DepositId], Ids(await SearchAsync("debit=yes")));
        Assert.Equal(6, (long)(await SearchAsync("credit=true&debit=true"))["total"]!);
        Assert.Equal(0, (long)(await SearchAsync("credit=false&debit=false"))["total"]!);
        Assert.Equal([account.DepositId], Ids(await SearchAsync("types=1")));
        Assert.Equal(0, (long)(await SearchAsync("types=99"))["total"]!);
    }

    [Fact]
    public async Task Offset_is_a_page_number_and_the_total_counts_every_match()
    {
        var all = Ids(await SearchAsync("orderBy=id&sortOrder=ASC")).ToList();
        Assert.Equal(6, all.Count);
        Assert.Equal(all.Order(), all);

        var read = new List<long>();
        for (var page = 0; page < 3; page++)
        {
            var answer = await SearchAsync($"orderBy=id&sortOrder=asc&limit=2&offset={page}");
            Assert.Equal(6, (long)answer["total"]!);
            Assert.Equal(page, (int)answer["pageable"]!["pageNumber"]!);
            Assert.Equal(2, (int)answer["pageable"]!["pageSize"]!);
            Assert.Equal("""[{"direction":"ASC","property":"id","ignoreCase":false,"nullHandling":"NATIVE"}]""",
                answer["pageable"]!["sort"]!["orders"]!.ToJsonString());
            read.AddRange(Ids(answer));
        }
        Assert.Equal(all, read);

        var beyond = await SearchAsync("orderBy=id&sortOrder=ASC&limit=2&offset=3");
        Assert.Empty(beyond["content"]!.AsArray());
        Assert.Equal(6, (long)beyond["total"]!);

        // Default order: value date, then creation, then id, all descending.
        var newest = await SearchAsync("limit=1");
        Assert.Equal([account.TransferLegs[15]], Ids(newest));
        Assert.Equal(6, (long)newest["total"]!);
    }

    [Fact]
    public async Task An_account_that_does_not_exist_has_no_transactions()
    {
        var (status, body, _) = await Host.GetAsync("savingsaccounts/987654/transactions/search?fromDate=2024-01-01");
        Assert.Equal(200, status);
        Assert.Equal(0, (long)body!["total"]!);
        Assert.Empty(body["content"]!.AsArray());
    }

    [Theory]
    [InlineData("fromDate=05%20May%202023", "05 May 2023")]
    [InlineData("toDate=2024-2-5", "2024-2-5")]
    [InlineData("fromDate=2024-02-01&dateFormat=dd/MM/yyyy", "2024-02-01")]
    [InlineData("fromDate=", "")]
    public async Task A_date_that_does_not_parse_is_400_invalid_date_pattern(string query, string value)
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?{query}");
        Assert.Equal(400, status);
        Assert.Equal("validation.msg.validation.errors.exist", (string)body!["userMessageGlobalisationCode"]!);
        var error = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal("validation.msg.invalid.date.pattern", (string)error["userMessageGlobalisationCode"]!);
        Assert.Equal($"The parameter date ({value}) format is invalid", (string)error["defaultUserMessage"]!);
        Assert.Equal("date", (string)error["parameterName"]!);
        Assert.Equal(value, (string)error["args"]![0]!["value"]!);
    }

    [Fact]
    public async Task A_bad_locale_is_400_before_any_date()
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?locale=xx&fromDate=nonsense");
        Assert.Equal(400, status);
        var error = Assert.Single(body!["errors"]!.AsArray())!;
        Assert.Equal("validation.msg.invalid.locale.format", (string)error["userMessageGlobalisationCode"]!);
    }

    [Theory]
    [InlineData("fromAmount=test")]
    [InlineData("limit=abc")]
    [InlineData("offset=1.5")]
    [InlineData("sortOrder=up")]
    public async Task A_parameter_Jersey_cannot_convert_is_404_from_spring(string query)
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?{query}");
        Assert.Equal(404, status);
        Assert.Equal(404, (int)body!["status"]!);
        Assert.Equal("Not Found", (string)body["error"]!);
        Assert.Equal($"/fineract-provider/api/v1/savingsaccounts/{account.AccountId}/transactions/search", (string)body["path"]!);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("offset=-1")]
    [InlineData("orderBy=id")]
    [InlineData("fromDate=2024-01-01&dateFormat=foo")]
    public async Task What_spring_data_or_java_time_refuse_is_an_unmapped_500(string query)
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?{query}");
        Assert.Equal(500, status);
        Assert.Equal("Internal Server Error", (string)body!["error"]!);
    }

    [Fact]
    public async Task Sorting_by_an_unknown_column_is_400_invalid_column()
    {
        var (status, body, _) = await Host.GetAsync($"savingsaccounts/{account.AccountId}/transactions/search?orderBy=nope&sortOrder=ASC");
        Assert.Equal(400, status);
        var error = Assert.Single(body!["errors"]!.AsArray())!;
        Assert.Equal("error.msg.invalid.column", (string)error["userMessageGlobalisationCode"]!);
        Assert.Equal("column", (string)error["parameterName"]!);
        Assert.Equal("nope", (string)error["value"]!);

        // Camel case names the snake case column.
        var byAmount = await SearchAsync("orderBy=transactionDate,amount&sortOrder=DESC&debit=true&limit=1");
        Assert.Equal([account.TransferLegs[15]], Ids(byAmount));
        Assert.Equal("transactionDate", (string)byAmount["pageable"]!["sort"]!["orders"]![0]!["property"]!);
    }

    [Fact]
    public async Task Empty_numbers_are_absent()
    {
        var page = await SearchAsync("limit=&offset=&fromAmount=&sortOrder=");
        Assert.Equal(50, (int)page["pageable"]!["pageSize"]!);
        Assert.Equal(6, (long)page["total"]!);
    }
}
