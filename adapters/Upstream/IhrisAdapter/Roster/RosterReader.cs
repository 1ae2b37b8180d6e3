using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Hl7.Fhir.Model;
using OneClickSuite.Clients.Ihris;

namespace OneClickSuite.IhrisAdapter.Roster;

/// <summary>
/// What one read of iHRIS found, a page of workers at a time. <see cref="Complete"/>: the whole roster, so anyone absent
/// has gone. <see cref="HighWaterMark"/>: the newest change seen, known once every page has been read.
/// <see cref="ReadAt"/>: when the read started (set by the caller).
/// </summary>
public sealed class RosterRead
{
    private readonly Func<RosterRead, CancellationToken, IAsyncEnumerable<IReadOnlyList<WorkerSource>>> _pages;

    public RosterRead(Func<RosterRead, CancellationToken, IAsyncEnumerable<IReadOnlyList<WorkerSource>>> pages, bool complete)
    {
        _pages = pages;
        Complete = complete;
    }

    /// <summary>A read already in memory (a few changed workers, or one).</summary>
    public static RosterRead Of(IReadOnlyList<WorkerSource> workers, DateTimeOffset? highWaterMark, bool complete) =>
        new((_, _) => workers.Chunk(RosterReader.ChunkSize).Select(c => (IReadOnlyList<WorkerSource>)c).ToAsyncEnumerable(), complete)
        {
            HighWaterMark = highWaterMark,
        };

    public bool Complete { get; }

    public DateTimeOffset? HighWaterMark { get; private set; }

    public DateTimeOffset? ReadAt { get; set; }

    /// <summary>The workers, page by page; can be read once.</summary>
    public IAsyncEnumerable<IReadOnlyList<WorkerSource>> PagesAsync(CancellationToken ct) => _pages(this, ct);

    internal void Saw(DateTimeOffset? lastUpdated)
    {
        if (lastUpdated is { } updated && (HighWaterMark is null || updated > HighWaterMark)) HighWaterMark = updated;
    }
}

/// <summary>Reads the roster from iHRIS's FHIR API: all of it, what changed since a moment, or one worker.</summary>
public sealed class RosterReader(IhrisClient ihris, RosterOptions options)
{
    private const int PageSize = 200;
    /// <summary>Workers per grouped read; keeps the query string well under common URL limits.</summary>
    private const int GroupSize = 40;

    private const string RoleIncludes = "_include=PractitionerRole:practitioner&_include=PractitionerRole:location";

    /// <summary>Workers handled together: one transaction and, when several changed, one <c>RosterBatchV1</c>.</summary>
    public const int ChunkSize = 500;

    /// <summary>
    /// HAPI loads at most this many included resources per page (JpaStorageSettings
    /// DEFAULT_MAXIMUM_INCLUDES_TO_LOAD_PER_PAGE); a page that reaches it may lack some roles or salary records.
    /// </summary>
    public const int MaxIncludesPerPage = 1000;

    private const string WorkerRevIncludes = "_revinclude=PractitionerRole:practitioner&_revinclude=Basic:practitioner";

    /// <summary>
    /// The whole roster, streamed: every practitioner a page at a time, each page with its practitioners' roles and
    /// salary records (<c>_revinclude</c>), so a page holds whole workers and nothing of it is kept once it has been
    /// handed on (only the facilities, fetched once each, stay for the read). Pages are handed on in chunks of
    /// <see cref="ChunkSize"/> workers. A page whose includes reach HAPI's limit is read again worker group by group.
    /// </summary>
    public RosterRead ReadAll() => new(ReadAllPagesAsync, complete: true);

    private async IAsyncEnumerable<IReadOnlyList<WorkerSource>> ReadAllPagesAsync(RosterRead read, [EnumeratorCancellation] CancellationToken ct)
    {
        var locations = new Dictionary<string, Location>(StringComparer.Ordinal);
        var asked = new HashSet<string>(StringComparer.Ordinal);
        var chunk = new List<WorkerSource>(ChunkSize);
        await foreach (var bundle in ihris.SearchPagesAsync($"Practitioner?{WorkerRevIncludes}&_count={PageSize}", ct))
        {
            var page = new RosterPages(locations);
            var ids = new List<string>();
            var included = 0;
            foreach (var entry in bundle.Entry)
            {
                if (entry.Resource is not { } resource) continue;
                if (entry.Search?.Mode == Bundle.SearchEntryMode.Include) included++;
                else if (resource is Practitioner { Id: { } id }) ids.Add(id);
                page.Add(resource);
                read.Saw(resource.Meta?.LastUpdated);
            }
            if (included >= MaxIncludesPerPage)
            {
                chunk.AddRange(await ReadWorkersAsync(ids, ct));
            }
            else
            {
                await AddLocationsAsync(page, locations, asked, ct);
                chunk.AddRange(ids.Select(page.SourceOf));
            }
            if (chunk.Count >= ChunkSize)
            {
                yield return chunk;
                chunk = new List<WorkerSource>(ChunkSize);
            }
        }
        if (chunk.Count > 0) yield return chunk;
    }

    /// <summary>The facilities the page's roles point at that this read has not fetched yet, a group at a time.</summary>
    private async System.Threading.Tasks.Task AddLocationsAsync(RosterPages page, Dictionary<string, Location> locations, HashSet<string> asked,
        CancellationToken ct)
    {
        var missing = page.Roles.Values.SelectMany(roles => roles).SelectMany(role => role.Location)
            .Select(l => l.Reference?.Split('/').Last())
            .Where(id => !string.IsNullOrEmpty(id) && asked.Add(id!))
            .Select(id => id!)
            .ToList();
        foreach (var group in missing.Chunk(GroupSize))
        {
            await foreach (var bundle in ihris.SearchPagesAsync($"Location?_id={string.Join(",", group.Select(Uri.EscapeDataString))}&_count={PageSize}", ct))
            {
                foreach (var location in bundle.Entry.Select(e => e.Resource).OfType<Location>())
                {
                    if (location.Id is not null) locations[location.Id] = location;
                }
            }
        }
    }

    /// <summary>
    /// Workers touched since <paramref name="since"/> (a role, the practitioner or a salary record changed), each read
    /// whole; null when so many changed that a full read is cheaper.
    /// </summary>
    public async Task<RosterRead?> ReadChangedAsync(DateTimeOffset since, CancellationToken ct)
    {
        var from = Uri.EscapeDataString("gt" + since.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        var changes = new RosterPages();
        await changes.AddAsync(ihris.SearchPagesAsync($"PractitionerRole?_lastUpdated={from}&_count={PageSize}", ct));
        await changes.AddAsync(ihris.SearchPagesAsync($"Practitioner?_lastUpdated={from}&_count={PageSize}", ct));
        await changes.AddAsync(ihris.SearchPagesAsync($"Basic?_lastUpdated={from}&_count={PageSize}", ct));

        var touched = changes.Roles.Keys.Concat(changes.Practitioners.Keys).Concat(changes.SalariesByPractitioner.Keys)
            .ToHashSet(StringComparer.Ordinal);
        // A search never returns a deleted resource, so deletions come from the history: a deleted practitioner is
        // re-read (and leaves); a deleted role's practitioner is found in the role's last version and re-read.
        touched.UnionWith(await DeletedSinceAsync("Practitioner", since, ct));
        touched.UnionWith(await DeletedSinceAsync("PractitionerRole", since, ct));
        if (touched.Count > options.FullSyncThreshold)
        {
            return null;
        }

        var workers = await ReadWorkersAsync(touched, ct);
        return RosterRead.Of(workers.OrderBy(w => w.PractitionerId, StringComparer.Ordinal).ToList(), changes.HighWaterMark, complete: false);
    }

    private async Task<List<string>> DeletedSinceAsync(string resourceType, DateTimeOffset since, CancellationToken ct)
    {
        var practitioners = new List<string>();
        await foreach (var page in ihris.HistorySinceAsync(resourceType, since, PageSize, ct))
        {
            foreach (var entry in page.Entry.Where(e => e.Request?.Method == Bundle.HTTPVerb.DELETE))
            {
                // request.url: "{type}/{id}" or "{type}/{id}/_history/{version}"
                var parts = (entry.Request!.Url ?? "").Split('/');
                if (parts.Length < 2) continue;
                var id = parts[1];
                if (resourceType == "Practitioner")
                {
                    practitioners.Add(id);
                }
                else if (parts.Length >= 4 && int.TryParse(parts[3], out var deletedVersion) && deletedVersion > 1
                         && await ihris.ReadVersionAsync<PractitionerRole>(id, deletedVersion - 1, ct) is { Practitioner.Reference: { } reference })
                {
                    practitioners.Add(RosterPages.IdOf(reference));
                }
            }
        }
        return practitioners;
    }

    /// <summary>
    /// Several workers read whole, a group at a time: the roles (with practitioner and location), the salary records and
    /// any practitioner without a role, each as one search with OR-ed values — three requests per group instead of
    /// three per worker.
    /// </summary>
    public async Task<IReadOnlyCollection<WorkerSource>> ReadWorkersAsync(IEnumerable<string> practitionerIds, CancellationToken ct)
    {
        var workers = new ConcurrentBag<WorkerSource>();
        await Parallel.ForEachAsync(practitionerIds.Chunk(GroupSize), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct },
            async (group, token) =>
            {
                var references = string.Join(",", group.Select(id => Uri.EscapeDataString($"Practitioner/{id}")));
                var pages = new RosterPages();
                await pages.AddAsync(ihris.SearchPagesAsync($"PractitionerRole?practitioner={references}&{RoleIncludes}&_count={PageSize}", token));
                await pages.AddAsync(ihris.SearchPagesAsync($"Basic?practitioner={references}&_count={PageSize}", token));
                var withoutRole = group.Where(id => !pages.Practitioners.ContainsKey(id)).ToList();
                if (withoutRole.Count > 0)
                {
                    await pages.AddAsync(ihris.SearchPagesAsync(
                        $"Practitioner?_id={string.Join(",", withoutRole.Select(Uri.EscapeDataString))}&_count={PageSize}", token));
                }
                foreach (var id in group) workers.Add(pages.SourceOf(id));
            });
        return workers;
    }

    public async Task<WorkerSource> ReadWorkerAsync(string practitionerId, CancellationToken ct)
    {
        var reference = Uri.EscapeDataString($"Practitioner/{practitionerId}");
        var pages = new RosterPages();
        await pages.AddAsync(ihris.SearchPagesAsync($"PractitionerRole?practitioner={reference}&{RoleIncludes}&_count={PageSize}", ct));
        await pages.AddAsync(ihris.SearchPagesAsync($"Basic?practitioner={reference}&_count={PageSize}", ct));
        if (!pages.Practitioners.ContainsKey(practitionerId) && await ihris.ReadAsync<Practitioner>(practitionerId, ct) is { } practitioner)
        {
            pages.Practitioners[practitionerId] = practitioner;
        }
        return pages.SourceOf(practitionerId);
    }

    /// <summary>Resources from search pages, grouped by the practitioner they belong to.</summary>
    private sealed class RosterPages(Dictionary<string, Location>? locations = null)
    {
        public Dictionary<string, List<PractitionerRole>> Roles { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Practitioner> Practitioners { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Location> Locations { get; } = locations ?? new(StringComparer.Ordinal);
        public Dictionary<string, List<Basic>> SalariesByPractitioner { get; } = new(StringComparer.Ordinal);
        public DateTimeOffset? HighWaterMark { get; private set; }

        public async System.Threading.Tasks.Task AddAsync(IAsyncEnumerable<Bundle> pages)
        {
            await foreach (var page in pages)
            {
                foreach (var resource in page.Entry.Select(e => e.Resource).OfType<Resource>())
                {
                    Add(resource);
                }
            }
        }

        public void Add(Resource resource)
        {
            if (resource.Meta?.LastUpdated is { } updated && (HighWaterMark is null || updated > HighWaterMark))
            {
                HighWaterMark = updated;
            }
            switch (resource)
            {
                case PractitionerRole role when role.Practitioner?.Reference is { } reference:
                    var roles = GetOrAdd(Roles, IdOf(reference));
                    if (roles.All(r => r.Id != role.Id)) roles.Add(role);
                    break;
                case Practitioner { Id: not null } practitioner:
                    Practitioners[practitioner.Id!] = practitioner;
                    break;
                case Location { Id: not null } location:
                    Locations[location.Id!] = location;
                    break;
                case Basic basic when basic.GetExtensionValue<ResourceReference>(WorkerRecordBuilder.PractitionerReferenceExtension)?.Reference is { } owner:
                    var salaries = GetOrAdd(SalariesByPractitioner, IdOf(owner));
                    if (salaries.All(s => s.Id != basic.Id)) salaries.Add(basic);
                    break;
            }
        }

        public WorkerSource SourceOf(string practitionerId) => new(
            practitionerId,
            Practitioners.GetValueOrDefault(practitionerId),
            Roles.GetValueOrDefault(practitionerId) ?? [],
            Locations,
            SalariesByPractitioner.GetValueOrDefault(practitionerId) ?? []);

        private static List<T> GetOrAdd<T>(Dictionary<string, List<T>> map, string key)
        {
            if (!map.TryGetValue(key, out var list))
            {
                map[key] = list = [];
            }
            return list;
        }

        internal static string IdOf(string reference) => reference.Split('/', StringSplitOptions.RemoveEmptyEntries) switch
        {
            [.., var type, var id] when type == "Practitioner" => id,
            [.., var id] => id,
            _ => reference,
        };
    }
}
