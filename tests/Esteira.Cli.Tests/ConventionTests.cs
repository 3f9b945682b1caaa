using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using Spectre.Console.Cli;

namespace Esteira.Cli.Tests;

/// <summary>Conventions of the whole code base, checked by reflection rather than in review (style rule 15).</summary>
public sealed class ConventionTests
{
    [Fact]
    public void Every_error_code_maps_to_an_exit_code_and_an_http_status()
    {
        foreach (var code in Enum.GetValues<ErrorCode>())
        {
            // ErrorCodes throws for an unmapped code: a new code without a row in the table fails here.
            Assert.InRange(ErrorCodes.ExitCode(code), 1, 3);
            Assert.InRange(ErrorCodes.HttpStatus(code), 400, 599);
        }
    }

    [Fact]
    public void Src_throws_the_one_error_type_and_only_contract_exceptions_besides()
    {
        // What src/ may throw besides EsteiraException (which carries an ErrorCode, so an exit code and an HTTP status):
        var allowed = new Dictionary<string, string>
        {
            ["EsteiraException"] = "the one error type",
            ["ArgumentException"] = "a caller broke a method's contract (a bug)",
            ["ArgumentOutOfRangeException"] = "a caller broke a method's contract (a bug)",
            ["NotSupportedException"] = "Stream members a read-only or forward-only stream does not support",
            ["UnreachableException"] = "an invariant the code itself guarantees (a bug)",
            ["InvalidDataException"] = "raised inside the readers and mapped to EsteiraException where they are called",
            ["JsonException"] = "raised inside a parser and mapped to EsteiraException where it is called",
        };

        // Given every throw in src/
        var src = Path.Combine(TestServices.RepositoryRoot, "src");
        var thrown = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: Path.GetRelativePath(src, f), Line: i + 1, Match: Regex.Match(line, @"throw new ([A-Za-z.]+)\s*\("))))
            .Where(x => x.Match.Success)
            .ToList();
        Assert.True(thrown.Count > 200, $"only {thrown.Count} throws found: the scan no longer sees them");

        // Then each is of a type on the list
        var others = thrown.Where(x => !allowed.ContainsKey(x.Match.Groups[1].Value.Split('.')[^1]))
            .Select(x => $"{x.File}:{x.Line} throws {x.Match.Groups[1].Value}").ToList();
        Assert.True(others.Count == 0, "throw EsteiraException with an ErrorCode instead: " + string.Join("; ", others));
    }

    [Fact]
    public void Every_cli_option_and_argument_has_a_description()
    {
        // Given every settings class of the CLI
        var settings = typeof(EsteiraApp).Assembly.GetTypes()
            .Where(t => typeof(CommandSettings).IsAssignableFrom(t) && !t.IsAbstract)
            .ToList();
        Assert.NotEmpty(settings);

        // When its options and arguments are listed (inherited ones included)
        var options = settings
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => (Type: t, Property: p)))
            .Where(x => x.Property.GetCustomAttribute<CommandOptionAttribute>() is not null || x.Property.GetCustomAttribute<CommandArgumentAttribute>() is not null)
            .ToList();
        Assert.True(options.Count > 50, $"only {options.Count} options found: the reflection no longer sees them");
        var undocumented = options
            .Where(x => string.IsNullOrWhiteSpace(x.Property.GetCustomAttribute<DescriptionAttribute>()?.Description))
            .Select(x => $"{x.Type.Name}.{x.Property.Name}")
            .Distinct()
            .ToList();

        // Then each has a non-empty [Description], which is what --help shows
        Assert.True(undocumented.Count == 0, "options without a [Description]: " + string.Join(", ", undocumented));
    }
}
