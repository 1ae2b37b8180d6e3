using OneClickSuite.Clients.Ihris;
using OneClickSuite.Testing;
using Task = System.Threading.Tasks.Task;

namespace OneClickSuite.Roster.Tests;

/// <summary>The roster tests' workers (ids unique per run) and facilities.</summary>
public static class RosterData
{
    public const string ChwJobCode = "3229-3A";
    public static readonly (string Id, string Name)[] Facilities = [("t-facility-1", "Kawempe HC IV"), ("t-facility-2", "Naguru Hospital")];
    private static int _counter = Random.Shared.Next(100_000, 900_000);

    public static TestWorker NewWorker(string prefix, bool chw = false)
    {
        var n = Interlocked.Increment(ref _counter);
        return new TestWorker($"{prefix}-{n}", $"EMP-{n}", "Given" + n, "Family" + n, $"+2567{n:D8}", Facilities[n % 2].Id,
            chw ? ChwJobCode : "2230-1B", chw ? "Environmental Health Worker" : "Nurse", chw ? null : "850.00");
    }

    public static Task PutFacilitiesAsync(IhrisClient ihris) => FhirRoster.PutFacilitiesAsync(ihris, Facilities);

    public static Task PutAsync(IhrisClient ihris, TestWorker worker, string? locationId = null) =>
        FhirRoster.PutResourcesAsync(ihris, FhirRoster.Resources(worker, locationId));

    public static Task PutManyAsync(IhrisClient ihris, IEnumerable<TestWorker> workers) => FhirRoster.PutAsync(ihris, workers);
}

/// <summary>What the tests wrote to iHRIS: the roster the suite must converge on.</summary>
public sealed class RosterModel
{
    private readonly Dictionary<string, TestWorker> _workers = new(StringComparer.Ordinal);

    public void Set(TestWorker worker)
    {
        lock (_workers) _workers[worker.Id] = worker;
    }

    public IReadOnlyList<TestWorker> All
    {
        get { lock (_workers) return _workers.Values.ToList(); }
    }
}
