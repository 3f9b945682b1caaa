using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Esteira.Leaderboard;

/// <summary>
/// Signed, expiring links to the data files and to the zip of them all, as Kaggle hands out storage URLs: DownloadDataFile
/// and DownloadDataFiles answer 302 to them. The signing key lives in this process only, so a restart voids old links.
/// </summary>
public sealed class DataLinks(CompetitionDefinition competition, BlobStore blobs, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan FileLinkLifetime = TimeSpan.FromHours(1);

    private readonly byte[] _linkKey = RandomNumberGenerator.GetBytes(32);
    private readonly SemaphoreSlim _archiveLock = new(1, 1);

    /// <summary>The name of the zip DownloadDataFiles serves: <c>&lt;competition&gt;.zip</c>, as Kaggle names it.</summary>
    public string DataArchiveName => competition.Name + ".zip";

    /// <summary>A signed, expiring link to one data file (the download answers 302 to it, as Kaggle does).</summary>
    public Uri DataFileLink(RpcRequest request, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var name = request.FileName ?? "";
        if (competition.DataFiles().All(f => f.Name != name))
        {
            throw new EsteiraException(ErrorCode.NotFound, $"data file '{name}' not found in {competition.Name}; list them with ListDataFiles");
        }

        var expires = time.GetUtcNow().Add(FileLinkLifetime).ToUnixTimeSeconds();
        var signature = Sign($"{name}\n{expires}");
        return new Uri(baseUrl, $"files/{Uri.EscapeDataString(competition.Name)}/{Uri.EscapeDataString(name)}?expires={expires}&sig={signature}");
    }

    /// <summary>The data file a signed link points to, or null when the link is forged, expired or names no data file.</summary>
    public FileInfo? ResolveDataFileLink(string competitionName, string name, string? expires, string? signature)
    {
        if (competitionName != competition.Name || expires is null || signature is null || !long.TryParse(expires, CultureInfo.InvariantCulture, out var until)
            || time.GetUtcNow().ToUnixTimeSeconds() > until
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign($"{name}\n{until}")), Encoding.ASCII.GetBytes(signature)))
        {
            return null;
        }

        return competition.DataFiles().FirstOrDefault(f => f.Name == name);
    }

    /// <summary>A signed, expiring link to the zip of every data file (DownloadDataFiles answers 302 to it, as Kaggle does).</summary>
    public Uri DataArchiveLink(RpcRequest request, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(request);
        competition.RequireCompetition(request);
        var expires = time.GetUtcNow().Add(FileLinkLifetime).ToUnixTimeSeconds();
        var signature = Sign($"archive\n{DataArchiveName}\n{expires}");
        return new Uri(baseUrl, $"data/{Uri.EscapeDataString(DataArchiveName)}?expires={expires}&sig={signature}");
    }

    /// <summary>The data zip a signed link points to, or null when the link is forged, expired or names another archive.</summary>
    public async Task<FileInfo?> ResolveDataArchiveLinkAsync(string name, string? expires, string? signature, CancellationToken cancellationToken)
    {
        if (name != DataArchiveName || expires is null || signature is null || !long.TryParse(expires, CultureInfo.InvariantCulture, out var until)
            || time.GetUtcNow().ToUnixTimeSeconds() > until
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign($"archive\n{name}\n{until}")), Encoding.ASCII.GetBytes(signature)))
        {
            return null;
        }

        return await DataArchiveAsync(cancellationToken);
    }

    /// <summary>
    /// The zip of every data file (never the solution, the config or <c>.leaderboard/</c>: exactly <see cref="CompetitionDefinition.DataFiles"/>).
    /// Built once per set of files (names, sizes, times) beside the upload storage and reused; a changed file makes a new one.
    /// </summary>
    public async Task<FileInfo> DataArchiveAsync(CancellationToken cancellationToken)
    {
        var files = competition.DataFiles();
        var identity = string.Join('\n', files.Select(f => $"{f.Name}\t{f.Length}\t{f.LastWriteTimeUtc.Ticks}"));
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        var folder = Path.Combine(Path.GetDirectoryName(blobs.Root) ?? blobs.Root, "data-archive");
        var path = Path.Combine(folder, $"{competition.Name}-{key}.zip");
        if (File.Exists(path))
        {
            return new FileInfo(path);
        }

        await _archiveLock.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(path))
            {
                return new FileInfo(path);
            }

            Directory.CreateDirectory(folder);
            foreach (var stale in Directory.EnumerateFiles(folder))
            {
                File.Delete(stale);
            }

            await AtomicFile.WriteAsync(path, async (output, ct) =>
            {
                await using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
                foreach (var file in files)
                {
                    var compressed = file.Name.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || file.Name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
                    var entry = zip.CreateEntry(file.Name, compressed ? CompressionLevel.NoCompression : CompressionLevel.Fastest);
                    entry.LastWriteTime = file.LastWriteTimeUtc;
                    await using var target = await entry.OpenAsync(ct);
                    await using var source = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                    await source.CopyToAsync(target, ct);
                }
            }, overwrite: false, cancellationToken);
            return new FileInfo(path);
        }
        finally
        {
            _archiveLock.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _archiveLock.Dispose();

    private string Sign(string value) => Convert.ToHexStringLower(HMACSHA256.HashData(_linkKey, Encoding.UTF8.GetBytes(value)));
}
