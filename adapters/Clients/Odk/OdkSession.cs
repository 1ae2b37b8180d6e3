namespace OneClickSuite.Clients.Odk;

/// <summary>The Central session token, shared by every <see cref="OdkClient"/> of the process (tokens live 24 h).</summary>
public sealed class OdkSession
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _token;

    internal string? Token => Volatile.Read(ref _token);

    internal async Task<string> RenewAsync(string? staleToken, Func<Task<string>> login)
    {
        await _gate.WaitAsync();
        try
        {
            // Another caller may have renewed it while this one waited.
            if (_token is not null && _token != staleToken)
            {
                return _token;
            }
            var token = await login();
            Volatile.Write(ref _token, token);
            return token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
