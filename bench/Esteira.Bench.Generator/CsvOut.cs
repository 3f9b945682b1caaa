using System.Buffers.Text;
using System.IO.Compression;

namespace Esteira.Bench.Generator;

/// <summary>Minimal buffered UTF-8 CSV writer (no row objects, no strings on the hot path).</summary>
internal sealed class CsvOut : IDisposable
{
    private readonly Stream _file;
    private readonly Stream _out;
    private readonly byte[] _buf = new byte[1 << 20];
    private int _pos;

    public long Bytes { get; private set; }

    public CsvOut(string path, bool gzip)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _out = gzip ? new GZipStream(_file, CompressionLevel.Fastest) : _file;
    }

    public static string PathFor(string dir, string name, bool gzip) => Path.Combine(dir, gzip ? name + ".gz" : name);

    private void Ensure(int n)
    {
        if (_pos + n > _buf.Length) Flush();
    }

    private void Flush()
    {
        _out.Write(_buf, 0, _pos);
        Bytes += _pos;
        _pos = 0;
    }

    public void Raw(ReadOnlySpan<byte> s)
    {
        if (s.Length > _buf.Length) { Flush(); _out.Write(s); Bytes += s.Length; return; }
        Ensure(s.Length);
        s.CopyTo(_buf.AsSpan(_pos));
        _pos += s.Length;
    }

    public void Byte(byte b)
    {
        Ensure(1);
        _buf[_pos++] = b;
    }

    public void Int(long v)
    {
        Ensure(24);
        Utf8Formatter.TryFormat(v, _buf.AsSpan(_pos), out int n);
        _pos += n;
    }

    /// <summary>Non-negative value with up to 4 decimals, trailing zeros trimmed ("12.5", "0", "3.0417").</summary>
    public void Reading(double v)
    {
        Ensure(32);
        long q = (long)Math.Round(v * 10000.0, MidpointRounding.AwayFromZero);
        long ip = q / 10000, fr = q % 10000;
        Utf8Formatter.TryFormat(ip, _buf.AsSpan(_pos), out int n);
        _pos += n;
        if (fr != 0)
        {
            _buf[_pos++] = (byte)'.';
            int d0 = (int)(fr / 1000), d1 = (int)(fr / 100 % 10), d2 = (int)(fr / 10 % 10), d3 = (int)(fr % 10);
            _buf[_pos++] = (byte)('0' + d0);
            if (d1 != 0 || d2 != 0 || d3 != 0) _buf[_pos++] = (byte)('0' + d1);
            if (d2 != 0 || d3 != 0) _buf[_pos++] = (byte)('0' + d2);
            if (d3 != 0) _buf[_pos++] = (byte)('0' + d3);
        }
    }

    public void Dispose()
    {
        Flush();
        _out.Dispose();
        if (!ReferenceEquals(_out, _file)) _file.Dispose();
    }
}
