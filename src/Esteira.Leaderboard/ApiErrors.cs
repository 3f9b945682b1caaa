using System.Globalization;
using Esteira.Deploy.Kaggle;
using Microsoft.AspNetCore.Http;

namespace Esteira.Leaderboard;

/// <summary>
/// How the API answers a failure: the real HTTP status (<see cref="ErrorCodes.HttpStatus"/>) and
/// <c>{"code":N,"message":"…"}</c>, which both kagglesdk and older clients show; 401 adds <c>WWW-Authenticate</c> and 429
/// adds <c>Retry-After</c>.
/// </summary>
public static class ApiErrors
{
    /// <summary>Key in <see cref="Exception.Data"/> that overrides the HTTP status of an <see cref="EsteiraException"/>.</summary>
    public const string HttpStatusKey = "esteira.http";

    /// <summary>Key in <see cref="Exception.Data"/> giving the seconds of a 429's Retry-After (default: until 00:00 UTC, the daily limit's reset).</summary>
    public const string RetryAfterKey = "esteira.retryAfter";

    /// <summary>The answer to <paramref name="error"/>; sets the response headers its status calls for.</summary>
    public static IResult From(HttpContext context, EsteiraException error, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(error);
        var status = error.Data[HttpStatusKey] is int overridden ? overridden : ErrorCodes.HttpStatus(error.Code);
        if (status == 401)
        {
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"esteira-leaderboard\", Bearer";
        }

        if (status == 429 && error.Data[RetryAfterKey] is int seconds)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
        }
        else if (status == 429 && error.Code == ErrorCode.LimitExceeded)
        {
            var now = time.GetUtcNow().UtcDateTime;
            var untilReset = now.Date.AddDays(1) - now;
            context.Response.Headers.RetryAfter = Math.Ceiling(untilReset.TotalSeconds).ToString(CultureInfo.InvariantCulture);
        }

        return Error(status, error.Message);
    }

    /// <summary>An error answer with <paramref name="status"/> and <paramref name="message"/>.</summary>
    public static IResult Error(int status, string message) =>
        Results.Json(new ErrorBody(status, message), KaggleJson.Options, statusCode: status);

    /// <summary>A success answer in the Kaggle API's JSON.</summary>
    public static IResult Json<T>(T value) => Results.Json(value, KaggleJson.Options);

    private sealed record ErrorBody(int Code, string Message);
}

/// <summary>Turns what an API endpoint throws (<see cref="EsteiraException"/>, a bad or oversized body) into <see cref="ApiErrors"/>' answer.</summary>
internal sealed class ApiErrorFilter(TimeProvider time) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (EsteiraException e)
        {
            return ApiErrors.From(context.HttpContext, e, time);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ApiErrors.Error(413, "the request body is larger than this server accepts; gzip the file or ask the host to raise max_upload_mb");
        }
        catch (BadHttpRequestException e)
        {
            return ApiErrors.Error(e.StatusCode, $"bad request ({e.Message})");
        }
    }
}
