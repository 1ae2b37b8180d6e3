namespace OneClickSuite.Clients.MobileMoney;

/// <summary>A failed call to the mobile money provider, with its errorObject when it sent one.</summary>
public sealed class MobileMoneyException : UpstreamException
{
    public MobileMoneyException(string message, int? statusCode, MmError? error = null, Exception? innerException = null)
        : base(message, statusCode, innerException)
    {
        Error = error;
    }

    public MmError? Error { get; }

    /// <summary>
    /// 400 businessRule/duplicateRequest: a request with this X-CorrelationID reached the provider before (maybe the
    /// caller's own earlier attempt whose answer was lost). Find what it created with FindResponseLinkAsync.
    /// </summary>
    public bool IsDuplicateRequest => string.Equals(Error?.ErrorCode, "duplicateRequest", StringComparison.OrdinalIgnoreCase);

    /// <summary>400 businessRule/incorrectState (e.g. approving a batch that is not "created").</summary>
    public bool IsIncorrectState => string.Equals(Error?.ErrorCode, "incorrectState", StringComparison.OrdinalIgnoreCase);

    /// <summary>5xx, 408, 429 and no answer at all; a 400/401/404 fails the same way again.</summary>
    public override bool IsTransient => base.IsTransient;
}
