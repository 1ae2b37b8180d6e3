using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OneClickSuite.Emulators.Fineract;

/// <summary>
/// A command's JSON body with Fineract's extraction rules (JsonParserHelper): dates need dateFormat and locale,
/// string amounts need locale, unknown keys are refused before anything else is checked.
/// </summary>
public sealed class JsonCommand
{
    private static readonly JsonDocumentOptions Lenient = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private readonly JsonObject _root;
    private CultureInfo? _locale;

    private JsonCommand(JsonObject root, string raw)
    {
        _root = root;
        Raw = raw;
    }

    public string Raw { get; }

    public static JsonCommand Empty { get; } = new(new JsonObject(), "{}");

    public static JsonCommand Parse(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
            throw FineractException.InvalidJson("The JSON provided in the body of the request is invalid or missing.");
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(body, documentOptions: Lenient);
        }
        catch (JsonException ex)
        {
            throw FineractException.InvalidJson(
                $"The JSON syntax provided in the body of the request is invalid: com.google.gson.stream.MalformedJsonException: {ex.Message}");
        }
        if (node is not JsonObject root)
            throw FineractException.InvalidJson(
                "The JSON syntax provided in the body of the request is invalid: java.lang.IllegalStateException: Expected BEGIN_OBJECT but was " +
                (node is JsonArray ? "BEGIN_ARRAY" : "STRING"));
        return new JsonCommand(root, body);
    }

    public IEnumerable<string> Keys => _root.Select(p => p.Key);

    /// <summary>FromJsonHelper.checkForUnsupportedParameters: one error per unknown key, in body order.</summary>
    public void RequireOnly(IReadOnlySet<string> supported)
    {
        var unknown = _root.Select(p => p.Key).Where(k => !supported.Contains(k)).ToList();
        if (unknown.Count > 0) throw FineractException.UnsupportedParameters(unknown);
    }

    public bool Has(string name) => _root.ContainsKey(name);

    public string? String(string name) => _root[name] switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => v.ToJsonString(),
        _ => null,
    };

    public bool? Boolean(string name) => _root[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => null,
    };

    /// <summary>Ids (officeId, clientId...): a number or a numeric string.</summary>
    public long? Long(string name)
    {
        var text = NumberText(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        throw FineractException.Validation(new ParameterError("validation.msg.invalid.integer",
            $"The parameter `{name}` has value: {text} which is invalid integer.", name, [text], text));
    }

    /// <summary>Locale-free integers (legalFormId, fromAccountType...).</summary>
    public int? Integer(string name)
    {
        var value = Long(name);
        return value is null ? null : checked((int)Math.Clamp(value.Value, int.MinValue, int.MaxValue));
    }

    /// <summary>extractIntegerWithLocaleNamed: needs locale even for a JSON number (deposit paymentTypeId).</summary>
    public int? IntegerWithLocale(string name)
    {
        var text = NumberText(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var locale = RequireLocaleFor(name);
        if (int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands, locale, out var value)) return value;
        throw FineractException.Validation(new ParameterError("validation.msg.invalid.integer.format",
            $"The parameter `{name}` has value: {text} which is invalid integer value for provided locale of [{locale.Name}].",
            name, [text, LocaleName], text));
    }

    /// <summary>Amounts: a JSON number is taken as is; a string is parsed in the body's locale.</summary>
    public decimal? Decimal(string name)
    {
        var node = _root[name];
        if (node is null) return null;
        if (node is JsonValue number && number.GetValueKind() == JsonValueKind.Number)
        {
            if (number.TryGetValue<decimal>(out var exact)) return exact;
            throw InvalidDecimal(name, number.ToJsonString(), CultureInfo.InvariantCulture);
        }
        var text = String(name);
        if (string.IsNullOrWhiteSpace(text)) return null;
        var locale = RequireLocaleFor(name);
        if (decimal.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint,
                locale, out var parsed)) return parsed;
        throw InvalidDecimal(name, text, locale);
    }

    private FineractException InvalidDecimal(string name, string text, CultureInfo locale) =>
        FineractException.Validation(new ParameterError("validation.msg.invalid.decimal.format",
            $"The parameter `{name}` has value: {text} which is invalid decimal value for provided locale of [{LocaleName ?? locale.Name}].",
            name, [text, LocaleName], text));

    /// <summary>Dates are strings in the body's dateFormat and locale; both are required once a date is given.</summary>
    public DateOnly? Date(string name)
    {
        var text = _root[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (string.IsNullOrWhiteSpace(text)) return null;

        var dateFormat = String("dateFormat");
        var missing = new List<ParameterError>();
        if (string.IsNullOrWhiteSpace(dateFormat))
            missing.Add(new ParameterError("validation.msg.missing.dateFormat.parameter",
                $"The parameter `{name}` requires a `dateFormat` parameter to be passed with it.", name, []));
        if (string.IsNullOrWhiteSpace(String("locale")))
            missing.Add(new ParameterError("validation.msg.missing.locale.parameter",
                $"The parameter `{name}` requires a `locale` parameter to be passed with it.", name, []));
        if (missing.Count > 0) throw FineractException.Validation(missing);

        var locale = Locale();
        if (DatePatterns.TryParse(text, dateFormat!, locale, out var date)) return date;
        throw FineractException.Validation(new ParameterError("validation.msg.invalid.dateFormat.format",
            $"The parameter `{name}` is invalid based on the dateFormat: `{dateFormat}` and locale: `{LocaleName}` provided:",
            name, [null, dateFormat]));
    }

    public string? LocaleName => String("locale");

    /// <summary>The body's locale, parsed as JsonParserHelper.localeFromString does.</summary>
    public CultureInfo Locale() => _locale ??= Locales.FromString(LocaleName);

    private CultureInfo RequireLocaleFor(string name)
    {
        if (string.IsNullOrWhiteSpace(LocaleName))
            throw FineractException.Validation(new ParameterError("validation.msg.missing.locale.parameter",
                $"The parameter `{name}` requires a `locale` parameter to be passed with it.", name, []));
        return Locale();
    }

    private string? NumberText(string name) => _root[name] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => null,
    };

    /// <summary>Formats a date back in the request's pattern, as Fineract does for some error args.</summary>
    public string FormatDate(DateOnly date) =>
        DatePatterns.Format(date, String("dateFormat") ?? "yyyy-MM-dd", _locale ?? CultureInfo.InvariantCulture);
}

/// <summary>java.time patterns made of y/u, M, d and literals, mapped to .NET formats.</summary>
internal static class DatePatterns
{
    public static bool TryParse(string text, string javaPattern, CultureInfo culture, out DateOnly date)
    {
        date = default;
        var format = ToDotNet(javaPattern, lenientWidths: true);
        if (format is null) return false;
        var formats = new[] { format, format + " H:m:s" };
        if (!DateTime.TryParseExact(text.Trim(), formats, culture, DateTimeStyles.AllowWhiteSpaces, out var parsed)) return false;
        date = DateOnly.FromDateTime(parsed);
        return true;
    }

    public static string Format(DateOnly date, string javaPattern, CultureInfo culture) =>
        date.ToString(ToDotNet(javaPattern, lenientWidths: false) ?? "yyyy-MM-dd", culture);

    private static string? ToDotNet(string pattern, bool lenientWidths)
    {
        var result = new System.Text.StringBuilder();
        for (var i = 0; i < pattern.Length;)
        {
            var c = pattern[i];
            if (c == '\'')
            {
                var end = pattern.IndexOf('\'', i + 1);
                if (end < 0) return null;
                result.Append('\'').Append(pattern, i + 1, end - i - 1).Append('\'');
                i = end + 1;
                continue;
            }
            var run = 1;
            while (i + run < pattern.Length && pattern[i + run] == c) run++;
            switch (c)
            {
                case 'y' or 'u':
                    result.Append(run == 2 ? "yy" : "yyyy");
                    break;
                case 'M' or 'L':
                    result.Append(run >= 3 ? new string('M', Math.Min(run, 4)) : lenientWidths ? "M" : new string('M', run));
                    break;
                case 'd':
                    result.Append(lenientWidths ? "d" : new string('d', Math.Min(run, 2)));
                    break;
                case 'E':
                    result.Append(run >= 4 ? "dddd" : "ddd");
                    break;
                default:
                    if (char.IsLetter(c)) return null;
                    foreach (var _ in Enumerable.Range(0, run))
                    {
                        if (c is '/' or ':' or '%' or '\\' or '"') result.Append('\\');
                        result.Append(c);
                    }
                    break;
            }
            i += run;
        }
        return result.ToString();
    }
}

/// <summary>
/// JsonParserHelper.localeFromString / localeFrom: <c>language[_COUNTRY[_variant]]</c> split as Java's String.split
/// does; the language must be an ISO 639 code (any case), the country an ISO 3166 code in upper case. A blank value is
/// one error; a bad language and a bad country are two, each with the offending value as its argument.
/// </summary>
internal static class Locales
{
    private static readonly HashSet<string> Languages = CultureInfo.GetCultures(CultureTypes.NeutralCultures)
        .Select(c => c.TwoLetterISOLanguageName).Where(n => n.Length == 2).ToHashSet(StringComparer.Ordinal);

    private static readonly HashSet<string> Countries = CultureInfo.GetCultures(CultureTypes.SpecificCultures)
        .Select(c => c.Name.Split('-').LastOrDefault() ?? "").Where(n => n.Length == 2 && n.All(char.IsUpper))
        .ToHashSet(StringComparer.Ordinal);

    public static CultureInfo FromString(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw Error(new ParameterError("validation.msg.invalid.locale.format", "The parameter `locale` is invalid. It cannot be blank.",
                "locale", []));
        var parts = JavaSplit(text, '_');
        var (language, country) = parts.Length switch
        {
            1 => (parts[0], ""),
            2 or 3 => (parts[0], parts[1]),
            _ => ("", ""),
        };
        var errors = new List<ParameterError>();
        if (!Languages.Contains(language.ToLowerInvariant()))
            errors.Add(new ParameterError("validation.msg.invalid.locale.format",
                $"The parameter `locale` has an invalid language value {language} .", "locale", [language]));
        // Case-sensitive on purpose: Locale.getISOCountries() holds upper-case codes only.
        if (!string.IsNullOrWhiteSpace(country) && !Countries.Contains(country))
            errors.Add(new ParameterError("validation.msg.invalid.locale.format",
                $"The parameter `locale` has an invalid country value {country} .", "locale", [country]));
        if (errors.Count > 0) throw Error([.. errors]);
        return Culture(language.ToLowerInvariant(), country.Length == 0 ? null : country);
    }

    /// <summary>Java's String.split(regex) for a one-character separator: trailing empty strings are dropped.</summary>
    public static string[] JavaSplit(string text, char separator)
    {
        if (text.Length == 0) return [""];
        var parts = text.Split(separator).ToList();
        while (parts.Count > 0 && parts[^1].Length == 0) parts.RemoveAt(parts.Count - 1);
        return [.. parts];
    }

    private static FineractException Error(params ParameterError[] errors) => FineractException.Validation(errors);

    private static CultureInfo Culture(string language, string? country)
    {
        try
        {
            return country is null ? CultureInfo.GetCultureInfo(language) : CultureInfo.GetCultureInfo($"{language}-{country}");
        }
        catch (CultureNotFoundException)
        {
            return CultureInfo.GetCultureInfo(language);
        }
    }
}
