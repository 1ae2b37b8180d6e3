using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using System.Xml;
using System.Xml.Linq;
using OneClickSuite.Emulators.OdkCentral.Infrastructure;

namespace OneClickSuite.Emulators.OdkCentral.Forms;

/// <summary>One node of the form's main instance: a group, a repeat or a leaf with its bind type.</summary>
public sealed record FormField(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("children")] List<FormField>? Children);

public sealed record FormAttachment(string Name, string Type);

/// <summary>What the emulator needs from an XForm: identity, title, fields (for OData) and attachments.</summary>
public sealed record XForm(
    string XmlFormId, string Version, string? Name, List<FormField> Fields, List<FormAttachment> Attachments,
    string Md5, string Sha1, string Sha256)
{
    private static readonly XNamespace XForms = "http://www.w3.org/2002/xforms";
    private static readonly XNamespace XHtml = "http://www.w3.org/1999/xhtml";

    public static XForm Parse(string xml)
    {
        XDocument document;
        try
        {
            document = XDocument.Parse(xml);
        }
        catch (XmlException)
        {
            // lib/model/frames/form.js fromXml finds no form id in what is not XML: 400.2 formId.
            throw Problems.MissingParameter("formId");
        }

        var model = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "model");
        var mainInstance = model?.Elements().FirstOrDefault(e => e.Name.LocalName == "instance");
        var root = mainInstance?.Elements().FirstOrDefault();
        if (model is null || root is null) throw Problems.MissingParameter("formId");
        var xmlFormId = root.Attribute("id")?.Value;
        if (string.IsNullOrWhiteSpace(xmlFormId)) throw Problems.MissingParameter("formId");

        var title = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "title" && e.Parent?.Name.LocalName == "head")?.Value;

        var bindTypes = model.Elements().Where(e => e.Name.LocalName == "bind")
            .Select(b => (Nodeset: b.Attribute("nodeset")?.Value, Type: b.Attribute("type")?.Value))
            .Where(b => b.Nodeset is not null)
            .GroupBy(b => b.Nodeset!)
            .ToDictionary(g => g.Key, g => g.Last().Type ?? "string");
        var repeats = document.Descendants().Where(e => e.Name.LocalName == "repeat")
            .Select(r => r.Attribute("nodeset")?.Value).OfType<string>().ToHashSet();

        var rootPath = "/" + root.Name.LocalName;
        var fields = Distinct(root.Elements()).Select(e => ReadField(e, rootPath, bindTypes, repeats)).ToList();

        var attachments = new List<FormAttachment>();
        foreach (var instance in model.Elements().Where(e => e.Name.LocalName == "instance").Skip(1))
        {
            var src = instance.Attribute("src")?.Value;
            if (src is null) continue;
            var fileName = src[(src.LastIndexOf('/') + 1)..];
            if (src.StartsWith("jr://file-csv/", StringComparison.Ordinal) || src.StartsWith("jr://file/", StringComparison.Ordinal))
                attachments.Add(new FormAttachment(fileName, "file"));
        }

        var bytes = Encoding.UTF8.GetBytes(xml);
        return new XForm(xmlFormId, root.Attribute("version")?.Value ?? "", string.IsNullOrWhiteSpace(title) ? null : title,
            fields, attachments.DistinctBy(a => a.Name).ToList(),
            Convert.ToHexStringLower(MD5.HashData(bytes)),
            Convert.ToHexStringLower(SHA1.HashData(bytes)),
            Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>A repeat's template and its first instance share a name: the schema needs it once.</summary>
    private static IEnumerable<XElement> Distinct(IEnumerable<XElement> elements) => elements.DistinctBy(e => e.Name.LocalName);

    private static FormField ReadField(XElement element, string parentPath, Dictionary<string, string> bindTypes, HashSet<string> repeats)
    {
        var path = parentPath + "/" + element.Name.LocalName;
        if (repeats.Contains(path))
            return new FormField(element.Name.LocalName, path, "repeat",
                Distinct(element.Elements()).Select(e => ReadField(e, path, bindTypes, repeats)).ToList());
        if (element.HasElements)
            return new FormField(element.Name.LocalName, path, "structure",
                Distinct(element.Elements()).Select(e => ReadField(e, path, bindTypes, repeats)).ToList());
        return new FormField(element.Name.LocalName, path, bindTypes.GetValueOrDefault(path, "string"), null);
    }
}
