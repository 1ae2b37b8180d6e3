using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OneClickSuite.Clients.PaymentHub;

namespace OneClickSuite.Emulators.PaymentHub.Tests;

public sealed class ValidationTests(Hub hub) : IClassFixture<Hub>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private const string OneRow = """[{"requestId":"v1","paymentMode":"NOPE","amount":"1","currency":"USD","creditParty":[{"key":"msisdn","value":"1"}]}]""";

    private async Task<(int Status, JsonNode? Body)> PostAsync(string body, Action<HttpRequestHeaders> headers, bool sign = true, string? contentType = "application/json")
    {
        using var raw = hub.Raw();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/batchtransactions") { Content = new StringContent(body, Encoding.UTF8, contentType!) };
        headers(request.Headers);
        if (sign)
        {
            string? H(string n) => request.Headers.TryGetValues(n, out var v) ? v.First() : null;
            var data = PaymentHubSignature.DataToHash([H("X-BatchID"), H("X-CorrelationID"), H("Platform-TenantId")], body);
            request.Headers.Add("X-SIGNATURE", PaymentHubSignature.Sign(data, hub.PrivateKey));
        }
        using var response = await raw.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return ((int)response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    private static void Good(HttpRequestHeaders h)
    {
        h.Add("X-CorrelationID", "v-corr");
        h.Add("Platform-TenantId", Hub.Tenant);
        h.Add("Type", "raw");
        h.Add("Purpose", "salary");
    }

    [Fact]
    public async Task A_signed_well_formed_request_is_accepted()
    {
        var (status, body) = await PostAsync(OneRow, Good);
        Assert.Equal(202, status);
        Assert.StartsWith("/batch/Summary/", body!["PollingPath"]!.ToString());
    }

    [Fact]
    public async Task Missing_or_wrong_signature_is_refused_with_ph_errors()
    {
        var (status, body) = await PostAsync(OneRow, Good, sign: false);
        Assert.Equal(400, status);
        Assert.Equal("InvalidPublicKeyConfigured", body!["errorCode"]!.ToString());

        var (wrongStatus, wrong) = await PostAsync(OneRow, h => { Good(h); h.Add("X-SIGNATURE", PaymentHubSignature.Sign("other", hub.PrivateKey)); }, sign: false);
        Assert.Equal(400, wrongStatus);
        Assert.Equal("InvalidJsonWebSignature", wrong!["errorCode"]!.ToString());
        Assert.Equal("Validation", wrong["errorCategory"]!.ToString());

        var error = await Assert.ThrowsAsync<PaymentHubException>(() => hub.NewClient(sign: false).SubmitRawBatchAsync(
            [new PaymentHubPayment("x", "NOPE", 1m, "USD", new PaymentHubParty("msisdn", "1"))], "c", "p", ct: Ct));
        Assert.Equal(400, error.StatusCode);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Missing_header_is_a_500_from_the_exception_mapper()
    {
        var (status, body) = await PostAsync(OneRow, h => { h.Add("X-CorrelationID", "c"); h.Add("Platform-TenantId", Hub.Tenant); h.Add("Type", "raw"); });
        Assert.Equal(500, status);
        Assert.Equal("01", body!["responseCode"]!.ToString());
        Assert.Contains("'Purpose'", body["responseDescription"]!.ToString());
    }

    [Fact]
    public async Task Wrong_type_gets_the_one_message_the_controller_has()
    {
        var (status, body) = await PostAsync(OneRow, h => { h.Add("X-CorrelationID", "c"); h.Add("Platform-TenantId", Hub.Tenant); h.Add("Type", "csv"); h.Add("Purpose", "p"); });
        Assert.Equal(400, status);
        Assert.Equal("File not uploaded", body!["errorInformation"]!.ToString());
        Assert.Equal(400, (int)body["errorCode"]!);
    }

    [Fact]
    public async Task Csv_with_a_foreign_column_or_extension_is_refused()
    {
        var client = hub.NewClient();
        var bad = await Assert.ThrowsAsync<PaymentHubException>(() =>
            client.SubmitCsvBatchAsync("id,request_id,colour\n0,r,blue\n", "bad.csv", "c", "p", ct: Ct));
        Assert.Equal(400, bad.StatusCode);
        Assert.Contains("Invalid file structure", bad.Body);
        var ext = await Assert.ThrowsAsync<PaymentHubException>(() =>
            client.SubmitCsvBatchAsync(PaymentHubClient.CsvHeader + "\n", "bad.txt", "c", "p", ct: Ct));
        Assert.Contains("Broken file", ext.Body);
    }

    [Fact]
    public async Task Operations_need_the_tenant_and_answer_404_for_unknown_batches()
    {
        using var raw = hub.Raw();
        Assert.Equal(HttpStatusCode.InternalServerError, (await raw.GetAsync("/api/v1/batch?batchId=x", Ct)).StatusCode);
        Assert.Null(await hub.NewClient().GetBatchSummaryAsync("no-such-batch", Ct));
        Assert.Null(await hub.NewClient().GetBatchAsync("no-such-batch", "c", Ct));
        // Another tenant does not see this tenant's batch.
        var submission = await hub.NewClient().SubmitRawBatchAsync(
            [new PaymentHubPayment("t1", "NOPE", 1m, "USD", new PaymentHubParty("msisdn", "1"))], "c-tenant", "p", ct: Ct);
        Assert.NotNull(await hub.NewClient().GetBatchSummaryAsync(submission.BatchId, Ct));
        Assert.Null(await hub.NewClient(tenant: "rhino").GetBatchSummaryAsync(submission.BatchId, Ct));
    }

    [Fact]
    public async Task Root_page_shows_batches_and_both_fault_switches()
    {
        var submission = await hub.NewClient().SubmitRawBatchAsync(
            [new PaymentHubPayment("page", "NOPE", 1m, "USD", new PaymentHubParty("msisdn", "1"))], "corr-page-view", "p", ct: Ct);
        using var raw = hub.Raw();
        var html = await raw.GetStringAsync("/", Ct);
        Assert.Contains(submission.BatchId, html);
        Assert.Contains("corr-page-view", html);
        Assert.Contains("data-testid=\"fault-state\"", html);
        Assert.Contains("data-testid=\"hub-fault-state\"", html);
        Assert.Contains("Payment Hub EE", html);
    }
}
