using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Esteira.Pipeline.Tests;

/// <summary>Parameter injection into notebooks: pure functions, no Jupyter needed.</summary>
public sealed class NotebookParameterTests
{
    private static string Notebook(params (string Source, string? Tag)[] cells) => new JsonObject
    {
        ["cells"] = new JsonArray(cells.Select(c => (JsonNode?)new JsonObject
        {
            ["cell_type"] = "code",
            ["id"] = "c" + c.Source.Length,
            ["metadata"] = c.Tag is null ? new JsonObject() : new JsonObject { ["tags"] = new JsonArray("other", c.Tag) },
            ["outputs"] = new JsonArray(),
            ["source"] = c.Source,
        }).ToArray()),
        ["metadata"] = new JsonObject(),
        ["nbformat"] = 4,
        ["nbformat_minor"] = 5,
    }.ToJsonString();

    private static List<(string Source, string Tags, string? Id)> Cells(string json) =>
        JsonNode.Parse(json)!["cells"]!.AsArray().Select(c =>
        {
            var source = c!["source"] is JsonArray lines ? string.Concat(lines.Select(l => l!.GetValue<string>())) : c["source"]!.GetValue<string>();
            var tags = c["metadata"]?["tags"] is JsonArray t ? string.Join(",", t.Select(x => x!.GetValue<string>())) : "";
            return (source, tags, c["id"]?.GetValue<string>());
        }).ToList();

    private static readonly NotebookParameter[] AlphaAndName = [new("alpha", "2.5"), new("name", "\"ridge\"")];

    [Fact]
    public void The_injected_cell_goes_right_after_the_cell_tagged_parameters()
    {
        var cells = Cells(NotebookParameters.Inject(Notebook(("import os", null), ("alpha = 1.0", "parameters"), ("fit(alpha)", null)), AlphaAndName, "t"));
        Assert.Equal(["import os", "alpha = 1.0", "# Parameters injected by Esteira (experiment.yaml)\nalpha = 2.5\nname = \"ridge\"", "fit(alpha)"], cells.Select(c => c.Source));
        Assert.Equal("injected-parameters", cells[2].Tags);
        Assert.Equal("injected-parameters", cells[2].Id);
        Assert.Equal(cells.Count, cells.Select(c => c.Id).Distinct().Count());
    }

    [Fact]
    public void Without_a_tagged_cell_the_injected_cell_goes_at_the_top()
    {
        var cells = Cells(NotebookParameters.Inject(Notebook(("import os", null), ("fit(alpha)", null)), AlphaAndName, "t"));
        Assert.Equal(3, cells.Count);
        Assert.Equal("injected-parameters", cells[0].Tags);
        Assert.Equal("import os", cells[1].Source);
    }

    [Fact]
    public void An_earlier_injected_cell_is_replaced_not_stacked()
    {
        var once = NotebookParameters.Inject(Notebook(("alpha = 1.0", "parameters"), ("fit(alpha)", null)), AlphaAndName, "t");
        var twice = Cells(NotebookParameters.Inject(once, [new("alpha", "3")], "t"));
        Assert.Single(twice, c => c.Tags == "injected-parameters");
        Assert.Equal("# Parameters injected by Esteira (experiment.yaml)\nalpha = 3", twice[1].Source);
    }

    [Theory]
    [InlineData("1", false, "1")]
    [InlineData("-007", false, "-7")]
    [InlineData("123456789012345678901234567890", false, "123456789012345678901234567890")]
    [InlineData("1.0", false, "1.0")]
    [InlineData("1e3", false, "1000.0")]
    [InlineData("0.001", false, "0.001")]
    [InlineData("1e-30", false, "1E-30")]
    [InlineData(".inf", false, "float('inf')")]
    [InlineData("true", false, "True")]
    [InlineData("False", false, "False")]
    [InlineData("null", false, "None")]
    [InlineData("~", false, "None")]
    [InlineData("yes", false, "\"yes\"")]
    [InlineData("1", true, "\"1\"")]
    [InlineData("true", true, "\"true\"")]
    [InlineData("ridge", false, "\"ridge\"")]
    public void Scalars_become_python_literals(string value, bool quoted, string expected) =>
        Assert.Equal(expected, NotebookParameters.ToPython(value, quoted));

    [Fact]
    public void Strings_are_escaped_json_style()
    {
        Assert.Equal("\"a \\\"b\\\" c\\\\d\\n\\t\\r\\u0001\\u007f é 😀\"", NotebookParameters.PythonString("a \"b\" c\\d\n\t\r\u0001\u007f é 😀"));
        Assert.Equal("\"\\ud800x\"", NotebookParameters.PythonString("\ud800x"));
        Assert.Equal("\"'''; import os\"", NotebookParameters.PythonString("'''; import os"));
    }

    [Fact]
    [Trait("Needs", "python")]
    public void Python_reads_every_literal_back_as_the_value_given()
    {
        string[] values = ["plain", "quote \" and ' both", "back\\slash\\", "new\nline\r\n", "tab\t", "\u0000\u001f\u007f", "é ü ß 中文 😀", "\"\"\"", "{x}", "\\u0041", "''' + __import__('os').getcwd() + '''"];
        var script = string.Join("\n", values.Select((v, i) => $"v{i} = {NotebookParameters.PythonString(v)}"))
            + "\nimport json, sys\nsys.stdout.buffer.write(json.dumps([" + string.Join(", ", values.Select((_, i) => $"v{i}")) + "]).encode())\n";
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add("-");
        using var python = Process.Start(start)!;
        python.StandardInput.Write(script);
        python.StandardInput.Close();
        var output = python.StandardOutput.ReadToEnd();
        python.WaitForExit();
        Assert.Equal(0, python.ExitCode);
        Assert.Equal(values, JsonNode.Parse(output)!.AsArray().Select(v => v!.GetValue<string>()));
    }

    [Fact]
    public void Text_that_is_not_a_notebook_is_refused_in_one_line()
    {
        var error = Assert.Throws<EsteiraException>(() => NotebookParameters.Inject("{\"cells\": [", [], "experiment x: train.ipynb"));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.StartsWith("experiment x: train.ipynb: not a notebook", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("not an nbformat 4 notebook", Assert.Throws<EsteiraException>(() => NotebookParameters.Inject("{\"nbformat\": 3, \"cells\": []}", [], "x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_jupyter_on_the_path_the_error_says_what_to_install()
    {
        var error = Assert.Throws<EsteiraException>(() => NotebookExperiment.RequireJupyter("ridge", "/nonexistent:/also-not"));
        Assert.Equal(ErrorCode.PipelineFailed, error.Code);
        Assert.Equal("experiment ridge: kind notebook needs jupyter nbconvert; install Debian's jupyter-nbconvert and python3-ipykernel (or pip install nbconvert ipykernel)", error.Message);
    }
}

/// <summary>Notebook experiments in a workspace: configuration, cache key and real runs with jupyter nbconvert.</summary>
public sealed class NotebookExperimentTests
{
    private static string Example => Path.Combine(Repository.Root, "examples", "notebook-ridge");

    /// <summary>A workspace whose experiment <c>ridge</c> is a copy of examples/notebook-ridge.</summary>
    private static string WithExample(TempDataset ds, string? yaml = null)
    {
        var root = WorkspaceTests.Create(ds);
        var folder = Path.Combine(root, "experiments", "ridge");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(Example))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        if (yaml is not null)
        {
            File.WriteAllText(Path.Combine(folder, "experiment.yaml"), yaml);
        }

        return root;
    }

    private static WorkspaceRunResult Run(string root) =>
        WorkspaceRunner.Run(Pipeline.Workspace.Load(root), new RunRequest { OutDir = Path.Combine(root, "out"), Experiment = "ridge" }, SilentObserver.Instance);

    [Fact]
    public void The_notebook_and_its_parameters_are_part_of_the_cache_key()
    {
        using var ds = new TempDataset();
        var root = WithExample(ds, "kind: notebook\nnotebook: train.ipynb\nparameters:\n  alpha: 1\n  label: \"1\"\n  flag: true\n");
        Experiment Load() => Pipeline.Workspace.Load(root).Experiments.Single(e => e.Name == "ridge");
        var before = Load();
        Assert.Equal(ExperimentKind.Notebook, before.Kind);
        Assert.Equal([new("alpha", "1"), new("label", "\"1\""), new("flag", "True")], before.Parameters);
        Assert.Equal("\"1\"", before.Definition["notebook.parameter.label"]);

        File.AppendAllText(Path.Combine(root, "experiments", "ridge", "train.ipynb"), " ");
        var after = Load();
        Assert.NotEqual(before.Definition["notebook:train.ipynb"], after.Definition["notebook:train.ipynb"]);

        // Jupyter's autosaves are not the experiment.
        Directory.CreateDirectory(Path.Combine(root, "experiments", "ridge", ".ipynb_checkpoints"));
        File.WriteAllText(Path.Combine(root, "experiments", "ridge", ".ipynb_checkpoints", "train-checkpoint.ipynb"), "{}");
        Assert.Equal(after.Definition, Load().Definition);
    }

    [Theory]
    [InlineData("kind: notebook\n", "key 'notebook': missing; expected the notebook to run")]
    [InlineData("kind: notebook\nnotebook: nope.ipynb\n", "key 'notebook': 'nope.ipynb' not found beside experiment.yaml")]
    [InlineData("kind: notebook\nnotebook: train.ipynb\nparameters:\n  class: 1\n", "key 'parameters.class': 'class' is not a Python variable name")]
    [InlineData("kind: notebook\nnotebook: train.ipynb\nparameters:\n  alpha: [1, 2]\n", "key 'parameters.alpha': expected a single value")]
    [InlineData("kind: command\ncommand: true\nnotebook: train.ipynb\n", "key 'notebook': only a notebook experiment has a notebook")]
    public void Bad_notebook_configuration_names_file_line_and_key(string yaml, string expected)
    {
        using var ds = new TempDataset();
        var root = WithExample(ds, yaml);
        var error = Assert.Throws<EsteiraException>(() => Pipeline.Workspace.Load(root));
        Assert.Equal(ErrorCode.BadInput, error.Code);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    [Trait("Needs", "python")]
    public void The_example_notebook_runs_as_an_experiment_and_its_executed_copy_is_kept()
    {
        using var ds = new TempDataset();
        var root = WithExample(ds, File.ReadAllText(Path.Combine(Example, "experiment.yaml")).Replace("alpha: 1.0", "alpha: 2.5", StringComparison.Ordinal));
        var source = Path.Combine(root, "experiments", "ridge", "train.ipynb");
        var sourceBytes = File.ReadAllBytes(source);

        var run = Run(root);
        var ridge = run.Experiments.Single();
        Assert.InRange(ridge.Metrics.Cv, 0, 1);
        Assert.Equal(2, ridge.Metrics.Folds.Count);
        Assert.True(File.Exists(Path.Combine(root, "out", "submission.csv.gz")));
        Assert.Equal(sourceBytes, File.ReadAllBytes(source));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Example, "train.ipynb")), sourceBytes);

        // The executed notebook is in the train stage's cached output, with the injected cell and its outputs.
        var executed = Path.Combine(ridge.ModelFolder, NotebookExperiment.ExecutedFile);
        Assert.True(File.Exists(executed));
        Assert.True(File.Exists(Path.Combine(ridge.ModelFolder, NotebookExperiment.LogFile)));
        var cells = JsonNode.Parse(File.ReadAllText(executed))!["cells"]!.AsArray();
        var injected = Assert.Single(cells, c => c!["metadata"]?["tags"]?.AsArray().Any(t => t!.GetValue<string>() == "injected-parameters") == true);
        var index = cells.IndexOf(injected);
        Assert.Contains("parameters", cells[index - 1]!["metadata"]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Contains("alpha = 2.5", string.Concat(injected!["source"]!.AsArray().Select(l => l!.GetValue<string>())), StringComparison.Ordinal);
        Assert.Contains("alpha = 2.5", cells.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("test predictions written", cells.ToJsonString(), StringComparison.Ordinal);

        // Unchanged: nothing reruns, not even nbconvert.
        Assert.All(Run(root).Plan, p => Assert.False(p.Run));
    }

    [Fact]
    [Trait("Category", "Slow")]
    [Trait("Needs", "python")]
    public void A_failing_cell_is_one_line_naming_the_experiment_and_the_error()
    {
        using var ds = new TempDataset();
        var root = WithExample(ds);
        var notebook = Path.Combine(root, "experiments", "ridge", "train.ipynb");
        var json = JsonNode.Parse(File.ReadAllText(notebook))!;
        json["cells"]!.AsArray().Insert(2, new JsonObject
        {
            ["cell_type"] = "code",
            ["execution_count"] = null,
            ["id"] = "boom",
            ["metadata"] = new JsonObject(),
            ["outputs"] = new JsonArray(),
            ["source"] = "raise ValueError(f\"alpha {alpha} is \\\"bad\\\"\")",
        });
        File.WriteAllText(notebook, json.ToJsonString());

        var error = Assert.Throws<EsteiraException>(() => Run(root));
        Assert.Equal(ErrorCode.PipelineFailed, error.Code);
        Assert.DoesNotContain('\n', error.Message);
        Assert.StartsWith("experiment ridge: notebook train.ipynb failed: a cell raised ValueError: alpha 1.0 is \"bad\"; see ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith(NotebookExperiment.LogFile, error.Message, StringComparison.Ordinal);
    }
}
