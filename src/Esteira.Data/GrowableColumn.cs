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

    /// <summary>
    /// The values as one exact-length array; the column is empty afterwards. Its blocks are released as they are
    /// copied and, for a large column, collected at once: a table's columns are converted one after the other, so
    /// the process never holds the table twice (blocks, then copies) as it would if the GC waited.
    /// </summary>
    public T[] ToArray()
    {
        var result = new T[Count];
        var offset = 0;
        for (var j = 0; j < _blocks.Count; j++)
        {
            var length = Math.Min(_blocks[j].Length, Count - offset);
            _blocks[j].AsSpan(0, length).CopyTo(result.AsSpan(offset));
            _blocks[j] = [];
            offset += length;
        }

        var large = _blocks.Count > 4;
        _blocks.Clear();
        _current = [];
        _used = 0;
        Count = 0;
        if (large)
        {
            GC.Collect();
        }

        return result;
    }
}
