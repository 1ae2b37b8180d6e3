using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.FluentUI.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Clients;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Clients.Odk;
using OneClickSuite.Demo;
using OneClickSuite.Portal.Components;
using OneClickSuite.Portal.Data;
using OneClickSuite.Portal.Security;
using OneClickSuite.Portal.Suite;

var builder = WebApplication.CreateBuilder(args);
// The orchestrator runs the portal from its build output in every environment: serve the static files of the packages
// (Blazor's script, Fluent UI's) from there too. Published output carries them itself, and then this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.Services.TryAddSingleton(MinistryCalendar.FromId(builder.Configuration[MinistryCalendar.Setting]));
builder.AddDemo();
// The demo registers the clients it needs; the portal reads Fineract (a worker's account) and ODK (links) too.
if (!builder.Services.Any(s => s.ServiceType == typeof(FineractClient))) builder.AddFineractClient();
if (!builder.Services.Any(s => s.ServiceType == typeof(OdkClient))) builder.AddOdkClient();

Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(builder.Configuration.GetConnectionString(PortalDatabase.ConnectionStringName)
    ?? throw new InvalidOperationException($"ConnectionStrings:{PortalDatabase.ConnectionStringName} is missing")));
builder.Services.AddSingleton<PortalUsers>();
builder.Services.AddSingleton<AuditLog>();
builder.Services.AddSingleton<WorkerDirectory>();
builder.Services.AddSingleton<PayoutBoard>();
builder.Services.AddSingleton<SuiteStatistics>();
builder.Services.AddSingleton<Upstreams>();
builder.Services.AddSingleton<OdkLinks>();
builder.Services.AddScoped<PortalActions>();
builder.Services.AddOptions<SuiteServiceOptions>().Bind(builder.Configuration.GetSection(SuiteServiceOptions.SectionName));
builder.Services.AddHttpClient<SuiteServices>();
builder.AddPayrollClient(services => services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SuiteServiceOptions>>().Value.Payroll);
builder.Services.AddHttpClient(Upstreams.HttpClientName);
builder.Services.AddOptions<PortalDemoOptions>().Bind(builder.Configuration.GetSection(PortalDemoOptions.SectionName));
builder.Services.AddSingleton<DemoCoordinator>();
builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(DemoCoordinator.TelemetryName));

// Cookies and antiforgery tokens are protected with keys kept in PostgreSQL: a restart or another replica reads them.
builder.Services.AddDataProtection().SetApplicationName(PostgresKeyRepository.ApplicationName);
builder.Services.AddOptions<KeyManagementOptions>()
    .Configure<NpgsqlDataSource>((options, db) => options.XmlRepository = new PostgresKeyRepository(db));
builder.Services.AddAntiforgery(options => options.HeaderName = ApiAntiforgery.HeaderName);
SignInLimits.AddSignInRateLimiter(builder.Services, builder.Configuration);

builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
    .AddCookie(options =>
    {
        options.Cookie.Name = "OneClickSuite.Portal";
        options.Cookie.HttpOnly = true;
        // Only over HTTPS once deployed (TLS ends at the platform's ingress, so the request here may be plain HTTP);
        // on a developer's machine as the request came.
        options.Cookie.SecurePolicy = builder.Environment.IsDevelopment() ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
        options.Cookie.SameSite = SameSiteMode.Lax;
        options.LoginPath = "/signin";
        options.ExpireTimeSpan = TimeSpan.FromHours(8);
        options.SlidingExpiration = true;
        // The API answers 401/403; only pages are redirected to the sign-in page.
        options.Events.OnRedirectToLogin = context => ApiOr(context, StatusCodes.Status401Unauthorized);
        options.Events.OnRedirectToAccessDenied = context => ApiOr(context, StatusCodes.Status403Forbidden);
        // A cookie counts only while its user is still configured with the same password and role: removing a user
        // or changing their password ends their sessions at their next request.
        options.Events.OnValidatePrincipal = async context =>
        {
            var name = context.Principal?.Identity?.Name;
            var stamp = context.Principal?.FindFirst(SignInEndpoints.StampClaim)?.Value;
            var users = context.HttpContext.RequestServices.GetRequiredService<PortalUsers>();
            if (name is null || !Guid.TryParse(stamp, out var value) || !await users.IsCurrentAsync(name, value, context.HttpContext.RequestAborted))
            {
                context.RejectPrincipal();
                await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
            }
        };
    });
builder.Services.AddAuthorization(options =>
{
    // Nothing is visible without signing in, except the sign-in page itself, health probes and static files.
    options.FallbackPolicy = new AuthorizationPolicyBuilder()
        .RequireAssertion(context => context.User.Identity?.IsAuthenticated == true || IsPublic(context.Resource))
        .Build();
    options.AddPolicy(PortalRoles.PreparePayRuns, policy => policy.RequireRole(PortalRoles.Clerk));
    options.AddPolicy(PortalRoles.ApprovePayRuns, policy => policy.RequireRole(PortalRoles.Approver));
    options.AddPolicy(PortalRoles.Operate, policy => policy.RequireRole(PortalRoles.Clerk, PortalRoles.Approver));
});
builder.Services.AddCascadingAuthenticationState();
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddFluentUIComponents();

var app = builder.Build();
var db = app.Services.GetRequiredService<NpgsqlDataSource>();
await PortalDatabase.MigrateAsync(db, CancellationToken.None);
await app.Services.GetRequiredService<PortalUsers>().SeedAsync(app.Configuration, CancellationToken.None);

if (!app.Environment.IsDevelopment()) app.UseExceptionHandler("/error", createScopeForErrors: true);
// Before authentication: an attempt over the sign-in limit costs nothing more.
app.UseRateLimiter();
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();

app.MapDefaultEndpoints();
app.MapStaticAssets().AllowAnonymous();
app.MapSignIn();
app.MapPortalApi();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
app.Run();

static Task ApiOr(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context, int status)
{
    if (context.Request.Path.StartsWithSegments("/api"))
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
    context.Response.Redirect(context.RedirectUri);
    return Task.CompletedTask;
}

static bool IsPublic(object? resource) => resource is HttpContext http && (
    http.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.HealthPath) ||
    http.Request.Path.StartsWithSegments(ServiceDefaultsExtensions.AlivePath) ||
    http.Request.Path.StartsWithSegments("/_framework") ||
    http.Request.Path.StartsWithSegments("/_content"));

/// <summary>Marker for hosting the portal in tests (<c>WebApplicationFactory&lt;PortalApp&gt;</c>).</summary>
public sealed class PortalApp;
