using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Esteira.Data.Submissions;

/// <summary>
/// Gunzips a file, single- or multi-member, and at its end checks the last member's trailer, which .NET's
/// <see cref="GZipStream"/> does not: a file cut inside or just before the trailer would otherwise read as complete.
/// Every failure is an <see cref="InvalidDataException"/> whose message says what is wrong.
/// </summary>
/// <remarks>
/// Keeps the CRC-32 of all the data and its last 4 MiB: enough for the last member of Esteira's own multi-member files (a
/// member of 65,536 rows is under 2 MiB) and for a single-member file of any size. Runs on the read-ahead task, so the
/// CRC costs the parsing thread nothing.
/// </remarks>
internal sealed class GzipTrailerCheck : Stream
{
    private const int Keep = 4 << 20;
    private readonly FileStream _file;
    private readonly GZipStream _gzip;
    private readonly Crc32 _all = new();
    private readonly byte[] _ring = new byte[Keep];
    private int _end;
    private long _total;
    private bool _verified;

    public GzipTrailerCheck(FileStream file)
    {
        _file = file;
        _gzip = new GZipStream(file, CompressionMode.Decompress);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _gzip.Read(buffer);
        }
        catch (InvalidDataException)
        {
            // zlib's checks (a bad block, a member's CRC-32) all surface as "unsupported compression method"
            throw new InvalidDataException("the gzip data is damaged (it fails zlib's checks)");
        }

        if (n > 0)
        {
            Append(buffer[..n]);
        }
        else if (buffer.Length > 0 && !_verified)
        {
            _verified = true;
            if (Problem() is { } problem)
            {
                throw new InvalidDataException($"truncated or damaged gzip ({problem})");
            }
        }

        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Append(ReadOnlySpan<byte> data)
    {
        _all.Append(data);
        _total += data.Length;
        if (data.Length > Keep)
        {
            data = data[^Keep..];
        }

        var first = Math.Min(Keep - _end, data.Length);
        data[..first].CopyTo(_ring.AsSpan(_end));
        data[first..].CopyTo(_ring);
        _end = (_end + data.Length) % Keep;
    }

    /// <summary>Null when the file's last 8 bytes are the trailer of the data read; else what is wrong.</summary>
    private string? Problem()
    {
        var length = RandomAccess.GetLength(_file.SafeFileHandle);
        if (length < 18)
        {
            return $"{length} bytes, shorter than a gzip header and trailer";
        }

        Span<byte> trailer = stackalloc byte[8];
        RandomAccess.Read(_file.SafeFileHandle, trailer, length - 8);
        var (crc, size) = (BinaryPrimitives.ReadUInt32LittleEndian(trailer), BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]));
        if (size == (uint)_total && crc == _all.GetCurrentHashAsUInt32())
        {
            return null;
        }

        if (size <= Math.Min(_total, Keep) && crc == CrcOfLast((int)size))
        {
            return null;
        }

        return $"the last 8 bytes say the last member holds {size} bytes with CRC-32 {crc:x8}, which the data read does not end with";
    }

    private uint CrcOfLast(int length)
    {
        var crc = new Crc32();
        var start = (_end - length + Keep) % Keep;
        if (start + length <= Keep)
        {
            crc.Append(_ring.AsSpan(start, length));
        }
        else
        {
            crc.Append(_ring.AsSpan(start));
            crc.Append(_ring.AsSpan(0, length - (Keep - start)));
        }

        return crc.GetCurrentHashAsUInt32();
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _gzip.Dispose();
        }

        base.Dispose(disposing);
    }
}
