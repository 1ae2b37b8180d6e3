using System.Globalization;
using System.Text.RegularExpressions;

namespace OneClickSuite.Emulators.Ihris.Fhir;

public sealed record TokenValue(string? System, string Value);

public sealed record ParameterFilter(SearchParamDefinition Definition, IReadOnlyList<TokenValue> AnyOf, string Modifier = "");

/// <summary>Unsorted searches come back in resource (PID) order, as HAPI's SQL reads them.</summary>
public enum SearchOrder { Pid, LastUpdated, LastUpdatedDescending }

/// <summary>A bound on _lastUpdated: "eq" is the range [Instant, End); the others compare with Instant.</summary>
public sealed record DateBound(string Comparator, DateTimeOffset Instant)
{
    public DateTimeOffset End { get; init; }
}

public sealed record IncludeSpec(string SourceType, string Param, string? TargetType);

/// <summary>A parsed FHIR search on one resource type, with HAPI's parameter rules.</summary>
public sealed partial class SearchRequest
{
    public const int DefaultPageSize = 20;

    public required string ResourceType { get; init; }
    public List<IReadOnlyList<string>> IdFilters { get; } = [];
    public List<DateBound> LastUpdated { get; } = [];
    public List<ParameterFilter> Filters { get; } = [];
    public List<IncludeSpec> Includes { get; } = [];
    public List<IncludeSpec> RevIncludes { get; } = [];
    public int? Count { get; private set; }
    public SearchOrder Order { get; private set; }
    public bool Descending => Order == SearchOrder.LastUpdatedDescending;
    public bool SummaryCount { get; private set; }

    /// <summary>The query string without paging parameters, kept in the paging token to rebuild the search.</summary>
    public required string CanonicalQuery { get; init; }

    // Result parameters HAPI accepts that change nothing here.
    private static readonly HashSet<string> Ignored = ["_format", "_pretty", "_total", "_elements", "_getpagesoffset", "_bundletype"];

    public static SearchRequest Parse(string resourceType, IEnumerable<KeyValuePair<string, string>> query, int maxPageSize)
    {
        var pairs = query.ToList();
        var request = new SearchRequest
        {
            ResourceType = resourceType,
            CanonicalQuery = string.Join('&', pairs
                .Where(p => p.Key is not ("_getpagesoffset" or "_bundletype" or "_getpages"))
                .Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value))),
        };
        var definitions = FhirResourceTypes.ParametersOf(resourceType);
        foreach (var (rawName, value) in pairs)
        {
            var name = rawName;
            var modifier = "";
            var colon = rawName.IndexOf(':');
            if (colon > 0)
            {
                name = rawName[..colon];
                modifier = rawName[(colon + 1)..];
            }
            if (Ignored.Contains(name)) continue;
            switch (name)
            {
                case "_id":
                    request.IdFilters.Add(SplitOr(value));
                    break;
                case "_lastUpdated":
                    request.LastUpdated.Add(ParseDateBound(value));
                    break;
                case "_count":
                    if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count))
                    {
                        throw FhirException.BadRequest($"Invalid _count value: \"{value}\"");
                    }
                    request.Count = Math.Min(count, maxPageSize);
                    break;
                case "_sort":
                    request.Order = value switch
                    {
                        "_lastUpdated" => SearchOrder.LastUpdated,
                        "-_lastUpdated" => SearchOrder.LastUpdatedDescending,
                        _ => throw FhirException.BadRequest($"Unknown _sort parameter value \"{value}\" for resource type \"{resourceType}\" (this server sorts by _lastUpdated only)"),
                    };
                    break;
                case "_summary":
                    request.SummaryCount = value == "count";
                    break;
                case "_include":
                    request.Includes.Add(ParseInclude(value, resourceType, asReverse: false));
                    break;
                case "_revinclude":
                    request.RevIncludes.Add(ParseInclude(value, resourceType, asReverse: true));
                    break;
                default:
                    var definition = definitions.FirstOrDefault(d => d.Name == name);
                    if (definition is null)
                    {
                        throw FhirResourceTypes.RegisteredParameterNames(resourceType).Contains(name)
                            ? FhirException.BadRequest($"Search parameter \"{name}\" of {resourceType} is known to HAPI but not indexed by this emulator")
                            : UnknownParameter(name, resourceType);
                    }
                    request.Filters.Add(ParseFilter(definition, modifier, value));
                    break;
            }
        }
        return request;
    }

    private static FhirException UnknownParameter(string name, string resourceType)
    {
        var valid = FhirResourceTypes.RegisteredParameterNames(resourceType);
        return FhirException.BadRequest(
            $"HAPI-0524: Unknown search parameter \"{name}\" for resource type \"{resourceType}\". Valid search parameters for this search are: [{string.Join(", ", valid)}]");
    }

    private static ParameterFilter ParseFilter(SearchParamDefinition definition, string modifier, string value)
    {
        if (definition.Type == SearchParamKind.String)
        {
            // HAPI: no modifier = starts with, :exact = equal, :contains = anywhere (hapi.fhir.allow_contains_searches,
            // true in the starter's AppProperties); the value is normalized like the index except for :exact.
            if (modifier is not ("" or "exact" or "contains"))
            {
                throw FhirException.BadRequest($"Unsupported modifier \":{modifier}\" on search parameter \"{definition.Name}\"");
            }
            return new ParameterFilter(definition, [.. SplitOr(value).Select(v => new TokenValue(null, v))], modifier);
        }
        if (modifier.Length > 0 && !(definition.Type == SearchParamKind.Reference && definition.Targets.Contains(modifier)))
        {
            throw FhirException.BadRequest($"Unsupported modifier \":{modifier}\" on search parameter \"{definition.Name}\"");
        }
        var values = new List<TokenValue>();
        foreach (var part in SplitOr(value))
        {
            if (definition.Type == SearchParamKind.Reference)
            {
                if (SearchIndexer.TryParseReference(part, out var type, out var id))
                {
                    values.Add(new TokenValue(type, id));
                }
                else if (!part.Contains('/'))
                {
                    values.Add(new TokenValue(modifier.Length > 0 ? modifier : definition.Targets[0], part));
                }
                else
                {
                    throw FhirException.BadRequest($"Invalid reference value \"{part}\" for search parameter \"{definition.Name}\"");
                }
            }
            else
            {
                var bar = part.IndexOf('|');
                values.Add(bar < 0 ? new TokenValue(null, part) : new TokenValue(part[..bar], part[(bar + 1)..]));
            }
        }
        return new ParameterFilter(definition, values);
    }

    private static IncludeSpec ParseInclude(string value, string resourceType, bool asReverse)
    {
        var parts = value.Split(':');
        var sourceType = parts[0];
        if (parts.Length is < 2 or > 3 || !FhirResourceTypes.IsKnown(sourceType) || (!asReverse && sourceType != resourceType))
        {
            throw FhirException.BadRequest($"Invalid {(asReverse ? "_revinclude" : "_include")} parameter value: \"{value}\"");
        }
        var definition = FhirResourceTypes.ParametersOf(sourceType)
            .FirstOrDefault(d => d.Name == parts[1] && d.Type == SearchParamKind.Reference)
            ?? throw FhirException.BadRequest($"Invalid {(asReverse ? "_revinclude" : "_include")} parameter value: \"{value}\". Unknown search parameter \"{parts[1]}\" for resource type \"{sourceType}\"");
        var targetType = parts.Length == 3 ? parts[2] : null;
        if (targetType is not null && !definition.Targets.Contains(targetType))
        {
            throw FhirException.BadRequest($"Invalid {(asReverse ? "_revinclude" : "_include")} parameter value: \"{value}\"");
        }
        return new IncludeSpec(sourceType, definition.Name, targetType);
    }

    private static string[] SplitOr(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>
    /// A date parameter with an optional prefix. Its precision makes it a range, as in FHIR: gt2024-01-01 means after
    /// the end of that day.
    /// </summary>
    public static DateBound ParseDateBound(string value)
    {
        var comparator = "eq";
        var match = PrefixPattern().Match(value);
        if (match.Success)
        {
            comparator = match.Groups[1].Value;
            value = value[2..];
        }
        var (start, end) = ParseRange(value);
        return comparator switch
        {
            "eq" => new DateBound("eq", start) { End = end },
            "gt" => new DateBound(">=", end),
            "ge" => new DateBound(">=", start),
            "lt" => new DateBound("<", start),
            "le" => new DateBound("<", end),
            "sa" => new DateBound(">=", end),
            "eb" => new DateBound("<", start),
            _ => throw FhirException.BadRequest($"Invalid date/time prefix \"{comparator}\""),
        };
    }

    public static (DateTimeOffset Start, DateTimeOffset End) ParseRange(string value)
    {
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        var culture = CultureInfo.InvariantCulture;
        if (DateTimeOffset.TryParseExact(value, "yyyy", culture, styles, out var year)) return (year, year.AddYears(1));
        if (DateTimeOffset.TryParseExact(value, "yyyy-MM", culture, styles, out var month)) return (month, month.AddMonths(1));
        if (DateTimeOffset.TryParseExact(value, "yyyy-MM-dd", culture, styles, out var day)) return (day, day.AddDays(1));
        var timeMatch = TimePattern().Match(value);
        if (timeMatch.Success && DateTimeOffset.TryParse(value, culture, styles, out var instant))
        {
            var fraction = timeMatch.Groups["fraction"].Value;
            // lastUpdated is kept to the millisecond, and the FHIR serializer drops trailing zeros (".120" → ".12",
            // ".000" → none): a value with seconds is a millisecond instant, or a cursor echoed back from meta would
            // skip the writes of the next few milliseconds.
            var step = timeMatch.Groups["seconds"].Success
                ? fraction.Length > 3
                    ? TimeSpan.FromTicks(TimeSpan.TicksPerSecond / (long)Math.Pow(10, Math.Min(fraction.Length, 7)))
                    : TimeSpan.FromMilliseconds(1)
                : TimeSpan.FromMinutes(1);
            return (instant, instant + step);
        }
        throw FhirException.BadRequest($"Invalid date/time format: \"{value}\"");
    }

    [GeneratedRegex("^(eq|ne|gt|lt|ge|le|sa|eb|ap)(?=\\d)")]
    private static partial Regex PrefixPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?<seconds>:\d{2}(\.(?<fraction>\d+))?)?(Z|[+-]\d{2}:\d{2})?$")]
    private static partial Regex TimePattern();
}
