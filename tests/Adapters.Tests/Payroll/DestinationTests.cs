using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OneClickSuite.Clients.Fineract;
using OneClickSuite.Contracts;
using OneClickSuite.Emulators.Fineract;
using OneClickSuite.FineractAdapter.Disbursement;
using OneClickSuite.Testing;

namespace OneClickSuite.Payroll.Tests;

/// <summary>
/// Money goes only to the worker a payment names: the Fineract adapter pays into an account only when Fineract says
/// it belongs to that worker's client (external id = worker id), whatever account the request carries.
/// </summary>
[Collection(SharedBroker.Name)]
public sealed class DestinationTests
{
    private const string Password = "destination-test-password";
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_payment_naming_another_workers_account_is_refused_and_moves_nothing()
    {
        var pg = await PostgresServer.StartSharedAsync();
        var rabbit = await RabbitMqServer.StartSharedAsync();
        var fineractDb = await pg.CreateDatabaseAsync("destination_fineract");
        await using var emulator = EmulatorHost<CommandPipeline>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = fineractDb,
            ["Fineract:SeedPassword"] = Password,
        });
        var fineract = new FineractClient(new HttpClient { BaseAddress = new Uri(emulator.Origin + "/fineract-provider/api/v1/") },
            Options.Create(new FineractOptions { BaseUrl = emulator.Origin, Password = Password }));
        var product = await fineract.CreateSavingsProductAsync("Staff salary account", "STAF", "USD", ct: Ct);
        var paymentType = await fineract.CreatePaymentTypeAsync("Payroll", ct: Ct);
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var funder = await fineract.CreateClientAsync(new NewFineractClient
        {
            LegalForm = FineractLegalForm.Entity, Fullname = "Health Workforce Programme", ExternalId = "funding-programme",
            ActivationDate = today, SavingsProductId = product,
        }, ct: Ct);
        await fineract.DepositAsync(new FineractDeposit(funder.SavingsId!.Value, 10_000m, today, paymentType, "float", null, "float-1"), Ct);
        var amina = await fineract.CreateClientAsync(new NewFineractClient
            { Firstname = "Amina", Lastname = "W1", ExternalId = "w1", ActivationDate = today, SavingsProductId = product }, ct: Ct);
        var peter = await fineract.CreateClientAsync(new NewFineractClient
            { Firstname = "Peter", Lastname = "W2", ExternalId = "w2", ActivationDate = today, SavingsProductId = product }, ct: Ct);

        await using var adapter = ServiceHost.Start<PaymentDisbursement>(new Dictionary<string, string>
        {
            ["ConnectionStrings:suite-db"] = await pg.CreateDatabaseAsync("destination_suite"),
            ["ConnectionStrings:rabbitmq"] = rabbit.ConnectionString,
            ["Fineract:BaseUrl"] = emulator.Origin,
            ["Fineract:Password"] = Password,
            ["Logging:LogLevel:Default"] = "Warning",
        });
        using var scope = adapter.Services.CreateScope();
        var disbursement = scope.ServiceProvider.GetRequiredService<PaymentDisbursement>();
        PaymentRequestedV1 Pay(string worker, long client, long account) => new(Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), worker,
            "EMP-" + worker, 100m, "USD", new DateOnly(today.Year, today.Month, 1), today, client, account, DateTimeOffset.UtcNow);

        // w1's payment with w2's client and account, and with w1's client but w2's account: both refused.
        foreach (var request in new[] { Pay("w1", peter.ClientId, peter.SavingsId!.Value), Pay("w1", amina.ClientId, peter.SavingsId!.Value) })
        {
            var refused = Assert.IsType<PaymentFailedV1>(await disbursement.PayAsync(request, Ct));
            Assert.Equal("destination.not.the.workers", refused.FineractCode);
            Assert.Contains("w1", refused.Reason);
        }
        Assert.Equal(0m, (await fineract.GetSavingsAccountAsync(peter.SavingsId.Value, ct: Ct)).Summary!.AccountBalance);

        // Their own account: paid.
        Assert.IsType<PaymentSettledV1>(await disbursement.PayAsync(Pay("w1", amina.ClientId, amina.SavingsId!.Value), Ct));
        Assert.Equal(100m, (await fineract.GetSavingsAccountAsync(amina.SavingsId.Value, ct: Ct)).Summary!.AccountBalance);
    }
}
