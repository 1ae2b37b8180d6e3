using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;

namespace OneClickSuite.Bootstrap.Fineract;

/// <summary>
/// Secures the admin password, then ensures the salary product, the "Payroll" payment type and the funding
/// programme's account with its float. Everything is looked up before it is created.
/// </summary>
public sealed class FineractSeeder(
    FineractClient fineract,
    IOptions<FineractOptions> fineractOptions,
    IOptions<BootstrapOptions> options,
    ILogger<FineractSeeder> logger)
{
    public const string SalaryProductName = "Staff salary account";
    public const string SalaryProductShortName = "STAF";
    public const string PayrollPaymentType = "Payroll";
    public const string FundingClientExternalId = "funding-programme";
    public const string FundingClientName = "Health Workforce Programme";
    public const string FundingFloatIdempotencyKey = "bootstrap-funding-float";
    private const long AdminUserId = 1;

    public async Task RunAsync(CancellationToken ct)
    {
        var settings = options.Value;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);

        await EnsureAdminPasswordAsync(settings, ct);

        var product = await fineract.FindSavingsProductByNameAsync(SalaryProductName, ct);
        long productId;
        if (product is null)
        {
            productId = await fineract.CreateSavingsProductAsync(SalaryProductName, SalaryProductShortName, settings.Currency, ct: ct);
            logger.LogInformation("Fineract: savings product {Name} created (id {Id})", SalaryProductName, productId);
        }
        else
        {
            productId = product.Id;
            logger.LogInformation("Fineract: savings product {Name} exists (id {Id})", SalaryProductName, productId);
        }

        var paymentType = (await fineract.ListPaymentTypesAsync(ct))
            .FirstOrDefault(p => string.Equals(p.Name, PayrollPaymentType, StringComparison.OrdinalIgnoreCase));
        long paymentTypeId;
        if (paymentType is null)
        {
            paymentTypeId = await fineract.CreatePaymentTypeAsync(PayrollPaymentType, "Salary and stipend payments", ct: ct);
            logger.LogInformation("Fineract: payment type {Name} created (id {Id})", PayrollPaymentType, paymentTypeId);
        }
        else
        {
            paymentTypeId = paymentType.Id;
            logger.LogInformation("Fineract: payment type {Name} exists (id {Id})", PayrollPaymentType, paymentTypeId);
        }

        var savingsId = await EnsureFundingAccountAsync(productId, today, ct);

        var deposit = await fineract.DepositAsync(new FineractDeposit(
            savingsId, settings.FundingFloat, today, paymentTypeId,
            ReceiptNumber: "funding-float", Note: "Initial funding float", IdempotencyKey: FundingFloatIdempotencyKey), ct);
        var account = await fineract.GetSavingsAccountAsync(savingsId, ct: ct);
        logger.LogInformation(
            deposit.ServedFromCache
                ? "Fineract: funding float was already deposited (transaction {Transaction}); balance {Balance} {Currency}"
                : "Fineract: funding float deposited (transaction {Transaction}); balance {Balance} {Currency}",
            deposit.ResourceId, account.Summary?.AccountBalance, account.Currency?.Code ?? settings.Currency);
    }

    /// <summary>
    /// Tries the configured password; on 401 logs in with Fineract's default and replaces it, so the default never
    /// stays valid on a suite install.
    /// </summary>
    private async Task EnsureAdminPasswordAsync(BootstrapOptions settings, CancellationToken ct)
    {
        var username = fineractOptions.Value.Username;
        try
        {
            await UntilReady.RunAsync("Fineract", "log in", settings.StartupTimeout, logger,
                () => fineract.ListPaymentTypesAsync(ct), ct);
            logger.LogInformation("Fineract: logged in as {User} with the configured password", username);
            return;
        }
        catch (FineractException ex) when (ex.StatusCode == 401)
        {
            if (string.IsNullOrEmpty(settings.FineractDefaultPassword))
            {
                throw new InvalidOperationException(
                    "Fineract refused the configured password and Bootstrap:FineractDefaultPassword is not set.", ex);
            }
        }

        logger.LogInformation("Fineract: configured password refused; logging in with the default to replace it");
        var configured = fineractOptions.Value.Password!;
        fineract.UseCredentials(username, settings.FineractDefaultPassword);
        try
        {
            await fineract.ListPaymentTypesAsync(ct);
        }
        catch (FineractException ex) when (ex.StatusCode == 401)
        {
            throw new InvalidOperationException(
                $"Fineract refused both the configured and the default password for user {username}.", ex);
        }
        await fineract.ChangePasswordAsync(AdminUserId, configured, ct);
        fineract.UseCredentials(username, configured);
        await fineract.ListPaymentTypesAsync(ct);
        logger.LogInformation("Fineract: password of user {UserId} ({User}) changed to the configured one", AdminUserId, username);
    }

    private async Task<long> EnsureFundingAccountAsync(long productId, DateOnly today, CancellationToken ct)
    {
        var funder = await fineract.GetClientByExternalIdAsync(FundingClientExternalId, ct);
        if (funder is null)
        {
            var created = await fineract.CreateClientAsync(new NewFineractClient
            {
                LegalForm = FineractLegalForm.Entity,
                Fullname = FundingClientName,
                ExternalId = FundingClientExternalId,
                ActivationDate = today,
                SavingsProductId = productId,
            }, ct: ct);
            if (created.SavingsId is { } newSavingsId)
            {
                logger.LogInformation("Fineract: funding client {Name} created (id {Id}) with savings account {Savings}",
                    FundingClientName, created.ClientId, newSavingsId);
                return newSavingsId;
            }
            funder = await fineract.GetClientAsync(created.ClientId, ct);
            logger.LogInformation("Fineract: funding client {Name} created (id {Id})", FundingClientName, funder.Id);
        }
        else
        {
            logger.LogInformation("Fineract: funding client {Name} exists (id {Id})", FundingClientName, funder.Id);
        }

        var accounts = await fineract.GetClientSavingsAccountsAsync(funder.Id, ct);
        var account = accounts.FirstOrDefault(a => a.ProductId == productId && a.Status?.Active == true)
                      ?? accounts.FirstOrDefault(a => a.ProductId == productId && a.Status?.Closed != true);
        long savingsId;
        if (account is null)
        {
            savingsId = await fineract.CreateSavingsAccountAsync(funder.Id, productId, today, ct);
            logger.LogInformation("Fineract: funding savings account created (id {Id})", savingsId);
        }
        else
        {
            savingsId = account.Id;
        }

        if (account?.Status?.Active != true)
        {
            var current = await fineract.GetSavingsAccountAsync(savingsId, ct: ct);
            if (current.Status?.Id == 100)
            {
                await fineract.ApproveSavingsAccountAsync(savingsId, today, ct);
            }
            await fineract.ActivateSavingsAccountAsync(savingsId, today, ct);
            logger.LogInformation("Fineract: funding savings account {Id} approved and activated", savingsId);
        }
        else
        {
            logger.LogInformation("Fineract: funding savings account exists (id {Id})", savingsId);
        }
        return savingsId;
    }
}
