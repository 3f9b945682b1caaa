using System.IO.Compression;

namespace Esteira.Testing;

/// <summary>
/// A temporary folder holding the <see cref="TinyGepiii"/> dataset in <see cref="Data"/>, deleted at dispose; any file
/// can be replaced or edited to inject a fault.
/// </summary>
public sealed class TempDataset : IDisposable
{
    private readonly TempFolder _folder = new();

    public TempDataset()
    {
        Data = _folder.Combine("data");
        Out = _folder.Combine("out");
        TinyGepiii.WriteTo(Data);
    }

    public string Root => _folder.Path;
    public string Data { get; }
    public string Out { get; }

    public TempDataset Write(string name, string text)
    {
        File.WriteAllText(Path.Combine(Data, name), text);
        return this;
    }

    /// <summary>Appends a line to one of the files.</summary>
    public TempDataset Append(string name, string line)
    {
        File.AppendAllText(Path.Combine(Data, name), line + "\n");
        return this;
    }

    /// <summary>Replaces the first occurrence of <paramref name="from"/> in a file.</summary>
    public TempDataset Replace(string name, string from, string to)
    {
        var path = Path.Combine(Data, name);
        var text = File.ReadAllText(path);
        var at = text.IndexOf(from, StringComparison.Ordinal);
        if (at < 0)
        {
            throw new ArgumentException($"'{from}' not in {name}", nameof(from));
        }

        File.WriteAllText(path, string.Concat(text.AsSpan(0, at), to, text.AsSpan(at + from.Length)));
        return this;
    }

    /// <summary>The data folder as a zip beside it.</summary>
    public string Zip(string name = "data.zip")
    {
        var zip = Path.Combine(Root, name);
        ZipFile.CreateFromDirectory(Data, zip);
        return zip;
    }

    public void Dispose() => _folder.Dispose();
}
