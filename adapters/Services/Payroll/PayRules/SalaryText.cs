using System.Globalization;

namespace OneClickSuite.Payroll.PayRules;

/// <summary>The three amounts of an ihris-salary record, by the names iHRIS gives them.</summary>
public static class SalaryParts
{
    public const string Basic = "bsalary";
    public const string Allowance = "allowance";
    public const string Benefits = "benefits";

    public static readonly IReadOnlyList<string> All = [Basic, Allowance, Benefits];

    public static string Label(string part) => part switch
    {
        Basic => "basic salary",
        Allowance => "allowance",
        _ => "benefits",
    };
}

/// <summary>
/// The one form of amount Payroll accepts in iHRIS's salary strings (<c>bsalary</c>, <c>allowance</c>, <c>benefits</c>
/// are free text upstream): ASCII digits, optionally a '.' followed by at most the currency's minor digits. Nothing
/// else is guessed: "1500,50" could be 1500.50 or 150050, "1,500.50" and "1 500" depend on who typed them, so each
/// is refused with the reason, and the worker is set aside until iHRIS says it plainly.
/// </summary>
public static class SalaryText
{
    /// <summary>Amounts above this are taken for a typing error (a salary of a hundred trillion is not a salary).</summary>
    private const int MaxIntegerDigits = 14;

    /// <summary>The amount, or null with why the text is not in the accepted form.</summary>
    public static (decimal? Amount, string? Problem) Parse(string? text, int minorDigits, string currency)
    {
        var accepted = minorDigits == 0
            ? $"accepted: digits only ({currency} has no minor unit)"
            : $"accepted: digits with an optional '.' and at most {minorDigits} decimals, e.g. {Example(minorDigits)}";
        if (text is null) return (null, "is missing");
        if (text.Length == 0 || text.All(char.IsWhiteSpace)) return (null, $"is empty; {accepted}");
        if (text.Any(char.IsWhiteSpace)) return (null, $"contains a space; {accepted}");
        if (text.StartsWith('-')) return (null, $"is negative; {accepted}");
        if (text.Contains(',')) return (null, $"contains a comma (a thousands separator or a decimal comma cannot be told apart); {accepted}");
        if (text.Any(c => !IsAsciiDigit(c) && c != '.')) return (null, $"is not a plain number; {accepted}");
        var dot = text.IndexOf('.');
        if (dot != text.LastIndexOf('.')) return (null, $"has more than one '.'; {accepted}");
        var integer = dot < 0 ? text : text[..dot];
        var decimals = dot < 0 ? "" : text[(dot + 1)..];
        if (integer.Length == 0) return (null, $"has no digit before the '.'; {accepted}");
        if (dot >= 0 && decimals.Length == 0) return (null, $"ends with a '.'; {accepted}");
        if (decimals.Length > minorDigits)
        {
            return (null, minorDigits == 0
                ? $"has decimals, but {currency} has no minor unit; {accepted}"
                : $"has {decimals.Length} decimals, more than {currency}'s {minorDigits}; {accepted}");
        }
        if (integer.TrimStart('0').Length > MaxIntegerDigits) return (null, $"is implausibly large; {accepted}");
        return (decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture), null);
    }

    private static bool IsAsciiDigit(char c) => c is >= '0' and <= '9';

    private static string Example(int minorDigits) => "1500." + new string('5', minorDigits);
}
