using OneClickSuite.Clients.Ihris;
using Xunit;

namespace OneClickSuite.Clients.Tests;

public class IhrisPasswordHashTests
{
    [Fact]
    public void Hash_matches_the_one_iHRIS_ships_for_its_default_administrator()
    {
        // iHRIS/iHRIS ihris-backend-site/ig/input/fsh/IhrisUser.fsh: salt and hash of the seeded password "ihris".
        var hash = IhrisUsers.Hash("ihris", "239cfeb1222bfb394549125b234e668e");
        Assert.StartsWith("0da67ef3", hash);
        Assert.EndsWith("f8fa", hash);
        Assert.Equal(128, hash.Length);
    }

    [Fact]
    public void Another_password_or_salt_gives_another_hash()
    {
        var reference = IhrisUsers.Hash("ihris", "239cfeb1222bfb394549125b234e668e");
        Assert.NotEqual(reference, IhrisUsers.Hash("ihris2", "239cfeb1222bfb394549125b234e668e"));
        Assert.NotEqual(reference, IhrisUsers.Hash("ihris", "339cfeb1222bfb394549125b234e668e"));
    }
}
