using System.Security.Cryptography;
using System.Text;

namespace OneClickSuite.OdkAdapter.Roster;

/// <summary>
/// Entity uuids derived from (project, worker) as RFC 9562 version-5 UUIDs: a re-sync, a replay or another replica
/// computes the same uuid, so Central (where uuids are unique across the whole server) never gets a duplicate.
/// </summary>
public static class EntityIds
{
    /// <summary>Namespace of the suite's health-worker entities (a fixed random UUID).</summary>
    private static readonly Guid Namespace = new("6f1c2a4e-9b7d-4c3e-8a5f-2d1e0b9c7a63");

    public static Guid ForWorker(long projectId, string workerId)
    {
        var name = Encoding.UTF8.GetBytes($"{projectId}:{workerId}");
        var input = new byte[16 + name.Length];
        Namespace.TryWriteBytes(input, bigEndian: true, out _);
        name.CopyTo(input, 16);
        var hash = SHA1.HashData(input);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
