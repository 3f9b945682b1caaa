using System.ComponentModel;
using System.Reflection;
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
