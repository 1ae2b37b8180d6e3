using Npgsql;
using OneClickSuite.Contracts;
using OneClickSuite.Messaging;
using OneClickSuite.Payroll;
using OneClickSuite.Payroll.Data;
using OneClickSuite.Payroll.Messaging;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Payouts;
using OneClickSuite.Payroll.Statements;
using OneClickSuite.Payroll.Workforce;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSuiteIdentity();
builder.AddPayrollCore();
builder.AddSuiteMessaging("payroll", messaging => messaging
    .Publish<PaymentRequestedV1>(PaymentExchanges.Requests)
    .Publish<WalletPaymentRequestedV1>(PaymentExchanges.WalletRequests)
    .Publish<HubPaymentRequestedV1>(PaymentExchanges.HubRequests)
    .Publish<WorkerPayClosedV1>(PayrollExchanges.Workers)
    .Publish<PayStatementV1>(PayrollExchanges.Statements)
    .Subscribe(PayrollExchanges.Queries)
    .Subscribe(PaymentExchanges.Outcomes, parallelism: 8)
    .Subscribe(PaymentExchanges.WalletOutcomes, parallelism: 8)
    .Subscribe(PaymentExchanges.HubOutcomes, parallelism: 8)
    .Subscribe(RosterExchanges.Roster)
    .Subscribe(RosterExchanges.Accounts)
    .Subscribe(ActivityExchanges.Activity));
builder.Services.AddSingleton<NpgsqlDataSource>(services => services.GetRequiredService<SuiteDatabase>().DataSource);
builder.Services.AddSingleton<IPayrollOutbox, WolverinePayrollOutbox>();
builder.Services.AddHostedService<PaymentResender>();
builder.Services.AddHostedService<LeaverSweeper>();
builder.Services.AddOpenApi();

var app = builder.Build();
if (!GeneratedHandlers.Generating)
{
    await PayrollDatabase.MigrateAsync(app.Services.GetRequiredService<NpgsqlDataSource>(), CancellationToken.None);
}

app.UseAuthentication();
app.UseAuthorization();
app.MapOpenApi();
app.MapDefaultEndpoints();
app.MapDeadLetterEndpoints();
app.MapPayRuns();
app.MapWorkers();
app.MapStatements();
app.MapPayouts();
// `codegen write` (pre-generated message handlers) or the service.
return await app.RunWithCommandsAsync(args);

/// <summary>Marker for hosting this service in tests (<c>WebApplicationFactory&lt;PayrollApp&gt;</c>).</summary>
public sealed class PayrollApp;
