using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.IO.Compression;
using Esteira.Data.Submissions;

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
    /// The one submission reader (<see cref="SubmissionScorer"/>, also the guard's check and the leaderboard server's
    /// scorer) reads the file: gunzipped a few blocks ahead on another task while this thread parses the bytes in place.
    /// </remarks>
    /// <exception cref="EsteiraException">The first bad line (<see cref="ErrorCode.PipelineFailed"/>), with its file, line and column.</exception>
    public static long Check(string path, int[] sampleRowIds)
    {
        var sample = ReferenceRows.FromSampleIds(sampleRowIds, EvalMetric.Rmsle, "row_id", "meter_reading");
        var check = SubmissionScorer.Check(path, sample);
        if (check.Error is { } error)
        {
            var where = $"{Path.GetFileName(path)}:{error.Line}{(error.Column.Length == 0 ? "" : $" column '{error.Column}':")}";
            throw new EsteiraException(ErrorCode.PipelineFailed, $"{where} {error.Problem}; the submission failed its check and must not be sent");
        }

        return check.Rows;
    }
}
