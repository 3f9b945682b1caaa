namespace Esteira.Cli.Tests.Infra;

/// <summary>The repository's Dockerfile, read as instructions (continuation lines joined, comments dropped).</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Stage);

internal static class Dockerfile
{
    public static IReadOnlyList<DockerInstruction> Read(string path)
    {
        var instructions = new List<DockerInstruction>();
        var stage = -1;
        var pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1].Trim() + " ";
                continue;
            }

            line = pending + line;
            pending = "";
            var space = line.IndexOf(' ');
            var keyword = line[..space].ToUpperInvariant();
            if (keyword == "FROM")
            {
                stage++;
            }

            instructions.Add(new DockerInstruction(keyword, line[(space + 1)..].Trim(), stage));
        }

        return instructions;
    }

    /// <summary>The .dockerignore patterns, as plain folder/file prefixes relative to the context.</summary>
    public static IReadOnlyList<string> Ignored(string path) =>
        [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
}
