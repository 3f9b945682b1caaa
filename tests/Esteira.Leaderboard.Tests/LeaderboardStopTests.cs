using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;

namespace Esteira.Leaderboard.Tests;

using Cli = Esteira.Testing.Cli;

/// <summary><c>esteira leaderboard serve</c> as a process: SIGTERM stops it within 5 s even with a client mid-upload (issue 13).</summary>
public sealed class LeaderboardStopTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("esteira-lb-stop-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task SIGTERM_stops_the_server_within_5_s_while_an_upload_hangs_half_sent()
    {
        // Given a competition served by the CLI
        var dir = Path.Combine(_root, "stop-comp");
        Directory.CreateDirectory(dir);
        var solution = new StringBuilder("row_id,meter_reading,Usage\n");
        var sample = new StringBuilder("row_id,meter_reading\n");
        for (var i = 0; i < 100; i++)
        {
            solution.Append(CultureInfo.InvariantCulture, $"{i},{i},{(i < 50 ? "Public" : "Private")}\n");
            sample.Append(CultureInfo.InvariantCulture, $"{i},0\n");
        }

        await File.WriteAllTextAsync(Path.Combine(dir, "solution.csv"), solution.ToString());
        await File.WriteAllTextAsync(Path.Combine(dir, "sample_submission.csv"), sample.ToString());
        using var server = Cli.Start(_root, "leaderboard", "serve", "--competition", dir, "--team", "alice:s3cret", "--urls", "http://127.0.0.1:0");
        var stderr = server.StandardError.ReadToEndAsync();
        var banner = new StringBuilder();
        while (await server.StandardOutput.ReadLineAsync() is { } line)
        {
            banner.Append(line);
            if (line.Contains("Ctrl+C stops", StringComparison.Ordinal))
            {
                break;
            }
        }

        var stdout = server.StandardOutput.ReadToEndAsync();
        var url = Regex.Match(banner.ToString(), @"http://127\.0\.0\.1:\d+");
        Assert.True(url.Success, $"no address in: {banner} {(server.HasExited ? await stderr : "")}");

        // And a client that started an upload and stalls half-way
        using var http = new HttpClient { BaseAddress = new Uri(url.Value) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("alice:s3cret"u8.ToArray()));
        using var start = await http.PostAsJsonAsync("/api/v1/competitions.CompetitionApiService/StartSubmissionUpload",
            new { competitionName = "stop-comp", fileName = "s.csv", contentLength = 100_000 });
        var createUrl = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("createUrl").GetString()!;
        using var stall = new CancellationTokenSource();
        var upload = http.PutAsync(createUrl, new StreamContent(new StallingStream(stall.Token)), stall.Token);
        await Task.Delay(300);

        // When it gets SIGTERM
        var clock = Stopwatch.StartNew();
        using (var kill = Process.Start("kill", ["-TERM", server.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await server.WaitForExitAsync(limit.Token);
        var stop = clock.Elapsed;
        await stall.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => upload);

        // Then it stopped within 5 s, cleanly
        output.WriteLine($"stopped {stop.TotalMilliseconds:0} ms after SIGTERM");
        Assert.True(stop < TimeSpan.FromSeconds(5), $"stopping took {stop.TotalSeconds:0.0} s; {await stdout} {await stderr}");
        Assert.Equal(0, server.ExitCode);
        Assert.DoesNotContain("   at ", await stderr, StringComparison.Ordinal);
    }

    /// <summary>A request body that sends a few bytes and then waits forever.</summary>
    private sealed class StallingStream(CancellationToken stall) : Stream
    {
        private bool _sent;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sent)
            {
                _sent = true;
                "row_id,meter_reading\n0,1\n"u8.CopyTo(buffer.Span);
                return 25;
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(stall, cancellationToken);
            await Task.Delay(Timeout.Infinite, both.Token);
            return 0;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
