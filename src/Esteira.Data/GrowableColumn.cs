namespace Esteira.Data;

/// <summary>
/// An append-only column of unmanaged values: a resizable array without per-row objects. It grows in fixed blocks,
/// not by doubling, so that reading 41.7M rows never holds twice the column (plus the copy) at once.
/// </summary>
internal sealed class GrowableColumn<T>(int blockSize = 1 << 20) where T : unmanaged
{
    private readonly List<T[]> _blocks = [];
    private readonly int _blockSize = Math.Max(16, blockSize);
    private T[] _current = [];
    private int _used;

    public int Count { get; private set; }

    public void Add(T value)
    {
        if (_used == _current.Length)
        {
            _current = new T[_blocks.Count == 0 ? Math.Min(_blockSize, 1024) : _blockSize];
            _blocks.Add(_current);
            _used = 0;
        }

        _current[_used++] = value;
        Count++;
    }

    /// <summary>The values as one exact-length array; the column is empty afterwards (its blocks are released).</summary>
    public T[] ToArray()
    {
        var result = new T[Count];
        var offset = 0;
        foreach (var block in _blocks)
        {
            var length = Math.Min(block.Length, Count - offset);
            block.AsSpan(0, length).CopyTo(result.AsSpan(offset));
            offset += length;
        }

        _blocks.Clear();
        _current = [];
        _used = 0;
        Count = 0;
        return result;
    }
}
