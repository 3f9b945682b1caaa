using Microsoft.ML;
using Microsoft.ML.Data;

namespace Esteira.Ml;

/// <summary>
/// An ML.NET <see cref="IDataView"/> over feature columns (one float array per feature) and a label
/// array, optionally restricted to a subset of rows: no row objects and no copy of the data.
/// </summary>
internal sealed class ColumnarDataView : IDataView
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";

    private readonly float[][] _columns;
    private readonly float[]? _label;
    private readonly int[]? _rows;
    private readonly int _start;
    private readonly int _count;

    /// <param name="columns">Feature columns, all of the same length.</param>
    /// <param name="label">Label per row, or null for prediction.</param>
    /// <param name="rows">The rows to expose, or null for <paramref name="start"/>..+<paramref name="count"/>.</param>
    /// <param name="start">First row when <paramref name="rows"/> is null.</param>
    /// <param name="count">Row count when <paramref name="rows"/> is null; −1 for all.</param>
    public ColumnarDataView(float[][] columns, float[]? label, int[]? rows = null, int start = 0, int count = -1)
    {
        _columns = columns;
        _label = label;
        _rows = rows;
        _start = start;
        _count = rows?.Length ?? (count < 0 ? columns[0].Length - start : count);
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(FeaturesColumn, new VectorDataViewType(NumberDataViewType.Single, columns.Length));
        if (label is not null)
        {
            builder.AddColumn(LabelColumn, NumberDataViewType.Single);
        }

        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    private sealed class Cursor(ColumnarDataView view) : DataViewRowCursor
    {
        private long _position = -1;

        public override DataViewSchema Schema => view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext()
        {
            if (_position + 1 >= view._count)
            {
                return false;
            }

            _position++;
            return true;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId value) => value = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Name == FeaturesColumn)
            {
                ValueGetter<VBuffer<float>> features = (ref VBuffer<float> value) =>
                {
                    var row = Row();
                    var columns = view._columns;
                    var editor = VBufferEditor.Create(ref value, columns.Length);
                    for (var f = 0; f < columns.Length; f++)
                    {
                        editor.Values[f] = columns[f][row];
                    }

                    value = editor.Commit();
                };
                return (ValueGetter<TValue>)(Delegate)features;
            }

            ValueGetter<float> label = (ref float value) => value = view._label![Row()];
            return (ValueGetter<TValue>)(Delegate)label;
        }

        private int Row() => view._rows is { } rows ? rows[_position] : view._start + (int)_position;
    }
}
