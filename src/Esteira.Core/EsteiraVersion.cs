using System.Reflection;

namespace Esteira;

/// <summary>Esteira's version, as set once in Directory.Build.props (<c>Version</c>) and stamped on every assembly.</summary>
public static class EsteiraVersion
{
    /// <summary>The informational version without any build metadata (<c>+commit</c>), e.g. <c>0.9.0</c>.</summary>
    public static string Current { get; } = Read();

    private static string Read()
    {
        var informational = typeof(EsteiraVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(EsteiraVersion).Assembly.GetName().Version?.ToString(3)
            ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
