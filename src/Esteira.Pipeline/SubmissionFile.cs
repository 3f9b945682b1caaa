using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Compression;
using System.IO.Hashing;
using System.Threading.Channels;

namespace Esteira.Pipeline;

/// <summary>Writes and checks a <c>row_id,meter_reading</c> submission file.</summary>
public static class SubmissionFile
{
    /// <summary>
    /// Rows per gzip member: about 1 MB of text, so that a member stays in cache from formatting to compressing (8 MB
    /// members cost 4 to 15 % more CPU than one stream, 1 MB members 5 % less; bench/submission.sh); 637 members at GEPIII scale.
    /// </summary>
    internal const int MemberRows = 1 << 16;

    private static readonly byte[] Header = "row_id,meter_reading\n"u8.ToArray();

    /// <summary>
    /// Writes the submission to a temporary file beside <paramref name="path"/> and renames it into place, so
    /// that a crash never leaves a half-written file under the final name. Gzips when the path ends in .gz.
    /// </summary>
    /// <remarks>
    /// A .gz file is written as concatenated gzip members of <see cref="MemberRows"/> rows each, compressed on every
    /// core (the format allows it, and gzip, zcat, pandas and .NET read the members as one stream): one stream on one
    /// core was the stage's bottleneck at GEPIII scale. The text is the same whatever the number of cores.
    /// </remarks>
    public static void WriteAtomic(string path, int[] rowIds, float[] predictions)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(predictions.Length, rowIds.Length, nameof(predictions));
        AtomicFile.Write(path, file =>
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                WriteGzipMembers(file, rowIds, predictions, Environment.ProcessorCount, MemberRows);
            }
            else
            {
                var text = Format(rowIds, predictions, 0, rowIds.Length);
                file.Write(text.Buffer, 0, text.Length);
                ArrayPool<byte>.Shared.Return(text.Buffer);
            }
        });
    }

    /// <summary>
    /// Formats and compresses members of <paramref name="memberRows"/> rows on <paramref name="workers"/> threads, taken
    /// in order, and writes them in order;
    /// at most two members per worker wait to be written, so memory stays a few members whatever the row count.
    /// </summary>
    internal static void WriteGzipMembers(Stream output, int[] rowIds, float[] predictions, int workers, int memberRows)
    {
        var members = Math.Max(1, (rowIds.Length + memberRows - 1) / memberRows);
        workers = Math.Clamp(workers, 1, members);
        var done = new TaskCompletionSource<MemoryStream>[members];
        for (var m = 0; m < members; m++)
        {
            done[m] = new TaskCompletionSource<MemoryStream>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        using var window = new SemaphoreSlim(2 * workers);
        // the compressed members' buffers go round, rather than a new large-object-heap buffer per member
        var buffers = new ConcurrentBag<MemoryStream>();
        using var stop = new CancellationTokenSource();
        var next = -1;
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Run(() =>
        {
            while (true)
            {
                // the slot is taken before the member: a member taken is then always compressed, never starved of a slot
                try
                {
                    window.Wait(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                var m = Interlocked.Increment(ref next);
                if (m >= members)
                {
                    return;
                }

                try
                {
                    done[m].SetResult(Compress(rowIds, predictions, m * memberRows, memberRows, buffers.TryTake(out var buffer) ? buffer : new MemoryStream()));
                }
                catch (Exception e)
                {
                    done[m].SetException(e);
                    return;
                }
            }
        })).ToArray();

        try
        {
            for (var m = 0; m < members; m++)
            {
                var compressed = done[m].Task.GetAwaiter().GetResult();
                output.Write(compressed.GetBuffer(), 0, (int)compressed.Length);
                compressed.SetLength(0);
                buffers.Add(compressed);
                window.Release();
            }
        }
        finally
        {
            // a failed write or member must not leave workers waiting for a slot
            stop.Cancel();
            Task.WaitAll(tasks);
        }
    }

    private static MemoryStream Compress(int[] rowIds, float[] predictions, int start, int memberRows, MemoryStream compressed)
    {
        var text = Format(rowIds, predictions, start, Math.Min(memberRows, rowIds.Length - start));
        try
        {
            // zlib's level 1, as before: on the same text gzip -6 took 3.8× the CPU of gzip -1 (bench/submission.sh)
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(text.Buffer, 0, text.Length);
            }

            return compressed;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text.Buffer);
        }
    }

    /// <summary>The text of rows [start, start + count), with the header before row 0, in a pooled buffer.</summary>
    private static (byte[] Buffer, int Length) Format(int[] rowIds, float[] predictions, int start, int count)
    {
        // a row is at most 11 (int) + 1 + 15 (float, "G") + 1 bytes
        var buffer = ArrayPool<byte>.Shared.Rent(Header.Length + (count * 28));
        var used = 0;
        if (start == 0)
        {
            Header.CopyTo(buffer, 0);
            used = Header.Length;
        }

        for (var i = start; i < start + count; i++)
        {
            Utf8Formatter.TryFormat(rowIds[i], buffer.AsSpan(used), out var n);
            used += n;
            buffer[used++] = (byte)',';
            Utf8Formatter.TryFormat(MathF.Round(predictions[i], 4), buffer.AsSpan(used), out n);
            used += n;
            buffer[used++] = (byte)'\n';
        }

        return (buffer, used);
    }

    /// <summary>
    /// Reads a submission back and checks it against the sample submission's row ids: every row id exactly once,
    /// no other, every value finite and ≥ 0. Returns the number of rows.
    /// </summary>
    /// <remarks>
    /// One task reads (and gunzips) the file a few blocks ahead while this thread parses the bytes in place, so the
    /// check runs at about the speed of decompression, on two cores, without a string per line.
    /// </remarks>
    public static long Check(string path, int[] sampleRowIds)
    {
        var expected = RowIdSet.Of(sampleRowIds);
        var checker = new RowChecker(Path.GetFileName(path), expected, new RowIdSet(sampleRowIds));
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
            {
                var tail = new GzipTail();
                try
                {
                    using var gzip = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
                    ReadAhead(gzip, block =>
                    {
                        tail.Append(block);
                        checker.Block(block);
                    });
                }
                catch (InvalidDataException)
                {
                    // zlib's checks (a bad block, a member's CRC-32) all surface as "unsupported compression method"
                    throw Bad(checker.Name, checker.Line + 1, null, "the gzip data is damaged (it fails zlib's checks)");
                }

                if (tail.Verify(file) is { } problem)
                {
                    throw Bad(checker.Name, checker.Line, null, $"truncated or damaged gzip ({problem})");
                }
            }
            else
            {
                ReadAhead(file, checker.Block);
            }
        }

        checker.End();
        var seen = checker.Seen;
        if (seen.Count != expected.Count)
        {
            var missing = sampleRowIds.First(id => !seen.Contains(id));
            throw Bad(checker.Name, checker.Line, "row_id", $"{expected.Count - seen.Count} row_ids of sample_submission.csv are missing, first {missing}");
        }

        return seen.Count;
    }

    /// <summary>
    /// Checks the last gzip member's trailer, which .NET's <see cref="GZipStream"/> does not: a file cut inside or
    /// just before it reads as complete. Keeps the CRC-32 of all the data and its last 4 MiB (a member of
    /// <see cref="MemberRows"/> rows is under 2 MiB), enough for the last member of this writer's files and for a
    /// single-member file of any size.
    /// </summary>
    private sealed class GzipTail
    {
        private const int Keep = 4 << 20;
        private readonly Crc32 _all = new();
        private readonly byte[] _ring = new byte[Keep];
        private int _end;
        private long _total;

        public void Append(ReadOnlySpan<byte> data)
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
        public string? Verify(FileStream file)
        {
            if (file.Length < 18)
            {
                return $"{file.Length} bytes, shorter than a gzip header and trailer";
            }

            Span<byte> trailer = stackalloc byte[8];
            file.Seek(-8, SeekOrigin.End);
            file.ReadExactly(trailer);
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
    }

    /// <summary>Hands <paramref name="input"/>'s bytes to <paramref name="consume"/> in order, read 1 MiB blocks ahead on another task.</summary>
    private static void ReadAhead(Stream input, Action<ReadOnlySpan<byte>> consume)
    {
        const int BlockSize = 1 << 20;
        var blocks = Channel.CreateBounded<(byte[] Buffer, int Length)>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
                    var n = input.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                    if (n == 0)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        return;
                    }

                    await blocks.Writer.WriteAsync((buffer, n), stop.Token);
                }
            }
            finally
            {
                blocks.Writer.Complete();
            }
        });

        try
        {
            // blocking is the point: the parser is synchronous on this thread
            while (blocks.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (blocks.Reader.TryRead(out var block))
                {
                    consume(block.Buffer.AsSpan(0, block.Length));
                    ArrayPool<byte>.Shared.Return(block.Buffer);
                }
            }

            producer.GetAwaiter().GetResult();
        }
        finally
        {
            stop.Cancel();
            try
            {
                producer.Wait();
            }
            catch (AggregateException)
            {
                // already reported above, or the consumer's own exception is the one that matters
            }
        }
    }

    /// <summary>Parses lines out of consecutive blocks; a line cut by a block's end is carried to the next block.</summary>
    private sealed class RowChecker(string name, RowIdSet expected, RowIdSet seen)
    {
        private const int MaxLine = 1 << 20;
        private byte[] _carry = new byte[256];
        private int _carried;

        public string Name => name;
        public long Line { get; private set; }
        public RowIdSet Seen => seen;

        public void Block(ReadOnlySpan<byte> block)
        {
            if (_carried > 0)
            {
                var newline = block.IndexOf((byte)'\n');
                Carry(newline < 0 ? block : block[..newline]);
                if (newline < 0)
                {
                    return;
                }

                Row(_carry.AsSpan(0, _carried));
                _carried = 0;
                block = block[(newline + 1)..];
            }

            int next;
            while ((next = block.IndexOf((byte)'\n')) >= 0)
            {
                Row(block[..next]);
                block = block[(next + 1)..];
            }

            Carry(block);
        }

        /// <summary>The last line, when the file does not end with a newline; and the header of an empty file.</summary>
        public void End()
        {
            if (_carried > 0 || Line == 0)
            {
                Row(_carry.AsSpan(0, _carried));
                _carried = 0;
            }
        }

        private void Carry(ReadOnlySpan<byte> part)
        {
            if (_carried + part.Length > MaxLine)
            {
                throw Bad(name, Line + 1, null, $"the line is longer than {MaxLine} bytes");
            }

            if (_carried + part.Length > _carry.Length)
            {
                Array.Resize(ref _carry, Math.Max(_carry.Length * 2, _carried + part.Length));
            }

            part.CopyTo(_carry.AsSpan(_carried));
            _carried += part.Length;
        }

        private void Row(ReadOnlySpan<byte> text)
        {
            Line++;
            if (text.Length > 0 && text[^1] == (byte)'\r')
            {
                text = text[..^1];
            }

            if (Line == 1)
            {
                var header = System.Text.Encoding.UTF8.GetString(text.StartsWith("\uFEFF"u8) ? text[3..] : text);
                if (header.Trim() != "row_id,meter_reading")
                {
                    throw Bad(name, 1, null, $"header is '{header}', expected 'row_id,meter_reading'");
                }

                return;
            }

            var comma = text.IndexOf((byte)',');
            if (comma < 0 || !(TryDigits(text[..comma], out var id) || int.TryParse(text[..comma], NumberStyles.Integer, CultureInfo.InvariantCulture, out id)))
            {
                throw Bad(name, Line, "row_id", $"'{Utf8(text)}' does not start with an integer row_id");
            }

            var reading = text[(comma + 1)..];
            if (!IsPlainDecimal(reading) && (!float.TryParse(reading, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value) || value < 0))
            {
                throw Bad(name, Line, "meter_reading", $"'{Utf8(text[(comma + 1)..])}' is not a finite number ≥ 0");
            }

            if (!expected.Contains(id))
            {
                throw Bad(name, Line, "row_id", $"row_id {id} is not in sample_submission.csv");
            }

            if (!seen.Add(id))
            {
                throw Bad(name, Line, "row_id", $"row_id {id} appears more than once");
            }
        }

        /// <summary>The fast path for a row id: 1 to 9 digits, no sign or space (what the writer writes).</summary>
        private static bool TryDigits(ReadOnlySpan<byte> text, out int value)
        {
            value = 0;
            if (text.Length is 0 or > 9)
            {
                return false;
            }

            foreach (var c in text)
            {
                if ((uint)(c - '0') > 9)
                {
                    return false;
                }

                value = (value * 10) + (c - '0');
            }

            return true;
        }

        /// <summary>
        /// The fast path for a reading: digits, optionally a point and more digits, at most 30 before the point. Such
        /// text is a finite number ≥ 0 (float's range ends past 10³⁸) without parsing it; anything else (an exponent,
        /// a sign, "NaN") goes to <see cref="float.TryParse(ReadOnlySpan{byte}, NumberStyles, IFormatProvider?, out float)"/>.
        /// </summary>
        private static bool IsPlainDecimal(ReadOnlySpan<byte> text)
        {
            var point = text.IndexOf((byte)'.');
            var whole = point < 0 ? text : text[..point];
            return whole.Length is > 0 and <= 30 && !whole.ContainsAnyExceptInRange((byte)'0', (byte)'9')
                && (point < 0 || (point < text.Length - 1 && !text[(point + 1)..].ContainsAnyExceptInRange((byte)'0', (byte)'9')));
        }

        private static string Utf8(ReadOnlySpan<byte> text) => System.Text.Encoding.UTF8.GetString(text);
    }

    private static EsteiraException Bad(string file, long line, string? column, string problem) =>
        new(ErrorCode.PipelineFailed, $"{file}:{line}{(column is null ? "" : $" column '{column}'")}: {problem}; the submission failed its check and must not be sent");
}
