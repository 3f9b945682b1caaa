#!/usr/bin/python3
"""RMSLE of a submission against a solution file: overall, Public and Private.

usage: /usr/bin/python3 bench/score.py SUBMISSION(.csv|.csv.gz) SOLUTION(.csv|.csv.gz) [--json]
RMSLE = sqrt(mean((ln(1+p) - ln(1+y))^2)) over all rows (and over the Public / Private rows);
negative predictions are clipped to 0. Exit code 1 if the row ids do not match.
"""
import json
import sys

import numpy as np
import pandas as pd


def score(submission, solution):
    sub = pd.read_csv(submission, dtype={"row_id": np.int64, "meter_reading": np.float64})
    sol = pd.read_csv(solution, dtype={"row_id": np.int64, "meter_reading": np.float64, "Usage": "category"})
    if len(sub) != len(sol) or sub["row_id"].duplicated().any():
        raise ValueError(f"row count mismatch or duplicate row_id: submission {len(sub):,}, solution {len(sol):,}")
    sub = sub.sort_values("row_id", kind="stable").reset_index(drop=True)
    sol = sol.sort_values("row_id", kind="stable").reset_index(drop=True)
    if not np.array_equal(sub["row_id"].to_numpy(), sol["row_id"].to_numpy()):
        raise ValueError("row_id sets differ")
    empty = int(sub["meter_reading"].isna().sum())
    if empty:
        raise ValueError(f"{empty} empty predictions")
    d2 = (np.log1p(np.clip(sub["meter_reading"].to_numpy(), 0, None)) - np.log1p(sol["meter_reading"].to_numpy())) ** 2
    out = {"rows": int(len(d2)), "rmsle": float(np.sqrt(d2.mean()))}
    for usage in ("Public", "Private"):
        m = (sol["Usage"] == usage).to_numpy()
        out[usage.lower()] = float(np.sqrt(d2[m].mean())) if m.any() else None
    return out


def fmt(v):
    return "n/a" if v is None else f"{v:.4f}"


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        out = score(args[0], args[1])
    except ValueError as e:
        print(e, file=sys.stderr)
        return 1
    if "--json" in sys.argv:
        print(json.dumps(out))
    else:
        print(f"rows {out['rows']:,}  RMSLE {fmt(out['rmsle'])}  Public {fmt(out['public'])}  Private {fmt(out['private'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
