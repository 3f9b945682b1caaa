using System.Collections;

namespace Esteira.Pipeline;

/// <summary>
/// A set of row ids: a bitmap over their range when they are dense (GEPIII's are 0..n−1: 5 MB for 41.7M ids, where a
/// hash set takes over 700 MB), a hash set otherwise.
/// </summary>
internal sealed class RowIdSet
{
    private readonly BitArray? _bits;
    private readonly HashSet<int>? _set;
    private readonly int _min;

    /// <summary>An empty set sized for ids like <paramref name="ids"/>.</summary>
    public RowIdSet(int[] ids)
    {
        if (ids.Length == 0)
        {
            _set = [];
            return;
        }

        _min = ids.Min();
        var range = (long)ids.Max() - _min + 1;
        if (range <= (8L * ids.Length) + 64)
        {
            _bits = new BitArray((int)range);
        }
        else
        {
            _set = new HashSet<int>(ids.Length);
        }
    }

    /// <summary>Adds an id; false when it was already there.</summary>
    public bool Add(int id)
    {
        if (_set is not null)
        {
            if (!_set.Add(id))
            {
                return false;
            }
        }
        else
        {
            var offset = (long)id - _min;
            if (offset < 0 || offset >= _bits!.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(id), id, "outside the range the set was sized for");
            }

            if (_bits[(int)offset])
            {
                return false;
            }

            _bits[(int)offset] = true;
        }

        return true;
    }

    public bool Contains(int id) =>
        _set?.Contains(id) ?? ((long)id - _min is >= 0 and var offset && offset < _bits!.Length && _bits[(int)offset]);
}
