using System.IO.Compression;

namespace Esteira.Data;

/// <summary>
/// Where the files of a dataset come from: a folder of plain or gzipped CSV files, or one zip archive
/// (as Kaggle serves <c>ashrae-energy-prediction.zip</c>). Opens each file by its logical name.
/// </summary>
public sealed class DatasetSource : IDisposable
{
    private readonly string? _folder;
    private readonly ZipArchive? _zip;

    private DatasetSource(string path, string? folder, ZipArchive? zip)
    {
        Path = path;
        _folder = folder;
        _zip = zip;
    }

    /// <summary>The path the user gave.</summary>
    public string Path { get; }

    /// <summary>Opens a folder or a zip archive; fails with a one-line error when neither exists or the zip is damaged.</summary>
    public static DatasetSource Open(string path)
    {
        if (Directory.Exists(path))
        {
            return new DatasetSource(path, path, null);
        }

        if (!File.Exists(path))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{path}: no such folder or file; expected a folder in the GEPIII layout, the same files gzipped, or one .zip holding them");
        }

        if (!path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{path}: a single file must be a .zip archive; pass the folder that holds train.csv, test.csv, … instead");
        }

        try
        {
            return new DatasetSource(path, null, ZipFile.OpenRead(path));
        }
        catch (InvalidDataException e)
        {
            throw new EsteiraException(ErrorCode.BadInput,
                $"{path}: not a complete zip archive ({e.Message.TrimEnd('.')}); the download is truncated or corrupt, download it again", e);
        }
    }

    /// <summary>The display name of a logical file, e.g. <c>data/train.csv.gz</c> or <c>ashrae.zip!train.csv</c>.</summary>
    public string DisplayName(string fileName) => Locate(fileName).Display;

    /// <summary>True when the dataset holds <paramref name="fileName"/> (plain or gzipped).</summary>
    public bool Has(string fileName) => TryLocate(fileName) is not null;

    /// <summary>Opens <paramref name="fileName"/> for reading, transparently gunzipping <c>.gz</c> files.</summary>
    public Stream OpenRead(string fileName)
    {
        var located = Locate(fileName);
        Stream raw = located.Entry is { } entry
            ? CheckedStream.ZipEntry(entry, located.Display)
            : new FileStream(located.Path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return located.Display.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? CheckedStream.Gzip(raw, located.Display)
            : raw;
    }

    /// <summary>A fingerprint of the file's identity (size and modification time) for cheap change detection.</summary>
    public (long Length, DateTimeOffset Modified) Stat(string fileName)
    {
        var located = Locate(fileName);
        if (located.Entry is { } entry)
        {
            return (entry.Length, entry.LastWriteTime);
        }

        var info = new FileInfo(located.Path!);
        return (info.Length, info.LastWriteTimeUtc);
    }

    /// <inheritdoc />
    public void Dispose() => _zip?.Dispose();

    private Located Locate(string fileName) =>
        TryLocate(fileName) ?? throw new EsteiraException(ErrorCode.BadInput,
            $"{Path}: missing file {fileName} (or {fileName}.gz); a GEPIII dataset needs train.csv, test.csv, building_metadata.csv, weather_train.csv, weather_test.csv and sample_submission.csv");

    private Located? TryLocate(string fileName)
    {
        var found = new List<Located>(1);
        if (_folder is not null)
        {
            foreach (var candidate in new[] { fileName, fileName + ".gz" })
            {
                var full = System.IO.Path.Combine(_folder, candidate);
                if (File.Exists(full))
                {
                    found.Add(new Located(full, full, null));
                }
            }
        }
        else
        {
            foreach (var entry in _zip!.Entries)
            {
                if (entry.Name.Equals(fileName, StringComparison.OrdinalIgnoreCase) ||
                    entry.Name.Equals(fileName + ".gz", StringComparison.OrdinalIgnoreCase))
                {
                    found.Add(new Located($"{Path}!{entry.FullName}", null, entry));
                }
            }
        }

        return found.Count switch
        {
            0 => null,
            1 => found[0],
            // Which one is current is not ours to guess: a stale copy read silently is a wrong result.
            _ => throw new EsteiraException(ErrorCode.BadInput,
                $"{found[0].Display} and {found[1].Display} are both present; keep only one {fileName} (plain or gzipped) in the dataset"),
        };
    }

    private sealed record Located(string Display, string? Path, ZipArchiveEntry? Entry);
}
