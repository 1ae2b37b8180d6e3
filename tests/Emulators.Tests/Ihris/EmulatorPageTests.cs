using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hl7.Fhir.Model;
using OneClickSuite.Testing;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Emulators.Ihris.Tests;

/// <summary>
/// The emulator's own page at / on the backend port: facilities, workers with their roles and salaries, links to the
/// other emulators when configured, everything encoded; and the fault switch's form.
/// </summary>
public sealed class EmulatorPageTests : IAsyncLifetime
{
    private const string Fineract = "http://fineract.example:5001";
    private IhrisHost _host = null!;

    public async ValueTask InitializeAsync() => _host = await IhrisHost.StartAsync(settings: new Dictionary<string, string>
    {
        ["Emulator:Links:Fineract"] = Fineract + "/",
        // ODK left unset: not linked.
    });

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private async Task WriteAsync(TestWorker worker, string facilityName)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var location = new Location { Id = worker.FacilityId, Name = facilityName, Status = Location.LocationStatus.Active };
        foreach (var resource in new Resource[] { location }.Concat(FhirRoster.Resources(worker, null)))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.PUT, Url = $"{resource.TypeName}/{resource.Id}" },
            });
        }
        await _host.TransactionAsync(bundle);
    }

    [Fact]
    public async Task The_page_shows_a_worker_with_role_facility_and_salary_and_links_them_to_fineract()
    {
        var id = "page-" + Guid.NewGuid().ToString("N")[..8];
        await WriteAsync(new TestWorker(id, "EMP-77", "Amina", "Otieno", "+254700000001", id + "-facility", Salary: "912.50"), "Kisumu <Health> Centre");

        using var response = await _host.Backend.GetAsync("/", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("iHRIS 5", html);
        Assert.Matches(new Regex(
            $"<tr id=\"worker-{id}\" data-worker=\"{id}\"><td><a href=\"/_emulator/workers/{id}\">{id}</a></td><td>Amina Otieno</td><td>EMP-77</td>"
            + $".*?Nurse \\(Kisumu &lt;Health&gt; Centre\\).*?<span data-testid=\"salary\">912.50 monthly</span>"
            + $".*?<a href=\"{Fineract}/_emulator/workers/{id}\" data-testid=\"link-fineract-worker\">Fineract</a></td></tr>"), html);
        Assert.DoesNotContain("link-odk-worker", html); // ODK's address is not configured
        Assert.Contains($"<tr id=\"location-{id}-facility\">", html);
        Assert.Contains($"<tr id=\"role-{id}-role\">", html);
        Assert.Matches(new Regex($"<tr id=\"salary-{id}-salary\">.*?<td>912.50</td>.*?<td>monthly</td><td>2023-01-01</td>"), html);
        Assert.DoesNotContain("<Health>", html);
        Assert.Contains("href=\"http://fineract.example:5001/\"", html); // the navigation to the other emulator

        var worker = await _host.Backend.GetStringAsync($"/_emulator/workers/{id}", TestContext.Current.CancellationToken);
        Assert.Contains($"<tr id=\"salary-{id}-salary\">", worker);
        Assert.Contains($"{Fineract}/_emulator/workers/{id}", worker);
    }

    [Fact]
    public async Task A_hostile_name_is_shown_as_text()
    {
        var id = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        await WriteAsync(new TestWorker(id, "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "\"Quote\" & 'Co'", null, id + "-f"), "F");
        var html = await _host.Backend.GetStringAsync("/", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<img", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt; &quot;Quote&quot; &amp; &#39;Co&#39;", html);
    }

    [Fact]
    public async Task The_fault_form_sets_the_switch_and_the_api_then_fails_as_set_but_not_the_page()
    {
        try
        {
            using var form = new FormUrlEncodedContent([new("choice", "error"), new("return", "/_emulator/workers/x")]);
            using var posted = await _host.Backend.PostAsync("/_emulator/faults/form", form, TestContext.Current.CancellationToken);
            // The test client follows the 303 back to the page it came from.
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            Assert.Equal("/_emulator/workers/x", posted.RequestMessage?.RequestUri?.AbsolutePath);
            var settings = JsonNode.Parse(await _host.Backend.GetStringAsync("/_emulator/faults", TestContext.Current.CancellationToken))!;
            Assert.Equal(0.2, settings["failureRate"]!.GetValue<double>());
            Assert.Equal("error", settings["mode"]!.GetValue<string>());

            var statuses = new List<int>();
            for (var i = 0; i < 80; i++) statuses.Add((await _host.GetAsync("/fhir/metadata")).Status);
            Assert.Contains(503, statuses);
            for (var i = 0; i < 20; i++) Assert.Equal(HttpStatusCode.OK, (await _host.Backend.GetAsync("/", TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            await _host.Backend.DeleteAsync("/_emulator/faults", TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public async Task Other_methods_on_the_root_still_get_the_front_end_as_from_the_backend()
    {
        using var response = await _host.Backend.PostAsync("/", new StringContent(""), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<div id=\"app\"></div>", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
