using OneClickSuite.Clients.Ihris;
using OneClickSuite.Testing;

namespace OneClickSuite.Benchmarks.Roster;

/// <summary>The benchmark's workforce: worker i is a nurse with a salary at one of three facilities.</summary>
public static class Roster
{
    public const string IdPrefix = "bw-";
    private const int EntriesPerBundle = 500;
    private const int ResourcesPerWorker = 3;

    public static readonly (string Id, string Name)[] Facilities =
        [("bench-facility-1", "Kawempe HC IV"), ("bench-facility-2", "Naguru Hospital"), ("bench-facility-3", "Mulago NRH")];

    public static string WorkerId(int i) => $"{IdPrefix}{i:D6}";

    public static string Given(int i, bool renamed) => renamed ? $"Renamed{i}" : $"Given{i}";

    public static TestWorker Worker(int i, bool renamed) =>
        new(WorkerId(i), $"EMP-{i:D6}", Given(i, renamed), $"Family{i}", $"+2567{i:D8}", Facilities[i % Facilities.Length].Id);

    public static Task PutFacilitiesAsync(IhrisClient ihris, CancellationToken ct) => FhirRoster.PutFacilitiesAsync(ihris, Facilities, ct);

    /// <summary>PUTs the workers as transaction bundles of about 500 entries, <paramref name="parallel"/> bundles at a time.</summary>
    public static async Task PutAsync(IhrisClient ihris, IReadOnlyList<int> workers, bool renamed, int parallel, CancellationToken ct)
    {
        var chunks = workers.Chunk(EntriesPerBundle / ResourcesPerWorker);
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = ct },
            async (chunk, token) => await FhirRoster.PutAsync(ihris, chunk.Select(i => Worker(i, renamed)), token));
    }
}
