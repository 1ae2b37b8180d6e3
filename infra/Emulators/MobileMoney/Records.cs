using System.Text.Json;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>One transaction record (requestTransaction / requestTransactionType of the disbursements OpenAPI).</summary>
public static class Records
{
    /// <summary>The first rule the record breaks, as an errorObject; null when it is well formed.</summary>
    public static GsmaError? Check(JsonElement record, bool requireDebitParty, bool requireType)
    {
        if (record.ValueKind != JsonValueKind.Object) return GsmaError.Validation("formatError", "A transaction must be an object.");
        if (!record.TryGetProperty("currency", out var currencyElement) || currencyElement.ValueKind == JsonValueKind.Null)
            return GsmaError.Validation("mandatoryValueNotSupplied", "currency is missing.", "currency");
        var currency = currencyElement.ValueKind == JsonValueKind.String ? currencyElement.GetString()! : currencyElement.GetRawText();
        if (!Currencies.All.Contains(currency))
            return GsmaError.Validation("currencyNotSupported", "currency is not an ISO 4217 code the API knows.", "currency", currency);
        var amountText = record.TryGetProperty("amount", out var amount) && amount.ValueKind == JsonValueKind.String ? amount.GetString()
            : record.TryGetProperty("amount", out amount) && amount.ValueKind != JsonValueKind.Null ? amount.GetRawText() + " (not a string)" : null;
        var amountError = Gsma.ParseAmount(amountText, currency, out _);
        if (amountError is not null) return amountError;
        if (requireType)
        {
            if (!record.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                return GsmaError.Validation("mandatoryValueNotSupplied", "type is missing.", "type");
            if (!Gsma.TransactionTypes.Contains(type.GetString()))
                return GsmaError.Validation("formatError", "type is not a transaction type.", "type", type.GetString());
            if (!Gsma.PostedTypes.Contains(type.GetString()))
                return new GsmaError("businessRule", "transactionTypeError", $"This provider does not accept {type.GetString()} transactions in a batch.");
        }
        if (!record.TryGetProperty("creditParty", out var credit) || credit.ValueKind == JsonValueKind.Null)
            return GsmaError.Validation("mandatoryValueNotSupplied", "creditParty is missing.", "creditParty");
        var partyProblem = Gsma.PartyArrayProblem(credit, "creditParty");
        if (partyProblem is not null) return GsmaError.Validation("formatError", partyProblem + ".", "creditParty");
        if (record.TryGetProperty("debitParty", out var debit) && debit.ValueKind != JsonValueKind.Null)
        {
            partyProblem = Gsma.PartyArrayProblem(debit, "debitParty");
            if (partyProblem is not null) return GsmaError.Validation("formatError", partyProblem + ".", "debitParty");
        }
        else if (requireDebitParty)
        {
            return GsmaError.Validation("mandatoryValueNotSupplied", "debitParty is missing.", "debitParty");
        }
        var lengthProblem = Gsma.OptionalString(record, "requestingOrganisationTransactionReference", 256, out _)
            ?? Gsma.OptionalString(record, "descriptionText", 160, out _);
        return lengthProblem is null ? null : GsmaError.Validation("lengthError", lengthProblem + ".");
    }

    /// <summary>"errorCode: description", the form rejectionReason takes here (the specification leaves it free text).</summary>
    public static string Reason(GsmaError error) => Truncate($"{error.Code}: {error.Description}");

    public static string Truncate(string text) => text.Length <= 256 ? text : text[..256];
}
