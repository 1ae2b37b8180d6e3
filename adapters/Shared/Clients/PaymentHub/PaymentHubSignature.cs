using System.Numerics;
using System.Security.Cryptography;
using System.Text;

namespace OneClickSuite.Clients.PaymentHub;

/// <summary>
/// PH-EE's <c>X-SIGNATURE</c> (ph-ee-connector-common <c>WebSignatureInterceptor.preHandle</c>,
/// <c>JWSUtil.getDataToBeHashed</c>, <c>JsonWebSignatureService.verify</c>, <c>SecurityUtil</c>): the values of
/// <c>X-BatchID</c>, <c>X-CorrelationID</c>, <c>Platform-TenantId</c> (those present, in that order) each followed by
/// ":", then the payload; its SHA3-256 as lower-case hex; that text encrypted with the tenant's RSA private key
/// (Java <c>Cipher "RSA"</c>: PKCS#1 v1.5 block type 1) and Base64-encoded.
/// </summary>
public static class PaymentHubSignature
{
    public static readonly string[] HeaderOrder = ["X-BatchID", "X-CorrelationID", "Platform-TenantId"];

    /// <summary>The text hashed: present header values joined with ":" then the payload (no trailing ":" without one).</summary>
    public static string DataToHash(IReadOnlyList<string?> headerValuesInOrder, string? payload)
    {
        var data = new StringBuilder();
        foreach (var value in headerValuesInOrder)
        {
            if (value is not null) data.Append(value).Append(':');
        }
        if (!string.IsNullOrEmpty(payload)) data.Append(payload);
        else if (data.Length > 0) data.Length--;
        return data.ToString();
    }

    /// <summary>
    /// The payload of a multipart request as PH-EE reads it (<c>JWSUtil.parseFormData</c>): the part's lines up to the
    /// first empty one, each followed by "\n", the whole trimmed.
    /// </summary>
    public static string MultipartPayload(string partContent)
    {
        var text = new StringBuilder();
        foreach (var line in partContent.Replace("\r\n", "\n").Split('\n'))
        {
            if (line.Length == 0) break;
            text.Append(line).Append('\n');
        }
        return text.ToString().Trim();
    }

    public static string Hash(string data) =>
        Convert.ToHexStringLower(SHA3_256.HashData(Encoding.UTF8.GetBytes(data)));

    /// <summary>Signs <paramref name="data"/> with a Base64 PKCS#8 RSA private key.</summary>
    public static string Sign(string data, string privateKeyPkcs8Base64)
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(privateKeyPkcs8Base64), out _);
        var key = rsa.ExportParameters(true);
        var message = Encoding.UTF8.GetBytes(Hash(data));
        var k = key.Modulus!.Length;
        if (message.Length > k - 11) throw new ArgumentException("RSA key too small for the signature", nameof(privateKeyPkcs8Base64));
        var block = new byte[k];
        block[1] = 0x01;
        for (var i = 2; i < k - message.Length - 1; i++) block[i] = 0xFF;
        message.CopyTo(block, k - message.Length);
        var signed = BigInteger.ModPow(Unsigned(block), Unsigned(key.D!), Unsigned(key.Modulus));
        return Convert.ToBase64String(Fixed(signed, k));
    }

    /// <summary>
    /// Recovers the signed text with the public key (what PH-EE compares with the hash); null when the signature is
    /// not a type-1 block under that key.
    /// </summary>
    public static string? Recover(string signatureBase64, RSAParameters publicKey)
    {
        var k = publicKey.Modulus!.Length;
        var raw = Convert.FromBase64String(signatureBase64);
        var block = Fixed(BigInteger.ModPow(Unsigned(raw), Unsigned(publicKey.Exponent!), Unsigned(publicKey.Modulus)), k);
        if (block[0] != 0 || block[1] != 1) return null;
        var i = 2;
        while (i < k && block[i] == 0xFF) i++;
        if (i >= k || block[i] != 0 || i < 10) return null;
        return Encoding.UTF8.GetString(block, i + 1, k - i - 1);
    }

    private static BigInteger Unsigned(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    private static byte[] Fixed(BigInteger value, int length)
    {
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        if (bytes.Length == length) return bytes;
        var padded = new byte[length];
        bytes.CopyTo(padded, length - bytes.Length);
        return padded;
    }
}
