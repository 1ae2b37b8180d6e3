namespace OneClickSuite.Testing;

/// <summary>A server started at most once per test process, however many tests ask for it at once.</summary>
internal sealed class OncePerProcess<T>(Func<Task<T>> start) where T : class
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _value;

    public async Task<T> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _value ??= await start();
        }
        finally
        {
            _gate.Release();
        }
    }
}
