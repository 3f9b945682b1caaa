using System.Globalization;

namespace Esteira.Data.Tabular;

/// <summary>What the user said about a tabular competition; null fields are inferred from the data.</summary>
/// <param name="Id">The id column (default: the sample submission's first column).</param>
/// <param name="Target">The target column (default: the sample submission's second column).</param>
/// <param name="Time">The time column, <c>none</c> for K-fold, or null to infer.</param>
/// <param name="Task"><c>regression</c>, <c>binary</c>, or null to infer.</param>
/// <param name="Metric">The metric's name, or null for the task's default (rmse, auc).</param>
public sealed record TabularOptions(string? Id = null, string? Target = null, string? Time = null, string? Task = null, string? Metric = null);

/// <summary>What was inferred about one column (the features folder's <c>schema.json</c>).</summary>
public sealed record TabularColumn(string Name, string Role, string Type, long Missing, int Distinct, string? Note = null);

/// <summary>Something about the data a user should know that does not stop the run (quality.json's <c>findings</c>).</summary>
public sealed record TabularFinding(string Column, string Finding);

/// <summary>
/// The decisions about a tabular competition's data: which column is the id, the target and the time, the task and
/// metric, each column's type and role, and the target as numbers.
/// </summary>
public sealed class TabularSchema
{
    /// <summary>Task: predict a number.</summary>
    public const string Regression = "regression";
    /// <summary>Task: predict one of two classes.</summary>
    public const string Binary = "binary";
    /// <summary>Column type: numbers.</summary>
    public const string Numeric = "numeric";
    /// <summary>Column type: a small set of labels.</summary>
    public const string Categorical = "categorical";
    /// <summary>Column type: dates or timestamps.</summary>
    public const string Datetime = "datetime";
    /// <summary>Column type: free text (many distinct strings).</summary>
    public const string Text = "text";

    /// <summary>A string column with at least this many distinct values, over half of its training values, is text.</summary>
    private const int TextMinDistinct = 20;

    private TabularSchema()
    {
    }

    /// <summary>The column holding each row's id.</summary>
    public required string IdColumn { get; init; }
    /// <summary>The column to predict.</summary>
    public required string TargetColumn { get; init; }

    /// <summary>The column that orders the CV folds, or null for K-fold.</summary>
    public string? TimeColumn { get; init; }

    /// <summary><see cref="Regression"/> or <see cref="Binary"/>.</summary>
    public required string Task { get; init; }

    /// <summary>The metric that scores predictions.</summary>
    public required EvalMetric Metric { get; init; }

    /// <summary>Binary: the target's two values as written; label k stands for Classes[k].</summary>
    public string[]? Classes { get; init; }

    /// <summary>The target of each training row in its own units (0/1 for binary).</summary>
    public required float[] Label { get; init; }

    /// <summary>Every column of train.csv, then those only in test.csv.</summary>
    public required IReadOnlyList<TabularColumn> Columns { get; init; }

    /// <summary>What the schema decisions noticed about the data.</summary>
    public required IReadOnlyList<TabularFinding> Findings { get; init; }

    /// <summary>test.csv's ids as read, in file order.</summary>
    public required string[] TestIds { get; init; }

    /// <summary>The sample submission's header and ids as read.</summary>
    public required string[] SampleHeader { get; init; }

    /// <summary>The sample submission's ids, in file order.</summary>
    public required string[] SampleIds { get; init; }

    /// <summary>The columns the model uses (role feature or time), in train.csv's order.</summary>
    public IEnumerable<TabularColumn> Inputs => Columns.Where(c => c.Role is "feature" or "time" || (c.Role == "id" && c.Name == TimeColumn));

    /// <summary>Infers the schema; fails with one line naming the file, line and column when the data cannot be used.</summary>
    public static TabularSchema Infer(RawTable train, RawTable test, RawTable sample, TabularOptions options)
    {
        if (sample.Header.Length != 2)
        {
            throw EsteiraException.BadInput(sample.Display, 1, null,
                $"has {sample.Header.Length} column(s) ('{string.Join(",", sample.Header)}'), expected two: the id and the one target",
                "use the competition's sample submission; the tabular profile predicts one target column");
        }

        var id = options.Id ?? sample.Header[0];
        var target = options.Target ?? sample.Header[1];
        if (test.IndexOf(id) < 0)
        {
            throw EsteiraException.BadInput(test.Display, 1, id, $"missing id column (header is '{string.Join(",", test.Header)}')", "pass --id with test.csv's id column");
        }

        if (train.IndexOf(target) < 0)
        {
            throw EsteiraException.BadInput(train.Display, 1, target,
                $"missing target column (header is '{string.Join(",", train.Header)}')", "pass --target with train.csv's target column");
        }

        id = test.Header[test.IndexOf(id)];
        target = train.Header[train.IndexOf(target)];
        var testIds = test.Column(id)!;
        var sampleIds = sample.Columns[0];
        CheckIds(test, id, testIds, sample, sampleIds);

        var findings = new List<TabularFinding>();
        var (task, classes, label) = InferTarget(train, target, options.Task, findings);
        var metric = InferMetric(train, target, task, label, options.Metric);

        // column types over train and test together
        var names = train.Header.Concat(test.Header.Where(h => train.IndexOf(h) < 0)).ToList();
        var stats = names.ToDictionary(n => n, n => ColumnStats.Of(train.Column(n), test.Column(n)), StringComparer.OrdinalIgnoreCase);
        var time = InferTime(train, names, stats, id, options.Time);

        var columns = new List<TabularColumn>();
        foreach (var name in names)
        {
            var s = stats[name];
            var (role, note) = name == id ? ("id", name == time ? "the id; also the time column (CV blocks, calendar features)" : null)
                : name == target ? ("target", classes is null ? null : $"{classes[0]} → 0, {classes[1]} → 1")
                : !s.InTest ? ("ignored", "in train only: not available for the test rows")
                : !s.InTrain ? ("ignored", "in test only")
                : name == time ? ("time", "orders the CV blocks; calendar features")
                : s.Type == Text ? ("ignored", $"{s.TrainDistinct:N0} distinct values in {s.TrainPresent:N0} training rows: free text or an identifier")
                : s.TrainDistinct <= 1 ? ("ignored", s.TrainDistinct == 0 ? "every training value is missing" : "constant in train")
                : ("feature", (string?)null);
            columns.Add(new TabularColumn(name, role, s.Type, s.Missing, s.Distinct, note));
            if (role is "feature" or "time" && s.Rows > 0 && s.Missing > s.Rows / 2)
            {
                findings.Add(new(name, $"{100.0 * s.Missing / s.Rows:F0} % of values are missing"));
            }

            if (role == "ignored" && name != target)
            {
                findings.Add(new(name, $"left out: {note}"));
            }
        }

        return new TabularSchema
        {
            IdColumn = id,
            TargetColumn = target,
            TimeColumn = time,
            Task = task,
            Metric = metric,
            Classes = classes,
            Label = label,
            Columns = columns,
            Findings = findings,
            TestIds = testIds,
            SampleHeader = sample.Header,
            SampleIds = sampleIds,
        };
    }

    private static void CheckIds(RawTable test, string id, string[] testIds, RawTable sample, string[] sampleIds)
    {
        var testLine = Unique(test, id, testIds);
        var sampleLine = Unique(sample, sample.Header[0], sampleIds);
        for (var i = 0; i < testIds.Length; i++)
        {
            if (!sampleLine.ContainsKey(testIds[i]))
            {
                throw EsteiraException.BadInput(test.Display, test.Lines[i], id,
                    $"id '{testIds[i]}' is not in {sample.Display}", "use the sample submission that came with this test.csv (or pass --id)");
            }
        }

        for (var i = 0; i < sampleIds.Length; i++)
        {
            if (!testLine.ContainsKey(sampleIds[i]))
            {
                throw EsteiraException.BadInput(sample.Display, sample.Lines[i], sample.Header[0],
                    $"id '{sampleIds[i]}' is not in {test.Display}", "use the sample submission that came with this test.csv");
            }
        }
    }

    private static Dictionary<string, int> Unique(RawTable table, string column, string[] ids)
    {
        var seen = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
        {
            if (TabularValues.IsMissing(ids[i]))
            {
                throw EsteiraException.BadInput(table.Display, table.Lines[i], column, $"the id is missing ('{ids[i]}')", "give every row an id");
            }

            if (!seen.TryAdd(ids[i], table.Lines[i]))
            {
                throw EsteiraException.BadInput(table.Display, table.Lines[i], column, $"id '{ids[i]}' repeats line {seen[ids[i]]}", "keep each id once");
            }
        }

        return seen;
    }

    private static (string Task, string[]? Classes, float[] Label) InferTarget(RawTable train, string target, string? taskOption, List<TabularFinding> findings)
    {
        var values = train.Column(target)!;
        var task = taskOption?.Trim().ToLowerInvariant();
        if (task is not (null or Regression or Binary))
        {
            throw new EsteiraException(ErrorCode.BadInput, $"competition.task: '{taskOption}' is not a task; use regression or binary (or leave it out to infer it)");
        }

        var distinct = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < values.Length; i++)
        {
            if (TabularValues.IsMissing(values[i]))
            {
                throw EsteiraException.BadInput(train.Display, train.Lines[i], target, $"the target is missing ('{values[i]}')", "remove the row or fill in its target");
            }

            if (distinct.Count <= 2)
            {
                distinct.Add(values[i].Trim());
            }
        }

        task ??= distinct.Count == 2 ? Binary : Regression;
        var label = new float[values.Length];
        if (task == Regression)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (!TabularValues.TryNumber(values[i], out var y))
                {
                    throw EsteiraException.BadInput(train.Display, train.Lines[i], target, $"'{values[i]}' is not a number; a regression target must be numeric",
                        "fix the value, or set --task binary for a two-class target");
                }

                label[i] = (float)y;
            }

            return (task, null, label);
        }

        if (distinct.Count != 2)
        {
            throw EsteiraException.BadInput(train.Display, null, target, $"has {(distinct.Count > 2 ? "more than two" : "one")} distinct value(s); a binary target needs exactly two",
                "set --task regression, or fix the target");
        }

        var numeric = distinct.All(v => TabularValues.TryNumber(v, out _));
        var classes = numeric
            ? [.. distinct.OrderBy(v => double.Parse(v, CultureInfo.InvariantCulture))]
            : distinct.Order(StringComparer.Ordinal).ToArray();
        var zeroOne = numeric && double.Parse(classes[0], CultureInfo.InvariantCulture) == 0 && double.Parse(classes[1], CultureInfo.InvariantCulture) == 1;
        for (var i = 0; i < values.Length; i++)
        {
            label[i] = values[i].Trim() == classes[1] ? 1 : 0;
        }

        if (zeroOne)
        {
            return (task, null, label);
        }

        findings.Add(new(target, $"binary target: '{classes[0]}' is 0 and '{classes[1]}' is 1; the submission gives the probability of '{classes[1]}'"));
        return (task, classes, label);
    }

    private static EvalMetric InferMetric(RawTable train, string target, string task, float[] label, string? metricOption)
    {
        var metric = metricOption is null ? (task == Binary ? EvalMetric.Auc : EvalMetric.Rmse) : EvalMetric.Parse(metricOption, "competition.metric");
        if (metric.Classification != (task == Binary))
        {
            var fitting = EvalMetric.All.Where(m => m.Classification == (task == Binary)).Select(m => m.Name);
            throw new EsteiraException(ErrorCode.BadInput,
                $"competition.metric: {metric.Name} is a {(metric.Classification ? "classification" : "regression")} metric but the task is {task} (target '{target}'); use one of {string.Join(", ", fitting)}, or set --task");
        }

        if (metric == EvalMetric.Rmsle && Array.FindIndex(label, y => y < 0) is var negative and >= 0)
        {
            throw EsteiraException.BadInput(train.Display, train.Lines[negative], target,
                $"{label[negative].ToString(CultureInfo.InvariantCulture)} is negative; rmsle needs a target ≥ 0", "use --metric rmse, or fix the value");
        }

        return metric;
    }

    private static string? InferTime(RawTable train, List<string> names, Dictionary<string, ColumnStats> stats, string id, string? timeOption)
    {
        if (string.Equals(timeOption?.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (timeOption is not null)
        {
            var name = names.FirstOrDefault(n => string.Equals(n, timeOption.Trim(), StringComparison.OrdinalIgnoreCase));
            if (name is null || !stats[name].InTrain)
            {
                throw EsteiraException.BadInput(train.Display, 1, timeOption, "no such column", "pass --time with a date column of train.csv, or --time none for K-fold CV");
            }

            var s = stats[name];
            if (s.Type != Datetime || s.TrainMissing > 0)
            {
                throw EsteiraException.BadInput(train.Display, 1, name,
                    s.Type != Datetime ? $"is {s.Type}, not a date column ({string.Join(", ", TabularValues.DateFormats)})" : $"{s.TrainMissing:N0} training rows have no time",
                    "pass --time with a date column every training row has, or --time none for K-fold CV");
            }

            return name;
        }

        return names.FirstOrDefault(n => stats[n] is { Type: Datetime, InTrain: true, InTest: true, TrainMissing: 0 } && (n == id || stats[n].TrainDistinct > 1));
    }

    /// <summary>Counts and the type of one column over train and test.</summary>
    private sealed record ColumnStats(bool InTrain, bool InTest, long Rows, long Missing, long TrainMissing, long TrainPresent, int Distinct, int TrainDistinct, string Type)
    {
        public static ColumnStats Of(string[]? train, string[]? test)
        {
            var trainCounts = Count(train);
            var testCounts = Count(test);
            var keys = trainCounts.Keys.Union(testCounts.Keys).Where(k => !TabularValues.IsMissing(k)).ToList();
            long Missing(Dictionary<string, int> counts) => counts.Where(p => TabularValues.IsMissing(p.Key)).Sum(p => (long)p.Value);
            var trainMissing = Missing(trainCounts);
            var trainPresent = (train?.Length ?? 0) - trainMissing;
            var trainDistinct = trainCounts.Keys.Count(k => !TabularValues.IsMissing(k));
            string type;
            if (keys.Count == 0)
            {
                type = Numeric;
            }
            else if (keys.All(k => TabularValues.TryNumber(k, out _)))
            {
                type = TabularValues.AllCompactDates(keys) ? Datetime : Numeric;
            }
            else if (keys.All(k => TabularValues.TryDate(k, out _)))
            {
                type = Datetime;
            }
            else
            {
                type = trainDistinct >= TextMinDistinct && trainDistinct * 2 > trainPresent ? Text : Categorical;
            }

            return new ColumnStats(train is not null, test is not null, (train?.Length ?? 0) + (test?.Length ?? 0),
                trainMissing + Missing(testCounts), trainMissing, trainPresent, keys.Count, trainDistinct, type);
        }

        private static Dictionary<string, int> Count(string[]? values)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var v in values ?? [])
            {
                counts[v] = counts.GetValueOrDefault(v) + 1;
            }

            return counts;
        }
    }
}
