namespace Esteira;

/// <summary>What kind of failure an <see cref="EsteiraException"/> reports.</summary>
/// <remarks>Every code maps to exactly one exit code and one HTTP status in <see cref="ErrorCodes"/>.</remarks>
public enum ErrorCode
{
    /// <summary>A pipeline stage failed for a reason that is not the user's input.</summary>
    PipelineFailed,

    /// <summary>The gate refused a challenger.</summary>
    GateFailed,

    /// <summary>An input file, configuration file or argument is malformed.</summary>
    BadInput,

    /// <summary>The command line itself is wrong.</summary>
    Usage,

    /// <summary>Something named by the user does not exist.</summary>
    NotFound,

    /// <summary>The operation conflicts with existing state (a lock is held, a duplicate).</summary>
    Conflict,

    /// <summary>Credentials are missing or wrong.</summary>
    Unauthorized,

    /// <summary>The caller is authenticated but not allowed to do this.</summary>
    Forbidden,

    /// <summary>A limit (daily submissions, upload size) was reached.</summary>
    LimitExceeded,

    /// <summary>An external service (Kaggle, S3, PostgreSQL) failed or could not be reached.</summary>
    ExternalService,
}

/// <summary>The single table that maps error codes to process exit codes and HTTP statuses.</summary>
public static class ErrorCodes
{
    /// <summary>The process exit code for <paramref name="code"/>: 1 pipeline or gate, 2 bad input or usage, 3 external service.</summary>
    public static int ExitCode(ErrorCode code) => code switch
    {
        ErrorCode.PipelineFailed or ErrorCode.GateFailed => 1,
        ErrorCode.BadInput or ErrorCode.Usage or ErrorCode.NotFound or ErrorCode.Conflict or ErrorCode.LimitExceeded => 2,
        ErrorCode.Unauthorized or ErrorCode.Forbidden or ErrorCode.ExternalService => 3,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unmapped error code"),
    };

    /// <summary>The HTTP status a server answers with for <paramref name="code"/>.</summary>
    public static int HttpStatus(ErrorCode code) => code switch
    {
        ErrorCode.PipelineFailed => 500,
        ErrorCode.GateFailed => 409,
        ErrorCode.BadInput or ErrorCode.Usage => 400,
        ErrorCode.NotFound => 404,
        ErrorCode.Conflict => 409,
        ErrorCode.Unauthorized => 401,
        ErrorCode.Forbidden => 403,
        ErrorCode.LimitExceeded => 429,
        ErrorCode.ExternalService => 502,
        _ => throw new ArgumentOutOfRangeException(nameof(code), code, "unmapped error code"),
    };
}

/// <summary>The one exception type Esteira throws for failures a user should see.</summary>
/// <remarks>The message is a single line: what was wrong, where, what was expected and what to do.
/// It must never contain a secret (keys, tokens, passwords).</remarks>
public sealed class EsteiraException : Exception
{
    /// <summary>Creates an error with a code and a one-line message.</summary>
    public EsteiraException(ErrorCode code, string message, Exception? inner = null)
        : base(message, inner) => Code = code;

    /// <summary>The failure class, which decides the exit code and HTTP status.</summary>
    public ErrorCode Code { get; }

    /// <summary>Shorthand for a <see cref="ErrorCode.BadInput"/> error located in a file.</summary>
    public static EsteiraException BadInput(string file, long? line, string? column, string problem, string remedy)
    {
        var where = line is null ? file : $"{file}:{line}";
        if (column is not null)
        {
            where += $" column '{column}'";
        }

        return new EsteiraException(ErrorCode.BadInput, $"{where}: {problem}; {remedy}");
    }
}
