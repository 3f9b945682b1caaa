namespace Esteira.Data;

/// <summary>An append-only column of unmanaged values: a resizable array without per-row objects.</summary>
internal sealed class GrowableColumn<T>(int capacity = 1024) where T : unmanaged
{
    private T[] _items = new T[Math.Max(16, capacity)];

    public int Count { get; private set; }

    public void Add(T value)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        _items[Count++] = value;
    }

    /// <summary>The filled part as an exact-length array (copies only when the buffer is larger).</summary>
    public T[] ToArray()
    {
        if (Count != _items.Length)
        {
            Array.Resize(ref _items, Count);
        }

        return _items;
    }
}
