using System.Buffers;
using System.IO.Compression;

namespace Esteira.Data.Submissions;

/// <summary>
/// Reads a text file line by line as UTF-8 byte spans, without allocating per line. The span handed out is valid until
/// the next call. Strips a trailing '\r' and a leading UTF-8 BOM. Gzip and single-entry zip are detected by their magic
/// bytes, not by the file name, and decompressed a few blocks ahead on another task, so that reading runs at about the
/// speed of decompression on two cores. A damaged or truncated file fails with an <see cref="InvalidDataException"/>.
/// </summary>
internal sealed class LineReader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly Stream _stream;
    private readonly IDisposable? _owner;
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
    private int _start;
    private int _end;
    private bool _eof;

    private LineReader(Stream stream, IDisposable? owner)
    {
        _stream = stream;
        _owner = owner;
    }

    /// <summary>1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>How many (decompressed) bytes were read so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>Opens a plain, gzipped or zipped (one entry) text file.</summary>
    public static LineReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            var n = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            if (n == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                return new LineReader(new ReadAheadStream(new GzipTrailerCheck(file)), file);
            }

            if (n == 2 && magic[0] == (byte)'P' && magic[1] == (byte)'K')
            {
                var zip = new ZipArchive(file, ZipArchiveMode.Read);
                var entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToList();
                if (entries.Count != 1)
                {
                    zip.Dispose();
                    throw new InvalidDataException($"the zip archive holds {entries.Count} files; it must hold exactly one CSV");
                }

                return new LineReader(new ReadAheadStream(entries[0].Open()), zip);
            }

            return new LineReader(file, null);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Returns the next line (without its terminator) or false at the end of the file.</summary>
    /// <exception cref="InvalidDataException">A line is longer than 1 MiB.</exception>
    public bool TryReadLine(out ReadOnlySpan<byte> line)
    {
        while (true)
        {
            var available = _buffer.AsSpan(_start, _end - _start);
            var newline = available.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                line = Trim(available[..newline]);
                _start += newline + 1;
                return true;
            }

            if (_eof)
            {
                if (available.Length == 0)
                {
                    line = default;
                    return false;
                }

                line = Trim(available);
                _start = _end;
                return true;
            }

            Fill();
        }
    }

    private ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line)
    {
        LineNumber++;
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (LineNumber == 1 && line.StartsWith("\uFEFF"u8))
        {
            line = line[3..];
        }

        return line;
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException($"line {LineNumber + 1} is longer than {BufferSize} bytes");
        }

        while (_end < _buffer.Length)
        {
            var read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _eof = true;
                return;
            }

            _end += read;
            BytesRead += read;
            if (_end - _start >= BufferSize / 2)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _owner?.Dispose();
        if (_buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }
}
