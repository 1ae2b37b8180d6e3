using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>Deleted entities as central-backend v2026.2 treats them (lib/resources/entities.js, lib/model/query/entities.js).</summary>
public sealed class DeletedEntityTests() : OdkProjectTests("""{"name":"deleted entities"}""")
{
    private string _list = "";

    protected override async Task SeedAsync()
    {
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets", Json("""{"name":"people"}"""));
        await SendAsync(Api, HttpMethod.Post, $"projects/{ProjectId}/datasets/people/properties", Json("""{"name":"cadre"}"""));
        _list = $"projects/{ProjectId}/datasets/people/entities";
    }

    private async Task<string> CreateAndDeleteAsync()
    {
        var uuid = Guid.NewGuid().ToString();
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Post, _list, Json($$"""{"uuid":"{{uuid}}","label":"A","data":{"cadre":"CHW"} }"""))).Status);
        Assert.Equal(200, (await SendAsync(Api, HttpMethod.Delete, $"{_list}/{uuid}")).Status);
        return uuid;
    }

    [Fact]
    public async Task Creating_an_entity_with_the_uuid_of_a_deleted_one_is_409_19_naming_the_uuid()
    {
        var uuid = await CreateAndDeleteAsync();
        var (status, body) = await SendAsync(Api, HttpMethod.Post, _list, Json($$"""{"uuid":"{{uuid}}","label":"again","data":{} }"""));
        Assert.Equal(409, status);
        Assert.Equal(409.19, body!["code"]!.GetValue<double>());
        Assert.Equal(uuid, body["details"]!["entityUuids"]![0]!.GetValue<string>());
        Assert.Contains("associated with deleted Entities", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bulk_containing_a_deleted_uuid_is_409_19_and_creates_nothing()
    {
        var uuid = await CreateAndDeleteAsync();
        var fresh = Guid.NewGuid().ToString();
        var (status, body) = await SendAsync(Api, HttpMethod.Post, _list, Json($$$"""
            {"entities":[{"uuid":"{{{fresh}}}","label":"B","data":{}},{"uuid":"{{{uuid}}}","label":"C","data":{}}],"source":{"name":"x.csv"}}
            """));
        Assert.Equal(409.19, body!["code"]!.GetValue<double>());
        Assert.Equal(409, status);
        Assert.Equal(404, (await SendAsync(Api, HttpMethod.Get, $"{_list}/{fresh}")).Status);
    }

    [Fact]
    public async Task A_live_duplicate_uuid_stays_409_3()
    {
        var uuid = Guid.NewGuid().ToString();
        await SendAsync(Api, HttpMethod.Post, _list, Json($$"""{"uuid":"{{uuid}}","label":"A","data":{} }"""));
        var (_, body) = await SendAsync(Api, HttpMethod.Post, _list, Json($$"""{"uuid":"{{uuid}}","label":"A","data":{} }"""));
        Assert.Equal(409.3, body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Restore_brings_a_deleted_entity_back_and_answers_success()
    {
        var uuid = await CreateAndDeleteAsync();
        Assert.Equal(404, (await SendAsync(Api, HttpMethod.Get, $"{_list}/{uuid}")).Status);

        var (status, body) = await SendAsync(Api, HttpMethod.Post, $"{_list}/{uuid}/restore");
        Assert.Equal(200, status);
        Assert.True(body!["success"]!.GetValue<bool>());

        var (getStatus, entity) = await SendAsync(Api, HttpMethod.Get, $"{_list}/{uuid}");
        Assert.Equal(200, getStatus);
        Assert.Null(entity!["deletedAt"]);
        Assert.NotNull(entity["updatedAt"]);
    }

    [Fact]
    public async Task Restore_of_an_entity_that_is_not_deleted_or_unknown_is_404_1()
    {
        var uuid = await CreateAndDeleteAsync();
        await SendAsync(Api, HttpMethod.Post, $"{_list}/{uuid}/restore");
        var again = await SendAsync(Api, HttpMethod.Post, $"{_list}/{uuid}/restore");
        Assert.Equal(404.1, again.Body!["code"]!.GetValue<double>());
        var unknown = await SendAsync(Api, HttpMethod.Post, $"{_list}/{Guid.NewGuid()}/restore");
        Assert.Equal(404.1, unknown.Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Deleted_entities_are_listed_and_read_only_with_deleted_true()
    {
        var uuid = await CreateAndDeleteAsync();
        var (_, live) = await SendAsync(Api, HttpMethod.Get, _list);
        Assert.DoesNotContain(live!.AsArray(), e => e!["uuid"]!.GetValue<string>() == uuid);

        var (_, deleted) = await SendAsync(Api, HttpMethod.Get, $"{_list}?deleted=true");
        var row = Assert.Single(deleted!.AsArray(), e => e!["uuid"]!.GetValue<string>() == uuid);
        Assert.NotNull(row!["deletedAt"]);

        var (status, one) = await SendAsync(Api, HttpMethod.Get, $"{_list}/{uuid}?deleted=true");
        Assert.Equal(200, status);
        Assert.NotNull(one!["deletedAt"]);
    }

    [Fact]
    public async Task Deleting_twice_is_404_1_and_a_malformed_uuid_is_400_11()
    {
        var uuid = await CreateAndDeleteAsync();
        Assert.Equal(404.1, (await SendAsync(Api, HttpMethod.Delete, $"{_list}/{uuid}")).Body!["code"]!.GetValue<double>());
        Assert.Equal(400.11, (await SendAsync(Api, HttpMethod.Get, $"{_list}/not-a-uuid")).Body!["code"]!.GetValue<double>());
    }

    [Fact]
    public async Task Bulk_delete_and_bulk_restore_answer_the_count_changed()
    {
        var a = await CreateAndDeleteAsync();
        await SendAsync(Api, HttpMethod.Post, $"{_list}/{a}/restore");
        var (_, deleted) = await SendAsync(Api, HttpMethod.Post, $"{_list}/bulk-delete", Json($$"""{"ids":["{{a}}","{{Guid.NewGuid()}}"]}"""));
        Assert.Equal(1, deleted!["count"]!.GetValue<int>());
        var (_, restored) = await SendAsync(Api, HttpMethod.Post, $"{_list}/bulk-restore", Json($$"""{"ids":["{{a}}"]}"""));
        Assert.Equal(1, restored!["count"]!.GetValue<int>());
    }
}
