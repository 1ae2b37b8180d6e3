namespace OneClickSuite.Clients;

/// <summary>
/// A failed call to an upstream system. <see cref="IsTransient"/> tells a caller whether the same request may
/// succeed later (server errors, timeouts, lost connections) or will fail again until something changes (4xx).
/// </summary>
public abstract class UpstreamException : Exception
{
    protected UpstreamException(string message, int? statusCode, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
    }

    /// <summary>The HTTP status, or null when no response arrived (timeout, connection refused).</summary>
    public int? StatusCode { get; }

    public virtual bool IsTransient => StatusCode is null or >= 500 or 408 or 429;
}
