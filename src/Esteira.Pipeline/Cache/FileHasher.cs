using System.Security.Cryptography;
using System.Text.Json;

namespace Esteira.Pipeline.Cache;

/// <summary>
/// SHA-256 of files, remembered by (path, size, modification time) in <c>hashes.json</c>, so that an unchanged
/// multi-gigabyte file is hashed once, not on every run. .NET does not expose inode numbers portably, so a file
/// replaced by another of the same size and the same modification time would not be re-hashed (touching it does).
/// </summary>
public sealed class FileHasher
{
    private readonly string _statePath;
    private readonly Dictionary<string, Entry> _entries;
    private bool _dirty;

    /// <summary>Loads the hash memo (hashes.json) from <paramref name="stateFolder"/>, if there is one.</summary>
    public FileHasher(string stateFolder)
    {
        _statePath = Path.Combine(stateFolder, "hashes.json");
        _entries = File.Exists(_statePath)
            ? TryLoad(_statePath)
            : new Dictionary<string, Entry>(StringComparer.Ordinal);
    }

    /// <summary>The content hash of the file at <paramref name="path"/>.</summary>
    public string Hash(string path)
    {
        var info = new FileInfo(Path.GetFullPath(path));
        var key = info.FullName;
        if (_entries.TryGetValue(key, out var e) && e.Length == info.Length && e.ModifiedTicks == info.LastWriteTimeUtc.Ticks)
        {
            return e.Sha256;
        }

        using var stream = new FileStream(info.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        _entries[key] = new Entry(info.Length, info.LastWriteTimeUtc.Ticks, hash);
        _dirty = true;
        return hash;
    }

    /// <summary>Saves the remembered hashes (atomically).</summary>
    public void Save()
    {
        if (!_dirty)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(_statePath)!);
        AtomicFile.WriteAllText(_statePath, JsonSerializer.Serialize(_entries));
        _dirty = false;
    }

    private static Dictionary<string, Entry> TryLoad(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, Entry>>(File.ReadAllText(path)) ?? new(StringComparer.Ordinal);
        }
        catch (JsonException)
        {
            return new Dictionary<string, Entry>(StringComparer.Ordinal); // a damaged memo only costs a re-hash
        }
    }

    /// <summary>A remembered hash: reused while the file keeps its size and modification time.</summary>
    /// <param name="Length">The file's size in bytes when hashed.</param>
    /// <param name="ModifiedTicks">The file's last-write time (UTC ticks) when hashed.</param>
    /// <param name="Sha256">The file's SHA-256, lower-case hex.</param>
    public sealed record Entry(long Length, long ModifiedTicks, string Sha256);
}
