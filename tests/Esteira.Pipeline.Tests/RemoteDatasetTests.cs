using System.Diagnostics;
using Amazon.Runtime;
using Esteira.Artifacts;

namespace Esteira.Pipeline.Tests;

/// <summary>
/// Needs the local S3-API server (ESTEIRA_TEST_S3, started by .ci/services.sh): a workspace whose dataset is
/// <c>s3://bucket/prefix</c>, as a CI job sees it. Every command reads it; it is downloaded once.
/// </summary>
[Trait("Needs", "s3")]
public sealed class RemoteDatasetTests
{
    [Fact]
    public async Task An_s3_dataset_is_downloaded_once_and_planned_run_and_reported_from()
    {
        var endpoint = TestServices.S3Endpoint;
        using var ds = new TempDataset();
        var bucket = "esteira-dataset-" + Guid.NewGuid().ToString("N")[..12];
        var options = new S3StoreOptions { ServiceUrl = endpoint, Credentials = new BasicAWSCredentials("S3RVER", "S3RVER") };
        using (var store = new S3ArtifactStore(bucket, "competitions/tiny", options, new AwsEnvironment(_ => null)))
        {
            await store.EnsureBucketAsync();
            foreach (var file in Directory.GetFiles(ds.Data))
            {
                await using var content = File.OpenRead(file);
                await store.PutAsync(Path.GetFileName(file), content);
            }
        }

        var root = WorkspaceTests.Create(ds);
        var config = Path.Combine(root, "esteira.yaml");
        var uri = $"s3://{bucket}/competitions/tiny?endpoint={endpoint}&path_style=true&region=us-east-1";
        File.WriteAllLines(config, File.ReadAllLines(config).Select(l => l.StartsWith("dataset:", StringComparison.Ordinal) ? $"dataset: {uri}" : l));

        var plan = Esteira(root, "plan");
        Assert.True(plan.Exit == 0, plan.Err + plan.Out);
        Assert.Contains($"downloaded {Directory.GetFiles(ds.Data).Length} object(s) of s3://{bucket}/competitions/tiny", plan.Err, StringComparison.Ordinal);
        var downloaded = Assert.Single(Directory.GetDirectories(Path.Combine(root, ".esteira", "datasets")));
        Assert.All(Directory.GetFiles(ds.Data), f => Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(downloaded, Path.GetFileName(f)))));

        var run = Esteira(root, "run");
        Assert.True(run.Exit == 0, run.Err + run.Out);
        Assert.DoesNotContain("downloaded", run.Err + run.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(root, "out", "submission.csv.gz")));

        var report = Esteira(root, "report");
        Assert.True(report.Exit == 0, report.Err + report.Out);

        // A prefix with nothing under it: one line naming what to do, no stack trace, no secret.
        File.WriteAllLines(config, File.ReadAllLines(config).Select(l => l.StartsWith("dataset:", StringComparison.Ordinal) ? $"dataset: s3://{bucket}/nothing-here?endpoint={endpoint}&path_style=true&region=us-east-1" : l));
        var empty = Esteira(root, "plan");
        Assert.NotEqual(0, empty.Exit);
        Assert.Contains("no objects under this prefix", empty.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", empty.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("S3RVER", empty.Err + empty.Out, StringComparison.Ordinal);
    }

    private static (int Exit, string Out, string Err) Esteira(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "esteira.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["AWS_ACCESS_KEY_ID"] = "S3RVER";
        start.Environment["AWS_SECRET_ACCESS_KEY"] = "S3RVER";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
