using Microsoft.Extensions.Options;
using OneClickSuite.Clients;
using OneClickSuite.Payroll.PayRules;
using OneClickSuite.Payroll.PayRuns;
using OneClickSuite.Payroll.Reconciliation;

namespace OneClickSuite.Payroll;

public static class PayrollRegistration
{
    /// <summary>
    /// Pay rules (section "PayRules", validated at start), the pay run service, reconciliation against Fineract
    /// (section "Fineract", read-only) and options (section "Payroll"). The database and the outbox come from the host.
    /// </summary>
    public static IHostApplicationBuilder AddPayrollCore(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PayRuleSet>()
            .Bind(builder.Configuration.GetSection(PayRuleSet.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PayRuleSet>, PayRuleSetValidation>();
        builder.Services.AddOptions<PayrollOptions>().Bind(builder.Configuration.GetSection(PayrollOptions.SectionName));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<Workforce.Workforce>();
        builder.Services.AddSingleton<PayRunService>();
        builder.Services.AddSingleton<RunReconciliation>();
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
