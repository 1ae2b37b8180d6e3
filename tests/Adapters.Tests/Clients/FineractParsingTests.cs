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
    public void A_transaction_search_page_is_read_from_springs_page_with_each_transfer()
    {
        // As Fineract writes it: Gson over PageImpl (total), Chunk (content, pageable) and each SavingsAccountTransactionData.
        const string body = """
        {"total":2,"content":[
          {"id":41,"transactionType":{"id":2,"code":"savingsAccountTransactionType.withdrawal","value":"Withdrawal","deposit":false,
             "dividendPayout":false,"withdrawal":true,"interestPosting":false,"feeDeduction":false,"initiateTransfer":false,
             "approveTransfer":false,"withdrawTransfer":false,"rejectTransfer":false,"overdraftInterest":false,"writtenoff":false,
             "overdraftFee":false,"withholdTax":false,"escheat":false,"amountHold":false,"amountRelease":false,"accrual":false},
           "entryType":"DEBIT","accountId":3,"accountNo":"000000003","date":[2026,9,30],
           "currency":{"code":"USD","name":"US Dollar","decimalPlaces":2,"inMultiplesOf":1,"displaySymbol":"$","nameCode":"currency.USD","displayLabel":"US Dollar ($)"},
           "amount":850.000000,"runningBalance":99150.000000,"reversed":false,
           "transfer":{"id":17,"reversed":false,"currency":{"code":"USD","decimalPlaces":2,"inMultiplesOf":1},"transferAmount":850.000000,
             "transferDate":[2026,9,30],"transferDescription":"pay-0f8fad5bd9cb469fa16570867728950e salary September 2026"},
           "submittedOnDate":[2026,9,30],"interestedPostedAsOn":false,"submittedByUsername":"mifos","isManualTransaction":false,
           "isReversal":false,"originalTransactionId":0,"lienTransaction":false,"releaseTransactionId":0,"chargesPaidByData":[]},
          {"id":42,"transactionType":{"id":2,"withdrawal":true},"entryType":"DEBIT","accountId":3,"date":[2026,9,30],"amount":7,
           "paymentDetailData":{"id":42,"paymentType":{"id":1,"name":"Money Transfer"}},"reversed":true,"note":"petty cash",
           "submittedOnDate":[2026,9,30],"chargesPaidByData":[]}],
         "pageable":{"sort":{"orders":[{"direction":"ASC","property":"id","ignoreCase":false,"nullHandling":"NATIVE"}]},"pageNumber":0,"pageSize":500}}
        """;

        var page = JsonSerializer.Deserialize<FineractSavingsTransactionPage>(body, FineractJson.Options)!;

        Assert.Equal(2, page.Total);
        Assert.Equal([41L, 42L], page.Content!.Select(t => t.Id));
        var transfer = page.Content![0];
        Assert.True(transfer.TransactionType!.Withdrawal);
        Assert.Equal(new DateOnly(2026, 9, 30), transfer.Date);
        Assert.Equal(850m, transfer.Amount);
        Assert.Equal(17, transfer.Transfer!.Id);
        Assert.Equal("pay-0f8fad5bd9cb469fa16570867728950e salary September 2026", transfer.Transfer.TransferDescription);
        Assert.Equal(new DateOnly(2026, 9, 30), transfer.Transfer.TransferDate);
        Assert.Null(transfer.Note);
        var withdrawal = page.Content[1];
        Assert.True(withdrawal.Reversed);
        Assert.Equal("petty cash", withdrawal.Note);
        Assert.Null(withdrawal.Transfer);
        Assert.Equal(1, withdrawal.PaymentDetailData!.PaymentType!.Id);

        var empty = JsonSerializer.Deserialize<FineractSavingsTransactionPage>(
            """{"total":0,"content":[],"pageable":{"sort":{"orders":[]},"pageNumber":3,"pageSize":500}}""", FineractJson.Options)!;
        Assert.Equal(0, empty.Total);
        Assert.Empty(empty.Content!);
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
