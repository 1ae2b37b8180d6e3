using System.Globalization;
using System.Text.RegularExpressions;

namespace OneClickSuite.Contracts;

/// <summary>
/// Dates as the ministry counts them: a day is a day in the ministry's time zone (setting <see cref="Setting"/>, an
/// IANA id such as <c>Africa/Kampala</c>; UTC when unset), never a UTC instant. A role ending "2026-09-20" is worked on
/// the 20th; a salary record starting "2026-10-01" counts from 1 October wherever the server's clock is.
/// </summary>
public sealed partial class MinistryCalendar(TimeZoneInfo zone)
{
    /// <summary>Configuration key of the ministry's time zone, read by every service that compares dates.</summary>
    public const string Setting = "Suite:TimeZone";

    public static MinistryCalendar Utc { get; } = new(TimeZoneInfo.Utc);

    public TimeZoneInfo Zone { get; } = zone;

    /// <summary>The calendar of a time zone id; an unknown id is a configuration error, not a silent UTC.</summary>
    public static MinistryCalendar FromId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id)) return Utc;
        try
        {
            return new MinistryCalendar(TimeZoneInfo.FindSystemTimeZoneById(id.Trim()));
        }
        catch (TimeZoneNotFoundException)
        {
            throw new InvalidOperationException($"{Setting} '{id}' is not a known time zone (use an IANA id such as Africa/Kampala)");
        }
    }

    /// <summary>The ministry's date at an instant.</summary>
    public DateOnly DateOf(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    public DateOnly Today(TimeProvider clock) => DateOf(clock.GetUtcNow());

    /// <summary>
    /// The day a FHIR <c>date</c> or <c>dateTime</c> names: a full date as written; a dateTime (which carries its offset)
    /// converted to the ministry's zone first. Partial dates ("2026", "2026-09") and anything unreadable give false: a
    /// day of pay cannot be guessed from them.
    /// </summary>
    public bool TryDateOf(string? fhir, out DateOnly date)
    {
        date = default;
        if (string.IsNullOrWhiteSpace(fhir)) return false;
        var text = fhir.Trim();
        var match = FhirDate().Match(text);
        if (!match.Success) return false;
        if (!match.Groups["time"].Success)
        {
            return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date);
        }
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)) return false;
        date = DateOf(instant);
        return true;
    }

    /// <summary>The day, or null when <see cref="TryDateOf"/> cannot name one.</summary>
    public DateOnly? DateOrNull(string? fhir) => TryDateOf(fhir, out var date) ? date : null;

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(?<time>T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$")]
    private static partial Regex FhirDate();
}
