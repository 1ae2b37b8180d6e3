namespace OneClickSuite.Clients.Fineract;

public sealed record FineractParameterError(string? Code, string? ParameterName, string? Message);

/// <summary>
/// A Fineract error: the HTTP status, Fineract's <c>userMessageGlobalisationCode</c> and per-parameter errors.
/// </summary>
public sealed class FineractException : UpstreamException
{
    public FineractException(
        string message,
        int? statusCode,
        string? globalisationCode = null,
        IReadOnlyList<FineractParameterError>? errors = null,
        bool servedFromCache = false,
        Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
        GlobalisationCode = globalisationCode;
        Errors = errors ?? [];
        ServedFromCache = servedFromCache;
    }

    /// <summary>Top-level <c>userMessageGlobalisationCode</c>, e.g. <c>validation.msg.validation.errors.exist</c>.</summary>
    public string? GlobalisationCode { get; }

    public IReadOnlyList<FineractParameterError> Errors { get; }

    /// <summary>The answer replays an earlier request with the same Idempotency-Key (header <c>x-served-from-cache</c>).</summary>
    public bool ServedFromCache { get; }

    /// <summary>425: a request with this Idempotency-Key is still being processed; ask again later.</summary>
    public bool IsStillProcessing => StatusCode == 425;

    public override bool IsTransient => base.IsTransient || IsStillProcessing;

    /// <summary>True when the top-level code or any parameter error carries <paramref name="code"/>.</summary>
    public bool HasCode(string code) =>
        GlobalisationCode == code || Errors.Any(e => e.Code == code);
}
