using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Esteira.Data;

/// <summary>
/// A read-only stream over decompressed data that computes the CRC-32 and length of what it hands out
/// and, at the end, compares them with what the container recorded: a gzip member's trailer or a zip
/// entry's header. A file cut short or with a flipped byte is refused instead of read as complete.
/// </summary>
/// <remarks>
/// The check costs one pass of CRC-32 over the data as it streams by (vectorised in System.IO.Hashing):
/// no second read of the file. .NET's <see cref="GZipStream"/> reports a gzip cut short as an ordinary end
/// of stream, and <see cref="ZipArchiveEntry.Open"/> does not check a stored entry's CRC; this does both.
/// A gzip file is expected to hold one member (what gzip, pigz and .NET write); its trailer is its last 8 bytes.
/// </remarks>
internal sealed class CheckedStream : Stream
{
    private readonly Stream _inner;
    private readonly Func<uint, long, string?> _verify;
    private readonly Func<string, EsteiraException> _damaged;
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _verified;

    private CheckedStream(Stream inner, Func<uint, long, string?> verify, Func<string, EsteiraException> damaged)
    {
        _inner = inner;
        _verify = verify;
        _damaged = damaged;
    }

    /// <summary>Gunzips <paramref name="raw"/> and checks the trailer (CRC-32 and ISIZE) at the end.</summary>
    public static Stream Gzip(Stream raw, string display)
    {
        var tail = new TailStream(raw);
        return new CheckedStream(
            new GZipStream(tail, CompressionMode.Decompress),
            (crc, length) =>
            {
                if (tail.Total < 18)
                {
                    return $"{tail.Total} bytes, shorter than a gzip header and trailer";
                }

                var (expectedCrc, expectedSize) = tail.Trailer();
                return expectedCrc == crc && expectedSize == (uint)length
                    ? null
                    : $"the data ends without a matching trailer: {length} bytes with CRC-32 {crc:x8}, the last 8 bytes say {expectedSize} bytes with CRC-32 {expectedCrc:x8}";
            },
            problem => EsteiraException.BadInput(display, null, null, $"truncated or damaged gzip ({problem})", "download it again"));
    }

    /// <summary>Checks a zip entry's data against the CRC-32 and length in its header.</summary>
    public static Stream ZipEntry(ZipArchiveEntry entry, string display) =>
        new CheckedStream(
            entry.Open(),
            (crc, length) => crc == entry.Crc32 && length == entry.Length
                ? null
                : $"{length} bytes with CRC-32 {crc:x8}, the archive records {entry.Length} bytes with CRC-32 {entry.Crc32:x8}",
            problem => EsteiraException.BadInput(display, null, null, $"damaged zip member ({problem})", "download it again"));

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _length;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        try
        {
            n = _inner.Read(buffer);
        }
        catch (InvalidDataException)
        {
            // zlib's own checks (a bad header, a bad block, a trailer it sees) fail here, and .NET words every
            // one of them "unsupported compression method", which misleads: say what it means instead.
            throw _damaged("the compressed data or its trailer fails zlib's checks");
        }

        if (n > 0)
        {
            _crc.Append(buffer[..n]);
            _length += n;
        }
        else if (buffer.Length > 0 && !_verified)
        {
            _verified = true;
            if (_verify(_crc.GetCurrentHashAsUInt32(), _length) is { } problem)
            {
                throw _damaged(problem);
            }
        }

        return n;
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
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
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>Passes reads through and remembers the last 8 bytes and the total, where a gzip trailer is.</summary>
    private sealed class TailStream(Stream inner) : Stream
    {
        private readonly byte[] _tail = new byte[8];
        private int _filled;

        public long Total { get; private set; }

        /// <summary>The CRC-32 and ISIZE of the last 8 bytes read (little-endian).</summary>
        public (uint Crc, uint Size) Trailer()
        {
            Span<byte> last = stackalloc byte[8];
            for (var i = 0; i < 8; i++)
            {
                last[i] = _tail[(_filled + i) % 8];
            }

            return (BinaryPrimitives.ReadUInt32LittleEndian(last), BinaryPrimitives.ReadUInt32LittleEndian(last[4..]));
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => Total;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            // _tail is a ring: _filled is where the next byte goes; only the last 8 bytes of a read matter.
            var start = Math.Max(0, n - 8);
            for (var i = start; i < n; i++)
            {
                _tail[_filled] = buffer[i];
                _filled = (_filled + 1) % 8;
            }

            Total += n;
            return n;
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
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
