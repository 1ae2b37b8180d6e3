namespace OneClickSuite.Payroll.PayRules;

/// <summary>
/// Minor digits of currencies (ISO 4217's minor unit): how many decimals an amount in it may have. The common
/// currencies of the ministries the suite serves are built in; <c>PayRules:MinorDigits</c> adds or overrides.
/// </summary>
public static class Currencies
{
    private static readonly Dictionary<string, int> Iso4217 = new(StringComparer.Ordinal)
    {
        // none
        ["BIF"] = 0, ["CLP"] = 0, ["DJF"] = 0, ["GNF"] = 0, ["ISK"] = 0, ["JPY"] = 0, ["KMF"] = 0, ["KRW"] = 0, ["PYG"] = 0,
        ["RWF"] = 0, ["UGX"] = 0, ["UYI"] = 0, ["VND"] = 0, ["VUV"] = 0, ["XAF"] = 0, ["XOF"] = 0, ["XPF"] = 0,
        // three
        ["BHD"] = 3, ["IQD"] = 3, ["JOD"] = 3, ["KWD"] = 3, ["LYD"] = 3, ["OMR"] = 3, ["TND"] = 3,
        // two
        ["AOA"] = 2, ["BWP"] = 2, ["CDF"] = 2, ["CHF"] = 2, ["CNY"] = 2, ["EGP"] = 2, ["ERN"] = 2, ["ETB"] = 2, ["EUR"] = 2,
        ["GBP"] = 2, ["GHS"] = 2, ["GMD"] = 2, ["HTG"] = 2, ["INR"] = 2, ["KES"] = 2, ["LRD"] = 2, ["LSL"] = 2, ["MAD"] = 2,
        ["MGA"] = 2, ["MMK"] = 2, ["MWK"] = 2, ["MZN"] = 2, ["NAD"] = 2, ["NGN"] = 2, ["NPR"] = 2, ["PHP"] = 2, ["PKR"] = 2,
        ["SCR"] = 2, ["SDG"] = 2, ["SLE"] = 2, ["SOS"] = 2, ["SSP"] = 2, ["SZL"] = 2, ["TZS"] = 2, ["USD"] = 2, ["ZAR"] = 2,
        ["ZMW"] = 2, ["ZWG"] = 2, ["BDT"] = 2, ["IDR"] = 2, ["LAK"] = 2, ["KHR"] = 2, ["THB"] = 2,
    };

    /// <summary>The currency's minor digits, or null when neither ISO 4217 (as built in) nor the rule set knows it.</summary>
    public static int? MinorDigitsOf(string? currency, PayRuleSet rules)
    {
        if (string.IsNullOrEmpty(currency)) return null;
        if (rules.MinorDigits.TryGetValue(currency, out var configured)) return configured;
        return Iso4217.TryGetValue(currency, out var digits) ? digits : null;
    }
}

/// <summary>
/// Exchange rates into the funding currency, maintained by a person: each rate is how many units of
/// <c>PayRules:Currency</c> one unit of the other currency buys. The table is versioned (<see cref="Version"/>,
/// recorded in every line it converts) and empty by default, so a salary in another currency is set aside until a
/// person states a rate for it. Never 1:1 by default.
/// </summary>
public sealed class ExchangeRateTable
{
    /// <summary>Which table this is, e.g. "2026-10-01 central bank mid-rate"; required as soon as there is a rate.</summary>
    public string Version { get; set; } = "";

    /// <summary>Who maintains it (shown with every converted line).</summary>
    public string? MaintainedBy { get; set; }

    public Dictionary<string, decimal> Rates { get; set; } = [];

    public decimal? RateOf(string currency) => Rates.TryGetValue(currency, out var rate) ? rate : null;

    public IEnumerable<string> Validate(string fundingCurrency)
    {
        if (Rates.Count > 0 && string.IsNullOrWhiteSpace(Version)) yield return "PayRules:ExchangeRates:Version is required when there are rates";
        foreach (var (currency, rate) in Rates)
        {
            if (currency.Length != 3) yield return $"PayRules:ExchangeRates:Rates: '{currency}' is not an ISO 4217 code";
            if (rate <= 0) yield return $"PayRules:ExchangeRates:Rates:{currency} must be above zero";
            if (currency == fundingCurrency) yield return $"PayRules:ExchangeRates:Rates:{currency} is the funding currency itself";
        }
    }
}
