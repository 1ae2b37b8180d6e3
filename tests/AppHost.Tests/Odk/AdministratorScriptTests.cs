using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using OneClickSuite.AppHost.Odk;
using OneClickSuite.Testing;

namespace OneClickSuite.AppHost.Tests.Odk;

/// <summary>
/// The one-shot that ensures ODK Central's administrator, run for real (bash and the machine's Node) against a small
/// stand-in for Central's sessions and users routes and a stand-in odk-cmd that records what it is asked to do.
/// user-set-password ends every session of the user (central-backend lib/task/account.js), so it must run only when
/// the configured password does not sign in already.
/// </summary>
public sealed class AdministratorScriptTests : IDisposable
{
    private const string Email = "admin@example.org";
    private const string Password = "configured-password-1";
    private readonly string _state = Directory.CreateTempSubdirectory("odk-admin-").FullName;

    [Fact]
    public async Task An_administrator_who_already_signs_in_is_left_alone()
    {
        SetUser(exists: true, password: Password, admin: true);
        Assert.Equal(0, await RunAsync());
        Assert.Empty(Calls());
    }

    [Fact]
    public async Task A_missing_administrator_is_created_and_promoted()
    {
        Assert.Equal(0, await RunAsync());
        Assert.Equal(["user-create", "user-promote"], Calls());
    }

    [Fact]
    public async Task Another_password_is_replaced_and_an_administrator_is_not_promoted_twice()
    {
        SetUser(exists: true, password: "an-old-password", admin: true);
        Assert.Equal(0, await RunAsync());
        Assert.Equal(["user-create", "user-set-password"], Calls()); // user-create fails: the user exists
    }

    [Fact]
    public async Task A_user_who_signs_in_but_is_not_an_administrator_is_only_promoted()
    {
        SetUser(exists: true, password: Password, admin: false);
        Assert.Equal(0, await RunAsync());
        Assert.Equal(["user-promote"], Calls());
    }

    private void SetUser(bool exists, string password, bool admin)
    {
        if (exists) File.WriteAllText(Path.Combine(_state, "password"), password);
        if (admin) File.WriteAllText(Path.Combine(_state, "admin"), "");
    }

    private string[] Calls() => File.Exists(Path.Combine(_state, "calls"))
        ? File.ReadAllLines(Path.Combine(_state, "calls"))
        : [];

    private async Task<int> RunAsync()
    {
        if (!File.Exists("/usr/bin/node") && !File.Exists("/usr/local/bin/node"))
            Assert.Skip("no Node.js on this machine: the script's check runs on the central-service image's Node");
        using var central = StartFakeCentral();
        // odk-cmd as upstream behaves: user-create and user-promote fail (409.3) when there is nothing to do.
        var bin = Directory.CreateDirectory(Path.Combine(_state, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "odk-cmd"), $$"""
            #!/bin/bash
            state={{_state}}; command=${@: -1}; echo "$command" >> $state/calls
            case $command in
              user-create) read -r password; [ -f $state/password ] && exit 1; printf '%s' "$password" > $state/password ;;
              user-set-password) read -r password; [ -f $state/password ] || exit 1; printf '%s' "$password" > $state/password ;;
              user-promote) [ -f $state/admin ] && exit 1; touch $state/admin ;;
            esac
            """);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(Path.Combine(bin, "odk-cmd"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["ODK_SERVICE_URL"] = central.Prefixes.Single().TrimEnd('/');
        start.Environment["ODK_ADMIN_EMAIL"] = Email;
        start.Environment["ODK_ADMIN_PASSWORD"] = Password;
        start.Environment["STAY_UP"] = "false";
        using var bash = Process.Start(start)!;
        await bash.StandardInput.WriteAsync(OdkCentralBuilderExtensions.AdminScript);
        bash.StandardInput.Close();
        var output = bash.StandardOutput.ReadToEndAsync();
        var errors = bash.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bash.WaitForExitAsync(timeout.Token);
        TestContext.Current.SendDiagnosticMessage(await output + await errors);
        return bash.ExitCode;
    }

    /// <summary>POST /v1/sessions (401 for a wrong password), GET /v1/users (403 unless an administrator), DELETE a session.</summary>
    private HttpListener StartFakeCentral()
    {
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{ServerProcess.FreePort()}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await listener.GetContextAsync(); }
                catch (Exception) { return; }
                var (method, path) = (context.Request.HttpMethod, context.Request.Url!.AbsolutePath);
                var passwordFile = Path.Combine(_state, "password");
                int status;
                string body = "{}";
                if (method == "POST" && path == "/v1/sessions")
                {
                    var request = JsonNode.Parse(await new StreamReader(context.Request.InputStream).ReadToEndAsync())!;
                    var matches = (string?)request["email"] == Email && File.Exists(passwordFile)
                                  && File.ReadAllText(passwordFile) == (string?)request["password"];
                    (status, body) = matches ? (200, """{"token":"t0k3n"}""") : (401, """{"code":401.2}""");
                }
                else if (method == "GET" && path == "/v1/users")
                {
                    status = context.Request.Headers["Authorization"] == "Bearer t0k3n" && File.Exists(Path.Combine(_state, "admin")) ? 200 : 403;
                }
                else status = method == "DELETE" && path == "/v1/sessions/t0k3n" ? 200 : 404;
                context.Response.StatusCode = status;
                await context.Response.OutputStream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(body));
                context.Response.Close();
            }
        });
        return listener;
    }

    public void Dispose() => Directory.Delete(_state, recursive: true);
}
