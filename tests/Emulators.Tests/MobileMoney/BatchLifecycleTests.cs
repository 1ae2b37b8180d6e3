using System.Text.Json;
using OneClickSuite.Clients.MobileMoney;

namespace OneClickSuite.Emulators.MobileMoney.Tests;

public sealed class BatchLifecycleTests(HostFixture fixture) : IClassFixture<HostFixture>
{
    private readonly MobileMoneyHost _host = fixture.Host;
    private readonly CallbackListener _callbacks = fixture.Callbacks;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_is_parsed_approved_and_posted_with_callbacks_at_each_step()
    {
        var (amina, baraka, unknown) = (Batches.NewMsisdn(), Batches.NewMsisdn(), Batches.NewMsisdn());
        await _host.OpenWalletAsync(amina, "Amina Otieno");
        await _host.OpenWalletAsync(baraka, "Baraka Mwangi", balance: 5m);
        var before = await _host.BalanceAsync(MobileMoneyHost.DisbursementAccount);
        var correlation = Guid.NewGuid();
        var name = Guid.NewGuid().ToString("N");

        var state = await _host.Client.CreateBatchAsync(Batches.Of(
            Batches.Pay(amina, 1500m, "pay-amina"), Batches.Pay(baraka, 250.50m, "pay-baraka"), Batches.Pay(unknown, 10m, "pay-unknown")),
            correlation, _callbacks.Url(name), Ct);
        Assert.Equal("pending", state.Status);
        Assert.Equal("callback", state.NotificationMethod);
        Assert.True(Guid.TryParse(state.ServerCorrelationId, out _));

        var created = Assert.Single(await _callbacks.WaitAsync(name));
        Assert.Equal(correlation.ToString(), created.CorrelationId);
        Assert.NotNull(created.Date);
        var batch = MobileMoneyClient.ParseBatch(JsonDocument.Parse(created.Body).RootElement);
        Assert.Equal("created", batch.BatchStatus);
        Assert.Equal(3, batch.ParsingSuccessCount);
        Assert.Equal(0, batch.RejectionCount);
        Assert.Equal("Monthly salaries", batch.BatchDescription);

        var polled = await _host.Client.GetRequestStateAsync(state.ServerCorrelationId, Ct);
        Assert.Equal("completed", polled.Status);
        Assert.Equal(batch.BatchId, polled.ObjectReference);
        Assert.Equal(before, await _host.BalanceAsync(MobileMoneyHost.DisbursementAccount));

        var approveName = name + "-approve";
        var approval = await _host.Client.ApproveBatchAsync(batch.BatchId, Guid.NewGuid(), _callbacks.Url(approveName), Ct);
        Assert.NotNull(approval);
        Assert.Equal("pending", approval.Status);
        var approved = Assert.Single(await _callbacks.WaitAsync(approveName));
        Assert.Equal("""{"result":"success"}""", approved.Body);

        var done = await _host.Client.GetBatchAsync(batch.BatchId, Ct);
        Assert.Equal("completed", done.BatchStatus);
        Assert.Equal(2, done.CompletedCount);
        Assert.Equal(1, done.RejectionCount);
        Assert.False(done.ProcessingFlag);
        Assert.NotNull(done.ApprovalDate);
        Assert.NotNull(done.CompletionDate);
        Assert.Equal(1500m, await _host.BalanceAsync(amina.TrimStart('+')));
        Assert.Equal(255.50m, await _host.BalanceAsync(baraka.TrimStart('+')));
        Assert.Equal(before - 1750.50m, await _host.BalanceAsync(MobileMoneyHost.DisbursementAccount));

        var completions = await _host.Client.GetCompletionsAsync(batch.BatchId, 0, 10, Ct);
        Assert.Equal(["pay-amina", "pay-baraka"], completions.Items.Select(c => c.RequestingOrganisationTransactionReference));
        Assert.All(completions.Items, c => Assert.StartsWith(_host.BaseUrl + "transactions/", c.Link));
        Assert.Equal(amina, completions.Items[0].CreditParty.Single().Value);
        var transaction = await _host.Client.GetTransactionAsync(completions.Items[0].TransactionReference, Ct);
        Assert.Equal("1500.00", transaction.Amount);
        Assert.Equal("completed", transaction.TransactionStatus);

        var rejection = Assert.Single((await _host.Client.GetRejectionsAsync(batch.BatchId, 0, 10, Ct)).Items);
        Assert.Equal("pay-unknown", rejection.RequestingOrganisationTransactionReference);
        Assert.Equal("identifierError", rejection.ReasonCode);
        Assert.NotNull(rejection.RejectionDate);
    }

    [Fact]
    public async Task Without_a_callback_url_the_client_polls_the_request_state()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Chebet Kiprono");
        var state = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 100m)), Guid.NewGuid(), null, Ct);
        Assert.Equal("polling", state.NotificationMethod);
        var parsed = await _host.WaitForRequestAsync(state.ServerCorrelationId);
        Assert.Equal("completed", parsed.Status);
        var approval = await _host.Client.ApproveBatchAsync(parsed.ObjectReference!, Guid.NewGuid(), null, Ct);
        Assert.Equal("polling", approval!.NotificationMethod);
        var posted = await _host.WaitForRequestAsync(approval.ServerCorrelationId);
        Assert.Equal("completed", posted.Status);
        Assert.Equal(parsed.ObjectReference, posted.ObjectReference);
        Assert.Equal("completed", (await _host.Client.GetBatchAsync(parsed.ObjectReference!, Ct)).BatchStatus);
    }

    [Fact]
    public async Task A_repeated_correlation_id_is_a_duplicate_request_and_creates_nothing()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Daudi Njoroge");
        var correlation = Guid.NewGuid();
        var first = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), correlation, null, Ct);
        var error = await Assert.ThrowsAsync<MobileMoneyException>(() =>
            _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), correlation, null, Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.True(error.IsDuplicateRequest);
        Assert.Equal("businessRule", error.Error!.ErrorCategory);
        Assert.False(error.IsTransient);
        await _host.WaitForRequestAsync(first.ServerCorrelationId);
        Assert.Equal(1, await _host.ScalarAsync("SELECT count(*) FROM mm_request WHERE client_correlation_id = $1", correlation));
        Assert.Equal(1, await _host.ScalarAsync(
            "SELECT count(*) FROM mm_batch b JOIN mm_request r ON r.server_correlation_id = b.create_request WHERE r.client_correlation_id = $1", correlation));
    }

    [Fact]
    public async Task Responses_lead_from_a_client_correlation_id_to_the_request_state_then_to_the_batch()
    {
        Assert.Null(await _host.Client.FindResponseLinkAsync(Guid.NewGuid(), Ct));
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Esther Wanjiru");
        var correlation = Guid.NewGuid();
        var state = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), correlation, null, Ct);
        var done = await _host.WaitForRequestAsync(state.ServerCorrelationId);
        var link = await _host.Client.FindResponseLinkAsync(correlation, Ct);
        Assert.Equal($"{_host.BaseUrl}batchtransactions/{done.ObjectReference}", link);
    }

    [Fact]
    public async Task Approval_is_for_created_batches_only()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Faith Achieng");
        var state = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 1m)), Guid.NewGuid(), null, Ct);
        var batchId = (await _host.WaitForRequestAsync(state.ServerCorrelationId)).ObjectReference!;
        var approveCorrelation = Guid.NewGuid();
        var approval = await _host.Client.ApproveBatchAsync(batchId, approveCorrelation, null, Ct);

        var sameId = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.ApproveBatchAsync(batchId, approveCorrelation, null, Ct));
        Assert.True(sameId.IsDuplicateRequest);
        var again = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.ApproveBatchAsync(batchId, Guid.NewGuid(), null, Ct));
        Assert.True(again.IsIncorrectState, again.Message);
        Assert.Equal(400, again.StatusCode);

        await _host.WaitForRequestAsync(approval!.ServerCorrelationId);
        var afterCompletion = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.ApproveBatchAsync(batchId, Guid.NewGuid(), null, Ct));
        Assert.True(afterCompletion.IsIncorrectState);
        Assert.Equal(1m, await _host.BalanceAsync(msisdn.TrimStart('+')));

        var unknown = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.ApproveBatchAsync(Guid.NewGuid().ToString(), Guid.NewGuid(), null, Ct));
        Assert.Equal(404, unknown.StatusCode);
        Assert.Equal("identification", unknown.Error!.ErrorCategory);
        var missing = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.GetBatchAsync("no-such-batch", Ct));
        Assert.Equal("identifierError", missing.Error!.ErrorCode);
    }

    [Fact]
    public async Task Records_that_do_not_parse_are_rejected_before_approval()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Grace Muthoni");
        using var raw = _host.NewRawClient();
        var body = $$"""
            {"transactions":[
              {"amount":"10.00","currency":"KES","type":"disbursement","debitParty":[{"key":"accountid","value":"disbursement"}],"creditParty":[{"key":"msisdn","value":"{{msisdn}}"}],"requestingOrganisationTransactionReference":"ok"},
              {"amount":"10.005","currency":"KES","type":"disbursement","debitParty":[{"key":"accountid","value":"disbursement"}],"creditParty":[{"key":"msisdn","value":"{{msisdn}}"}],"requestingOrganisationTransactionReference":"three-decimals"},
              {"amount":"010","currency":"KES","type":"disbursement","debitParty":[{"key":"accountid","value":"disbursement"}],"creditParty":[{"key":"msisdn","value":"{{msisdn}}"}],"requestingOrganisationTransactionReference":"leading-zero"},
              {"amount":"10","currency":"QQQ","type":"disbursement","debitParty":[{"key":"accountid","value":"disbursement"}],"creditParty":[{"key":"msisdn","value":"{{msisdn}}"}],"requestingOrganisationTransactionReference":"currency"},
              {"amount":"10","currency":"KES","type":"disbursement","debitParty":[{"key":"accountid","value":"disbursement"}],"requestingOrganisationTransactionReference":"no-credit-party"}
            ]}
            """;
        using var request = new HttpRequestMessage(HttpMethod.Post, "batchtransactions") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        using var response = await raw.SendAsync(request, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var state = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("serverCorrelationId").GetString()!;
        var batchId = (await _host.WaitForRequestAsync(state)).ObjectReference!;
        var batch = await _host.Client.GetBatchAsync(batchId, Ct);
        Assert.Equal("created", batch.BatchStatus);
        Assert.Equal(1, batch.ParsingSuccessCount);
        Assert.Equal(4, batch.RejectionCount);
        var rejections = await _host.Client.GetRejectionsAsync(batchId, 0, 50, Ct);
        Assert.Equal(["three-decimals", "leading-zero", "currency", "no-credit-party"],
            rejections.Items.Select(r => r.RequestingOrganisationTransactionReference));
        Assert.Equal(["formatError", "formatError", "currencyNotSupported", "mandatoryValueNotSupplied"], rejections.Items.Select(r => r.ReasonCode));
    }

    [Fact]
    public async Task A_malformed_envelope_is_refused_at_once()
    {
        using var raw = _host.NewRawClient();
        foreach (var (body, code) in new[] { ("""{"transactions":[]}""", "lengthError"), ("""{"batchTitle":"x"}""", "mandatoryValueNotSupplied"), ("[1]", "formatError") })
        {
            using var response = await raw.PostAsync("batchtransactions", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Ct);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
            Assert.Equal("validation", error.GetProperty("errorCategory").GetString());
            Assert.Equal(code, error.GetProperty("errorCode").GetString());
            Assert.True(error.TryGetProperty("errordescription", out _));
            Assert.True(response.Headers.Contains("X-Date"));
        }
    }

    [Fact]
    public async Task Completions_and_rejections_are_paged_with_their_counts()
    {
        var good = Enumerable.Range(0, 3).Select(_ => Batches.NewMsisdn()).ToList();
        foreach (var msisdn in good) await _host.OpenWalletAsync(msisdn, "Worker");
        var payments = Enumerable.Range(0, 120).Select(i => i % 6 == 5
            ? Batches.Pay(Batches.NewMsisdn(), 1m, $"r{i:D3}")
            : Batches.Pay(good[i % 3], 1m, $"r{i:D3}")).ToArray();
        var state = await _host.Client.CreateBatchAsync(new MmBatchRequest(payments, null, null), Guid.NewGuid(), null, Ct);
        var batchId = (await _host.WaitForRequestAsync(state.ServerCorrelationId)).ObjectReference!;
        await _host.WaitForRequestAsync((await _host.Client.ApproveBatchAsync(batchId, Guid.NewGuid(), null, Ct))!.ServerCorrelationId);

        var first = await _host.Client.GetCompletionsAsync(batchId, 0, 30, Ct);
        Assert.Equal((100, 30), (first.Available, first.Returned));
        Assert.Equal("r000", first.Items[0].RequestingOrganisationTransactionReference);
        var all = new List<MmCompletion>();
        for (var offset = 0; ; offset += 30)
        {
            var page = await _host.Client.GetCompletionsAsync(batchId, offset, 30, Ct);
            all.AddRange(page.Items);
            if (page.Items.Count < 30) break;
        }
        Assert.Equal(100, all.Select(c => c.TransactionReference).Distinct().Count());
        var last = await _host.Client.GetCompletionsAsync(batchId, 90, 30, Ct);
        Assert.Equal((100, 10), (last.Available, last.Returned));
        var rejections = await _host.Client.GetRejectionsAsync(batchId, 5, 10, Ct);
        Assert.Equal((20, 10), (rejections.Available, rejections.Returned));
        Assert.Equal("r035", rejections.Items[0].RequestingOrganisationTransactionReference);

        using var raw = _host.NewRawClient();
        using var byDefault = await raw.GetAsync($"batchtransactions/{batchId}/completions", Ct);
        Assert.Equal("50", byDefault.Headers.GetValues("X-Records-Returned-Count").Single());
        using var tooLarge = await raw.GetAsync($"batchtransactions/{batchId}/completions?limit=5000", Ct);
        Assert.Equal("100", tooLarge.Headers.GetValues("X-Records-Returned-Count").Single());
        using var negative = await raw.GetAsync($"batchtransactions/{batchId}/completions?offset=-1", Ct);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, negative.StatusCode);
        Assert.Contains("invalidOffset", await negative.Content.ReadAsStringAsync(Ct));
        using var future = await raw.GetAsync($"batchtransactions/{batchId}/completions?fromDateTime={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}", Ct);
        Assert.Equal("0", future.Headers.GetValues("X-Records-Available-Count").Single());
        using var past = await raw.GetAsync($"batchtransactions/{batchId}/completions?fromDateTime={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("O"))}&limit=7&offset=95", Ct);
        Assert.Equal(("100", "5"), (past.Headers.GetValues("X-Records-Available-Count").Single(), past.Headers.GetValues("X-Records-Returned-Count").Single()));
    }

    [Fact]
    public async Task The_account_holder_name_of_a_wallet_and_404_for_an_unknown_one()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Halima Abdi Hassan", firstName: "Halima", lastName: "Hassan");
        var name = await _host.Client.GetAccountHolderNameAsync("msisdn", msisdn, Ct);
        Assert.Equal("Halima Abdi Hassan", name!.FullName);
        Assert.Equal("Halima", name.Name!.FirstName);
        Assert.Equal("Hassan", name.Name.LastName);
        Assert.Null(await _host.Client.GetAccountHolderNameAsync("msisdn", Batches.NewMsisdn(), Ct));
        Assert.NotNull(await _host.Client.GetAccountHolderNameAsync("accountid", MobileMoneyHost.DisbursementAccount, Ct));
        var badType = await Assert.ThrowsAsync<MobileMoneyException>(() => _host.Client.GetAccountHolderNameAsync("shoesize", "42", Ct));
        Assert.Equal(400, badType.StatusCode);
    }

    [Fact]
    public async Task A_wrong_or_missing_api_key_is_refused_with_an_authorisation_error()
    {
        var wrong = _host.NewClient("not-the-key");
        var error = await Assert.ThrowsAsync<MobileMoneyException>(() => wrong.GetAccountHolderNameAsync("msisdn", "+254700000000", Ct));
        Assert.Equal(401, error.StatusCode);
        Assert.Equal("authorisation", error.Error!.ErrorCategory);
        Assert.Equal("clientAuthorisationError", error.Error.ErrorCode);
        using var anonymous = new HttpClient { BaseAddress = _host.BaseUrl };
        using var response = await anonymous.GetAsync("heartbeat", Ct);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, response.StatusCode);
        using var raw = _host.NewRawClient();
        Assert.Contains("available", await raw.GetStringAsync("heartbeat", Ct));
    }

    [Fact]
    public async Task A_single_disbursement_is_posted_asynchronously_and_called_back()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Imani Said");
        using var raw = _host.NewRawClient();
        var name = Guid.NewGuid().ToString("N");
        var correlation = Guid.NewGuid();
        using var request = new HttpRequestMessage(HttpMethod.Post, "transactions/type/disbursement")
        {
            Content = new StringContent($$"""{"amount":"75.25","currency":"KES","creditParty":[{"key":"msisdn","value":"{{msisdn}}"}],"requestingOrganisationTransactionReference":"single-1"}""",
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-CorrelationID", correlation.ToString());
        request.Headers.Add("X-Callback-URL", _callbacks.Url(name).ToString());
        using var response = await raw.SendAsync(request, Ct);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var callback = Assert.Single(await _callbacks.WaitAsync(name));
        var transaction = JsonDocument.Parse(callback.Body).RootElement;
        Assert.Equal("completed", transaction.GetProperty("transactionStatus").GetString());
        Assert.Equal("75.25", transaction.GetProperty("amount").GetString());
        Assert.Equal(75.25m, await _host.BalanceAsync(msisdn.TrimStart('+')));
        var link = await _host.Client.FindResponseLinkAsync(correlation, Ct);
        Assert.Equal($"{_host.BaseUrl}transactions/{transaction.GetProperty("transactionReference").GetString()}", link);
    }

    [Fact]
    public async Task The_page_shows_wallets_batches_and_the_fault_switches()
    {
        var msisdn = Batches.NewMsisdn();
        await _host.OpenWalletAsync(msisdn, "Jabali <b>Page</b>");
        var state = await _host.Client.CreateBatchAsync(Batches.Of(Batches.Pay(msisdn, 3m)), Guid.NewGuid(), null, Ct);
        var batchId = (await _host.WaitForRequestAsync(state.ServerCorrelationId)).ObjectReference!;
        var html = await _host.Admin.GetStringAsync("/", Ct);
        Assert.Contains("data-testid=\"wallet-table\"", html);
        Assert.Contains($"data-account=\"{msisdn.TrimStart('+')}\"", html);
        Assert.Contains("Jabali &lt;b&gt;Page&lt;/b&gt;", html);
        Assert.Contains($"id=\"batch-{batchId}\" data-status=\"created\"", html);
        Assert.Contains("data-testid=\"fault-state\"", html);
        Assert.Contains("data-testid=\"provider-fault-state\">off<", html);
        Assert.Contains("GSMA Mobile Money API v1.2", html);
    }
}
