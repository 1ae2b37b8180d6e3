using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using OneClickSuite.Testing;
using Xunit;

namespace OneClickSuite.Emulators.OdkCentral.Tests;

/// <summary>
/// Replays contracts/odk-central/walkthrough.sh against the emulator and compares every answer with the real
/// ODK Central's in walkthrough.transcript.txt: status and error codes, and the shape (property names,
/// recursively) of each body; ids, timestamps and tokens aside.
/// </summary>
public sealed class WalkthroughFaithfulnessTests
{
    [Fact]
    public async Task Replaying_the_walkthrough_gives_the_answers_of_the_real_server()
    {
        var contracts = Repository.SharedContracts;
        if (contracts is null || !File.Exists(Path.Combine(contracts, "odk-central", "walkthrough.transcript.txt")))
        {
            Assert.Skip("../shared/contracts/odk-central is absent: the faithfulness check needs the recorded transcript.");
            return;
        }

        var transcript = Transcript.Parse(await File.ReadAllTextAsync(Path.Combine(contracts, "odk-central", "walkthrough.transcript.txt"), TestContext.Current.CancellationToken));
        var formXml = await File.ReadAllTextAsync(Path.Combine(contracts, "odk-central", "chw_activity.xml"), TestContext.Current.CancellationToken);
        await using var host = await OdkHost.StartAsync();
        var api = await host.LoginAsync();
        var check = new Comparison(transcript);
        string u1 = Guid.NewGuid().ToString(), u2 = Guid.NewGuid().ToString(), u3 = Guid.NewGuid().ToString();

        var project = await Send(api, HttpMethod.Post, "projects", Json("{\"name\":\"CHW e2e\"}"));
        var pid = project.Json!["id"]!.GetValue<int>();
        var ds = $"projects/{pid}/datasets/health_workers";

        var created = new List<Answer> { await Send(api, HttpMethod.Post, $"projects/{pid}/datasets", Json("""{"name":"health_workers","approvalRequired":false}""")) };
        foreach (var p in new[] { "cadre", "facility", "ihris_id", "fineract_client_id" })
            created.Add(await Send(api, HttpMethod.Post, $"{ds}/properties", Json($$"""{"name":"{{p}}"}""")));
        check.JsonSequence("dataset create", created);

        check.Json("bulk entities", await Send(api, HttpMethod.Post, $"{ds}/entities", Json($$"""
            {"source":{"name":"ihris-roster","size":3},"entities":[
             {"uuid":"{{u1}}","label":"Amina Okello (CHW)","data":{"cadre":"CHW","facility":"Kawempe HC IV","ihris_id":"person|101","fineract_client_id":"1"} },
             {"uuid":"{{u2}}","label":"John Mugisha (CHW)","data":{"cadre":"CHW","facility":"Kisenyi HC IV","ihris_id":"person|102","fineract_client_id":"2"} }]}
            """)));
        check.Truncated("single entity", await Send(api, HttpMethod.Post, $"{ds}/entities", Json($$"""
            {"uuid":"{{u3}}","label":"Grace Auma (CHW)","data":{"cadre":"CHW","facility":"Kawempe HC IV","ihris_id":"person|103"} }
            """)));
        check.Json("duplicate uuid", await Send(api, HttpMethod.Post, $"{ds}/entities", Json($$"""{"uuid":"{{u3}}","label":"dup","data":{} }""")));

        var updated = await Send(api, HttpMethod.Patch, $"{ds}/entities/{u3}?baseVersion=1", Json("""{"data":{"facility":"Kisenyi HC IV"}}"""));
        check.Values("entity update baseVersion=1", new JsonArray(updated.Json!["currentVersion"]!["version"]!.DeepClone(), updated.Json["currentVersion"]!["data"]!.DeepClone()));
        check.Json("stale update baseVersion=1 again", await Send(api, HttpMethod.Patch, $"{ds}/entities/{u3}?baseVersion=1", Json("""{"data":{"facility":"X"}}""")));
        var forced = await Send(api, HttpMethod.Patch, $"{ds}/entities/{u3}?force=true", Json("""{"label":"Grace Auma (Sr CHW)"}"""));
        check.Values("force update", new JsonArray(forced.Json!["currentVersion"]!["version"]!.DeepClone(), forced.Json["currentVersion"]!["label"]!.DeepClone()));

        var list = await Send(api, HttpMethod.Get, $"{ds}/entities");
        check.Versions("entity metadata list", list.Json!.AsArray().Select(e => e!["currentVersion"]!["version"]!.GetValue<int>()).ToList());
        check.Json("entity odata", await Send(api, HttpMethod.Get, $"projects/{pid}/datasets/health_workers.svc/Entities?$filter=facility%20eq%20'Kisenyi%20HC%20IV'&$count=true"));
        check.CsvHeader("entities.csv", await Send(api, HttpMethod.Get, $"{ds}/entities.csv"));

        check.Json("create form from XForm XML", await Send(api, HttpMethod.Post, $"projects/{pid}/forms", new StringContent(formXml, Encoding.UTF8, "application/xml")));
        check.Json("draft attachments", await Send(api, HttpMethod.Get, $"projects/{pid}/forms/chw_activity/draft/attachments"));
        check.Json("publish", await Send(api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/draft/publish"));
        var dataset = await Send(api, HttpMethod.Get, ds);
        Assert.True(dataset.Status == 200, dataset.Text);
        check.Values("dataset metadata", new JsonObject
        {
            ["name"] = dataset.Json!["name"]!.DeepClone(),
            ["approvalRequired"] = dataset.Json["approvalRequired"]!.DeepClone(),
            ["linkedForms"] = dataset.Json["linkedForms"]!.DeepClone(),
            ["properties"] = dataset.Json["properties"]!.DeepClone(),
        });

        var submitted = new JsonArray();
        foreach (var i in new[] { 1, 2 })
        {
            var worker = i == 1 ? u1 : u2;
            var answer = await Send(api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/submissions", new StringContent(
                $"<data id=\"chw_activity\" version=\"1\"><worker>{worker}</worker><period>2026-10-01</period><households_visited>{40 + i}</households_visited><referrals>{i}</referrals><meta><instanceID>uuid:aaaaaaaa-0000-4000-8000-00000000000{i}</instanceID></meta></data>",
                Encoding.UTF8, "application/xml"));
            Assert.Equal(200, answer.Status);
            submitted.Add(new JsonArray(answer.Json!["instanceId"]!.DeepClone(), answer.Json["createdAt"]!.DeepClone()));
        }
        check.Values("submit via REST", submitted);

        var appUser = await Send(api, HttpMethod.Post, $"projects/{pid}/app-users", Json("""{"displayName":"CHW tablet 1"}"""));
        check.Json("app user", appUser);
        var appUserId = appUser.Json!["id"]!.GetValue<int>();
        var appToken = appUser.Json["token"]!.GetValue<string>();
        check.Json("assign app-user role to form", await Send(api, HttpMethod.Post, $"projects/{pid}/forms/chw_activity/assignments/app-user/{appUserId}"));

        var device = host.Anonymous();
        device.DefaultRequestHeaders.Add("X-OpenRosa-Version", "1.0");
        var key = $"key/{appToken}/projects/{pid}";
        check.Xml("openrosa formList as app user", await Send(device, HttpMethod.Get, $"{key}/formList"), appToken);
        check.Xml("openrosa manifest", await Send(device, HttpMethod.Get, $"{key}/forms/chw_activity/manifest"), appToken);
        check.Csv("csv attachment as app user", await Send(device, HttpMethod.Get, $"{key}/forms/chw_activity/attachments/health_workers.csv"));

        var multipart = new MultipartFormDataContent();
        var file = new StringContent($"<data id=\"chw_activity\" version=\"1\"><worker>{u3}</worker><period>2026-10-01</period><households_visited>12</households_visited><referrals>0</referrals><meta><instanceID>uuid:aaaaaaaa-0000-4000-8000-000000000003</instanceID></meta></data>");
        file.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        multipart.Add(file, "xml_submission_file", "sub3.xml");
        check.Xml("openrosa submission multipart as app user", await Send(device, HttpMethod.Post, $"{key}/submission", multipart), appToken, expectedStatus: 201);

        // Actor ids differ between servers: the transcript's admin was 5 and its app user 13.
        var adminId = (await Send(api, HttpMethod.Get, "users/current")).Json!["id"]!.GetValue<int>();
        int TranscriptActor(int id) => id == adminId ? 5 : id == appUserId ? 13 : -id;
        var submissions = await Send(api, HttpMethod.Get, $"projects/{pid}/forms/chw_activity/submissions");
        check.Values("REST submissions list", new JsonArray(submissions.Json!.AsArray()
            .Select(s => (JsonNode)new JsonArray(s!["instanceId"]!.DeepClone(), TranscriptActor(s["submitterId"]!.GetValue<int>()), s["reviewState"]?.DeepClone())).ToArray()));
        var approved = await Send(api, HttpMethod.Patch, $"projects/{pid}/forms/chw_activity/submissions/uuid:aaaaaaaa-0000-4000-8000-000000000001", Json("""{"reviewState":"approved"}"""));
        check.Values("approve one", approved.Json!["reviewState"]!.DeepClone());
        var rejected = await Send(api, HttpMethod.Patch, $"projects/{pid}/forms/chw_activity/submissions/uuid:aaaaaaaa-0000-4000-8000-000000000002", Json("""{"reviewState":"rejected"}"""));
        check.Values("reject one", rejected.Json!["reviewState"]!.DeepClone());

        var svc = $"projects/{pid}/forms/chw_activity.svc";
        check.Json("odata service doc", await Send(api, HttpMethod.Get, svc));
        var page = await Send(api, HttpMethod.Get, $"{svc}/Submissions?{Query(("$filter", "__system/submissionDate ge 2020-01-01T00:00:00Z"), ("$count", "true"), ("$top", "2"))}");
        check.Json("odata filter by submissionDate+count+top", page);
        check.NextLink("odata filter by submissionDate+count+top", page);
        check.Json("odata approved only", await Send(api, HttpMethod.Get, $"{svc}/Submissions?{Query(("$filter", "__system/reviewState eq 'approved'"), ("$select", "__id,worker,households_visited,referrals,__system/submissionDate"))}"));
        check.Json("odata orderby", await Send(api, HttpMethod.Get, $"{svc}/Submissions?{Query(("$orderby", "__system/submissionDate desc"), ("$select", "__id"))}"));

        var xlsx = new ByteArrayContent(Encoding.ASCII.GetBytes("PK\u0003\u0004notreallyxlsx"));
        xlsx.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
        check.Json("XLSX upload without pyxform", await Send(api, HttpMethod.Post, $"projects/{pid}/forms", xlsx));

        Assert.True(check.Failures.Count == 0, "The emulator differs from the recorded ODK Central:\n" + string.Join("\n", check.Failures));
        Assert.True(check.Compared >= 25, $"only {check.Compared} transcript sections were compared");
    }

    private static StringContent Json(string json) => OdkHost.Json(json);

    private static string Query(params (string Key, string Value)[] pairs) =>
        string.Join("&", pairs.Select(p => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(p.Value)));

    private sealed record Answer(int Status, string Text, string? ContentType)
    {
        public JsonNode? Json => ContentType == "application/json" && Text.Length > 0 ? JsonNode.Parse(Text) : null;
    }

    private static async Task<Answer> Send(HttpClient client, HttpMethod method, string url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return new Answer((int)response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken),
            response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>The transcript's sections: "### name" followed by what the real server answered.</summary>
    private static class Transcript
    {
        public static Dictionary<string, string> Parse(string text)
        {
            var sections = new Dictionary<string, string>();
            string? name = null;
            var body = new StringBuilder();
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("### ", StringComparison.Ordinal))
                {
                    if (name is not null) sections[name] = body.ToString().Trim();
                    name = line[4..].Trim();
                    body.Clear();
                }
                else if (name is not null && !Regex.IsMatch(line, @"^PID=\d+$"))
                {
                    body.Append(line).Append('\n');
                }
            }
            if (name is not null) sections[name] = body.ToString().Trim();
            return sections;
        }
    }

    private sealed class Comparison(Dictionary<string, string> transcript)
    {
        public List<string> Failures { get; } = [];
        public int Compared { get; private set; }

        private string Section(string name)
        {
            Compared++;
            if (transcript.TryGetValue(name, out var text)) return text;
            Failures.Add($"[{name}] not in the transcript");
            return "";
        }

        /// <summary>Every JSON value of the section, in order (a section may hold several answers back to back).</summary>
        private static List<JsonNode?> ReadAll(string text)
        {
            var values = new List<JsonNode?>();
            var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(text), new JsonReaderOptions { AllowMultipleValues = true });
            while (reader.Read()) values.Add(JsonNode.Parse(ref reader));
            return values;
        }

        public void Json(string name, Answer answer) => JsonSequence(name, [answer]);

        public void JsonSequence(string name, List<Answer> answers)
        {
            var expected = ReadAll(Section(name));
            if (expected.Count != answers.Count)
            {
                Failures.Add($"[{name}] transcript holds {expected.Count} answers, emulator gave {answers.Count}");
                return;
            }
            for (var i = 0; i < answers.Count; i++) CompareJson(name, expected[i], answers[i]);
        }

        private void CompareJson(string name, JsonNode? expected, Answer answer)
        {
            var expectedCode = expected is JsonObject o && o["code"] is JsonValue code && o.ContainsKey("message") ? code.GetValue<double>() : (double?)null;
            var expectedStatus = expectedCode is null ? 200 : (int)Math.Floor(expectedCode.Value);
            if (answer.Status != expectedStatus) Failures.Add($"[{name}] status {answer.Status}, real server {expectedStatus}: {answer.Text}");
            var actual = answer.Json;
            if (expectedCode is not null && actual?["code"]?.GetValue<double>() != expectedCode)
                Failures.Add($"[{name}] error code {actual?["code"]}, real server {expectedCode}");
            if (expectedCode is not null && actual?["message"]?.GetValue<string>() is { } message && !SameMessage(expected!["message"]!.GetValue<string>(), message))
                Failures.Add($"[{name}] message '{message}', real server '{expected["message"]}'");
            CompareShape(name, expected, actual);
        }

        /// <summary>Messages agree once the uuids in them are set aside.</summary>
        private static bool SameMessage(string expected, string actual)
        {
            var uuid = new Regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
            return uuid.Replace(expected, "U") == uuid.Replace(actual, "U");
        }

        private void CompareShape(string name, JsonNode? expected, JsonNode? actual)
        {
            var want = Shape(expected);
            var got = Shape(actual);
            foreach (var missing in want.Except(got)) Failures.Add($"[{name}] missing {missing}");
            foreach (var extra in got.Except(want).Where(e => !want.Any(w => w.EndsWith("[]", StringComparison.Ordinal) && e.StartsWith(w, StringComparison.Ordinal))))
                Failures.Add($"[{name}] unexpected {extra}");
        }

        /// <summary>Property paths, recursively; array elements share the path "[]"; an empty array is just "[]".</summary>
        private static HashSet<string> Shape(JsonNode? node, string prefix = "$")
        {
            var paths = new HashSet<string>();
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        var path = $"{prefix}.{key}";
                        paths.Add(path);
                        paths.UnionWith(Shape(value, path));
                    }
                    break;
                case JsonArray array when array.Count == 0:
                    paths.Add(prefix + "[]");
                    break;
                case JsonArray array:
                    foreach (var item in array) paths.UnionWith(Shape(item, prefix + "[*]"));
                    break;
            }
            return paths;
        }

        /// <summary>The transcript cut this answer at 400 characters: the names it shows must all be there.</summary>
        public void Truncated(string name, Answer answer)
        {
            var text = Section(name);
            if (answer.Status != 200) Failures.Add($"[{name}] status {answer.Status}: {answer.Text}");
            var names = Regex.Matches(text, "\"([A-Za-z_]+)\":").Select(m => m.Groups[1].Value).ToHashSet();
            var got = Regex.Matches(answer.Text, "\"([A-Za-z_]+)\":").Select(m => m.Groups[1].Value).ToHashSet();
            foreach (var missing in names.Except(got)) Failures.Add($"[{name}] missing property {missing}");
            if (!answer.Text.StartsWith(text[..Math.Min(8, text.Length)], StringComparison.Ordinal)) Failures.Add($"[{name}] starts differently: {answer.Text[..Math.Min(40, answer.Text.Length)]}");
        }

        /// <summary>Sections the script printed through Python: compare the values, uuids and timestamps aside.</summary>
        public void Values(string name, JsonNode? actual)
        {
            var text = Section(name);
            // Python prints a bare string without quotes.
            var expected = ReadAll(Regex.IsMatch(text, "^[A-Za-z_]+$") ? JsonSerializer.Serialize(text) : PythonToJson(text));
            var want = Normalize(expected.Count == 1 ? expected[0] : new JsonArray(expected.Select(e => e?.DeepClone()).ToArray()));
            var got = Normalize(actual);
            if (want != got) Failures.Add($"[{name}] values {got}, real server {want}");
        }

        public void Versions(string name, List<int> versions)
        {
            var text = Section(name);
            var want = Regex.Matches(text, @", (\d+)\)").Select(m => int.Parse(m.Groups[1].Value)).ToList();
            if (!want.SequenceEqual(versions)) Failures.Add($"[{name}] versions {string.Join(",", versions)}, real server {string.Join(",", want)}");
        }

        private static string PythonToJson(string text)
        {
            var json = new StringBuilder();
            var inString = false;
            foreach (var c in text)
            {
                if (c == '\'') { inString = !inString; json.Append('"'); continue; }
                if (!inString && c == '(') { json.Append('['); continue; }
                if (!inString && c == ')') { json.Append(']'); continue; }
                json.Append(c);
            }
            return Regex.Replace(json.ToString(), @"\b(None|True|False)\b", m => m.Value switch { "None" => "null", "True" => "true", _ => "false" });
        }

        private static readonly Regex Variable = new(
            @"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?<!aaaaaaaa-0000-4000-8000-00000000000\d)|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z");

        private static string Normalize(JsonNode? node)
        {
            return Variable.Replace(node?.ToJsonString() ?? "null", "X");
        }

        public void CsvHeader(string name, Answer answer)
        {
            var text = Section(name);
            if (answer.Status != 200) Failures.Add($"[{name}] status {answer.Status}");
            if (text.Split('\n')[0].Trim() != answer.Text.Split('\n')[0].Trim())
                Failures.Add($"[{name}] header '{answer.Text.Split('\n')[0]}', real server '{text.Split('\n')[0]}'");
            var rows = text.Split('\n').Skip(1).Count(l => l.Trim().Length > 0);
            var gotRows = answer.Text.Split('\n').Skip(1).Count(l => l.Trim().Length > 0);
            if (rows != gotRows) Failures.Add($"[{name}] {gotRows} rows, real server {rows}");
        }

        /// <summary>The attachment CSV must match the real one once uuids are set aside.</summary>
        public void Csv(string name, Answer answer)
        {
            var text = Section(name);
            if (answer.Status != 200) Failures.Add($"[{name}] status {answer.Status}");
            if (Variable.Replace(text.Trim(), "X") != Variable.Replace(answer.Text.Trim(), "X"))
                Failures.Add($"[{name}] csv\n{answer.Text}\nreal server\n{text}");
        }

        /// <summary>Element names in order, on the lines the transcript kept; the links must start as the real ones.</summary>
        public void Xml(string name, Answer answer, string appToken, int expectedStatus = 200)
        {
            var text = Section(name);
            if (answer.Status != expectedStatus) Failures.Add($"[{name}] status {answer.Status}, expected {expectedStatus}: {answer.Text}");
            var want = text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var got = answer.Text.Replace(appToken, "<token>").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            var hashOrId = new Regex("md5:[0-9a-f]{32}|/projects/\\d+/");
            for (var i = 0; i < want.Count; i++)
            {
                if (i >= got.Count) { Failures.Add($"[{name}] ends before '{want[i]}'"); break; }
                var w = hashOrId.Replace(want[i], "#");
                var g = hashOrId.Replace(got[i], "#");
                if (w != g && !(i == want.Count - 1 && g.StartsWith(w, StringComparison.Ordinal)))
                    Failures.Add($"[{name}] line {i}: '{got[i]}', real server '{want[i]}'");
            }
        }

        /// <summary>The next link keeps the request's query, adds a $skiptoken, and is built on the public domain.</summary>
        public void NextLink(string name, Answer answer)
        {
            var want = JsonNode.Parse(transcript[name])!["@odata.nextLink"]!.GetValue<string>();
            var got = answer.Json?["@odata.nextLink"]?.GetValue<string>() ?? "";
            var tokenless = new Regex("/projects/\\d+/|%24skiptoken=[^&]*");
            if (tokenless.Replace(want, "#") != tokenless.Replace(got, "#")) Failures.Add($"[{name}] nextLink {got}, real server {want}");
        }
    }
}
