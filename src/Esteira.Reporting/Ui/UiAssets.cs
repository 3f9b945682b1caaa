namespace Esteira.Reporting.Ui;

/// <summary>The UI's one stylesheet and one script, served from memory (no CDN, no build step).</summary>
internal static class UiAssets
{
    public const string Css = """
        :root { --fg: #1d232b; --muted: #6b7480; --line: #dde2e8; --accent: #3b6fb6; --ok: #2f8a4f; --bad: #b5475a; --run: #b07d12; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: #f7f8fa; }
        header { display: flex; align-items: center; gap: 24px; padding: 10px 24px; background: #1d232b; color: #fff; }
        header a { color: #dbe6f5; text-decoration: none; margin-right: 16px; }
        header .brand { font-weight: 700; color: #fff; font-size: 16px; }
        header .store { margin-left: auto; font-family: ui-monospace, monospace; font-size: 12px; color: #aab4c0; }
        main { padding: 16px 24px 48px; max-width: 1280px; }
        h1 { font-size: 20px; margin: 8px 0 12px; } h2 { font-size: 16px; margin: 24px 0 8px; }
        table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
        th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; white-space: nowrap; }
        th a { color: var(--fg); text-decoration: none; } th a:hover { text-decoration: underline; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        table.kv th { background: #f4f6f9; font-weight: 500; }
        table.kv td, #artifacts td { word-break: break-all; }
        .grid2 > section { min-width: 0; }
        a { color: var(--accent); }
        .muted { color: var(--muted); }
        .mono { font-family: ui-monospace, monospace; font-size: 12px; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; background: #e8ebef; }
        .status-finished { background: #e3f3e8; color: var(--ok); }
        .status-failed, .gate-refused, .outcome-Fail { background: #f8e5e8; color: var(--bad); }
        .status-running { background: #fbf1dc; color: var(--run); }
        .gate-passed, .outcome-Pass { background: #e3f3e8; color: var(--ok); }
        .champion { color: #c79a00; font-weight: 700; }
        .filters { display: flex; gap: 12px; align-items: end; margin-bottom: 12px; flex-wrap: wrap; }
        .filters label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
        input, select, button { font: inherit; padding: 4px 8px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button:disabled { opacity: 0.5; cursor: default; }
        .pager { margin-top: 10px; display: flex; gap: 12px; align-items: center; }
        .grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px 32px; }
        svg.chart { background: #fff; border: 1px solid var(--line); max-width: 100%; height: auto; }
        svg .title { font-size: 13px; font-weight: 600; fill: var(--fg); }
        svg .axis { font-size: 11px; fill: var(--muted); }
        svg .grid { stroke: var(--line); stroke-width: 1; }
        svg .diagonal { stroke: #aab4c0; stroke-dasharray: 4 3; }
        svg .point { fill: var(--accent); fill-opacity: 0.8; }
        .better { color: var(--ok); } .worse { color: var(--bad); }
        .error { color: var(--bad); white-space: pre-wrap; }
        """;

    public const string Script = """
        (function () {
          'use strict';
          var quick = document.getElementById('quick');
          function applyQuick() {
            if (!quick) { return; }
            var needle = quick.value.trim().toLowerCase();
            document.querySelectorAll('#runs tbody tr').forEach(function (row) {
              row.hidden = needle.length > 0 && row.textContent.toLowerCase().indexOf(needle) < 0;
            });
          }
          if (quick) { quick.addEventListener('input', applyQuick); }

          var compare = document.getElementById('compare');
          function picked() {
            return Array.prototype.map.call(document.querySelectorAll('#runs input.pick:checked'), function (box) { return box.value; });
          }
          function updateCompare() {
            if (!compare) { return; }
            var n = picked().length;
            compare.disabled = n < 2 || n > 5;
            compare.textContent = 'Compare ' + (n > 0 ? n + ' ' : '') + 'runs';
          }
          document.addEventListener('change', function (e) {
            if (e.target && e.target.classList && e.target.classList.contains('pick')) { updateCompare(); }
          });
          if (compare) {
            compare.addEventListener('click', function () { window.location.href = '/compare?ids=' + picked().join(','); });
            updateCompare();
          }

          var table = document.getElementById('runs');
          var url = table && table.getAttribute('data-poll');
          if (url) {
            window.setInterval(function () {
              if (document.visibilityState !== 'visible') { return; }
              fetch(url, { headers: { 'Accept': 'application/json' }, credentials: 'same-origin' })
                .then(function (r) { return r.ok ? r.json() : null; })
                .then(function (data) {
                  if (!data || typeof data.rows !== 'string') { return; }
                  var body = table.querySelector('tbody');
                  if (body.getAttribute('data-version') === data.version) { return; }
                  var keep = picked();
                  body.innerHTML = data.rows;
                  body.setAttribute('data-version', data.version);
                  keep.forEach(function (id) {
                    var box = body.querySelector('input.pick[value="' + id + '"]');
                    if (box) { box.checked = true; }
                  });
                  var live = document.getElementById('live');
                  if (live) { live.textContent = data.running > 0 ? data.running + ' running · refreshed ' + new Date().toLocaleTimeString() : 'refreshed ' + new Date().toLocaleTimeString(); }
                  applyQuick();
                  updateCompare();
                })
                .catch(function () { /* the server may be restarting: try again at the next tick */ });
            }, 4000);
          }
        })();
        """;
}
