using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Esteira.Data.Submissions;

/// <summary>
/// Reads an inner stream on a background task, a few 1 MiB chunks ahead of the consumer. Used for gzip and zip
/// submissions so that decompression (one core) overlaps with parsing and scoring (the other core).
/// </summary>
internal sealed class ReadAheadStream : Stream
{
    private const int ChunkSize = 1 << 20;
    private readonly Stream _inner;
    private readonly Channel<(byte[] Buffer, int Length)> _chunks = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
    private readonly Channel<byte[]> _free = Channel.CreateUnbounded<byte[]>();
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<byte[]> _rented = [];
    private readonly Task _producer;
    private byte[]? _current;
    private int _offset;
    private int _length;
    private bool _done;

    public ReadAheadStream(Stream inner)
    {
        _inner = inner;
        _producer = Task.Run(ProduceAsync);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_current is null || _offset == _length)
        {
            if (_done)
            {
                return 0;
            }

            if (_current is not null)
            {
                _free.Writer.TryWrite(_current);
                _current = null;
            }

            // Blocking here is the point: the consumer is a synchronous parser on its own thread.
            bool more;
            try
            {
                more = _chunks.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult();
            }
            catch (ChannelClosedException e) when (e.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
                throw;
            }

            if (!more || !_chunks.Reader.TryRead(out var chunk))
            {
                _done = true;
                _producer.GetAwaiter().GetResult(); // rethrows a read error of the inner stream
                return 0;
            }

            (_current, _length) = chunk;
            _offset = 0;
        }

        var n = Math.Min(buffer.Length, _length - _offset);
        _current.AsSpan(_offset, n).CopyTo(buffer);
        _offset += n;
        return n;
    }

    private async Task ProduceAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var buffer = _free.Reader.TryRead(out var recycled) ? recycled : Rent();
                var filled = 0;
                while (filled < buffer.Length)
                {
                    var read = await _inner.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                    {
                        break;
                    }

                    filled += read;
                }

                if (filled > 0)
                {
                    await _chunks.Writer.WriteAsync((buffer, filled), _stop.Token);
                }

                if (filled < buffer.Length)
                {
                    break;
                }
            }

            _chunks.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            _chunks.Writer.TryComplete();
        }
        catch (Exception e)
        {
            _chunks.Writer.TryComplete(e);
            throw;
        }
    }

    // Pooled, because fresh 1 MiB chunks land on the large-object heap and a busy server would churn gen-2 collections.
    private byte[] Rent()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
        _rented.Add(buffer);
        return buffer;
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
            _stop.Cancel();
            try
            {
                _producer.Wait(TimeSpan.FromSeconds(10));
            }
            catch (AggregateException)
            {
                // The consumer stopped early (a format error) or the inner stream failed; either way nothing is left to read.
            }

            _inner.Dispose();
            _stop.Dispose();
            if (_producer.IsCompleted)
            {
                foreach (var buffer in _rented)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }

        base.Dispose(disposing);
    }
}
