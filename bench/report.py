#!/usr/bin/python3
"""Summarise a bench/run.sh results folder: wall time and peak RSS of each tool (from /usr/bin/time -v),
ratios of each peer to each Esteira variant (default, and every row: esteira-all), per-stage times (from each tool's --json "stages"), CV RMSLE and, when a solution
file is given, test RMSLE (overall / Public / Private) of both submissions."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from score import score  # noqa: E402

TOOLS = ("esteira", "esteira-rerun", "esteira-all", "peer-xgboost", "peer-lightgbm", "peer")  # "peer": an older results folder
LABELS = {"esteira": "Esteira (default: <= 2M rows per model)", "esteira-rerun": "Esteira, the same command again (no-op rerun)", "esteira-all": "Esteira --max-train-rows 0 (every row)",
          "peer-xgboost": "pandas + xgboost", "peer-lightgbm": "pandas + LightGBM", "peer": "pandas + xgboost"}


def parse_time(path):
    if not os.path.exists(path):
        return None
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    cpu = re.search(r"Percent of CPU this job got: (\S+)", text)
    if not wall:
        return None
    secs = 0.0
    for part in wall.group(1).split(":"):
        secs = secs * 60 + float(part)
    return {"wall_s": secs, "rss_mib": int(rss.group(1)) / 1024 if rss else None, "cpu": cpu.group(1) if cpu else None}


def parse_json(path):
    if not os.path.exists(path):
        return None
    for line in reversed(open(path).read().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                pass
    try:
        return json.load(open(path))
    except (json.JSONDecodeError, ValueError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--solution", default="")
    ap.add_argument("--mode", default="")
    ap.add_argument("--data", default="")
    a = ap.parse_args()

    res = {}
    for t in TOOLS:
        rc_path = os.path.join(a.out, f"{t}.rc")
        if not os.path.exists(rc_path):
            continue
        r = {"rc": int(open(rc_path).read().strip() or -1), "time": parse_time(os.path.join(a.out, f"{t}.time")),
             "json": parse_json(os.path.join(a.out, f"{t}.json"))}
        sub = (r["json"] or {}).get("submission") or os.path.join(a.out, t, "submission.csv.gz")
        if not os.path.isabs(sub):
            sub = os.path.join(os.getcwd(), sub)
        r["submission"] = sub if os.path.exists(sub) else None
        res[t] = r

    synthetic = os.path.exists(os.path.join(a.data, "generator.json")) if a.data else False
    print(f"\n=== Esteira vs Python peers — mode {a.mode}, data {a.data}{' (SYNTHETIC readings)' if synthetic else ''} ===")
    print(f"{'tool':<14} {'exit':>4} {'wall s':>9} {'peak RSS MiB':>13} {'CPU':>6} {'CV RMSLE':>9}  what")
    for t, r in res.items():
        tm = r["time"] or {}
        cv = (r["json"] or {}).get("cv_rmsle")
        print(f"{t:<14} {r['rc']:>4} {tm.get('wall_s', float('nan')):>9.1f} {tm.get('rss_mib') or float('nan'):>13.0f} "
              f"{tm.get('cpu') or '':>6} {('%.4f' % cv) if isinstance(cv, (int, float)) else 'n/a':>9}  {LABELS[t]}")
    ratios = []
    for e_name in ("esteira", "esteira-all"):
        for p_name in ("peer-xgboost", "peer-lightgbm", "peer"):
            e, p = (res.get(e_name) or {}).get("time"), (res.get(p_name) or {}).get("time")
            if e and p and e.get("rss_mib") and p.get("rss_mib"):
                ratios.append({"esteira": e_name, "peer": p_name, "time": p["wall_s"] / e["wall_s"], "memory": p["rss_mib"] / e["rss_mib"]})
                print(f"ratio {p_name}/{e_name}: time {p['wall_s'] / e['wall_s']:.2f}x, peak memory {p['rss_mib'] / e['rss_mib']:.2f}x")

    for t, r in res.items():
        stages = (r["json"] or {}).get("steps") or (r["json"] or {}).get("stages")
        if stages:
            print(f"\n{t} stages:")
            for s in stages:
                peak = f"  peak {s['peak_rss_mib']:>6} MiB so far" if "peak_rss_mib" in s else ""
                print(f"  {s.get('name', '?'):<34} {float(s.get('seconds', 0)):9.2f} s{peak}")

    if a.solution and os.path.exists(a.solution):
        label = "SYNTHETIC truth (not real accuracy)" if synthetic else "real truth"
        print(f"\ntest RMSLE vs {a.solution} — {label}:")
        print(f"{'tool':<14} {'RMSLE':>8} {'Public':>8} {'Private':>8}")
        for t, r in res.items():
            if not r["submission"]:
                print(f"{t:<14} (no submission)")
                continue
            try:
                s = score(r["submission"], a.solution)
                f = lambda v: "n/a" if v is None else f"{v:.4f}"
                print(f"{t:<14} {f(s['rmsle']):>8} {f(s['public']):>8} {f(s['private']):>8}")
                r["score"] = s
            except ValueError as ex:
                print(f"{t:<14} scoring failed: {ex}")
    summary = {t: {k: v for k, v in r.items() if k != "json"} | {"cv_rmsle": (r["json"] or {}).get("cv_rmsle"),
               "stages": (r["json"] or {}).get("steps") or (r["json"] or {}).get("stages")} for t, r in res.items()}
    with open(os.path.join(a.out, "summary.json"), "w") as fh:
        json.dump({"mode": a.mode, "data": a.data, "synthetic": synthetic, "tools": summary, "ratios": ratios}, fh, indent=1)


if __name__ == "__main__":
    main()
