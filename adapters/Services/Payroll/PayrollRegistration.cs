using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients;
using OneClickSuite.Contracts;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Payouts;
using OneClickSuite.Payroll.Reconciliation;
using OneClickSuite.Payroll.Statements;
using OneClickSuite.Payroll.Workforce;

namespace OneClickSuite.Payroll;

public static class PayrollRegistration
{
    /// <summary>
    /// Pay rules (section "PayRules", validated at start), pay runs (drafting, queries, lifecycle, payment outcomes,
    /// checks), holds, leavers, statements and disputes, reconciliation against Fineract (section "Fineract",
    /// read-only), options (section "Payroll") and the ministry's calendar (<see cref="MinistryCalendar.Setting"/>).
    /// The database and the outbox come from the host.
    /// </summary>
    public static IHostApplicationBuilder AddPayrollCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PayRuleSet>()
            .Bind(builder.Configuration.GetSection(PayRuleSet.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PayRuleSet>, PayRuleSetValidation>();
        builder.Services.AddOptions<PayrollOptions>().Bind(builder.Configuration.GetSection(PayrollOptions.SectionName));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(MinistryCalendar.FromId(builder.Configuration[MinistryCalendar.Setting]));
        builder.Services.AddSingleton<PayHolds>();
        builder.Services.AddSingleton<Leavers>();
        builder.Services.AddSingleton<Workforce.Workforce>();
        builder.Services.AddSingleton<RunChecks>();
        builder.Services.AddSingleton<PayRunQueries>();
        builder.Services.AddSingleton<PayRunDrafting>();
        builder.Services.AddSingleton<PayRunLifecycle>();
        builder.Services.AddSingleton<PayStatements>();
        builder.Services.AddSingleton<PaymentOutcomes>();
        builder.Services.AddSingleton<Disputes>();
        builder.Services.AddSingleton<RunReconciliation>();
        builder.Services.AddSingleton<ProviderBooks>();
        // Payment Hub's operations app, read-only, where one is connected (section "PaymentHub").
        if (!string.IsNullOrWhiteSpace(builder.Configuration["PaymentHub:OperationsUrl"])) builder.AddPaymentHubClient();
        builder.Services.AddScoped<PayoutDestinations>();
        // Who holds a wallet, asked of the mobile money provider where one is connected (section "MobileMoney").
        if (!string.IsNullOrWhiteSpace(builder.Configuration["MobileMoney:BaseUrl"]))
        {
            builder.AddMobileMoneyClient();
            builder.Services.TryAddTransient<IWalletDirectory, ProviderWalletDirectory>();
        }
        builder.Services.TryAddSingleton<IWalletDirectory, NoWalletDirectory>();
        builder.AddFineractClient();
        return builder;
    }

    private sealed class PayRuleSetValidation : IValidateOptions<PayRuleSet>
    {
        public ValidateOptionsResult Validate(string? name, PayRuleSet options)
        {
            var errors = options.Validate().ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
