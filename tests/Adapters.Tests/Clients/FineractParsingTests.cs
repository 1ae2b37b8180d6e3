using System.Text.Json;
using OneClickSuite.Clients.Fineract;
using Xunit;

namespace OneClickSuite.Clients.Tests;

public class FineractParsingTests
{
    [Fact]
    public void Dates_are_read_from_Fineract_arrays_and_iso_strings()
    {
        var transaction = JsonSerializer.Deserialize<FineractSavingsTransaction>(
            """{"id":12,"date":[2024,1,15],"amount":1000.000000,"reversed":false,"transactionType":{"id":1,"deposit":true}}""",
            FineractJson.Options)!;

        Assert.Equal(new DateOnly(2024, 1, 15), transaction.Date);
        Assert.Equal(1000m, transaction.Amount);
        Assert.True(transaction.TransactionType!.Deposit);
        Assert.Equal(new DateOnly(2024, 2, 29),
            JsonSerializer.Deserialize<DateOnly>("\"2024-02-29\"", FineractJson.Options));
    }

    [Fact]
    public void A_malformed_date_array_is_rejected()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DateOnly>("[2024,1]", FineractJson.Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<DateOnly>("[2024,1,15,3]", FineractJson.Options));
    }

    [Fact]
    public void Validation_error_keeps_codes_and_parameter_names_and_is_permanent()
    {
        const string body = """
        {"developerMessage":"The request was invalid.","httpStatusCode":"400","defaultUserMessage":"Validation errors exist.",
         "userMessageGlobalisationCode":"validation.msg.validation.errors.exist",
         "errors":[{"developerMessage":"The parameter `paymentTypeId` is mandatory.","defaultUserMessage":"The parameter `paymentTypeId` is mandatory.",
                    "userMessageGlobalisationCode":"validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank","parameterName":"paymentTypeId","args":[{}]}]}
        """;

        var error = FineractJson.ParseError(400, body, servedFromCache: false, "POST deposit");

        Assert.Equal(400, error.StatusCode);
        Assert.Equal("validation.msg.validation.errors.exist", error.GlobalisationCode);
        var parameter = Assert.Single(error.Errors);
        Assert.Equal("paymentTypeId", parameter.ParameterName);
        Assert.True(error.HasCode("validation.msg.savingsaccount.transaction.paymentTypeId.cannot.be.blank"));
        Assert.False(error.IsTransient);
    }

    [Fact]
    public void Duplicate_external_id_is_a_permanent_403()
    {
        const string body = """
        {"developerMessage":"The request caused a data integrity issue to be fired by the database.","httpStatusCode":"403",
         "defaultUserMessage":"Client with externalId `ext-1` already exists","userMessageGlobalisationCode":"error.msg.client.duplicate.externalId",
         "errors":[{"userMessageGlobalisationCode":"error.msg.client.duplicate.externalId","parameterName":"externalId"}]}
        """;

        var error = FineractJson.ParseError(403, body, servedFromCache: true, "POST clients");

        Assert.True(error.HasCode("error.msg.client.duplicate.externalId"));
        Assert.True(error.ServedFromCache);
        Assert.False(error.IsTransient);
    }

    [Theory]
    [InlineData(425, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    [InlineData(404, false)]
    [InlineData(401, false)]
    public void Transient_means_server_side_or_still_processing(int status, bool transient)
    {
        var error = FineractJson.ParseError(status, "{}", servedFromCache: status == 425, "POST x");
        Assert.Equal(transient, error.IsTransient);
        Assert.Equal(status == 425, error.IsStillProcessing);
    }

    [Fact]
    public void No_response_is_transient()
    {
        Assert.True(new FineractException("timeout", statusCode: null).IsTransient);
    }

    [Fact]
    public void Non_json_bodies_are_kept_as_text()
    {
        var error = FineractJson.ParseError(501, "Resource with method POST and relativeUrl /nirvana doesn't exist", false, "batch");
        Assert.Contains("nirvana", error.Message);
        Assert.Null(error.GlobalisationCode);
    }

    [Fact]
    public void Batch_item_replayed_from_the_idempotency_store_is_recognised()
    {
        var results = JsonSerializer.Deserialize<List<FineractBatchResult>>(
            """
            [{"requestId":1,"statusCode":200,"headers":[{"name":"x-served-from-cache","value":"true"}],"body":"{\"resourceId\":4}"},
             {"requestId":2,"statusCode":200,"body":"{}"}]
            """,
            FineractJson.Options)!;

        Assert.True(results[0].ServedFromCache);
        Assert.False(results[1].ServedFromCache);
    }
}
