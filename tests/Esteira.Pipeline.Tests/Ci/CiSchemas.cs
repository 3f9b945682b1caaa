using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Esteira.Pipeline.Tests.Ci;

/// <summary>The real GitLab CI and GitHub Actions JSON Schemas (Schemas/, see Schemas/SOURCES.md).</summary>
internal static class CiSchemas
{
    private static readonly Lazy<JsonSchema> GitLabSchema = new(() => Load("gitlab-ci.json"));
    private static readonly Lazy<JsonSchema> GitHubSchema = new(() => Load("github-workflow.json"));

    public static JsonSchema GitLab => GitLabSchema.Value;

    public static JsonSchema GitHub => GitHubSchema.Value;

    /// <summary>The schema errors of <paramref name="document"/>, one line each; empty when valid.</summary>
    public static IReadOnlyList<string> Errors(JsonSchema schema, JsonNode document)
    {
        using var json = JsonDocument.Parse(document.ToJsonString());
        var results = schema.Evaluate(json.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var errors = (results.Details ?? [])
            .Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .ToList();
        return errors.Count > 0 ? errors : ["invalid (no detail)"];
    }

    private static JsonSchema Load(string file)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Schemas", file);
        return JsonSchema.FromText(File.ReadAllText(path), new BuildOptions { SchemaRegistry = new SchemaRegistry() });
    }
}
