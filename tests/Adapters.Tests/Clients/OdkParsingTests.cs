using OneClickSuite.Clients.Odk;
using Xunit;

namespace OneClickSuite.Clients.Tests;

public class OdkParsingTests
{
    [Fact]
    public void Skip_token_is_taken_from_the_next_link_whatever_its_host()
    {
        // As answered by a real Central (contracts/odk-central/walkthrough.transcript.txt), host is its public domain.
        const string nextLink = "http://127.0.0.1:8384/v1/projects/4/forms/chw_activity.svc/Submissions?%24filter=__system%2FsubmissionDate+ge+2020-01-01T00%3A00%3A00Z&%24count=true&%24top=2&%24skiptoken=01eyJpbnN0YW5jZUlkIjoidXVpZDphYWFhYWFhYS0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDIifQ%3D%3D";

        Assert.Equal("01eyJpbnN0YW5jZUlkIjoidXVpZDphYWFhYWFhYS0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDIifQ==",
            OdkOData.SkipTokenOf(nextLink));
    }

    [Fact]
    public void No_next_link_means_no_more_pages()
    {
        Assert.Null(OdkOData.SkipTokenOf(null));
        Assert.Null(OdkOData.SkipTokenOf("http://central/v1/projects/1/forms/f.svc/Submissions?%24top=2"));
    }

    [Fact]
    public void Changed_since_filter_covers_new_edited_and_deleted_submissions()
    {
        var filter = OdkOData.ChangedSince(new DateTimeOffset(2026, 10, 1, 8, 30, 0, TimeSpan.FromHours(3)));
        Assert.Equal("__system/submissionDate gt 2026-10-01T05:30:00.000Z or __system/updatedAt gt 2026-10-01T05:30:00.000Z" +
                     " or __system/deletedAt gt 2026-10-01T05:30:00.000Z", filter);
    }

    [Theory]
    [InlineData("""{"message":"A resource already exists with uuid value(s) of b7c1.","code":409.3,"details":{"fields":["uuid"]}}""", 409, "409.3")]
    [InlineData("""{"message":"Current version of the Entity is '2' and you provided '1'.","code":409.15,"details":{"current":"2","provided":"1"}}""", 409, "409.15")]
    [InlineData("""{"message":"The given OData filter expression references fields not supported by this server: facility at 0","code":501.5}""", 501, "501.5")]
    public void Central_error_codes_are_kept_as_written(string body, int status, string code)
    {
        var error = OdkException.FromResponse(status, body, "request");
        Assert.Equal(code, error.Code);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(status >= 500, error.IsTransient);
    }

    [Fact]
    public void Conflict_details_are_available_to_callers()
    {
        var error = OdkException.FromResponse(409,
            """{"message":"stale","code":409.15,"details":{"current":"2","provided":"1"}}""", "PATCH entity");
        Assert.Equal("2", (string?)error.Details?["current"]);
    }
}
