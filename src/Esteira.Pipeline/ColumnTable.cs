using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Esteira.Pipeline;

/// <summary>
/// A table stored as one NumPy <c>.npy</c> file per column plus a <c>table.json</c> listing them. Columns are
/// read whole into arrays (or memory-mapped by NumPy: <c>np.load(path, mmap_mode="r")</c>), so any language
/// with NumPy reads them without Arrow or Parquet libraries — which Debian's python3-pandas lacks.
/// </summary>
public static class ColumnTable
{
    /// <summary>The file listing a table's rows and columns (name, dtype, file).</summary>
    public const string ManifestFile = "table.json";

    /// <summary>Writes the columns (float32, int32 or uint8 arrays of one length) into <paramref name="folder"/>.</summary>
    public static void Write(string folder, IReadOnlyList<(string Name, Array Values)> columns)
    {
        Directory.CreateDirectory(folder);
        var rows = columns.Count == 0 ? 0 : columns[0].Values.Length;
        var manifest = new List<object>();
        if (columns.GroupBy(c => c.Name).FirstOrDefault(g => g.Count() > 1) is { } duplicate)
        {
            throw new ArgumentException($"column {duplicate.Key} appears twice");
        }

        foreach (var (name, values) in columns)
        {
            if (values.Length != rows)
            {
                throw new ArgumentException($"column {name} has {values.Length} rows, expected {rows}");
            }

            var (descr, dtype) = values switch
            {
                float[] => ("<f4", "float32"),
                int[] => ("<i4", "int32"),
                byte[] => ("|u1", "uint8"),
                _ => throw new ArgumentException($"column {name}: unsupported type {values.GetType().Name}"),
            };
            var file = name + ".npy";
            using (var stream = new FileStream(Path.Combine(folder, file), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                WriteHeader(stream, descr, rows);
                stream.Write(values switch
                {
                    float[] f => MemoryMarshal.AsBytes(f.AsSpan()),
                    int[] i => MemoryMarshal.AsBytes(i.AsSpan()),
                    byte[] b => b.AsSpan(),
                    _ => throw new ArgumentException(name),
                });
            }

            manifest.Add(new { name, dtype, file });
        }

        File.WriteAllText(Path.Combine(folder, ManifestFile), JsonSerializer.Serialize(new { rows, columns = manifest }, EsteiraJson.Indented));
    }

    /// <summary>
    /// Writes a table whose size is known up front in row chunks, so that a table larger than memory never has to
    /// exist whole: every column file is opened once and each chunk is appended to each column.
    /// </summary>
    public sealed class ChunkedWriter : IDisposable
    {
        private readonly string _folder;
        private readonly int _rows;
        private readonly Dictionary<string, (FileStream Stream, string Dtype, long HeaderLength)> _columns = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        /// <summary>Creates <paramref name="folder"/> and one column file per (name, dtype) for a table of <paramref name="rows"/> rows.</summary>
        public ChunkedWriter(string folder, int rows, IEnumerable<(string Name, string Dtype)> columns)
        {
            _folder = folder;
            _rows = rows;
            Directory.CreateDirectory(folder);
            foreach (var (name, dtype) in columns)
            {
                var stream = new FileStream(Path.Combine(folder, name + ".npy"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
                WriteHeader(stream, dtype switch { "float32" => "<f4", "int32" => "<i4", "uint8" => "|u1", _ => throw new ArgumentException(dtype) }, rows);
                _columns[name] = (stream, dtype, stream.Position);
                _order.Add(name);
            }
        }

        /// <summary>Appends values to a column; their type must be the column's (float, int or byte).</summary>
        public void Append<T>(string name, ReadOnlySpan<T> values)
            where T : unmanaged
        {
            var (stream, dtype, _) = _columns[name];
            var expected = dtype switch { "float32" => typeof(float), "int32" => typeof(int), _ => typeof(byte) };
            if (typeof(T) != expected)
            {
                throw new ArgumentException($"column {name} is {dtype}, not {typeof(T).Name}");
            }

            stream.Write(MemoryMarshal.AsBytes(values));
        }

        /// <summary>Closes the files and writes the manifest; fails when a column did not receive every row.</summary>
        public void Complete()
        {
            foreach (var name in _order)
            {
                var (stream, dtype, headerLength) = _columns[name];
                var width = dtype == "uint8" ? 1 : 4;
                var complete = stream.Position == headerLength + (_rows * (long)width);
                stream.Dispose();
                if (!complete)
                {
                    throw new EsteiraException(ErrorCode.PipelineFailed, $"column {name} is incomplete: fewer than {_rows:N0} rows were written; the stage that wrote it failed, rerun it");
                }
            }

            var manifest = _order.Select(n => new { name = n, dtype = _columns[n].Dtype, file = n + ".npy" });
            File.WriteAllText(Path.Combine(_folder, ManifestFile), JsonSerializer.Serialize(new { rows = _rows, columns = manifest }, EsteiraJson.Indented));
        }

        /// <summary>Closes the column files and writes the manifest.</summary>
        public void Dispose()
        {
            foreach (var (stream, _, _) in _columns.Values)
            {
                stream.Dispose();
            }
        }
    }

    /// <summary>Reads one float32 column.</summary>
    public static float[] ReadFloat(string folder, string name) => Read<float>(folder, name, "<f4");

    /// <summary>Reads rows [start, start+count) of one float32 column without reading the rest.</summary>
    public static float[] ReadFloatRange(string folder, string name, int start, int count)
    {
        var path = Path.Combine(folder, name + ".npy");
        using var stream = File.OpenRead(path);
        var (descr, rows, dataOffset) = ReadHeader(stream, path);
        if (descr != "<f4" || start < 0 || start + count > rows)
        {
            throw new ArgumentException($"{path}: cannot read float rows {start}..{start + count} of {rows} ({descr})");
        }

        var values = new float[count];
        stream.Position = dataOffset + (4L * start);
        stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }

    /// <summary>
    /// float32 columns of one table opened for reading row ranges (thread-safe), so that a model can stream a table
    /// larger than memory: <see cref="Read"/> fits <see cref="Ml.FeatureReader"/>.
    /// </summary>
    public sealed class FloatColumns : IDisposable
    {
        private readonly (Microsoft.Win32.SafeHandles.SafeFileHandle File, long DataOffset)[] _columns;

        /// <summary>Opens the float32 columns <paramref name="names"/> of the table in <paramref name="folder"/>; all must have the same number of rows.</summary>
        public FloatColumns(string folder, IReadOnlyList<string> names)
        {
            _columns = new (Microsoft.Win32.SafeHandles.SafeFileHandle, long)[names.Count];
            try
            {
                for (var c = 0; c < names.Count; c++)
                {
                    var path = Path.Combine(folder, names[c] + ".npy");
                    long offset;
                    int rows;
                    using (var stream = File.OpenRead(path))
                    {
                        (var descr, rows, offset) = ReadHeader(stream, path);
                        if (descr != "<f4" || (c > 0 && rows != Rows))
                        {
                            throw new EsteiraException(ErrorCode.BadInput, $"{path}: {descr} with {rows} rows, expected float32 with the table's {Rows} rows; rebuild the features (esteira run --force features)");
                        }
                    }

                    Rows = rows;
                    _columns[c] = (File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess), offset);
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>Number of rows in every column.</summary>
        public int Rows { get; private set; }

        /// <summary>Number of columns opened.</summary>
        public int Columns => _columns.Length;

        /// <summary>Copies rows [start, start + destination.Length) of column <paramref name="column"/>.</summary>
        public void Read(int column, int start, Span<float> destination)
        {
            var (file, offset) = _columns[column];
            var bytes = MemoryMarshal.AsBytes(destination);
            var position = offset + (4L * start);
            while (bytes.Length > 0)
            {
                var read = RandomAccess.Read(file, bytes, position);
                if (read == 0)
                {
                    throw new EsteiraException(ErrorCode.BadInput, $"column {column}: rows {start}..{start + destination.Length} are past the end of the file; the table is truncated");
                }

                bytes = bytes[read..];
                position += read;
            }
        }

        /// <summary>Closes the column files.</summary>
        public void Dispose()
        {
            foreach (var (file, _) in _columns)
            {
                file?.Dispose();
            }
        }
    }

    /// <summary>The number of rows of a table.</summary>
    public static int Rows(string folder)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, ManifestFile)));
        return json.RootElement.GetProperty("rows").GetInt32();
    }

    /// <summary>Reads one int32 column.</summary>
    public static int[] ReadInt(string folder, string name) => Read<int>(folder, name, "<i4");

    /// <summary>Reads one uint8 column.</summary>
    public static byte[] ReadByte(string folder, string name) => Read<byte>(folder, name, "|u1");

    /// <summary>Reads a float32 (or float64, narrowed) column from any .npy file, naming the file and what was wrong when it is not one.</summary>
    public static float[] ReadFloatFile(string path, string display)
    {
        using (var stream = File.OpenRead(path))
        {
            if (ReadHeader(stream, display).Descr == "<f8")
            {
                return ReadFile<double>(path, "<f8", display).Select(v => (float)v).ToArray();
            }
        }

        return ReadFile<float>(path, "<f4", display);
    }

    /// <summary>Reads an int32 column from any .npy file (int64 is narrowed with a range check).</summary>
    public static int[] ReadIntFile(string path, string display)
    {
        using var stream = File.OpenRead(path);
        var (descr, rows, dataOffset) = ReadHeader(stream, display);
        stream.Position = dataOffset;
        if (descr == "<i8")
        {
            var wide = new long[rows];
            stream.ReadExactly(MemoryMarshal.AsBytes(wide.AsSpan()));
            return wide.Select((v, i) => v is >= int.MinValue and <= int.MaxValue ? (int)v
                : throw new EsteiraException(ErrorCode.BadInput, $"{display}: value {v} at index {i} does not fit an int32 row id")).ToArray();
        }

        return ReadFile<int>(path, "<i4", display);
    }

    private static T[] Read<T>(string folder, string name, string descr) where T : unmanaged =>
        ReadFile<T>(Path.Combine(folder, name + ".npy"), descr, Path.Combine(folder, name + ".npy"));

    private static T[] ReadFile<T>(string path, string descr, string display) where T : unmanaged
    {
        using var stream = File.OpenRead(path);
        var (actual, rows, dataOffset) = ReadHeader(stream, display);
        if (actual != descr)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: dtype '{actual}', expected '{descr}'; save it with numpy as that type (e.g. arr.astype('{descr}'))");
        }

        var values = new T[rows];
        stream.Position = dataOffset;
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
        }
        catch (EndOfStreamException)
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: the header says {rows} values but the file is shorter; the file is truncated");
        }

        return values;
    }

    private static void WriteHeader(Stream stream, string descr, int rows)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({rows},), }}";
        var total = 10 + dict.Length + 1;
        var padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    private static (string Descr, int Rows, long DataOffset) ReadHeader(Stream stream, string display)
    {
        Span<byte> magic = stackalloc byte[10];
        if (stream.Read(magic) != 10 || magic[0] != 0x93 || magic[1] != (byte)'N' || magic[5] != (byte)'Y')
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: not a NumPy .npy file; write it with numpy.save");
        }

        int headerLength;
        long offset;
        if (magic[6] == 1)
        {
            headerLength = BitConverter.ToUInt16(magic[8..10]);
            offset = 10;
        }
        else
        {
            Span<byte> more = stackalloc byte[2];
            stream.ReadExactly(more);
            headerLength = BitConverter.ToInt32([magic[8], magic[9], more[0], more[1]]);
            offset = 12;
        }

        var buffer = new byte[headerLength];
        stream.ReadExactly(buffer);
        var header = Encoding.ASCII.GetString(buffer);
        var descr = Between(header, "'descr':", ",").Trim().Trim('\'');
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: Fortran-ordered array; save a 1-D array");
        }

        var shape = Between(header, "'shape':", ")").Trim().TrimStart('(').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (shape.Length != 1 || !int.TryParse(shape[0], out var rows))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"{display}: shape ({string.Join(",", shape)}), expected a 1-D array");
        }

        return (descr, rows, offset + headerLength);
    }

    private static string Between(string text, string start, string end)
    {
        var a = text.IndexOf(start, StringComparison.Ordinal);
        if (a < 0)
        {
            return "";
        }

        a += start.Length;
        var b = text.IndexOf(end, a, StringComparison.Ordinal);
        return b < 0 ? text[a..] : text[a..b];
    }
}
