using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// Entity list and property names as Central checks them: lib/data/dataset.js validateDatasetName /
/// validatePropertyName, lib/resources/datasets.js, lib/model/query/datasets.js createPublished*.
/// </summary>
public sealed class NameValidationTests() : OdkProjectTests("""{"name":"names"}""")
{
    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"people"}"""));
    }

    private static void AssertInvalidName(string reason, (int Status, JsonNode? Body) answer)
    {
        Assert.Equal(400, answer.Status);
        Assert.Equal(400.8, answer.Body!["code"]!.GetValue<double>());
        Assert.Equal("name", answer.Body["details"]!["field"]!.GetValue<string>());
        Assert.Equal(reason, answer.Body["details"]!["reason"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("\"\"")]
    [InlineData("\"a b\"")]
    [InlineData("\"__x\"")]
    [InlineData("\"1abc\"")]
    [InlineData("\"a.b\"")]
    [InlineData("\"a/b\"")]
    [InlineData("5")]
    public async Task An_invalid_entity_list_name_is_400_8(string json)
    {
        AssertInvalidName("This is not a valid dataset name.",
            await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json($$"""{"name":{{json}}}""")));
    }

    [Theory]
    [InlineData("a-b")]
    [InlineData("_x")]
    [InlineData("ñame")]
    [InlineData("ns:list")]
    public async Task Letters_digits_underscores_hyphens_and_colons_make_a_valid_entity_list_name(string name)
    {
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json($$"""{"name":"{{name}}"}"""))).Status);
    }

    [Fact]
    public async Task A_missing_name_is_400_8_without_a_value()
    {
        var answer = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("{}"));
        AssertInvalidName("This is not a valid dataset name.", answer);
        Assert.False(answer.Body!["details"]!.AsObject().ContainsKey("value"));
    }

    [Fact]
    public async Task The_same_entity_list_name_is_409_3_and_other_capitalization_409_16()
    {
        var same = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"people"}"""));
        Assert.Equal(409.3, same.Body!["code"]!.GetValue<double>());
        Assert.Equal(ProjectId, same.Body["details"]!["values"]![1]!.GetValue<int>());
        var other = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"People"}"""));
        Assert.Equal(409, other.Status);
        Assert.Equal(409.16, other.Body!["code"]!.GetValue<double>());
        Assert.Equal("people", other.Body["details"]!["current"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("__id")]
    [InlineData("__system")]
    [InlineData("name")]
    [InlineData("label")]
    [InlineData("Label")]
    [InlineData("NAME")]
    [InlineData("a b")]
    [InlineData("1x")]
    [InlineData("a:b")]
    public async Task An_invalid_property_name_is_400_8(string name)
    {
        AssertInvalidName("This is not a valid property name.",
            await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json($$"""{"name":"{{name}}"}""")));
    }

    [Theory]
    [InlineData("x.y")]
    [InlineData("x-y")]
    [InlineData("_x")]
    [InlineData("names")]
    public async Task Dots_hyphens_and_a_leading_underscore_make_a_valid_property_name(string name)
    {
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json($$"""{"name":"{{name}}"}"""))).Status);
    }

    [Fact]
    public async Task A_property_differing_only_in_capitalization_is_409_3_naming_the_existing_one()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json("""{"name":"cadre"}"""));
        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json("""{"name":"Cadre"}"""));
        Assert.Equal(409, status);
        Assert.Equal(409.3, body!["code"]!.GetValue<double>());
        Assert.Equal("cadre", body["details"]!["values"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task OData_names_of_properties_replace_characters_outside_letters_digits_and_underscore()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json("""{"name":"x.y"}"""));
        var (_, dataset) = await SendAsync(Api, HttpMethod.Get, $"projects/{ProjectId}/datasets/people");
        var property = Assert.Single(dataset!["properties"]!.AsArray(), p => p!["name"]!.GetValue<string>() == "x.y");
        Assert.Equal("x_y", property!["odataName"]!.GetValue<string>());
    }
}
