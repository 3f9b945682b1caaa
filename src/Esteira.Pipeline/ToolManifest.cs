using System.Text.Json;

namespace Esteira.Pipeline;

/// <summary>
/// The local .NET tool manifest (<c>.config/dotnet-tools.json</c>) <c>esteira init</c> writes, pinning the esteira
/// that created the workspace so that <c>dotnet tool restore</c> brings back the same version everywhere.
/// </summary>
public static class ToolManifest
{
    /// <summary>Where the manifest sits, relative to the workspace root.</summary>
    public static readonly string RelativePath = Path.Combine(".config", "dotnet-tools.json");

    /// <summary>The tool's package id and command name.</summary>
    public const string ToolId = "esteira";

    /// <summary>Writes the manifest pinning <paramref name="version"/> unless one exists; returns its path when written.</summary>
    public static string? Pin(string root, string version)
    {
        var path = Path.Combine(root, RelativePath);
        if (File.Exists(path))
        {
            return null;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, $$"""
            {
              "version": 1,
              "isRoot": true,
              "tools": {
                "{{ToolId}}": {
                  "version": "{{version}}",
                  "commands": [
                    "{{ToolId}}"
                  ],
                  "rollForward": false
                }
              }
            }

            """, overwrite: false);
        return path;
    }

    /// <summary>One line when the workspace's manifest exists but does not name esteira (or cannot be read); otherwise null.</summary>
    public static string? Note(string root)
    {
        var path = Path.Combine(root, RelativePath);
        if (!File.Exists(path))
        {
            return null;
        }

        var shown = Path.GetRelativePath(Environment.CurrentDirectory, path);

        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var named = json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("tools", out var tools)
                && tools.ValueKind == JsonValueKind.Object
                && tools.EnumerateObject().Any(t => string.Equals(t.Name, ToolId, StringComparison.OrdinalIgnoreCase));
            return named ? null : $"{shown} does not list {ToolId}; left as is";
        }
        catch (JsonException e)
        {
            return $"{shown} is not valid JSON; left as is ({e.Message})";
        }
    }
}
