using System.Text.RegularExpressions;
using Spectre.Console;

namespace Esteira.Cli.Tests;

/// <summary>
/// Every command and branch answers <c>--help</c> with exit 0. Help text is Spectre markup, so a description holding
/// "[.gz]" crashes the help page ("Could not find color or style '.gz'"); this walks the whole tree to catch that.
/// </summary>
public sealed partial class HelpTests
{
    [GeneratedRegex(@"^\s{2,}([a-z][a-z0-9-]*)(?:\s|$)")]
    private static partial Regex CommandLine();

    private static (int Exit, string Out) Help(params string[] path) => Help(200, path);

    private static (int Exit, string Out) Help(int width, string[] path)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        var exit = EsteiraApp.Run([.. path, "--help"], console);
        return (exit, writer.ToString());
    }

    /// <summary>The sub-commands a help page lists under COMMANDS:.</summary>
    private static List<string> Commands(string help)
    {
        var names = new List<string>();
        var inCommands = false;
        foreach (var line in help.Split('\n'))
        {
            if (line.TrimEnd() == "COMMANDS:")
            {
                inCommands = true;
                continue;
            }

            if (!inCommands)
            {
                continue;
            }

            if (line.Length > 0 && !char.IsWhiteSpace(line[0]))
            {
                break;
            }

            if (CommandLine().Match(line) is { Success: true } match)
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    /// <summary>Every help page reachable from <c>esteira --help</c>, breadth first (the root is the empty path).</summary>
    private static (List<string[]> Visited, List<string> Failures) Walk()
    {
        var failures = new List<string>();
        var visited = new List<string[]>();
        var pending = new Queue<string[]>([[]]);
        while (pending.Count > 0)
        {
            var path = pending.Dequeue();
            var (exit, output) = Help(path);
            visited.Add(path);
            if (exit != 0)
            {
                failures.Add($"esteira {string.Join(' ', path)} --help exited {exit}");
                continue;
            }

            foreach (var name in Commands(output))
            {
                pending.Enqueue([.. path, name]);
            }
        }

        return (visited, failures);
    }

    [Fact]
    public void Help_for_every_command_and_branch_exits_0()
    {
        var (walked, failures) = Walk();
        var visited = walked.Select(p => string.Join(' ', p)).ToList();

        Assert.Contains("leaderboard serve", visited);
        Assert.Contains("deploy", visited);
        Assert.True(visited.Count > 20, $"only {visited.Count} help pages found: {string.Join(", ", visited)}");
        Assert.Empty(failures);
    }

    /// <summary>
    /// Each help page, as an 80-column terminal shows it, equals its file under <c>tests/Esteira.Cli.Tests/golden/help/</c>
    /// (<c>esteira-runs-list.txt</c> for <c>esteira runs list --help</c>), so that a changed option or description shows
    /// up as a diff in review. After a deliberate change, regenerate the files and review the diff:
    /// <c>ESTEIRA_UPDATE_GOLDEN=1 dotnet test tests/Esteira.Cli.Tests -c Release --filter FullyQualifiedName~HelpTests</c>.
    /// </summary>
    [Fact]
    public void Help_pages_match_their_golden_files()
    {
        // Given
        var folder = Path.Combine(Repository.Root, "tests", "Esteira.Cli.Tests", "golden", "help");
        var update = Environment.GetEnvironmentVariable("ESTEIRA_UPDATE_GOLDEN") == "1";
        var (walked, _) = Walk();
        var problems = new List<string>();
        var expectedFiles = new HashSet<string>(StringComparer.Ordinal);

        foreach (var path in walked)
        {
            // When
            var name = string.Join('-', ["esteira", .. path]) + ".txt";
            expectedFiles.Add(name);
            var actual = Normalize(Help(80, path).Out);
            var file = Path.Combine(folder, name);
            if (update)
            {
                Directory.CreateDirectory(folder);
                File.WriteAllText(file, actual);
                continue;
            }

            // Then
            if (!File.Exists(file))
            {
                problems.Add($"{name} is missing");
            }
            else if (Normalize(File.ReadAllText(file)) is var expected && expected != actual)
            {
                var line = expected.Split('\n').Zip(actual.Split('\n')).TakeWhile(p => p.First == p.Second).Count();
                problems.Add($"{name} differs from line {line + 1}: expected '{expected.Split('\n').ElementAtOrDefault(line)}', got '{actual.Split('\n').ElementAtOrDefault(line)}'");
            }
        }

        var stale = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.txt").Select(Path.GetFileName).Where(f => !expectedFiles.Contains(f!)).ToList() : [];
        foreach (var orphan in stale)
        {
            if (update)
            {
                File.Delete(Path.Combine(folder, orphan!));
            }
            else
            {
                problems.Add($"{orphan} belongs to no help page");
            }
        }

        Assert.True(problems.Count == 0,
            "help pages differ from tests/Esteira.Cli.Tests/golden/help (if the change is meant, rerun with ESTEIRA_UPDATE_GOLDEN=1 and review the diff):\n"
            + string.Join('\n', problems));
    }

    /// <summary>Line endings and trailing spaces are not part of the page.</summary>
    private static string Normalize(string text) =>
        string.Join('\n', text.ReplaceLineEndings("\n").Split('\n').Select(l => l.TrimEnd())).TrimEnd() + "\n";
}
