namespace OneClickSuite.Portal.Suite;

/// <summary>How the portal's API answers with a service's <see cref="Outcome{T}"/>: the value, or a problem with its status.</summary>
public static class OutcomeResults
{
    public static IResult ToResult<T>(this Outcome<T> outcome) => outcome.Succeeded
        ? Results.Json(outcome.Value, statusCode: outcome.Status)
        : Results.Problem(statusCode: outcome.Status, title: outcome.Error);
}
