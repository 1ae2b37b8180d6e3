using System.Text.Json.Nodes;
using OneClickSuite.OdkAdapter.Activities;

namespace OneClickSuite.Payroll.Tests;

/// <summary>How the ODK adapter reads one OData row of chw_activity, and what it sets aside.</summary>
public sealed class ActivityReportTests
{
    private static readonly DateOnly Today = new(2026, 11, 27);
    private static readonly ActivityIntakeOptions Options = new();
    private const string Worker = "0b7d3f52-9c1e-5a44-8f21-6c0d2e9a1b37";

    private static JsonObject Row(string? worker = Worker, string? period = "2026-10-01", JsonNode? households = null, JsonNode? referrals = null,
        string? review = "approved", string? updatedAt = "2026-11-02T10:00:00.000Z") => new()
    {
        ["__id"] = "uuid:report-1",
        ["worker"] = worker,
        ["period"] = period,
        ["households_visited"] = households ?? 40,
        ["referrals"] = referrals ?? 3,
        ["__system"] = new JsonObject
        {
            ["submissionDate"] = "2026-11-01T08:00:00.000Z",
            ["updatedAt"] = updatedAt,
            ["reviewState"] = review,
        },
    };

    [Fact]
    public void An_approved_report_counts_with_its_version_from_updatedAt()
    {
        var report = ActivityReport.Read(Row(), Options, Today);
        Assert.Null(report.Problem);
        Assert.True(report.CountsUnder(Options));
        Assert.Equal(new DateOnly(2026, 10, 1), report.Period);
        Assert.Equal(40, report.Counts!["households_visited"]);
        Assert.Equal(DateTimeOffset.Parse("2026-11-02T10:00:00Z").ToUnixTimeMilliseconds(), report.Version);
    }

    [Fact]
    public void A_never_changed_report_takes_its_version_from_submissionDate()
    {
        var report = ActivityReport.Read(Row(review: null, updatedAt: null), Options, Today);
        Assert.Equal(DateTimeOffset.Parse("2026-11-01T08:00:00Z").ToUnixTimeMilliseconds(), report.Version);
        Assert.False(report.CountsUnder(Options)); // not approved yet
        Assert.True(report.CountsUnder(new ActivityIntakeOptions { ApprovedOnly = false }));
        Assert.False(ActivityReport.Read(Row(review: "rejected"), new ActivityIntakeOptions { ApprovedOnly = false }, Today).CountsUnder(Options));
    }

    [Theory]
    [InlineData("not-a-uuid", "2026-10-01", 40, "worker", "unreadable")]
    [InlineData(Worker, "last month", 40, "period", "unreadable")]
    [InlineData(Worker, "2026-12-01", 40, "period", "future")]
    [InlineData(Worker, "2026-10-01", -5, "households_visited", "negative")]
    [InlineData(Worker, "2026-10-01", 1_000_000, "households_visited", "above")]
    public void Impossible_or_unreadable_reports_are_quarantined_with_the_field(string worker, string period, int households, string field, string reason)
    {
        var report = ActivityReport.Read(Row(worker, period, households), Options, Today);
        Assert.NotNull(report.Problem);
        Assert.Equal(field, report.Problem.Value.Field);
        Assert.Contains(reason, report.Problem.Value.Reason);
        Assert.False(report.CountsUnder(Options));
    }

    [Fact]
    public void A_count_that_is_not_a_number_is_unreadable()
    {
        var report = ActivityReport.Read(Row(referrals: JsonValue.Create("three")), Options, Today);
        Assert.Equal("referrals", report.Problem!.Value.Field);
        // Counts written as strings are still read.
        Assert.Null(ActivityReport.Read(Row(referrals: JsonValue.Create("3")), Options, Today).Problem);
    }
}
