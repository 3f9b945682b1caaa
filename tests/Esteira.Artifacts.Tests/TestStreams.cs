namespace Esteira.Artifacts.Tests;

/// <summary>Streams that behave like network sources: no length, no seeking, and optionally a failure part-way.</summary>
internal sealed class SourceStream(byte[] data, long failAfter = -1, Exception? failure = null) : Stream
{
    private long _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (failAfter >= 0 && _position >= failAfter)
        {
            throw failure ?? new IOException("the source connection was reset");
        }

        var limit = failAfter >= 0 ? failAfter : data.Length;
        // Short reads on purpose: callers must loop.
        var count = (int)Math.Min(Math.Min(buffer.Length, 100_000), limit - _position);
        if (count <= 0)
        {
            return 0;
        }

        data.AsSpan((int)_position, count).CopyTo(buffer);
        _position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

/// <summary>A source that delivers <c>before</c> bytes, then waits to be released before delivering the rest.</summary>
internal sealed class GatedStream(byte[] data, int before) : Stream
{
    private readonly SemaphoreSlim _release = new(0);
    private readonly TaskCompletionSource _reachedGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _position;

    public Task ReachedGate => _reachedGate.Task;

    public void Release() => _release.Release();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position == before)
        {
            _reachedGate.TrySetResult();
            await _release.WaitAsync(cancellationToken);
        }

        var end = _position < before ? before : data.Length;
        var count = Math.Min(buffer.Length, end - _position);
        data.AsMemory(_position, count).CopyTo(buffer);
        _position += count;
        return count;
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
            _release.Dispose();
        }

        base.Dispose(disposing);
    }
}
