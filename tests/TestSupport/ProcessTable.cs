using System.Globalization;

namespace OneClickSuite.Testing;

/// <summary>One process as /proc/&lt;pid&gt;/stat shows it: its parent, its name, and its CPU time in core-seconds.</summary>
/// <param name="CpuSeconds">User and system time of the process itself.</param>
/// <param name="ReapedChildrenCpuSeconds">User and system time of its children that ended and were reaped.</param>
public sealed record ProcessEntry(int Pid, int Parent, string Name, double CpuSeconds, double ReapedChildrenCpuSeconds);

/// <summary>The machine's processes at one moment, read from /proc (Linux), for tests and benchmarks that must find a server's process tree.</summary>
public sealed class ProcessTable
{
    private ProcessTable(IReadOnlyDictionary<int, ProcessEntry> entries) => Entries = entries;

    public IReadOnlyDictionary<int, ProcessEntry> Entries { get; }

    public static ProcessTable Read()
    {
        var entries = new Dictionary<int, ProcessEntry>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && Entry(pid) is { } entry) entries[pid] = entry;
        }
        return new ProcessTable(entries);
    }

    /// <summary>One process, or null when it has ended (or was never there).</summary>
    public static ProcessEntry? Entry(int pid)
    {
        try
        {
            // "pid (name) state ppid …": the name may hold spaces and parentheses, so split after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var open = stat.IndexOf('(');
            var close = stat.LastIndexOf(')');
            var rest = stat[(close + 2)..].Split(' ');
            double Ticks(int field) => double.Parse(rest[field], CultureInfo.InvariantCulture) / 100;
            return new ProcessEntry(pid, int.Parse(rest[1], CultureInfo.InvariantCulture), stat[(open + 1)..close],
                Ticks(11) + Ticks(12), Ticks(13) + Ticks(14));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
            return null; // it ended while it was read
        }
    }

    /// <summary><paramref name="roots"/> and every process below them.</summary>
    public HashSet<int> TreeOf(IEnumerable<int> roots)
    {
        var tree = new HashSet<int>(roots);
        var grown = true;
        while (grown)
        {
            grown = false;
            foreach (var entry in Entries.Values)
            {
                if (tree.Contains(entry.Parent) && tree.Add(entry.Pid)) grown = true;
            }
        }
        return tree;
    }

    public HashSet<int> TreeOf(int root) => TreeOf([root]);
}
