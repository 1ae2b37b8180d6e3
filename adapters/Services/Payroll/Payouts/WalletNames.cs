using System.Globalization;
using System.Text;

namespace OneClickSuite.Payroll.Payouts;

/// <summary>Who holds a wallet, as its provider says: null when the provider knows no such wallet.</summary>
public interface IWalletDirectory
{
    /// <summary>False where no mobile money provider is configured: wallets cannot be destinations then.</summary>
    bool Available { get; }

    Task<string?> HolderNameAsync(string msisdn, CancellationToken ct);
}

/// <summary>
/// Whether the name on a wallet is the worker's: both are cut into words (letters and digits, accents and case
/// ignored), and the two sets of words must be the same. "NAKATO Amina" is "Amina Nakato"; "Amina N." is not, nor is
/// "Amina Nakato Okello": a different or longer name is for a person to look at, never guessed to be the same.
/// </summary>
public static class WalletNames
{
    public static bool SamePerson(string workerName, string holderName) =>
        Words(workerName).SetEquals(Words(holderName)) && Words(workerName).Count > 0;

    public static HashSet<string> Words(string name)
    {
        var plain = new StringBuilder();
        foreach (var c in name.Normalize(NormalizationForm.FormD))
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark) continue;
            plain.Append(char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : ' ');
        }
        return plain.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }
}

/// <summary>Where no mobile money provider is connected: wallets cannot be destinations.</summary>
public sealed class NoWalletDirectory : IWalletDirectory
{
    public bool Available => false;

    public Task<string?> HolderNameAsync(string msisdn, CancellationToken ct) => Task.FromResult<string?>(null);
}

/// <summary>The connected provider's answer (GSMA <c>GET /accounts/msisdn/{msisdn}/accountname</c>), read-only.</summary>
public sealed class ProviderWalletDirectory(OneClickSuite.Clients.MobileMoney.MobileMoneyClient provider) : IWalletDirectory
{
    public bool Available => true;

    public async Task<string?> HolderNameAsync(string msisdn, CancellationToken ct) =>
        (await provider.GetAccountHolderNameAsync("msisdn", msisdn, ct))?.FullName;
}
