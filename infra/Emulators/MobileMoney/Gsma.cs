using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace OneClickSuite.Emulators.MobileMoney;

/// <summary>The emulator's settings (section "MobileMoney").</summary>
public sealed class ProviderOptions
{
    public const string Section = "MobileMoney";

    /// <summary>Where the API answers: "{…}/{version}/mm" (get-started.md, URI), here /gsma/v1.2/mm by default.</summary>
    public string BasePath { get; set; } = "/gsma/v1.2/mm";

    /// <summary>The pre-shared key clients send in X-API-Key. Required: there is no default.</summary>
    public string? ApiKey { get; set; }

    /// <summary>When set, X-Client-Id must carry it too.</summary>
    public string? ClientId { get; set; }

    /// <summary>Maker–checker: a parsed batch waits for PATCH batchStatus=approved. False: one-shot processing.</summary>
    public bool RequiresApproval { get; set; } = true;

    /// <summary>The largest page of completions or rejections; the specification sets none.</summary>
    public int MaxPageLimit { get; set; } = 1000;

    /// <summary>Request-processing loops in this process.</summary>
    public int Workers { get; set; } = 2;

    public DisbursementAccountOptions DisbursementAccount { get; set; } = new();
}

public sealed class DisbursementAccountOptions
{
    public string? AccountId { get; set; }
    public string? Msisdn { get; set; }
    public string Name { get; set; } = "Disbursement account";
    public string Currency { get; set; } = "KES";
    public decimal OpeningBalance { get; set; }
}

/// <summary>errorObject (disbursements OpenAPI, components/schemas/errorObject).</summary>
public sealed record GsmaError(string Category, string Code, string Description, IReadOnlyList<(string Key, string Value)>? Parameters = null)
{
    public int Status => Category switch
    {
        "authorisation" => 401,
        "identification" => 404,
        "internal" => 500,
        "serviceUnavailable" => 503,
        _ => 400,
    };

    /// <summary>The spelling is the OpenAPI schema's: <c>errordescription</c>, all lower case after "error".</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["errorCategory"] = Category,
            ["errorCode"] = Code,
            ["errordescription"] = Description,
            ["errorDateTime"] = Gsma.Date(DateTimeOffset.UtcNow),
        };
        if (Parameters is { Count: > 0 })
        {
            json["errorParameters"] = new JsonArray(Parameters.Select(p => (JsonNode)new JsonObject { ["key"] = p.Key, ["value"] = p.Value }).ToArray());
        }
        return json;
    }

    public IResult ToResult() => Gsma.Json(ToJson(), Status);

    public static GsmaError Validation(string code, string description, string? parameter = null, string? value = null) =>
        new("validation", code, description, parameter is null ? null : [(parameter, value ?? "")]);

    public static GsmaError NotFound(string what, string id) =>
        new("identification", "identifierError", $"No {what} matches the supplied identifier.", [("providedValue", id)]);

    public static readonly GsmaError Unauthorised =
        new("authorisation", "clientAuthorisationError", "The client could not be authenticated.");
}

public static partial class Gsma
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static string Date(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static IResult Json(JsonNode body, int status) =>
        Results.Content(body.ToJsonString(), "application/json; charset=utf-8", System.Text.Encoding.UTF8, status);

    /// <summary>get-started.md "Amount Validation": 0–4 decimals, no leading zeroes, not negative, ≤ 999999999999999999.9999.</summary>
    [GeneratedRegex(@"^(0|[1-9][0-9]{0,17})(\.[0-9]{1,4})?$", RegexOptions.CultureInvariant)]
    private static partial Regex AmountPattern();

    [GeneratedRegex(@"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex UuidPattern();

    /// <summary>E.164 with its leading "+", as the specification's examples write MSISDNs ("+33555123456").</summary>
    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex MsisdnPattern();

    public static bool IsUuid(string? value) => value is not null && UuidPattern().IsMatch(value);

    public static bool IsMsisdn(string? value) => value is not null && MsisdnPattern().IsMatch(value);

    /// <summary>
    /// An amount as the API writes it, checked against the currency: digits beyond the currency's minor unit must be
    /// zeroes ("200.00" RWF is the specification's own example; "200.50" RWF cannot be paid).
    /// </summary>
    public static GsmaError? ParseAmount(string? text, string currency, out decimal amount)
    {
        amount = 0;
        if (string.IsNullOrEmpty(text)) return GsmaError.Validation("mandatoryValueNotSupplied", "amount is missing.", "amount");
        if (!AmountPattern().IsMatch(text)) return GsmaError.Validation("formatError", "amount does not match the amount format.", "amount", text);
        amount = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        var digits = Currencies.MinorDigits(currency);
        if (decimal.Round(amount, digits) != amount)
            return GsmaError.Validation("formatError", $"{currency} has {digits} decimal places.", "amount", text);
        if (amount == 0) return new GsmaError("businessRule", "lessThanTransactionMinValue", "The amount must be greater than zero.", [("amount", text)]);
        return null;
    }

    public static string FormatAmount(decimal amount, string currency)
    {
        var digits = Currencies.MinorDigits(currency);
        return decimal.Round(amount, digits).ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// X-Date: get-started.md says HTTP-date (RFC 7231), the OpenAPI says date-time; either is accepted.
    /// </summary>
    public static bool IsDate(string value) =>
        DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _)
        || DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    /// <summary>The identifier keys this provider resolves a party by (master OpenAPI, parameters/identifierType).</summary>
    public static readonly string[] PartyKeys = ["msisdn", "accountid", "walletid"];

    /// <summary>The first party entry this provider can resolve, or null.</summary>
    public static (string Key, string Value)? ResolvableParty(JsonElement parties)
    {
        if (parties.ValueKind != JsonValueKind.Array) return null;
        foreach (var party in parties.EnumerateArray())
        {
            if (party.ValueKind == JsonValueKind.Object
                && party.TryGetProperty("key", out var key) && key.ValueKind == JsonValueKind.String
                && party.TryGetProperty("value", out var value) && value.ValueKind == JsonValueKind.String
                && PartyKeys.Contains(key.GetString()))
            {
                return (key.GetString()!, value.GetString()!);
            }
        }
        return null;
    }

    /// <summary>creditPartyArray/debitPartyArray: 1–10 objects with key and value, each 1–256 characters.</summary>
    public static string? PartyArrayProblem(JsonElement parties, string name)
    {
        if (parties.ValueKind != JsonValueKind.Array) return $"{name} must be an array of key/value pairs";
        var count = parties.GetArrayLength();
        if (count is < 1 or > 10) return $"{name} must hold 1 to 10 key/value pairs";
        foreach (var party in parties.EnumerateArray())
        {
            if (party.ValueKind != JsonValueKind.Object
                || !party.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String || key.GetString()!.Length is < 1 or > 256
                || !party.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String || value.GetString()!.Length is < 1 or > 256)
            {
                return $"every {name} entry needs a key and a value of 1 to 256 characters";
            }
        }
        return null;
    }

    public static string? OptionalString(JsonElement parent, string name, int maxLength, out string? value, bool caseInsensitive = false)
    {
        value = null;
        if (parent.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in parent.EnumerateObject())
        {
            if (!(caseInsensitive ? string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase) : property.Name == name)) continue;
            if (property.Value.ValueKind == JsonValueKind.Null) return null;
            if (property.Value.ValueKind != JsonValueKind.String) return $"{name} must be a string";
            value = property.Value.GetString();
            if (value!.Length > maxLength) return $"{name} is longer than {maxLength} characters";
            return null;
        }
        return null;
    }

    /// <summary>The transaction types of the OpenAPI enum (schemas/type).</summary>
    public static readonly string[] TransactionTypes =
        ["billpay", "deposit", "disbursement", "transfer", "merchantpay", "inttransfer", "adjustment", "reversal", "withdrawal"];

    /// <summary>What this provider posts as a debit-to-credit movement (a provider's choice).</summary>
    public static readonly string[] PostedTypes = ["disbursement", "transfer"];
}

/// <summary>The currency enum of the disbursements OpenAPI (schemas/currency) and ISO 4217's minor units.</summary>
public static class Currencies
{
    public static readonly HashSet<string> All = new(StringComparer.Ordinal)
    {
        "AED","AFN","ALL","AMD","ANG","AOA","ARS","AUD","AWG","AZN","BAM","BBD","BDT","BGN","BHD","BIF","BMD","BND","BOB","BOV",
        "BRL","BSD","BTN","BWP","BYN","BZD","CAD","CDF","CHE","CHF","CHW","CLF","CLP","CNY","COP","COU","CRC","CUC","CUP","CVE",
        "CZK","DJF","DKK","DOP","DZD","EGP","ERN","ETB","EUR","FJD","FKP","GBP","GEL","GHS","GIP","GMD","GNF","GTQ","GYD","HKD",
        "HNL","HRK","HTG","HUF","IDR","ILS","INR","IQD","IRR","ISK","JMD","JOD","JPY","KES","KGS","KHR","KMF","KPW","KRW","KWD",
        "KYD","KZT","LAK","LBP","LKR","LRD","LSL","LYD","MAD","MDL","MGA","MKD","MMK","MNT","MOP","MRO","MUR","MVR","MWK","MXN",
        "MXV","MYR","MZN","NAD","NGN","NIO","NOK","NPR","NZD","OMR","PAB","PEN","PGK","PHP","PKR","PLN","PYG","QAR","RON","RSD",
        "RUB","RWF","SAR","SBD","SCR","SDG","SEK","SGD","SHP","SLL","SOS","SRD","SSP","STD","SVC","SYP","SZL","THB","TJS","TMT",
        "TND","TOP","TRY","TTD","TWD","TZS","UAH","UGX","USD","USN","UYI","UYU","UZS","VEF","VND","VUV","WST","XAF","XAG","XAU",
        "XBA","XBB","XBC","XBD","XCD","XDR","XOF","XPD","XPF","XPT","XSU","XTS","XUA","XXX","YER","ZAR","ZMW","ZWL",
    };

    private static readonly HashSet<string> NoMinorUnit = new(StringComparer.Ordinal)
        { "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF" };

    private static readonly HashSet<string> ThreeDigits = new(StringComparer.Ordinal) { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };

    /// <summary>Metals, funds and test codes have no minor unit in ISO 4217 ("N.A."): only the API's 4 decimals apply.</summary>
    private static readonly HashSet<string> NotApplicable = new(StringComparer.Ordinal)
        { "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XDR", "XPD", "XPT", "XSU", "XTS", "XUA", "XXX", "CLF" };

    public static int MinorDigits(string currency) =>
        NoMinorUnit.Contains(currency) ? 0 : ThreeDigits.Contains(currency) ? 3 : NotApplicable.Contains(currency) ? 4 : 2;
}
