using System.Text.RegularExpressions;
using Esteira.Cli;
using Spectre.Console;

namespace Esteira.Tests;

/// <summary>
/// Every command and branch answers <c>--help</c> with exit 0. Help text is Spectre markup, so a description holding
/// "[.gz]" crashes the help page ("Could not find color or style '.gz'"); this walks the whole tree to catch that.
/// </summary>
public sealed partial class HelpTests
{
    [GeneratedRegex(@"^\s{2,}([a-z][a-z0-9-]*)(?:\s|$)")]
    private static partial Regex CommandLine();

    private static (int Exit, string Out) Help(params string[] path)
    {
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
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

    [Fact]
    public void Help_for_every_command_and_branch_exits_0()
    {
        var failures = new List<string>();
        var visited = new List<string>();
        var pending = new Queue<string[]>([[]]);
        while (pending.Count > 0)
        {
            var path = pending.Dequeue();
            var (exit, output) = Help(path);
            visited.Add(string.Join(' ', path));
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

        Assert.Contains("leaderboard serve", visited);
        Assert.Contains("deploy", visited);
        Assert.True(visited.Count > 20, $"only {visited.Count} help pages found: {string.Join(", ", visited)}");
        Assert.Empty(failures);
    }
}
