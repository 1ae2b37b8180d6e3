using OneClickSuite.Emulators.Ihris.Fhir;
using Xunit;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>Cursors are echoed from meta.lastUpdated, whose serializer drops trailing zeros of the milliseconds.</summary>
public class LastUpdatedPrecisionTests
{
    [Theory]
    [InlineData("2026-11-27T10:00:00.12Z", "2026-11-27T10:00:00.120Z")]
    [InlineData("2026-11-27T10:00:00Z", "2026-11-27T10:00:00.000Z")]
    [InlineData("2026-11-27T10:00:00.123+00:00", "2026-11-27T10:00:00.123Z")]
    public void A_value_with_seconds_covers_exactly_one_millisecond(string value, string start)
    {
        var (from, to) = SearchRequest.ParseRange(value);
        Assert.Equal(DateTimeOffset.Parse(start), from);
        Assert.Equal(TimeSpan.FromMilliseconds(1), to - from);
    }

    [Fact]
    public void Coarser_values_cover_their_whole_period()
    {
        var (from, to) = SearchRequest.ParseRange("2026-11-27");
        Assert.Equal(TimeSpan.FromDays(1), to - from);
    }
}
