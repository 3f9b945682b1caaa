using System.Collections.Concurrent;
using System.Reflection;
using System.Reflection.Emit;
using System.Security.Cryptography;
using System.Text;

namespace Esteira.Ml;

/// <summary>
/// A LightGBM regression model compiled to machine code, one generated method per tree, scoring a vector of rows
/// (16 with AVX-512, 8 with AVX2) per step without a single data-dependent branch. Scores are bit-identical to
/// LightGBM's <c>LGBM_BoosterPredictForMat</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each tree is compiled the QuickScorer way (Lucchese et al., SIGIR 2015): its leaves are numbered left to right,
/// a row starts with a bit set for every leaf, and every node whose test sends the row right clears the bits of the
/// leaves in its left subtree. The row's leaf is then the lowest bit left, because each leaf left of it lies in the
/// left subtree of a node on its path that went right, and no node on its path clears it. Every node is evaluated,
/// with no branches: a vector comparison of one feature of 16 rows against the threshold (an immediate in the generated
/// code), an AND with the node's leaf mask (an immediate too) and an AND-NOT into the row's leaf bits, 32 leaves per
/// word. Trees of up to 256 leaves are compiled.
/// </para>
/// <para>
/// Semantics follow LightGBM's <c>NumericalDecision</c> exactly: a row goes left when <c>(double)x &lt;= threshold</c>,
/// which for a float x is <c>x &lt;= t</c> with t the largest float not above the double threshold; NaN goes where the
/// node sends missing values (or, for a feature with no missing values in training, where 0 would go). Leaf values are
/// added per row in tree order, starting from 0, in doubles, as LightGBM does.
/// </para>
/// <para>
/// Rows are scored in blocks of <see cref="BlockRows"/> (transposed to feature-major so that a feature of a vector of
/// rows is one load; a block of 40 features stays in L1 while every tree runs over it), blocks in parallel on every
/// core. Compiled models are cached by the SHA-256 of their text (<see cref="Cached"/>). Instances are thread-safe.
/// </para>
/// </remarks>
public sealed unsafe class CompiledEnsemble
{
    /// <summary>Rows per block: every tree runs over a block before the next tree starts.</summary>
    public const int BlockRows = 128;

    private const int MaxWords = 8; // 256 leaves
    private const int CacheSize = 16;
    private const int BlocksPerTask = 16;

    private static readonly ConcurrentDictionary<string, CompiledEnsemble?> CacheByHash = new(StringComparer.Ordinal);

    private readonly TreeScorer[] _trees;
    private readonly double[] _leafValues;
    private readonly int[] _leafStart;

    private CompiledEnsemble(TreeScorer[] trees, double[] leafValues, int[] leafStart, int features, int lanes)
    {
        _trees = trees;
        _leafValues = leafValues;
        _leafStart = leafStart;
        Features = features;
        Lanes = lanes;
    }

    /// <summary>The generated code of one tree: adds its leaf value to the score of each row of a feature-major block.</summary>
    private delegate void TreeScorer(nint block, nint scores, nint leafValues, nint scratch);

    /// <summary>The number of features a row has.</summary>
    public int Features { get; }

    /// <summary>The number of trees.</summary>
    public int Trees => _trees.Length;

    /// <summary>Rows scored per vector step: 16 with 512-bit vectors, 8 with 256-bit ones.</summary>
    public int Lanes { get; }

    /// <summary>Whether this machine has vectors that the compiled code can use (256-bit or wider, in hardware).</summary>
    public static bool IsSupported => Vector256Ops.IsSupported;

    /// <summary>
    /// Compiles LightGBM's text model format; null when the model uses something this scorer does not (categorical
    /// splits, zero-as-missing, linear trees, several trees per iteration, an objective with an output transform, more
    /// than 256 leaves) or the machine has no 256-bit vectors: the caller then scores another way.
    /// </summary>
    /// <param name="modelText">The model, as <c>LGBM_BoosterSaveModelToString</c> writes it.</param>
    /// <param name="vectorBits">512 or 256 to choose the vector width (tests); 0 for the widest the hardware runs.</param>
    public static CompiledEnsemble? TryCompile(string modelText, int vectorBits = 0)
    {
        var ops = vectorBits switch
        {
            0 => Vector512Ops.IsSupported ? typeof(Vector512Ops) : Vector256Ops.IsSupported ? typeof(Vector256Ops) : null,
            512 => Vector512Ops.IsSupported ? typeof(Vector512Ops) : null,
            256 => Vector256Ops.IsSupported ? typeof(Vector256Ops) : null,
            _ => throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, "0, 256 or 512"),
        };
        if (ops is null || LightGbmModelText.TryParse(modelText) is not var (features, trees)
            || trees.Any(t => t.LeafValue.Length > 32 * MaxWords))
        {
            return null;
        }

        var lanes = (int)ops.GetField("Lanes")!.GetRawConstantValue()!;
        var scorers = new TreeScorer[trees.Count];
        var leafStart = new int[trees.Count];
        var leafValues = new List<double>();
        for (var t = 0; t < trees.Count; t++)
        {
            leafStart[t] = leafValues.Count;
            scorers[t] = Generate(trees[t], t, ops, lanes, leafValues);
        }

        return new CompiledEnsemble(scorers, [.. leafValues], leafStart, features, lanes);
    }

    /// <summary><see cref="TryCompile"/>, once per model text (by SHA-256) in this process; a few recent models are kept.</summary>
    public static CompiledEnsemble? Cached(string modelText)
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(modelText)));
        if (CacheByHash.TryGetValue(key, out var known))
        {
            return known;
        }

        var compiled = TryCompile(modelText);
        if (CacheByHash.Count >= CacheSize)
        {
            CacheByHash.Clear();
        }

        return CacheByHash.GetOrAdd(key, compiled);
    }

    /// <summary>Writes the score of each of <paramref name="rows"/> rows of <paramref name="rowMajor"/> to <paramref name="scores"/>.</summary>
    public void Predict(float[] rowMajor, int rows, double[] scores, int threads = 0)
    {
        if (rows < 0 || rowMajor.Length < (long)rows * Features || scores.Length < rows)
        {
            throw new ArgumentException($"{rows} rows of {Features} features do not fit the buffers");
        }

        var features = Features;
        Run(rows, scores, threads, (first, count, block) =>
        {
            for (var r = 0; r < count; r++)
            {
                var row = rowMajor.AsSpan((first + r) * features, features);
                for (var f = 0; f < features; f++)
                {
                    block[(f * BlockRows) + r] = row[f];
                }
            }
        });
    }

    /// <summary>
    /// Writes the score of rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="rows"/>) of the
    /// feature columns <paramref name="columns"/> to <paramref name="scores"/>[0, <paramref name="rows"/>).
    /// </summary>
    public void Predict(float[][] columns, int start, int rows, double[] scores, int threads = 0)
    {
        if (columns.Length != Features || rows < 0 || scores.Length < rows || columns.Any(c => c.Length < (long)start + rows))
        {
            throw new ArgumentException($"{rows} rows of {Features} features do not fit the buffers");
        }

        Run(rows, scores, threads, (first, count, block) =>
        {
            for (var f = 0; f < columns.Length; f++)
            {
                columns[f].AsSpan(start + first, count).CopyTo(block.Slice(f * BlockRows, count));
            }
        });
    }

    /// <summary>Fills rows [first, first + count) of a feature-major block (feature f of row r at f * BlockRows + r).</summary>
    private delegate void BlockFill(int first, int count, Span<float> block);

    private void Run(int rows, double[] scores, int threads, BlockFill fill)
    {
        var blocks = (rows + BlockRows - 1) / BlockRows;
        var tasks = (blocks + BlocksPerTask - 1) / BlocksPerTask;
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads > 0 ? threads : Environment.ProcessorCount };
        Parallel.For(0, tasks, options, () => new Buffers(Features, Lanes), (task, _, buffers) =>
        {
            var last = Math.Min(blocks, (task + 1) * BlocksPerTask);
            for (var b = task * BlocksPerTask; b < last; b++)
            {
                var first = b * BlockRows;
                var count = Math.Min(BlockRows, rows - first);
                if (count < BlockRows)
                {
                    buffers.Block.AsSpan().Clear(); // the rows past the end are scored and dropped
                }

                fill(first, count, buffers.Block);
                ScoreBlock(buffers);
                buffers.Scores.AsSpan(0, count).CopyTo(scores.AsSpan(first, count));
            }

            return buffers;
        }, _ => { });
    }

    private void ScoreBlock(Buffers buffers)
    {
        buffers.Scores.AsSpan().Clear();
        fixed (float* block = buffers.Block)
        fixed (double* scores = buffers.Scores)
        fixed (double* values = _leafValues)
        fixed (uint* scratch = buffers.Scratch)
        {
            for (var t = 0; t < _trees.Length; t++)
            {
                _trees[t]((nint)block, (nint)scores, (nint)(values + _leafStart[t]), (nint)scratch);
            }
        }
    }

    /// <summary>
    /// Generates one tree's method: for each vector of rows in the block, every node's test and mask update (two
    /// accumulators per word, so that the AND-NOT chains overlap), then the lowest bit's leaf value added to each row.
    /// Appends the tree's leaf values, numbered left to right, to <paramref name="leafValues"/>.
    /// </summary>
    private static TreeScorer Generate(LightGbmTree tree, int index, Type ops, int lanes, List<double> leafValues)
    {
        var internalNodes = tree.Feature.Length;
        var range = new (int Lo, int Mid)[internalNodes];
        var order = new List<int>(); // LightGBM leaf index, left to right
        if (internalNodes == 0)
        {
            order.Add(0);
        }
        else
        {
            Visit(0);
        }

        leafValues.AddRange(order.Select(leaf => tree.LeafValue[leaf]));
        var words = (order.Count + 31) / 32;

        var method = new DynamicMethod($"esteira_tree_{index}", typeof(void), [typeof(nint), typeof(nint), typeof(nint), typeof(nint)],
            typeof(CompiledEnsemble).Module, skipVisibility: true);
        var il = method.GetILGenerator();
        var vector = ops.GetMethod("Ones")!.ReturnType;
        MethodInfo Op(string name) => ops.GetMethod(name, BindingFlags.Public | BindingFlags.Static)!;
        var acc = new LocalBuilder[words, 2];
        for (var k = 0; k < words; k++)
        {
            acc[k, 0] = il.DeclareLocal(vector);
            acc[k, 1] = il.DeclareLocal(vector);
        }

        var group = il.DeclareLocal(typeof(int));
        var rowsAt = il.DeclareLocal(typeof(nint));
        var scoresAt = il.DeclareLocal(typeof(nint));
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Stloc, rowsAt);
        il.Emit(OpCodes.Ldarg_1);
        il.Emit(OpCodes.Stloc, scoresAt);
        il.Emit(OpCodes.Ldc_I4_0);
        il.Emit(OpCodes.Stloc, group);
        var loop = il.DefineLabel();
        il.MarkLabel(loop);
        for (var k = 0; k < words; k++)
        {
            il.Emit(OpCodes.Call, Op("Ones"));
            il.Emit(OpCodes.Stloc, acc[k, 0]);
            il.Emit(OpCodes.Call, Op("Ones"));
            il.Emit(OpCodes.Stloc, acc[k, 1]);
        }

        var gt = Op("ClearIfGreater");
        var notLe = Op("ClearIfNotLessOrEqual");
        var turn = new int[words];
        for (var n = 0; n < internalNodes; n++)
        {
            var (lo, mid) = range[n];
            for (var k = lo / 32; k <= (mid - 1) / 32; k++)
            {
                var from = Math.Max(lo, 32 * k) - (32 * k);
                var to = Math.Min(mid, 32 * (k + 1)) - (32 * k); // bits [from, to) of word k
                var clear = to - from == 32 ? uint.MaxValue : ((1u << (to - from)) - 1) << from;
                var a = acc[k, turn[k]++ & 1];
                il.Emit(OpCodes.Ldloc, a);
                il.Emit(OpCodes.Ldloc, rowsAt);
                il.Emit(OpCodes.Ldc_I4, tree.Feature[n] * BlockRows * sizeof(float));
                il.Emit(OpCodes.Conv_I);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Ldc_R4, tree.FloatThreshold(n));
                il.Emit(OpCodes.Ldc_I4, unchecked((int)clear));
                il.Emit(OpCodes.Call, tree.NanRight(n) ? notLe : gt);
                il.Emit(OpCodes.Stloc, a);
            }
        }

        for (var k = 0; k < words; k++)
        {
            il.Emit(OpCodes.Ldloc, acc[k, 0]);
            il.Emit(OpCodes.Ldloc, acc[k, 1]);
            il.Emit(OpCodes.Call, Op("And"));
            il.Emit(OpCodes.Stloc, acc[k, 0]);
        }

        if (words <= 2)
        {
            il.Emit(OpCodes.Ldloc, acc[0, 0]);
            il.Emit(OpCodes.Ldloc, words == 2 ? acc[1, 0] : acc[0, 0]);
            il.Emit(OpCodes.Ldc_I4, words == 2 ? 1 : 0);
            il.Emit(OpCodes.Ldloc, scoresAt);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Call, Op("AddLeaves2"));
        }
        else
        {
            for (var k = 0; k < words; k++)
            {
                il.Emit(OpCodes.Ldloc, acc[k, 0]);
                il.Emit(OpCodes.Ldarg_3);
                il.Emit(OpCodes.Ldc_I4, k * lanes * sizeof(uint));
                il.Emit(OpCodes.Conv_I);
                il.Emit(OpCodes.Add);
                il.Emit(OpCodes.Call, Op("Store"));
            }

            il.Emit(OpCodes.Ldarg_3);
            il.Emit(OpCodes.Ldc_I4, words);
            il.Emit(OpCodes.Ldloc, scoresAt);
            il.Emit(OpCodes.Ldarg_2);
            il.Emit(OpCodes.Call, Op("AddLeaves"));
        }

        // next vector of rows
        il.Emit(OpCodes.Ldloc, rowsAt);
        il.Emit(OpCodes.Ldc_I4, lanes * sizeof(float));
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, rowsAt);
        il.Emit(OpCodes.Ldloc, scoresAt);
        il.Emit(OpCodes.Ldc_I4, lanes * sizeof(double));
        il.Emit(OpCodes.Conv_I);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Stloc, scoresAt);
        il.Emit(OpCodes.Ldloc, group);
        il.Emit(OpCodes.Ldc_I4_1);
        il.Emit(OpCodes.Add);
        il.Emit(OpCodes.Dup);
        il.Emit(OpCodes.Stloc, group);
        il.Emit(OpCodes.Ldc_I4, BlockRows / lanes);
        il.Emit(OpCodes.Blt, loop);
        il.Emit(OpCodes.Ret);
        return method.CreateDelegate<TreeScorer>();

        void Visit(int node)
        {
            var lo = order.Count;
            Child(tree.Left[node]);
            var mid = order.Count;
            Child(tree.Right[node]);
            range[node] = (lo, mid);
        }

        void Child(int child)
        {
            if (child < 0)
            {
                order.Add(~child);
            }
            else
            {
                Visit(child);
            }
        }
    }

    /// <summary>One worker's block, its scores and room for the leaf words of trees with more than 64 leaves.</summary>
    private sealed class Buffers(int features, int lanes)
    {
        public float[] Block { get; } = GC.AllocateArray<float>(features * BlockRows, pinned: true);

        public double[] Scores { get; } = GC.AllocateArray<double>(BlockRows, pinned: true);

        public uint[] Scratch { get; } = GC.AllocateArray<uint>(MaxWords * lanes, pinned: true);
    }
}
