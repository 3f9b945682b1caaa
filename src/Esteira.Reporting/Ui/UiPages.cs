using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Esteira.Tracking;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Esteira.Reporting.Ui;

/// <summary>The UI's routes: <c>/</c> (runs), <c>/api/runs</c> (the same page as JSON, for polling), <c>/runs/{id}</c>,
/// <c>/runs/{id}/files/{artifact}[/{file}]</c>, <c>/compare?ids=…</c>, <c>/submissions</c> and the two static files.
/// Every page reads the store; nothing writes to it.</summary>
internal static class UiPages
{
    private const string HtmlType = "text/html; charset=utf-8";
    private static readonly string[] Sorts = ["started", "experiment", "status", "duration", "cv"];

    public static void Map(IEndpointRouteBuilder app, UiOptions options)
    {
        var store = options.Store;
        var location = Secrets.MaskPasswords(store.Location);
        app.MapGet("/static/esteira.css", () => Results.Text(UiAssets.Css, "text/css; charset=utf-8"));
        app.MapGet("/favicon.ico", () => Results.NoContent());
        app.MapGet("/static/esteira.js", () => Results.Text(UiAssets.Script, "text/javascript; charset=utf-8"));
        app.MapGet("/", (Func<HttpContext, Task<IResult>>)(context => Guard(location, async () =>
        {
            var view = RunsView.From(context.Request.Query);
            var page = await RunsPageAsync(options, view, context.RequestAborted);
            return Results.Content(Html.Page("Runs", location, page), HtmlType);
        })));
        app.MapGet("/api/runs", (Func<HttpContext, Task<IResult>>)(context => Guard(location, async () =>
        {
            var view = RunsView.From(context.Request.Query);
            var (rows, _, running) = await RowsAsync(options, view, context.RequestAborted);
            return Results.Json(new RowsUpdate(rows, Version(rows), running));
        })));
        app.MapGet("/runs/{id:long}", (HttpContext context, long id) => Guard(location, async () =>
            Results.Content(Html.Page($"Run {id}", location, await RunPageAsync(options, id, context.RequestAborted)), HtmlType)));
        app.MapGet("/runs/{id:long}/files/{artifact}/{file?}", (HttpContext context, long id, string artifact, string? file) => Guard(location, () =>
            ArtifactFileAsync(options, id, artifact, file, context.RequestAborted)));
        app.MapGet("/compare", (Func<HttpContext, Task<IResult>>)(context => Guard(location, async () =>
            Results.Content(Html.Page("Compare", location, await ComparePageAsync(options, context.Request.Query["ids"].ToString(), context.RequestAborted)), HtmlType))));
        app.MapGet("/submissions", (Func<HttpContext, Task<IResult>>)(context => Guard(location, async () =>
            Results.Content(Html.Page("Submissions", location, await SubmissionsPageAsync(options, context.RequestAborted)), HtmlType))));
    }

    private sealed record RowsUpdate(string Rows, string Version, int Running);

    /// <summary>What the runs page shows: the query string, checked.</summary>
    private sealed record RunsView(int Page, string Sort, bool Descending, string? Experiment, RunStatus? Status)
    {
        public static RunsView From(IQueryCollection query)
        {
            var sort = query["sort"].ToString() is { Length: > 0 } s && Sorts.Contains(s) ? s : "started";
            var descending = query["dir"].ToString() is { Length: > 0 } d ? d == "desc" : sort == "started";
            var page = int.TryParse(query["page"], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 100_000 ? p : 1;
            var experiment = query["experiment"].ToString().Trim() is { Length: > 0 } e ? e : null;
            RunStatus? status = query["status"].ToString() switch
            {
                "running" => RunStatus.Running,
                "finished" => RunStatus.Finished,
                "failed" => RunStatus.Failed,
                _ => null,
            };
            return new RunsView(page, sort, descending, experiment, status);
        }

        public string Query(int? page = null, string? sort = null, bool? descending = null)
        {
            var parts = new List<string>();
            var s = sort ?? Sort;
            var d = descending ?? Descending;
            if (s != "started" || !d)
            {
                parts.Add("sort=" + s);
                parts.Add("dir=" + (d ? "desc" : "asc"));
            }

            if (Experiment is not null)
            {
                parts.Add("experiment=" + Uri.EscapeDataString(Experiment));
            }

            if (Status is { } status)
            {
                parts.Add("status=" + StatusText(status));
            }

            if ((page ?? Page) > 1)
            {
                parts.Add("page=" + (page ?? Page).ToString(CultureInfo.InvariantCulture));
            }

            return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
        }
    }

    // ----- runs -----

    private static async Task<(string Rows, bool More, int Running)> RowsAsync(UiOptions options, RunsView view, CancellationToken ct)
    {
        var store = options.Store;
        var summaries = await store.ListRunsAsync(new RunQuery
        {
            Experiment = view.Experiment,
            Status = view.Status,
            SortMetric = view.Sort == "cv" ? options.Metric : null,
            Order = view.Sort switch
            {
                "experiment" => RunOrder.Experiment,
                "status" => RunOrder.Status,
                "duration" => RunOrder.Duration,
                _ => RunOrder.Started,
            },
            Descending = view.Descending,
            Limit = options.PageSize + 1,
            Offset = (view.Page - 1) * options.PageSize,
        }, ct);
        var more = summaries.Count > options.PageSize;
        var shown = summaries.Take(options.PageSize).ToList();
        var runs = (await store.GetRunsAsync(shown.Select(s => s.Id).ToList(), ct)).ToDictionary(r => r.Id);
        var champion = await ChampionAsync(options, ct);
        var html = new StringBuilder();
        foreach (var summary in shown)
        {
            var run = runs.GetValueOrDefault(summary.Id);
            html.Append(Inv($"<tr data-run=\"{summary.Id}\"><td><input type=\"checkbox\" class=\"pick\" value=\"{summary.Id}\" aria-label=\"pick run {summary.Id}\"></td>"));
            html.Append(Inv($"<td><a href=\"/runs/{summary.Id}\">{summary.Id}</a></td>"));
            html.Append("<td class=\"experiment\">").Append(Html.E(summary.Experiment)).Append("</td>");
            html.Append("<td>").Append(StatusBadge(summary.Status));
            if (summary.Status == RunStatus.Running && run is { Stages.Count: > 0 } && run.Stages[^1] is var stage)
            {
                html.Append(" <span class=\"muted\">after ").Append(Html.E(stage.Stage)).Append("</span>");
            }

            html.Append("</td>");
            html.Append("<td class=\"mono\">").Append(Html.Time(summary.StartedAt)).Append("</td>");
            var duration = summary.Duration ?? (summary.Status == RunStatus.Running ? summary.HeartbeatAt - summary.StartedAt : null);
            html.Append("<td class=\"num\">").Append(Html.Duration(duration)).Append("</td>");
            html.Append("<td class=\"num cv\">").Append(Html.Score(summary.Metrics.TryGetValue(options.Metric, out var cv) ? cv : null)).Append("</td>");
            html.Append("<td>").Append(GateBadge(summary.GatePassed)).Append("</td>");
            html.Append("<td class=\"champion\">").Append(champion == summary.Id ? "<span title=\"champion\">★ champion</span>" : "").Append("</td>");
            html.Append("<td class=\"mono\">").Append(Html.E(ShortCommit(run?.Lineage))).Append("</td></tr>");
        }

        if (shown.Count == 0)
        {
            html.Append("<tr><td colspan=\"10\" class=\"muted\">no runs match</td></tr>");
        }

        return (html.ToString(), more, shown.Count(s => s.Status == RunStatus.Running));
    }

    private static async Task<string> RunsPageAsync(UiOptions options, RunsView view, CancellationToken ct)
    {
        var (rows, more, running) = await RowsAsync(options, view, ct);
        var html = new StringBuilder("<h1>Runs</h1>");
        html.Append("<form class=\"filters\" method=\"get\" action=\"/\">");
        html.Append("<label>experiment<input name=\"experiment\" value=\"").Append(Html.E(view.Experiment)).Append("\" placeholder=\"all\"></label>");
        html.Append("<label>status<select name=\"status\"><option value=\"\">all</option>");
        foreach (var status in new[] { "running", "finished", "failed" })
        {
            var selected = view.Status is { } s && StatusText(s) == status ? " selected" : "";
            html.Append(Inv($"<option value=\"{status}\"{selected}>{status}</option>"));
        }

        html.Append("</select></label>");
        if (view.Sort != "started" || !view.Descending)
        {
            html.Append("<input type=\"hidden\" name=\"sort\" value=\"").Append(view.Sort).Append("\"><input type=\"hidden\" name=\"dir\" value=\"").Append(view.Descending ? "desc" : "asc").Append("\">");
        }

        html.Append("<button type=\"submit\">Filter</button>");
        html.Append("<label>quick filter (this page)<input id=\"quick\" type=\"search\" placeholder=\"text in any column\"></label>");
        html.Append("<button type=\"button\" id=\"compare\" disabled>Compare runs</button>");
        html.Append(Inv($"<span id=\"live\" class=\"muted\">{(running > 0 ? $"{running} running" : "")}</span>"));
        html.Append("</form>");
        html.Append("<table id=\"runs\" data-poll=\"/api/runs").Append(Html.E(view.Query())).Append("\"><thead><tr><th></th>");
        html.Append(Header(view, "started", "run")).Append(Header(view, "experiment", "experiment")).Append(Header(view, "status", "status"));
        html.Append(Header(view, "started", "started")).Append(Header(view, "duration", "duration", numeric: true)).Append(Header(view, "cv", Html.E(options.Metric), numeric: true));
        html.Append("<th>gate</th><th>champion</th><th>commit</th></tr></thead>");
        html.Append("<tbody data-version=\"").Append(Version(rows)).Append("\">").Append(rows).Append("</tbody></table>");
        html.Append("<div class=\"pager\">");
        html.Append(view.Page > 1 ? $"<a id=\"prev\" href=\"/{Html.E(view.Query(page: view.Page - 1))}\">← newer</a>" : "<span class=\"muted\">← newer</span>");
        html.Append(Inv($"<span>page {view.Page}</span>"));
        html.Append(more ? $"<a id=\"next\" href=\"/{Html.E(view.Query(page: view.Page + 1))}\">older →</a>" : "<span class=\"muted\">older →</span>");
        html.Append("</div>");
        return html.ToString();
    }

    /// <summary>A sortable column header: a link that sorts by it, flipping the direction when it already does.</summary>
    private static string Header(RunsView view, string sort, string label, bool numeric = false)
    {
        var active = view.Sort == sort && label != "run";
        var descending = active ? !view.Descending : sort is "started";
        var arrow = active ? (view.Descending ? " ▼" : " ▲") : "";
        var cls = numeric ? " class=\"num\"" : "";
        return $"<th{cls} data-sort=\"{sort}\"><a href=\"/{Html.E(view.Query(page: 1, sort: sort, descending: descending))}\">{label}{arrow}</a></th>";
    }

    private static async Task<long?> ChampionAsync(UiOptions options, CancellationToken ct) =>
        options.ChampionModel is { Length: > 0 } model
            ? (await options.Store.GetAliasAsync(model, TrackingStoreExtensions.ChampionAlias, ct))?.RunId
            : null;

    // ----- one run -----

    private static async Task<string> RunPageAsync(UiOptions options, long id, CancellationToken ct)
    {
        var run = (await options.Store.GetRunsAsync([id], ct)).SingleOrDefault()
            ?? throw new EsteiraException(ErrorCode.NotFound, $"run {id} is not in this store; see the runs list");
        var champion = await ChampionAsync(options, ct);
        var html = new StringBuilder();
        html.Append(Inv($"<h1>Run {run.Id} · {Html.E(run.Experiment)} {StatusBadge(run.Status)}"));
        if (champion == run.Id)
        {
            html.Append(" <span class=\"champion\">★ champion</span>");
        }

        html.Append("</h1>");
        var duration = run.Duration ?? (run.Status == RunStatus.Running ? run.HeartbeatAt - run.StartedAt : null);
        html.Append("<div class=\"grid2\"><section><h2>Run</h2>");
        html.Append(Html.KeyValues("summary", Pairs(
            ("started", Html.Time(run.StartedAt)),
            ("ended", run.EndedAt is null ? "in progress" : Html.Time(run.EndedAt)),
            ("duration", Html.Duration(duration)),
            ("last heartbeat", Html.Time(run.HeartbeatAt)),
            ("owner", $"{run.Owner.Host} pid {run.Owner.ProcessId}"),
            (options.Metric, Html.Score(run.Metric(options.Metric))),
            ("uid", run.Uid.ToString("N"))), ""));
        if (run.Error is { Length: > 0 } error)
        {
            html.Append("<p class=\"error\">").Append(Html.E(error)).Append("</p>");
        }

        html.Append("</section><section><h2>Lineage</h2>");
        html.Append(Html.KeyValues("lineage", Pairs(
            ("git commit", run.Lineage.GitCommit is null ? null : run.Lineage.GitCommit + (run.Lineage.GitDirty == true ? " (uncommitted changes)" : "")),
            ("features key (dataset hash)", run.Lineage.DatasetHash),
            ("experiment hash", run.Lineage.ExperimentHash),
            ("esteira version", run.Lineage.EsteiraVersion),
            ("machine", run.Lineage.Machine)), "no lineage recorded"));
        if (run.Lineage.BlendOf.Count > 0)
        {
            html.Append("<h2>Blend of</h2><table id=\"blend\"><thead><tr><th>run</th><th class=\"num\">weight</th></tr></thead><tbody>");
            foreach (var part in run.Lineage.BlendOf)
            {
                html.Append(Inv($"<tr><td><a href=\"/runs/{part.RunId}\">run {part.RunId}</a></td><td class=\"num\">{part.Weight:0.####}</td></tr>"));
            }

            html.Append("</tbody></table>");
        }

        html.Append("</section></div>");

        html.Append("<div class=\"grid2\"><section><h2>Params</h2>");
        html.Append(Html.KeyValues("params", run.Params.OrderBy(p => p.Key, StringComparer.Ordinal), "no params recorded"));
        html.Append("</section><section><h2>Metrics</h2>");
        html.Append(Html.KeyValues("metrics", run.Metrics.Where(m => m.IsSummary).Select(m => KeyValuePair.Create(m.Name, Html.Score(m.Value))), "no metrics recorded"));
        html.Append("</section></div>");

        html.Append("<h2>Per-fold scores</h2>");
        var foldNames = run.Metrics.Where(m => m.Fold is not null && m.Step is null).Select(m => m.Name).Distinct().Order(StringComparer.Ordinal).ToList();
        if (foldNames.Count == 0)
        {
            html.Append("<p class=\"muted\">no per-fold values recorded</p>");
        }
        else
        {
            var folds = run.Metrics.Where(m => m.Fold is not null && m.Step is null).Select(m => m.Fold!.Value).Distinct().Order().ToList();
            html.Append("<table id=\"folds\"><thead><tr><th>fold</th>");
            foreach (var name in foldNames)
            {
                html.Append("<th class=\"num\">").Append(Html.E(name)).Append("</th>");
            }

            html.Append("</tr></thead><tbody>");
            foreach (var fold in folds)
            {
                html.Append(Inv($"<tr><td>{fold}</td>"));
                foreach (var name in foldNames)
                {
                    html.Append("<td class=\"num\">").Append(Html.Score(run.FoldMetrics(name).TryGetValue(fold, out var v) ? v : null)).Append("</td>");
                }

                html.Append("</tr>");
            }

            html.Append("</tbody></table>");
            var plotted = foldNames.Contains(options.Metric) ? options.Metric : foldNames[0];
            html.Append("<h2>Plots</h2>");
            html.Append(Svg.FoldBars("fold-chart", $"{plotted} per fold", [(Inv($"run {run.Id}"), run.FoldMetrics(plotted))]));
        }

        html.Append(ArtifactImages(options, run));

        html.Append("<h2>Gate</h2>");
        html.Append(GateSection(run.Id, run.Gate));

        html.Append("<div class=\"grid2\"><section><h2>Stages</h2>");
        html.Append(Html.KeyValues("stages", run.Stages.Select(s => KeyValuePair.Create(s.Stage, Html.Duration(TimeSpan.FromSeconds(s.Seconds)))),
            run.Status == RunStatus.Running ? "in progress: no stage has finished yet" : "no stage durations recorded"));
        html.Append("</section><section><h2>Artifacts</h2>");
        html.Append(ArtifactList(options, run));
        html.Append("</section></div>");

        html.Append("<h2>Tags</h2>");
        html.Append(Html.KeyValues("tags", run.Tags.OrderBy(t => t.Key, StringComparer.Ordinal), "no tags"));

        html.Append("<h2>Submissions</h2>");
        var submissions = await options.Store.ListSubmissionsAsync(new SubmissionQuery { RunId = run.Id, Limit = 100 }, ct);
        html.Append(SubmissionTable("run-submissions", submissions));
        return html.ToString();
    }

    private static string GateSection(long runId, GateVerdict? gate)
    {
        if (gate is null)
        {
            return "<p class=\"muted\">no gate verdict recorded</p>";
        }

        var html = new StringBuilder("<p id=\"gate\">");
        html.Append(GateBadge(gate.Passed)).Append(' ').Append(Html.E(gate.Summary));
        if (gate.ChampionRunId is { } champion && champion != runId)
        {
            html.Append(Inv($" · against <a href=\"/runs/{champion}\">champion run {champion}</a> (<a href=\"/compare?ids={champion},{runId}\">compare</a>)"));
        }

        html.Append("</p><table id=\"gate-conditions\"><thead><tr><th>condition</th><th class=\"num\">value</th><th class=\"num\">threshold</th><th>outcome</th><th>detail</th></tr></thead><tbody>");
        foreach (var c in gate.Conditions)
        {
            html.Append("<tr><td>").Append(Html.E(c.Name)).Append("</td><td class=\"num\">").Append(Html.Score(c.Value)).Append("</td><td class=\"num\">")
                .Append(Html.Score(c.Threshold)).Append("</td><td><span class=\"badge outcome-").Append(c.Outcome).Append("\">").Append(c.Outcome.ToString().ToLowerInvariant())
                .Append("</span></td><td>").Append(Html.E(c.Detail)).Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    // ----- artifacts -----

    private static readonly string[] ImageExtensions = [".png", ".svg"];

    /// <summary>The local file or folder an artifact names, when it is one that exists (remote URIs are shown, not served).</summary>
    private static FileSystemInfo? Local(UiOptions options, string value)
    {
        // A URI (s3://…, https://…) is shown as text; a one-letter "scheme" is a Windows drive.
        var colon = value.IndexOf("://", StringComparison.Ordinal);
        if (colon > 1 && !value.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var path = value.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? new Uri(value).LocalPath : value;
        try
        {
            path = Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(options.WorkspaceRoot, path));
        }
        catch (ArgumentException)
        {
            return null;
        }

        return File.Exists(path) ? new FileInfo(path) : Directory.Exists(path) ? new DirectoryInfo(path) : null;
    }

    /// <summary>The files shown inside a folder artifact (a model folder holds the command log or executed notebook).</summary>
    private static List<FileInfo> Listed(DirectoryInfo folder) =>
        folder.EnumerateFiles().Where(f => !f.Name.StartsWith('.')).OrderBy(f => f.Name, StringComparer.Ordinal).Take(50).ToList();

    private static string ArtifactList(UiOptions options, Run run)
    {
        if (run.Artifacts.Count == 0)
        {
            return "<p class=\"muted\">no artifacts recorded</p>";
        }

        var html = new StringBuilder("<table id=\"artifacts\"><tbody>");
        foreach (var (name, value) in run.Artifacts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var local = Local(options, value);
            html.Append("<tr><th>").Append(Html.E(name)).Append("</th><td>");
            var link = Inv($"/runs/{run.Id}/files/{Uri.EscapeDataString(name)}");
            switch (local)
            {
                case FileInfo file:
                    html.Append("<a href=\"").Append(link).Append("\">").Append(Html.E(file.Name)).Append("</a>");
                    break;
                case DirectoryInfo folder:
                    html.Append("<span class=\"mono\">").Append(Html.E(Secrets.MaskPasswords(value))).Append("</span>");
                    var files = Listed(folder);
                    if (files.Count > 0)
                    {
                        html.Append("<br>");
                        html.AppendJoin(" · ", files.Select(f => $"<a href=\"{link}/{Uri.EscapeDataString(f.Name)}\">{Html.E(f.Name)}</a>"));
                    }

                    break;
                default:
                    html.Append("<span class=\"mono\">").Append(Html.E(Secrets.MaskPasswords(value))).Append("</span>");
                    break;
            }

            html.Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    /// <summary>Plot images among the run's artifacts (a PNG or SVG, or one inside a folder artifact), shown inline.</summary>
    private static string ArtifactImages(UiOptions options, Run run)
    {
        var images = new List<(string Src, string Name)>();
        foreach (var (name, value) in run.Artifacts.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            var link = Inv($"/runs/{run.Id}/files/{Uri.EscapeDataString(name)}");
            switch (Local(options, value))
            {
                case FileInfo file when ImageExtensions.Contains(file.Extension.ToLowerInvariant()):
                    images.Add((link, name));
                    break;
                case DirectoryInfo folder:
                    images.AddRange(Listed(folder).Where(f => ImageExtensions.Contains(f.Extension.ToLowerInvariant()))
                        .Select(f => ($"{link}/{Uri.EscapeDataString(f.Name)}", $"{name}/{f.Name}")));
                    break;
            }
        }

        if (images.Count == 0)
        {
            return "";
        }

        var html = new StringBuilder("<div class=\"grid2\">");
        foreach (var (src, name) in images)
        {
            html.Append("<figure><img class=\"plot\" src=\"").Append(Html.E(src)).Append("\" alt=\"").Append(Html.E(name)).Append("\"><figcaption class=\"muted\">")
                .Append(Html.E(name)).Append("</figcaption></figure>");
        }

        return html.Append("</div>").ToString();
    }

    private static async Task<IResult> ArtifactFileAsync(UiOptions options, long id, string artifact, string? file, CancellationToken ct)
    {
        var run = (await options.Store.GetRunsAsync([id], ct)).SingleOrDefault()
            ?? throw new EsteiraException(ErrorCode.NotFound, $"run {id} is not in this store");
        var target = run.Artifacts.TryGetValue(artifact, out var value) ? Local(options, value) : null;
        // Only what the run recorded is served: the artifact file itself, or a file directly inside its folder.
        FileInfo? served = (target, file) switch
        {
            (FileInfo f, null) => f,
            (DirectoryInfo d, { } name) => Listed(d).FirstOrDefault(f => f.Name == name),
            _ => null,
        };
        if (served is null)
        {
            throw new EsteiraException(ErrorCode.NotFound, $"run {id} has no local artifact file {artifact}{(file is null ? "" : "/" + file)}");
        }

        var type = served.Extension.ToLowerInvariant() switch
        {
            ".png" => "image/png",
            ".svg" => "image/svg+xml",
            ".log" or ".txt" or ".csv" or ".yaml" or ".yml" or ".py" or ".r" or ".md" => "text/plain; charset=utf-8",
            ".json" or ".ipynb" => "application/json; charset=utf-8",
            _ => "application/octet-stream",
        };
        return Results.File(served.FullName, type, type == "application/octet-stream" ? served.Name : null);
    }

    // ----- compare -----

    private static async Task<string> ComparePageAsync(UiOptions options, string ids, CancellationToken ct)
    {
        var wanted = new List<long>();
        foreach (var part in ids.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 1)
            {
                throw new EsteiraException(ErrorCode.BadInput, $"'{part}' is not a run id; compare takes ids like ?ids=3,4");
            }

            if (!wanted.Contains(id))
            {
                wanted.Add(id);
            }
        }

        if (wanted.Count is < 2 or > 5)
        {
            throw new EsteiraException(ErrorCode.BadInput, "compare takes 2 to 5 different runs; pick them in the runs list");
        }

        var runs = await options.Store.GetRunsAsync(wanted, ct);
        if (runs.Count != wanted.Count)
        {
            throw new EsteiraException(ErrorCode.NotFound, $"run {wanted.First(w => runs.All(r => r.Id != w))} is not in this store");
        }

        var table = RunComparison.Compare(runs, all: false);
        var html = new StringBuilder("<h1>Compare runs ").Append(string.Join(", ", runs.Select(r => Inv($"<a href=\"/runs/{r.Id}\">{r.Id}</a>")))).Append("</h1>");
        html.Append("<h2>Params that differ</h2>");
        var paramRows = table.Rows.Where(r => r.Section == RunComparison.ParamSection).ToList();
        html.Append(paramRows.Count == 0 ? "<p class=\"muted\">every param is the same</p>" : ComparisonTable("param-diff", runs, paramRows));

        html.Append(Inv($"<h2>Metrics (Δ against run {runs[0].Id})</h2>"));
        var names = runs.SelectMany(r => r.Metrics.Where(m => m.IsSummary).Select(m => m.Name)).Distinct().Order(StringComparer.Ordinal).ToList();
        html.Append("<table id=\"metric-diff\"><thead><tr><th>metric</th>");
        foreach (var run in runs)
        {
            html.Append(Inv($"<th class=\"num\">run {run.Id}</th>"));
        }

        html.Append("</tr></thead><tbody>");
        foreach (var name in names)
        {
            var baseline = runs[0].Metric(name);
            html.Append("<tr><th>").Append(Html.E(name)).Append("</th>");
            for (var i = 0; i < runs.Count; i++)
            {
                var value = runs[i].Metric(name);
                html.Append("<td class=\"num\">").Append(Html.Score(value));
                if (i > 0 && value is { } v && baseline is { } b)
                {
                    // The CV metric is judged in its direction (AUC: higher is better); other metrics are shown without a judgement.
                    var lowerIsBetter = !(options.Metric.StartsWith("cv_", StringComparison.Ordinal) && EvalMetric.Find(options.Metric[3..]) is { Goal: MetricGoal.Maximize });
                    var cls = name == options.Metric && v != b ? ((v < b) == lowerIsBetter ? " better" : " worse") : "";
                    html.Append(" <span class=\"delta").Append(cls).Append("\">").Append(Html.Delta(v - b)).Append("</span>");
                }

                html.Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</tbody></table>");
        html.Append("<h2>Per-fold overlay</h2>");
        html.Append(Svg.FoldBars("fold-overlay", $"{options.Metric} per fold", runs.Select(r => (Inv($"run {r.Id}"), r.FoldMetrics(options.Metric))).ToList()));

        html.Append(SeriesChanges(options, runs));

        var other = table.Rows.Where(r => r.Section is RunComparison.RunSection or RunComparison.LineageSection or RunComparison.TagSection).ToList();
        if (other.Count > 0)
        {
            html.Append("<h2>Other differences</h2>").Append(ComparisonTable("other-diff", runs, other));
        }

        return html.ToString();
    }

    /// <summary>
    /// The report's segment view for a GEPIII workspace: per building, the out-of-fold RMSLE of the first run and of each
    /// other one on the same validation rows (both models and their features still in this workspace's cache), largest
    /// changes first. Nothing when the runs' outputs are not here or the features differ.
    /// </summary>
    private static string SeriesChanges(UiOptions options, IReadOnlyList<Run> runs)
    {
        string? Model(Run run) => run.Artifacts.GetValueOrDefault("model") is { } m
            ? Path.GetFullPath(Path.IsPathRooted(m) ? m : Path.Combine(options.WorkspaceRoot, m))
            : null;

        var first = runs[0];
        var features = first.Lineage.DatasetHash is { } key ? Path.Combine(options.WorkspaceRoot, ".esteira", "cache", key) : null;
        if (features is null || !File.Exists(Path.Combine(features, Pipeline.GepiiiStages.SummaryFile))
            || Pipeline.GepiiiStages.ReadSummary(features).Profile != Pipeline.Profiles.GepiiiProfile.ProfileName
            || Model(first) is not { } firstModel || !Directory.Exists(Path.Combine(firstModel, "oof")))
        {
            return "";
        }

        var html = new StringBuilder("<h2>Per-building change</h2><p class=\"muted\">Out-of-fold RMSLE per building on the same validation rows; largest changes first (negative is better).</p>");
        var data = Report.OofData.Load(features, firstModel);
        var baseline = Report.ReportAnalysis.Residuals(data.PredictionLog, data.Label);
        foreach (var run in runs.Skip(1))
        {
            if (run.Lineage.DatasetHash != first.Lineage.DatasetHash || Model(run) is not { } model || !Directory.Exists(Path.Combine(model, "oof")))
            {
                html.Append(Inv($"<p class=\"muted\">run {run.Id}: its out-of-fold predictions are not in this workspace's cache, or it was trained on other features</p>"));
                continue;
            }

            var other = Report.OofData.Load(features, model);
            var changes = Report.ReportAnalysis.Changes("building", data.Building, baseline, Report.ReportAnalysis.Residuals(other.PredictionLog, other.Label)).Take(10);
            html.Append(Inv($"<table class=\"series-diff\" id=\"series-diff-{run.Id}\"><thead><tr><th>building</th><th class=\"num\">rows</th><th class=\"num\">run {first.Id}</th><th class=\"num\">run {run.Id}</th><th class=\"num\">Δ</th></tr></thead><tbody>"));
            foreach (var c in changes)
            {
                var cls = c.Delta < 0 ? " better" : c.Delta > 0 ? " worse" : "";
                html.Append(Inv($"<tr><td>{c.Value}</td><td class=\"num\">{c.Rows:N0}</td><td class=\"num\">{Html.Score(c.Champion)}</td><td class=\"num\">{Html.Score(c.Challenger)}</td><td class=\"num\"><span class=\"delta{cls}\">{Html.Delta(c.Delta)}</span></td></tr>"));
            }

            html.Append("</tbody></table>");
        }

        return html.ToString();
    }

    private static string ComparisonTable(string id, IReadOnlyList<Run> runs, IEnumerable<ComparisonRow> rows)
    {
        var html = new StringBuilder(Inv($"<table id=\"{id}\"><thead><tr><th></th>"));
        foreach (var run in runs)
        {
            html.Append(Inv($"<th>run {run.Id}</th>"));
        }

        html.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            html.Append("<tr><th>").Append(Html.E(row.Key)).Append("</th>");
            foreach (var value in row.Values)
            {
                html.Append("<td>").Append(value is null ? "<span class=\"muted\">—</span>" : Html.E(value)).Append("</td>");
            }

            html.Append("</tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    // ----- submissions -----

    private static async Task<string> SubmissionsPageAsync(UiOptions options, CancellationToken ct)
    {
        var submissions = await options.Store.ListSubmissionsAsync(new SubmissionQuery { Limit = 1000 }, ct);
        var html = new StringBuilder("<h1>Submissions</h1>");
        var points = submissions.Where(s => s.CvScore is { } c && s.PublicScore is { } p && double.IsFinite(c) && double.IsFinite(p))
            .Select(s => (s.CvScore!.Value, s.PublicScore!.Value, Inv($"submission {s.Id}"))).ToList();
        html.Append("<div class=\"grid2\"><section>");
        html.Append(Svg.Scatter("cv-public", "CV against public score", "CV", "public", points));
        if (Pearson(points.Select(p => (p.Item1, p.Item2)).ToList()) is { } r)
        {
            html.Append(Inv($"<p id=\"correlation\">Pearson r = {r:0.000} over {points.Count} submissions</p>"));
        }

        html.Append("</section></div>");
        html.Append(SubmissionTable("submissions", submissions));
        return html.ToString();
    }

    private static string SubmissionTable(string id, IReadOnlyList<Submission> submissions)
    {
        if (submissions.Count == 0)
        {
            return "<p class=\"muted\">no submissions in the ledger</p>";
        }

        var html = new StringBuilder(Inv($"<table id=\"{id}\"><thead><tr><th>#</th><th>submitted</th><th>target</th><th>run</th><th>status</th><th class=\"num\">CV</th><th class=\"num\">public</th><th class=\"num\">private</th><th>message</th></tr></thead><tbody>"));
        foreach (var s in submissions)
        {
            html.Append(Inv($"<tr><td>{s.Id}</td><td class=\"mono\">{Html.Time(s.SubmittedAt)}</td><td>{Html.E(s.Target)}</td><td>"));
            html.Append(s.RunId is { } run ? Inv($"<a href=\"/runs/{run}\">run {run}</a>") : "—");
            html.Append("</td><td>").Append(Html.E(s.Status.ToString().ToLowerInvariant())).Append("</td>");
            html.Append("<td class=\"num\">").Append(Html.Score(s.CvScore)).Append("</td><td class=\"num public\">").Append(Html.Score(s.PublicScore))
                .Append("</td><td class=\"num\">").Append(Html.Score(s.PrivateScore)).Append("</td><td>").Append(Html.E(s.Message)).Append("</td></tr>");
        }

        return html.Append("</tbody></table>").ToString();
    }

    internal static double? Pearson(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 3)
        {
            return null;
        }

        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        var syy = points.Sum(p => (p.Y - my) * (p.Y - my));
        return sxx > 0 && syy > 0 ? sxy / Math.Sqrt(sxx * syy) : null;
    }

    // ----- shared -----

    private static async Task<IResult> Guard(string location, Func<Task<IResult>> page)
    {
        try
        {
            return await page();
        }
        catch (EsteiraException e)
        {
            var status = ErrorCodes.HttpStatus(e.Code);
            var body = $"<h1>{status}</h1><p class=\"error\" id=\"problem\">{Html.E(e.Message)}</p><p><a href=\"/\">back to the runs</a></p>";
            return Results.Content(Html.Page("Error", location, body), HtmlType, statusCode: status);
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> Pairs(params (string Key, string? Value)[] pairs) =>
        pairs.Where(p => p.Value is not null).Select(p => KeyValuePair.Create(p.Key, p.Value!));

    private static string StatusText(RunStatus status) => status.ToString().ToLowerInvariant();

    private static string StatusBadge(RunStatus status) => $"<span class=\"badge status-{StatusText(status)}\">{StatusText(status)}</span>";

    private static string GateBadge(bool? passed) => passed switch
    {
        true => "<span class=\"badge gate-passed\">passed</span>",
        false => "<span class=\"badge gate-refused\">refused</span>",
        null => "<span class=\"muted\">—</span>",
    };

    private static string ShortCommit(RunLineage? lineage) =>
        lineage?.GitCommit is { Length: > 0 } commit ? (commit.Length > 10 ? commit[..10] : commit) + (lineage.GitDirty == true ? "+" : "") : "";

    private static string Version(string rows) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(rows)))[..16];

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
