using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;

namespace OneClickSuite.Portal.Tests;

/// <summary>Who may do what, decided by the portal's server whatever a page shows; and what reaches Payroll.</summary>
public sealed partial class PortalApiTests(PortalApiHost host) : IClassFixture<PortalApiHost>
{
    private static readonly Guid RunId = Guid.Parse("8f6f2c1e-4b0e-4a59-9d2a-1f0c5a0c0001");
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unauthenticated_requests_see_only_the_sign_in_page()
    {
        using var client = host.Client();
        foreach (var page in new[] { "/", "/workers", "/payruns", "/problems", "/demo", "/audit", $"/payruns/{RunId}" })
        {
            var response = await client.GetAsync(page, Ct);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            Assert.StartsWith("/signin", location.IsAbsoluteUri ? location.PathAndQuery : location.OriginalString, StringComparison.Ordinal);
        }
        foreach (var api in new[] { "/api/workers", "/api/payruns", "/api/problems", "/api/audit", "/api/me" })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync(api, Ct)).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/api/payruns", new { period = "2026-10" }, Ct)).StatusCode);

        var signIn = await client.GetAsync("/signin", Ct);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        var html = await signIn.Content.ReadAsStringAsync(Ct);
        Assert.Contains("action=\"/account/signin\"", html);
        Assert.DoesNotContain("Nakato", html); // no worker data on the public page
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/alive", Ct)).StatusCode);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_passwords_are_stored_only_as_salted_hashes()
    {
        using var client = host.Client();
        var wrong = await client.PostAsJsonAsync("/api/signin", new { name = "clerk", password = "not-the-password" }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var unknown = await client.PostAsJsonAsync("/api/signin", new { name = "nobody", password = PortalApiHost.ClerkPassword }, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/me", Ct)).StatusCode);

        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var users = (await connection.QueryAsync<(string Name, string Role, byte[] Salt, byte[] Hash, int Iterations)>(
            "SELECT name, role, salt, hash, iterations FROM portal.users WHERE name IN ('approver', 'clerk', 'viewer') ORDER BY name")).ToList();
        Assert.Equal(["approver", "clerk", "viewer"], users.Select(u => u.Name));
        Assert.Equal(["approver", "clerk", "viewer"], users.Select(u => u.Role));
        foreach (var user in users)
        {
            Assert.Equal(32, user.Hash.Length);
            Assert.Equal(16, user.Salt.Length);
            Assert.Equal(600_000, user.Iterations);
            var password = user.Name switch { "clerk" => PortalApiHost.ClerkPassword, "viewer" => PortalApiHost.ViewerPassword, _ => PortalApiHost.ApproverPassword };
            var expected = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(password, user.Salt, user.Iterations,
                System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
            Assert.Equal(expected, user.Hash);
            Assert.DoesNotContain(Encoding.UTF8.GetString(user.Hash), password);
        }
        var distinctSalts = users.Select(u => Convert.ToHexString(u.Salt)).Distinct().Count();
        Assert.Equal(users.Count, distinctSalts);

        using var signedIn = await host.SignedInAsync("clerk", PortalApiHost.ClerkPassword);
        var me = await signedIn.GetFromJsonAsync<JsonObject>("/api/me", Ct);
        Assert.Equal("clerk", (string?)me!["role"]);
    }

    [Fact]
    public async Task Twenty_wrong_passwords_lock_the_name_even_against_the_right_one()
    {
        using var client = host.Client();
        for (var attempt = 1; attempt <= 20; attempt++)
        {
            var wrong = await client.PostAsJsonAsync("/api/signin", new { name = "locker", password = $"guess-{attempt}" }, Ct);
            Assert.Equal(attempt < 20 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, wrong.StatusCode);
        }
        var right = await client.PostAsJsonAsync("/api/signin", new { name = "locker", password = PortalApiHost.LockerPassword }, Ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, right.StatusCode);
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        Assert.Contains("locked", await connection.QueryAsync<string>("SELECT outcome FROM portal.audit WHERE actor = 'locker'"));

        // When the lock has passed, the right password works again and the count starts afresh.
        await connection.ExecuteAsync("UPDATE portal.users SET locked_until = now() - interval '1 second' WHERE name = 'locker'");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/signin", new { name = "locker", password = PortalApiHost.LockerPassword }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_removed_users_cookie_stops_working()
    {
        using var leaver = await host.SignedInAsync("leaver", PortalApiHost.LeaverPassword);
        Assert.Equal(HttpStatusCode.OK, (await leaver.GetAsync("/api/me", Ct)).StatusCode);
        // Removed from configuration: at the portal's next start the user is deleted (PortalUsers.SeedAsync).
        await using (var connection = await host.Db.OpenConnectionAsync(Ct))
            await connection.ExecuteAsync("DELETE FROM portal.users WHERE name = 'leaver'");
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaver.GetAsync("/api/me", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaver.PostAsJsonAsync("/api/payruns", new { period = "2026-10" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task A_viewer_can_read_but_cannot_create_submit_approve_reject_or_replay()
    {
        using var viewer = await host.SignedInAsync("viewer", PortalApiHost.ViewerPassword);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/api/workers", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync("/workers", Ct)).StatusCode);
        var before = host.PayrollCalls.Count(c => c.Method == "POST");

        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync("/api/payruns", new { period = "2026-10" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/payruns/{RunId}/submit", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/payruns/{RunId}/approve", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/payruns/{RunId}/reject", new { reason = "no" }, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync($"/api/problems/dead-letters/payroll/{Guid.NewGuid()}/replay", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsync("/api/workers/q-1/retry", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await viewer.PostAsync("/api/demo/run", null, Ct)).StatusCode);

        // Nothing reached Payroll: the portal refused on its own.
        Assert.Equal(before, host.PayrollCalls.Count(c => c.Method == "POST"));
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var refused = await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM portal.audit WHERE actor = 'viewer' AND outcome = 'refused' AND action = 'approve-pay-run'");
        Assert.True(refused >= 1);
    }

    [Fact]
    public async Task A_clerk_prepares_and_submits_but_cannot_approve_and_an_approver_can()
    {
        using var clerk = await host.SignedInAsync("clerk", PortalApiHost.ClerkPassword);
        var created = await clerk.PostAsJsonAsync("/api/payruns", new { period = "2026-10", population = "everyone" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await clerk.PostAsync($"/api/payruns/{RunId}/submit", null, Ct)).StatusCode);
        Assert.Contains(host.PayrollCalls, c => c is { Method: "POST", Path: "/payruns", User: "clerk", Roles: "clerk" });
        Assert.Contains(host.PayrollCalls, c => c.Path == $"/payruns/{RunId}/submit" && c is { User: "clerk", Roles: "clerk" });

        var approvalsBefore = host.PayrollCalls.Count(c => c.Path.EndsWith("/approve"));
        var refused = await clerk.PostAsync($"/api/payruns/{RunId}/approve", null, Ct);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(approvalsBefore, host.PayrollCalls.Count(c => c.Path.EndsWith("/approve")));

        using var approver = await host.SignedInAsync("approver", PortalApiHost.ApproverPassword);
        Assert.Equal(HttpStatusCode.Forbidden, (await approver.PostAsJsonAsync("/api/payruns", new { period = "2026-10" }, Ct)).StatusCode);
        var approved = await approver.PostAsync($"/api/payruns/{RunId}/approve", null, Ct);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal("approved", (string?)(await approved.Content.ReadFromJsonAsync<JsonObject>(Ct))!["status"]);
        Assert.Contains(host.PayrollCalls, c => c.Path == $"/payruns/{RunId}/approve" && c is { User: "approver", Roles: "approver" });

        // Every step is in the audit trail, with who and when.
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var trail = (await connection.QueryAsync<(string Actor, string Action, string Outcome)>(
            "SELECT actor, action, outcome FROM portal.audit WHERE target = @target ORDER BY id", new { target = $"pay run {RunId}" })).ToList();
        Assert.Contains(("clerk", "create-pay-run", "done"), trail);
        Assert.Contains(("clerk", "submit-pay-run", "done"), trail);
        Assert.Contains(("clerk", "approve-pay-run", "refused"), trail);
        Assert.Contains(("approver", "approve-pay-run", "done"), trail);
    }

    [Fact]
    public async Task An_approver_rejects_a_run_and_payroll_hears_who_did()
    {
        using var approver = await host.SignedInAsync("approver", PortalApiHost.ApproverPassword);
        var calls = host.PayrollCalls.Count;
        var reject = await approver.PostAsJsonAsync($"/api/payruns/{RunId}/reject", new { reason = "wrong month" }, Ct);
        Assert.Equal(HttpStatusCode.OK, reject.StatusCode);
        Assert.True(host.PayrollCalls.Count > calls);
        Assert.Contains(host.PayrollCalls, c => c.Path == $"/payruns/{RunId}/cancel" && c is { User: "approver", Roles: "approver" });
    }

    [Fact]
    public async Task The_demo_endpoint_takes_the_dashboards_key_and_nothing_else()
    {
        using var client = host.Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync("/api/demo/run", null, Ct)).StatusCode);
        using var wrongKey = new HttpRequestMessage(HttpMethod.Post, "/api/demo/run");
        wrongKey.Headers.Add("X-Demo-Key", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrongKey, Ct)).StatusCode);
    }

    [Fact]
    public async Task Workers_are_searched_and_paged_with_their_state_in_every_system()
    {
        using var viewer = await host.SignedInAsync("viewer", PortalApiHost.ViewerPassword);
        var first = await viewer.GetFromJsonAsync<JsonObject>("/api/workers?limit=20", Ct);
        Assert.Equal(1_001, (int)first!["total"]!); // 1,000 on the roster and one quarantined before reaching it
        Assert.Equal(20, first["workers"]!.AsArray().Count);
        // Held in quarantine before reaching the roster comes first, then the roster by employee number.
        Assert.Equal("q-1", (string?)first["workers"]![0]!["workerId"]);
        Assert.Equal("EMP-000001", (string?)first["workers"]![1]!["employeeNumber"]);

        var byNumber = await viewer.GetFromJsonAsync<JsonObject>("/api/workers?search=EMP-000097", Ct);
        var worker = byNumber!["workers"]!.AsArray().Single()!;
        Assert.Equal("w-97", (string?)worker["workerId"]);
        Assert.Equal("Failed", (string?)worker["odk"]);
        Assert.Contains("ODK answered 503", (string?)worker["odkDetail"]);

        var byName = await viewer.GetFromJsonAsync<JsonObject>("/api/workers?search=achieng2", Ct);
        Assert.All(byName!["workers"]!.AsArray(), w => Assert.Contains("Achieng2", (string?)w!["name"]));
        Assert.True((int)byName["total"]! > 0);

        var quarantined = await viewer.GetFromJsonAsync<JsonObject>("/api/workers?state=quarantined", Ct);
        var q = quarantined!["workers"]!.AsArray().Single()!;
        Assert.Equal("q-1", (string?)q["workerId"]);
        Assert.Contains("name is missing", (string?)q["ihrisDetail"]);

        var deep = await viewer.GetFromJsonAsync<JsonObject>("/api/workers?offset=980&limit=50", Ct);
        Assert.Equal(21, deep!["workers"]!.AsArray().Count);

        var activityResponse = await viewer.GetAsync("/activity?search=w-10", Ct);
        var activity = await activityResponse.Content.ReadAsStringAsync(Ct);
        Assert.True(activityResponse.IsSuccessStatusCode, activity[..Math.Min(3000, activity.Length)]);
        Assert.Contains("2026-10", activity);
        Assert.Contains("EMP-000010", activity);
        Assert.Contains(">43<", activity); // households visited: 21 + 22 over its two counted reports

        var page = await viewer.GetStringAsync("/workers?search=EMP-000151", Ct);
        Assert.Contains("EMP-000151", page);
        Assert.Contains("no client yet", page); // one in 151 has no Fineract account yet
    }

    [Fact]
    public async Task Checks_disputes_holds_and_held_roster_reads_go_through_their_owners_APIs_and_each_act_needs_its_role()
    {
        using var viewer = await host.SignedInAsync("viewer", PortalApiHost.ViewerPassword);
        using var clerk = await host.SignedInAsync("clerk", PortalApiHost.ClerkPassword);
        using var approver = await host.SignedInAsync("approver", PortalApiHost.ApproverPassword);
        var dispute = Guid.NewGuid();

        // Anyone signed in reads, through the owning service's API, as themselves.
        foreach (var (path, service) in new[]
                 {
                     ($"/api/payruns/{RunId}/checks", $"/payruns/{RunId}/checks"), ("/api/disputes", "/disputes"),
                     ("/api/statements?workerId=w-1", "/statements"), ("/api/pay-holds", "/pay-holds"), ("/api/roster/holds", "/roster/holds"),
                 })
        {
            Assert.Equal(HttpStatusCode.OK, (await viewer.GetAsync(path, Ct)).StatusCode);
            Assert.Contains(host.PayrollCalls, c => c is { Method: "GET", User: "viewer" } && c.Path == service);
        }
        var check = Assert.Single((await viewer.GetFromJsonAsync<JsonArray>($"/api/payruns/{RunId}/checks", Ct))!);
        Assert.True((bool)check!["blocking"]!);

        // Acting: the portal refuses the wrong role itself; nothing reaches the service.
        var posts = host.PayrollCalls.Count(c => c.Method == "POST");
        foreach (var (who, path) in new[]
                 {
                     (viewer, $"/api/payruns/{RunId}/checks/7/resolve"), (clerk, $"/api/payruns/{RunId}/checks/7/resolve"),
                     (viewer, $"/api/disputes/{dispute}/answer"), (approver, $"/api/disputes/{dispute}/answer"),
                     (viewer, "/api/roster/holds/3/confirm"), (viewer, "/api/roster/holds/3/dismiss"), (viewer, "/api/pay-holds/recheck"),
                 })
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await who.PostAsJsonAsync(path, new { reason = "x", answer = "x", outcome = "referred" }, Ct)).StatusCode);
        }
        Assert.Equal(posts, host.PayrollCalls.Count(c => c.Method == "POST"));

        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsJsonAsync($"/api/payruns/{RunId}/checks/7/resolve", new { reason = "one household, two spouses" }, Ct)).StatusCode);
        Assert.Contains(host.PayrollCalls, c => c is { Method: "POST", User: "approver", Roles: "approver" } && c.Path == $"/payruns/{RunId}/checks/7/resolve");
        Assert.Equal(HttpStatusCode.OK, (await clerk.PostAsJsonAsync($"/api/disputes/{dispute}/answer",
            new { answer = "Your second report was rejected", outcome = DisputeOutcome.Confirmed }, Ct)).StatusCode);
        Assert.Contains(host.PayrollCalls, c => c is { Method: "POST", User: "clerk" } && c.Path == $"/disputes/{dispute}/answer");
        var confirmed = await clerk.PostAsJsonAsync("/api/roster/holds/3/confirm", new { reason = "the district closed two clinics" }, Ct);
        Assert.Equal("confirmed", (string?)(await confirmed.Content.ReadFromJsonAsync<JsonObject>(Ct))!["status"]);
        Assert.Contains(host.PayrollCalls, c => c is { Method: "POST", User: "clerk" } && c.Path == "/roster/holds/3/confirm");
        Assert.Equal(HttpStatusCode.OK, (await approver.PostAsync("/api/pay-holds/recheck", null, Ct)).StatusCode);

        // Each act is in the portal's audit trail with who and why.
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        var trail = (await connection.QueryAsync<(string Actor, string Action, string Outcome, string? Detail)>(
            "SELECT actor, action, outcome, detail FROM portal.audit WHERE action IN ('resolve-check', 'answer-dispute', 'confirm-roster-hold', 'recheck-pay-holds')")).ToList();
        Assert.Contains(trail, t => t is { Actor: "approver", Action: "resolve-check", Outcome: "done" } && t.Detail!.Contains("one household, two spouses"));
        Assert.Contains(trail, t => t is { Actor: "clerk", Action: "resolve-check", Outcome: "refused" });
        Assert.Contains(trail, t => t is { Actor: "clerk", Action: "answer-dispute", Outcome: "done" } && t.Detail!.Contains(DisputeOutcome.Confirmed));
        Assert.Contains(trail, t => t is { Actor: "clerk", Action: "confirm-roster-hold", Outcome: "done" } && t.Detail == "the district closed two clinics");
        Assert.Contains(trail, t => t is { Actor: "approver", Action: "recheck-pay-holds", Outcome: "done" });
    }

    [Fact]
    public async Task A_run_for_an_older_month_carries_the_clerks_reason_to_payroll_and_into_the_audit_trail()
    {
        using var clerk = await host.SignedInAsync("clerk", PortalApiHost.ClerkPassword);
        var created = await clerk.PostAsJsonAsync("/api/payruns", new { period = "2026-05", population = "everyone", reason = "May was never paid" }, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await using var connection = await host.Db.OpenConnectionAsync(Ct);
        Assert.Equal("period 2026-05: May was never paid", await connection.ExecuteScalarAsync<string>(
            "SELECT detail FROM portal.audit WHERE actor = 'clerk' AND action = 'create-pay-run' AND detail LIKE 'period 2026-05%' ORDER BY id DESC LIMIT 1"));
    }
}
