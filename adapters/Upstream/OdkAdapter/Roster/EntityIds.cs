using System.Security.Cryptography;
using System.Text;

namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// Entity uuids derived from (project, worker) the way RFC 9562 version-5 UUIDs are (SHA-1 of a namespace and a
/// name): a re-sync, a replay or another replica computes the same uuid, so Central (where uuids are unique across
/// the whole server) never gets a duplicate. The version nibble says 4, because Central accepts only version-4
/// uuids (400.11 "expected (uuid) to be (valid version 4 UUID)").
/// </summary>
public static class EntityIds
{
    /// <summary>Namespace of the suite's health-worker entities (a fixed random UUID).</summary>
    private static readonly Guid Namespace = new("6f1c2a4e-9b7d-4c3e-8a5f-2d1e0b9c7a63");

    /// <summary>
    /// <paramref name="generation"/> counts how often the worker's entity was deleted (they left and came back):
    /// Central keeps a deleted entity's uuid for good, so a returning worker gets the next one.
    /// </summary>
    public static Guid ForWorker(long projectId, string workerId, int generation = 0)
    {
        var name = Encoding.UTF8.GetBytes(generation == 0 ? $"{projectId}:{workerId}" : $"{projectId}:{workerId}:{generation}");
        var input = new byte[16 + name.Length];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
        var hash = SHA1.HashData(input);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x40); // version 4, as Central requires
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
