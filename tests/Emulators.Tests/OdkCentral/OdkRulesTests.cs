using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static OneClickSuite.Emulators.OdkCentral.Tests.OdkHost;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>One test per rule of ODK Central the suite depends on.</summary>
public sealed class OdkRulesTests : IAsyncLifetime
{
    private OdkHost _host = null!;
    private HttpClient _api = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await OdkHost.StartAsync();
        _api = await _host.LoginAsync();
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    /// <summary>A project with the health_workers list (two properties) and the published CHW form.</summary>
    private async Task<int> SeedAsync(HttpClient? api = null)
    {
        api ??= _api;
        var (_, project) = await SendAsync(api, HttpMethod.Post, "projects", Json("""{"name":"rules"}"""));
        var pid = project!["id"]!.GetValue<int>();
        await SendAsync(api, HttpMethod.Post, $"projects/{pid}/datasets", Json("""{"name":"health_workers"}"""));
        foreach (var p in new[] { "cadre", "facility" })
            await SendAsync(api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/properties", Json($$"""{"name":"{{p}}"}"""));
        var (status, form) = await SendAsync(api, HttpMethod.Post, $"projects/{pid}/forms?publish=true", Xml(ChwForm));
        Assert.True(status == 200, form?.ToJsonString());
        return pid;
    }

    private static string Entity(string uuid, string label = "W", string data = """{"cadre":"CHW"}""") =>
        $$"""{"uuid":"{{uuid}}","label":"{{label}}","data":{{data}}}""";

    private static void AssertProblem(double code, (int Status, JsonNode? Body) answer)
    {
        Assert.Equal((int)Math.Floor(code), answer.Status);
        Assert.Equal(code, answer.Body!["code"]!.GetValue<double>());
        Assert.False(string.IsNullOrEmpty(answer.Body["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Basic_auth_is_refused_over_plain_http_but_accepted_behind_an_https_proxy()
    {
        var client = _host.Anonymous();
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminEmail}:{AdminPassword}")));
        client.DefaultRequestHeaders.Authorization = basic;
        var refused = await SendAsync(client, HttpMethod.Get, "users/current");
        AssertProblem(401.3, refused);
        Assert.Equal("This authentication method is only available over HTTPS", refused.Body!["message"]!.GetValue<string>());

        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        var (status, user) = await SendAsync(client, HttpMethod.Get, "users/current");
        Assert.Equal(200, status);
        Assert.Equal(AdminEmail, user!["email"]!.GetValue<string>());

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AdminEmail}:wrong")));
        AssertProblem(401.2, await SendAsync(client, HttpMethod.Get, "users/current"));
    }

    [Fact]
    public async Task A_session_token_works_until_it_is_deleted()
    {
        var (status, health) = await SendAsync(_host.Anonymous(), HttpMethod.Get, "config/public");
        Assert.Equal(200, status);
        Assert.NotNull(health);
        AssertProblem(401.2, await SendAsync(_host.Anonymous(), HttpMethod.Post, "sessions", Json($$"""{"email":"{{AdminEmail}}","password":"nope"}""")));

        var api = await _host.LoginAsync();
        var token = api.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.Equal(200, (await SendAsync(api, HttpMethod.Delete, $"sessions/{token}")).Status);
        AssertProblem(401.2, await SendAsync(api, HttpMethod.Get, "users/current"));
    }

    [Fact]
    public async Task Bulk_entity_creation_is_all_or_nothing_and_uuids_are_unique_across_the_server()
    {
        var pid = await SeedAsync();
        var other = await SeedAsync();
        var existing = Guid.NewGuid().ToString();
        Assert.Equal(200, (await SendAsync(_api, HttpMethod.Post, $"projects/{other}/datasets/health_workers/entities", Json(Entity(existing)))).Status);

        var fresh = Guid.NewGuid().ToString();
        var bulk = $$"""{"source":{"name":"roster"},"entities":[{{Entity(fresh)}},{{Entity(existing)}}]}""";
        var conflict = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/entities", Json(bulk));
        AssertProblem(409.3, conflict);
        Assert.Equal($"A resource already exists with uuid value(s) of {existing}.", conflict.Body!["message"]!.GetValue<string>());
        Assert.Equal("entities", conflict.Body["details"]!["table"]!.GetValue<string>());

        var (_, list) = await SendAsync(_api, HttpMethod.Get, $"projects/{pid}/datasets/health_workers/entities");
        Assert.Empty(list!.AsArray());
    }

    [Fact]
    public async Task Entity_values_must_be_strings_and_properties_must_exist()
    {
        var pid = await SeedAsync();
        var url = $"projects/{pid}/datasets/health_workers/entities";
        var number = await SendAsync(_api, HttpMethod.Post, url, Json(Entity(Guid.NewGuid().ToString(), data: """{"cadre":5}""")));
        AssertProblem(400.11, number);
        Assert.Equal("Invalid input data type: expected (cadre) to be (string)", number.Body!["message"]!.GetValue<string>());

        var unknown = await SendAsync(_api, HttpMethod.Post, url, Json(Entity(Guid.NewGuid().ToString(), data: """{"salary":"5"}""")));
        AssertProblem(400.28, unknown);
        Assert.Equal("The entity is invalid. You specified the dataset property [salary] which does not exist.", unknown.Body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stale_base_version_is_409_15_unless_forced()
    {
        var pid = await SeedAsync();
        var uuid = Guid.NewGuid().ToString();
        var url = $"projects/{pid}/datasets/health_workers/entities";
        await SendAsync(_api, HttpMethod.Post, url, Json(Entity(uuid)));
        var (status, v2) = await SendAsync(_api, HttpMethod.Patch, $"{url}/{uuid}?baseVersion=1", Json("""{"data":{"facility":"A"}}"""));
        Assert.Equal(200, status);
        Assert.Equal(2, v2!["currentVersion"]!["version"]!.GetValue<int>());
        Assert.Equal("CHW", v2["currentVersion"]!["data"]!["cadre"]!.GetValue<string>());

        var stale = await SendAsync(_api, HttpMethod.Patch, $"{url}/{uuid}?baseVersion=1", Json("""{"data":{"facility":"B"}}"""));
        AssertProblem(409.15, stale);
        Assert.Equal("2", stale.Body!["details"]!["current"]!.GetValue<string>());
        Assert.Equal("1", stale.Body["details"]!["provided"]!.GetValue<string>());

        var (forcedStatus, forced) = await SendAsync(_api, HttpMethod.Patch, $"{url}/{uuid}?force=true", Json("""{"data":{"facility":"B"}}"""));
        Assert.Equal(200, forcedStatus);
        Assert.Equal(3, forced!["currentVersion"]!["version"]!.GetValue<int>());
        Assert.Equal("B", forced["currentVersion"]!["data"]!["facility"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_deleted_entity_leaves_the_list_and_its_uuid_is_refused_with_409_19()
    {
        var pid = await SeedAsync();
        var uuid = Guid.NewGuid().ToString();
        var url = $"projects/{pid}/datasets/health_workers/entities";
        await SendAsync(_api, HttpMethod.Post, url, Json(Entity(uuid)));
        Assert.Equal(200, (await SendAsync(_api, HttpMethod.Delete, $"{url}/{uuid}")).Status);
        AssertProblem(404.1, await SendAsync(_api, HttpMethod.Get, $"{url}/{uuid}"));
        var (_, csv) = await SendTextAsync(_api, HttpMethod.Get, $"projects/{pid}/datasets/health_workers/entities.csv");
        Assert.DoesNotContain(uuid, csv);
        AssertProblem(409.19, await SendAsync(_api, HttpMethod.Post, url, Json(Entity(uuid))));
    }

    private async Task SubmitAsync(int pid, string instanceId, int households = 1)
    {
        var (status, body) = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/submissions", Xml(Submission(instanceId, households)));
        Assert.True(status == 200, body?.ToJsonString());
    }

    private static string Feed(int pid, params (string Key, string Value)[] query) =>
        $"projects/{pid}/forms/chw_activity.svc/Submissions?" + string.Join("&", query.Select(q => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(q.Value)));

    [Fact]
    public async Task Skiptoken_paging_walks_every_row_exactly_once()
    {
        var pid = await SeedAsync();
        var expected = Enumerable.Range(1, 23).Select(i => $"uuid:{Guid.NewGuid()}").ToList();
        foreach (var id in expected) await SubmitAsync(pid, id);

        var seen = new List<string>();
        var url = Feed(pid, ("$top", "5"), ("$count", "true"));
        var pages = 0;
        while (url is not null)
        {
            var (status, page) = await SendAsync(_api, HttpMethod.Get, url);
            Assert.Equal(200, status);
            Assert.Equal(pages < 2 ? 23 : 24, page!["@odata.count"]!.GetValue<int>());
            seen.AddRange(page["value"]!.AsArray().Select(r => r!["__id"]!.GetValue<string>()));
            var next = page["@odata.nextLink"]?.GetValue<string>();
            if (next is not null) Assert.StartsWith(PublicUrl + "/v1/", next);
            url = next is null ? null : next[(PublicUrl + "/v1/").Length..];
            if (++pages == 2) await SubmitAsync(pid, $"uuid:{Guid.NewGuid()}"); // a newer row must not disturb the walk
        }

        Assert.Equal(5, pages);
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected.ToHashSet(), seen.ToHashSet());
    }

    [Fact]
    public async Task Filters_on_updatedAt_and_on_a_null_review_state_select_the_right_rows()
    {
        var pid = await SeedAsync();
        await SubmitAsync(pid, "uuid:one");
        await SubmitAsync(pid, "uuid:two");
        var before = DateTime.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ss.fffZ");
        var (_, reviewed) = await SendAsync(_api, HttpMethod.Patch, $"projects/{pid}/forms/chw_activity/submissions/uuid:one", Json("""{"reviewState":"approved"}"""));
        Assert.Equal("approved", reviewed!["reviewState"]!.GetValue<string>());
        Assert.NotNull(reviewed["updatedAt"]);

        var (_, updated) = await SendAsync(_api, HttpMethod.Get, Feed(pid, ("$filter", $"__system/updatedAt gt {before}")));
        Assert.Equal(["uuid:one"], updated!["value"]!.AsArray().Select(r => r!["__id"]!.GetValue<string>()));

        var (_, unreviewed) = await SendAsync(_api, HttpMethod.Get, Feed(pid, ("$filter", "__system/reviewState eq null")));
        Assert.Equal(["uuid:two"], unreviewed!["value"]!.AsArray().Select(r => r!["__id"]!.GetValue<string>()));

        var (_, either) = await SendAsync(_api, HttpMethod.Get, Feed(pid, ("$filter", "__system/reviewState eq 'approved' or (not (__system/submissionDate lt 2020-01-01))")));
        Assert.Equal(2, either!["value"]!.AsArray().Count);
    }

    [Fact]
    public async Task Filtering_on_a_form_field_is_501_5()
    {
        var pid = await SeedAsync();
        var answer = await SendAsync(_api, HttpMethod.Get, Feed(pid, ("$filter", "__system/reviewState eq null and worker eq 'x'")));
        AssertProblem(501.5, answer);
        Assert.Equal("The given OData filter expression references fields not supported by this server: worker at 33", answer.Body!["message"]!.GetValue<string>());
        AssertProblem(400.18, await SendAsync(_api, HttpMethod.Get, Feed(pid, ("$filter", "__system/reviewState eq"))));
    }

    [Fact]
    public async Task An_xlsform_without_a_converter_is_502_2()
    {
        var pid = await SeedAsync();
        var content = new ByteArrayContent("PK\u0003\u0004"u8.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        var answer = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/forms", content);
        AssertProblem(502.2, answer);
        Assert.Equal("The XLSForm conversion service could not be contacted.", answer.Body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task OpenRosa_submission_answers_the_protocol_and_edits_keep_the_logical_id()
    {
        var pid = await SeedAsync();
        var (_, appUser) = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/app-users", Json("""{"displayName":"tablet"}"""));
        var token = appUser!["token"]!.GetValue<string>();
        await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/assignments/app-user/{appUser["id"]}");
        var device = _host.Anonymous();

        async Task<(int Status, string Text, HttpResponseMessage Response)> Post(string xml, bool withHeader = true)
        {
            var form = new MultipartFormDataContent();
            var file = new StringContent(xml);
            file.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
            form.Add(file, "xml_submission_file", "submission.xml");
            using var request = new HttpRequestMessage(HttpMethod.Post, $"key/{token}/projects/{pid}/submission") { Content = form };
            if (withHeader) request.Headers.Add("X-OpenRosa-Version", "1.0");
            var response = await device.SendAsync(request, TestContext.Current.CancellationToken);
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), response);
        }

        var first = Submission("uuid:first", 10);
        var created = await Post(first);
        Assert.Equal(201, created.Status);
        Assert.Contains("full submission upload was successful!", created.Text);
        Assert.Equal("1.0", created.Response.Headers.GetValues("X-OpenRosa-Version").Single());

        Assert.Equal(201, (await Post(first)).Status); // an identical resend is accepted again
        var different = await Post(Submission("uuid:first", 11));
        Assert.Equal(409, different.Status);
        Assert.Contains("different XML", different.Text);
        Assert.Equal(400, (await Post(first, withHeader: false)).Status);

        Assert.Equal(201, (await Post(Submission("uuid:second", 12, deprecatedId: "uuid:first"))).Status);
        var (_, feed) = await SendAsync(_api, HttpMethod.Get, Feed(pid));
        var row = feed!["value"]!.AsArray().Single();
        Assert.Equal("uuid:first", row!["__id"]!.GetValue<string>());
        Assert.Equal("uuid:second", row["meta"]!["instanceID"]!.GetValue<string>());
        Assert.Equal(12, row["households_visited"]!.GetValue<int>());
        Assert.Equal(1, row["__system"]!["edits"]!.GetValue<int>());
        Assert.Equal("edited", row["__system"]!["reviewState"]!.GetValue<string>());
        Assert.Equal("tablet", row["__system"]!["submitterName"]!.GetValue<string>());

        Assert.Equal(409, (await Post(Submission("uuid:third", 13, deprecatedId: "uuid:first"))).Status); // editing an old copy
    }

    [Fact]
    public async Task A_duplicate_REST_submission_is_409_3()
    {
        var pid = await SeedAsync();
        await SubmitAsync(pid, "uuid:dup");
        var answer = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/submissions", Xml(Submission("uuid:dup", 1)));
        AssertProblem(409.3, answer);
    }

    [Fact]
    public async Task Malformed_json_gets_odk_error_400_1_not_a_500()
    {
        var pid = await SeedAsync();
        var answer = await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/entities", Json("{\"uuid\": "));
        AssertProblem(400.1, answer);
        Assert.Equal("Could not parse the given data (9 chars) as json.", answer.Body!["message"]!.GetValue<string>());
        AssertProblem(404.1, await SendAsync(_api, HttpMethod.Get, "projects/9999"));
    }

    [Fact]
    public async Task Restarting_the_emulator_keeps_its_state()
    {
        var pid = await SeedAsync();
        var uuid = Guid.NewGuid().ToString();
        await SendAsync(_api, HttpMethod.Post, $"projects/{pid}/datasets/health_workers/entities", Json(Entity(uuid)));
        await SubmitAsync(pid, "uuid:kept");
        var token = _api.DefaultRequestHeaders.Authorization!.Parameter!;
        await _host.DisposeAsync();

        _host = await OdkHost.StartAsync(_host.ConnectionString);
        var api = _host.Anonymous();
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(200, (await SendAsync(api, HttpMethod.Get, $"projects/{pid}/datasets/health_workers/entities/{uuid}")).Status);
        var (_, feed) = await SendAsync(api, HttpMethod.Get, Feed(pid));
        Assert.Equal("uuid:kept", feed!["value"]![0]!["__id"]!.GetValue<string>());
    }
}
