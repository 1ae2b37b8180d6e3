extern alias FineractEmulator;

using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using OneClickSuite.Testing;
using FineractProgram = FineractEmulator::Program;

namespace OneClickSuite.Benchmarks.Emulators;

/// <summary>Fineract's hottest call: a deposit into a savings account, with an Idempotency-Key as the suite sends it.</summary>
public static class FineractBench
{
    private const string Password = "bench-password";
    private const string Api = "fineract-provider/api/v1/";

    public static async Task<IReadOnlyList<Measurement>> RunAsync(string connectionString, LoadSettings settings, List<string> notes)
    {
        await using var host = EmulatorHost<FineractProgram>.Start(_ => new Dictionary<string, string>
        {
            ["ConnectionStrings:fineract-default"] = connectionString,
            ["Fineract:SeedPassword"] = Password,
        });
        using var http = host.NewClient(settings.Clients);
        http.DefaultRequestHeaders.Add("Fineract-Platform-TenantId", "default");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"mifos:{Password}")));

        var product = Http.Expect("create savings product", await Http.PostAsync(http, Api + "savingsproducts", Http.Json("""
            {"name":"Health worker wallet","shortName":"HWW","currencyCode":"USD","digitsAfterDecimal":2,"inMultiplesOf":1,
             "nominalAnnualInterestRate":0,"interestCompoundingPeriodType":1,"interestPostingPeriodType":4,
             "interestCalculationType":1,"interestCalculationDaysInYearType":365,"accountingRule":1,"locale":"en"}
            """))).GetProperty("resourceId").GetInt64();
        var accounts = new long[settings.Clients + 1];
        for (var i = 0; i < accounts.Length; i++)
        {
            var client = Http.Expect("create client with savings account", await Http.PostAsync(http, Api + "clients", Http.Json($$"""
                {"officeId":1,"legalFormId":1,"firstname":"Worker","lastname":"No{{i}}","externalId":"bench-{{i}}",
                 "active":true,"activationDate":"2024-01-15","dateFormat":"yyyy-MM-dd","locale":"en","savingsProductId":{{product}}}
                """)));
            accounts[i] = client.GetProperty("savingsId").GetInt64();
        }
        var shared = accounts[^1];

        var results = new List<Measurement>();
        var deposited = new long[accounts.Length];
        results.Add(await LoadRun.RunAsync("fineract.deposit.account-per-client", "Fineract",
            "deposit, each client its own account", settings, c => Deposit(http, accounts[c], deposited, c)));
        results.Add(await LoadRun.RunAsync("fineract.deposit.shared-account", "Fineract",
            "deposit, all clients one account", settings, _ => Deposit(http, shared, deposited, accounts.Length - 1)));

        // Every answered deposit must be in the balance exactly once, whatever the concurrency.
        for (var i = 0; i < accounts.Length; i++)
        {
            var account = Http.Expect("get savings account", await Http.GetAsync(http, $"{Api}savingsaccounts/{accounts[i]}"));
            var balance = account.GetProperty("summary").GetProperty("accountBalance").GetDecimal();
            if (balance != deposited[i])
                notes.Add($"Fineract: account {accounts[i]} balance {balance} but {deposited[i]} deposits of 1.00 were answered 200.");
        }
        return results;
    }

    private static Call Deposit(HttpClient http, long savingsId, long[] deposited, int slot)
    {
        var url = $"{Api}savingsaccounts/{savingsId}/transactions?command=deposit";
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var body = $$"""{"transactionDate":"{{today}}","transactionAmount":1.00,"paymentTypeId":1,"dateFormat":"yyyy-MM-dd","locale":"en"}""";
        return async () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = Http.Json(body) };
            // The suite's key: "pay-" and the payment id (PaymentReference in adapters/Shared/Contracts).
            request.Headers.Add("Idempotency-Key", "pay-" + Guid.NewGuid().ToString("N"));
            var answer = await Http.SendAsync(http, request);
            if (answer.Status != 200) return Http.Failure(answer);
            Interlocked.Increment(ref deposited[slot]);
            return CallOutcome.Success(1);
        };
    }
}
