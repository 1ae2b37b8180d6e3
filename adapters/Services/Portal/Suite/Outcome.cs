namespace OneClickSuite.Portal.Suite;

/// <summary>How an action ended: <see cref="Status"/> is the HTTP status the portal's API answers with.</summary>
public sealed record Outcome<T>(int Status, string? Error, T? Value)
{
    public bool Succeeded => Status is >= 200 and < 300;

    public static Outcome<T> Ok(T value, int status = 200) => new(status, null, value);

    public static Outcome<T> Refused(int status, string error) => new(status, error, default);

    public IResult ToResult() => Succeeded
        ? Results.Json(Value, statusCode: Status)
        : Results.Problem(statusCode: Status, title: Error);
}
