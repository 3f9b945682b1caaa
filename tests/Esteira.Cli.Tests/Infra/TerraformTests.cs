using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Esteira.Cli.Tests.Infra;

/// <summary>Runs infra/terraform/check.sh once: terraform fmt, hcl2json parse, provider schema extraction, scope.</summary>
public sealed class TerraformCheck : IDisposable
{
    private readonly TempFolder _out = new();

    public TerraformCheck()
    {
        Folder = Path.Combine(TestServices.RepositoryRoot, "infra", "terraform");
        var start = new ProcessStartInfo("bash", [Path.Combine(Folder, "check.sh"), _out.Path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        Output = process.StandardOutput.ReadToEnd() + stderr.Result;
        process.WaitForExit();
        Exit = process.ExitCode;
        Files = Directory.Exists(_out.Path)
            ? Directory.GetFiles(_out.Path, "*.tf.json").ToDictionary(f => Path.GetFileName(f)[..^".json".Length], f => JsonNode.Parse(File.ReadAllText(f))!)
            : [];
        var schema = Path.Combine(_out.Path, "provider-schema.json");
        Schema = File.Exists(schema) ? JsonNode.Parse(File.ReadAllText(schema)) : null;
    }

    public string Folder { get; }

    public int Exit { get; }

    public string Output { get; }

    /// <summary>Each .tf file as hcl2json's JSON, by file name.</summary>
    public IReadOnlyDictionary<string, JsonNode> Files { get; }

    public JsonNode? Schema { get; }

    /// <summary>Every body of a block kind ("resource", "data"), as (type, name, body).</summary>
    public IEnumerable<(string Type, string Name, JsonObject Body, string File)> Blocks(string kind) =>
        from file in Files
        from type in (file.Value[kind] as JsonObject ?? []).AsEnumerable()
        from named in type.Value!.AsObject()
        from body in named.Value!.AsArray()
        select (type.Key, named.Key, body!.AsObject(), file.Key);

    public JsonObject Resource(string type, string name) => Assert.Single(Blocks("resource"), b => b.Type == type && b.Name == name).Body;

    public JsonObject Data(string type, string name) => Assert.Single(Blocks("data"), b => b.Type == type && b.Name == name).Body;

    public string Text(string file) => File.ReadAllText(Path.Combine(Folder, file));

    public void Dispose() => _out.Dispose();
}

[Trait("Needs", "npm")]
[Trait("Needs", "terraform")]
public sealed partial class TerraformTests(TerraformCheck check) : IClassFixture<TerraformCheck>
{
    private static readonly HashSet<string> MetaArguments = ["count", "for_each", "depends_on", "lifecycle", "provider", "dynamic"];

    [Fact]
    public void The_check_script_passes_fmt_parse_and_schema_extraction()
    {
        Assert.True(check.Exit == 0, $"infra/terraform/check.sh exited {check.Exit}:\n{check.Output}");
        Assert.Contains("check: hcl2json parse: passed", check.Output, StringComparison.Ordinal);
        Assert.Contains("check: provider schema: extracted", check.Output, StringComparison.Ordinal);
        Assert.Contains("check: scope: passed", check.Output, StringComparison.Ordinal);
        if (File.Exists("/usr/local/bin/terraform") || File.Exists("/usr/bin/terraform"))
        {
            Assert.Contains("check: terraform fmt (Terraform", check.Output, StringComparison.Ordinal);
            Assert.Contains(": passed", check.Output, StringComparison.Ordinal);
        }

        Assert.Equal(["iam.tf", "main.tf", "outputs.tf", "variables.tf", "versions.tf"], check.Files.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_attribute_and_block_is_in_the_AWS_provider_schema_and_required_attributes_are_set()
    {
        var schema = check.Schema ?? throw new InvalidOperationException($"no provider schema:\n{check.Output}");
        var problems = new List<string>();
        foreach (var kind in new[] { "resource", "data" })
        {
            foreach (var (type, name, body, file) in check.Blocks(kind))
            {
                var root = (string?)schema["roots"]![$"{kind}.{type}"];
                Validate(schema, root, body, $"{file}: {kind} {type}.{name}", problems);
            }
        }

        foreach (var file in check.Files)
        {
            foreach (var provider in (file.Value["provider"] as JsonObject ?? []).AsEnumerable())
            {
                foreach (var body in provider.Value!.AsArray())
                {
                    Validate(schema, (string?)schema["roots"]![$"provider.{provider.Key}"], body!.AsObject(), $"{file.Key}: provider {provider.Key}", problems);
                }
            }
        }

        Assert.True(problems.Count == 0, $"against {schema["provider"]} ({schema["source"]}):\n" + string.Join("\n", problems));
    }

    [Fact]
    public void Every_reference_resolves_and_every_variable_is_used()
    {
        var declared = check.Files["variables.tf"]["variable"]!.AsObject().Select(v => v.Key).ToHashSet();
        var locals = check.Files.Values.SelectMany(f => f["locals"]?.AsArray() ?? []).SelectMany(l => l!.AsObject().Select(kv => kv.Key)).ToHashSet();
        var resources = check.Blocks("resource").Select(b => $"{b.Type}.{b.Name}").ToHashSet();
        var data = check.Blocks("data").Select(b => $"data.{b.Type}.{b.Name}").ToHashSet();
        var text = string.Join("\n", check.Files.Keys.Select(check.Text));

        var usedVariables = VariableReference().Matches(text).Select(m => m.Groups[1].Value).ToHashSet();
        Assert.Empty(usedVariables.Except(declared));
        Assert.Empty(declared.Except(usedVariables));
        Assert.Empty(LocalReference().Matches(text).Select(m => m.Groups[1].Value).ToHashSet().Except(locals));
        Assert.Empty(DataReference().Matches(text).Select(m => m.Value).ToHashSet().Except(data));
        Assert.Empty(ResourceReference().Matches(text).Where(m => m.Index == 0 || text[m.Index - 1] != '.').Select(m => m.Value).ToHashSet().Except(resources));
    }

    [Fact]
    public void The_bucket_is_versioned_encrypted_private_and_expires_old_versions_and_cache()
    {
        Assert.Equal("Enabled", (string?)check.Resource("aws_s3_bucket_versioning", "artifacts")["versioning_configuration"]![0]!["status"]);

        var sse = check.Resource("aws_s3_bucket_server_side_encryption_configuration", "artifacts")["rule"]![0]!["apply_server_side_encryption_by_default"]![0]!;
        Assert.Equal("${var.kms_key_arn == null ? \"AES256\" : \"aws:kms\"}", (string?)sse["sse_algorithm"]);

        var block = check.Resource("aws_s3_bucket_public_access_block", "artifacts");
        foreach (var setting in new[] { "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets" })
        {
            Assert.True(block[setting]!.GetValue<bool>(), setting);
        }

        var rules = check.Resource("aws_s3_bucket_lifecycle_configuration", "artifacts")["rule"]!.AsArray();
        var versions = Assert.Single(rules, r => (string?)r!["id"] == "expire-noncurrent-versions")!;
        Assert.Equal("${var.noncurrent_version_days}", (string?)versions["noncurrent_version_expiration"]![0]!["noncurrent_days"]);
        Assert.Equal("${var.abort_incomplete_upload_days}", (string?)versions["abort_incomplete_multipart_upload"]![0]!["days_after_initiation"]);
        var cache = Assert.Single(rules, r => (string?)r!["id"] == "expire-cache")!;
        Assert.Equal("${local.cache_prefix}", (string?)cache["filter"]![0]!["prefix"]);
        Assert.Equal("${var.cache_expiration_days}", (string?)cache["expiration"]![0]!["days"]);
        Assert.All(rules, r => Assert.Equal("Enabled", (string?)r!["status"]));

        var tls = Assert.Single(check.Data("aws_iam_policy_document", "bucket")["statement"]!.AsArray())!;
        Assert.Equal("Deny", (string?)tls["effect"]);
        Assert.Equal("aws:SecureTransport", (string?)tls["condition"]![0]!["variable"]);
    }

    [Fact]
    public void The_runner_policy_allows_only_this_bucket_and_its_prefix()
    {
        var statements = check.Data("aws_iam_policy_document", "runner")["statement"]!.AsArray();
        var allowed = new[] { "${aws_s3_bucket.artifacts.arn}", "${local.objects_arn}" };

        Assert.All(statements, s =>
        {
            Assert.Equal("Allow", (string?)s!["effect"]);
            Assert.All(s["resources"]!.AsArray(), r => Assert.Contains((string?)r, allowed));
            Assert.All(s["actions"]!.AsArray(), a => Assert.Matches("^s3:[A-Za-z]+$", (string?)a));
        });
        var list = Assert.Single(statements, s => s!["actions"]!.AsArray().Any(a => (string?)a == "s3:ListBucket"))!;
        Assert.Equal("s3:prefix", (string?)list["condition"]![0]!["variable"]);
        Assert.Contains("${aws_s3_bucket.artifacts.arn}/${local.prefix}/*", check.Text("main.tf"), StringComparison.Ordinal);

        // KMS access, when a key is used, is limited to that key.
        var kms = check.Data("aws_iam_policy_document", "runner")["dynamic"]!["statement"]![0]!;
        Assert.Equal("${statement.value}", (string?)kms["content"]![0]!["resources"]![0]);
    }

    [Fact]
    public void Only_the_bucket_and_the_runner_policy_are_declared_and_no_scheduled_deploy()
    {
        // Scheduled re-scoring is a scheduled CI pipeline (docs/ci.md); Terraform has no schedule of its own.
        var files = Directory.GetFiles(check.Folder, "*.tf").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(["iam.tf", "main.tf", "outputs.tf", "variables.tf", "versions.tf"], files);

        var blocks = check.Blocks("resource").Concat(check.Blocks("data")).ToList();
        Assert.NotEmpty(blocks);
        Assert.DoesNotContain(blocks, b => ScheduledDeployType().IsMatch(b.Type));
        Assert.All(blocks, b => Assert.Matches("^aws_(s3|iam)_", b.Type));

        // The raw text too, so that a file hcl2json could not parse would still be caught.
        var text = string.Join("\n", Directory.GetFiles(check.Folder, "*.tf").Select(File.ReadAllText));
        Assert.DoesNotMatch(@"(resource|data)\s+""aws_(codebuild|scheduler|cloudwatch_event|lambda)_", text);
        foreach (var gone in new[] { "schedule.tf", "enable_scheduled_deploy", "deploy_image", "aws_codebuild" })
        {
            Assert.DoesNotContain(gone, text, StringComparison.Ordinal);
            Assert.DoesNotContain(gone, check.Text("README.md"), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void No_secret_is_stored_in_the_configuration()
    {
        // The runner user's access key is made outside Terraform, and no secret value is written by it.
        Assert.DoesNotContain(check.Blocks("resource"), b => b.Type is "aws_iam_access_key" or "aws_secretsmanager_secret_version" or "aws_iam_user_login_profile");
        Assert.Contains("create-access-key", (string?)check.Files["outputs.tf"]["output"]!["runner_user_name"]![0]!["description"], StringComparison.Ordinal);
    }

    private static void Validate(JsonNode schema, string? typeName, JsonObject body, string where, List<string> problems)
    {
        var type = typeName is null ? null : schema["types"]![typeName];
        if (type is null)
        {
            problems.Add($"{where}: type {typeName ?? "?"} is not in the provider schema");
            return;
        }

        var properties = type["properties"]!.AsObject();
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in body)
        {
            if (MetaArguments.Contains(name))
            {
                continue;
            }

            present.Add(name);
            Check(schema, properties, name, value, where, problems);
        }

        foreach (var (name, dynamic) in body["dynamic"] as JsonObject ?? [])
        {
            present.Add(name);
            foreach (var item in dynamic!.AsArray())
            {
                Check(schema, properties, name, item!["content"], where + " (dynamic)", problems);
            }
        }

        foreach (var (camel, property) in properties)
        {
            if (property!["required"]!.GetValue<bool>() && !present.Contains(Snake(camel)))
            {
                problems.Add($"{where}: required '{Snake(camel)}' is missing");
            }
        }
    }

    private static void Check(JsonNode schema, JsonObject properties, string name, JsonNode? value, string where, List<string> problems)
    {
        var property = properties[Camel(name)];
        if (property is null)
        {
            problems.Add($"{where}: '{name}' is not an attribute or block of this type");
            return;
        }

        var block = (string?)property["block"];
        if (block is not null && value is JsonArray items && items.All(i => i is JsonObject))
        {
            foreach (var item in items)
            {
                Validate(schema, block, item!.AsObject(), $"{where} > {name}", problems);
            }
        }
    }

    private static string Camel(string snake)
    {
        var parts = snake.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }

    private static string Snake(string camel) => string.Concat(camel.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    [GeneratedRegex("^aws_(codebuild|scheduler|cloudwatch_event|lambda)_")]
    private static partial Regex ScheduledDeployType();

    [GeneratedRegex(@"\bvar\.([a-z0-9_]+)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"\blocal\.([a-z0-9_]+)")]
    private static partial Regex LocalReference();

    [GeneratedRegex(@"\bdata\.aws_[a-z0-9_]+\.[a-z0-9_]+")]
    private static partial Regex DataReference();

    [GeneratedRegex(@"\baws_[a-z0-9_]+\.[a-z_][a-z0-9_]*")]
    private static partial Regex ResourceReference();
}
