#!/usr/bin/python3
"""The Python peer for Esteira's tabular profile: any Kaggle-style folder (train.csv, test.csv, a sample submission;
plain or .gz) done "the usual Kaggle way" with pandas and LightGBM's own Python package.

    /usr/bin/python3 bench/peer/tabular_peer.py --data DIR --out OUTDIR [--metric rmsle|rmse|mae|auc|logloss|accuracy]
        [--folds 3] [--iterations 400] [--leaves 63] [--seed 42] [--json]

Nothing is specific to one competition; it does what Esteira's tabular profile does, generically:
- id and target are the sample submission's first and second columns; the task is binary when the target has two values;
- columns not in test.csv are dropped (e.g. a target's parts), and the id unless it is the time column;
- string columns: a date column (most values parse) gives year, month, day of week, hour, day of year and days since
  1970 (the trend), each part kept only when it varies in train; other strings become pandas categories (LightGBM's
  native categorical splits), except free text (≥ 20 distinct values, over half of the rows), which is left out;
- a numeric column (not a trend) whose test values all lie outside the training range is left out (it cannot tell test
  rows apart), as Esteira does;
- the time column is a date column present in train and test; with it, CV is forward-chaining time blocks (the train
  period cut into folds + 1 equal blocks at midnight; fold i trains before block i and validates on it), otherwise
  seeded K-fold, stratified for a binary target; CV is the metric over every validation row pooled;
- LightGBM, tuned as Esteira tunes when the user fixes neither leaves nor iterations (--leaves/--iterations fix them):
  for 15, 31 and 63 leaves, lgb.cv on the folds with early stopping (patience 100 rounds, at most 3000) on the
  competition metric as LightGBM computes it (rmse of log1p for rmsle, l1, auc, binary_logloss, binary_error); the
  best mean fold score wins, and CV is its folds' predictions at its best iteration. Otherwise: 400 iterations, 63 leaves;
  lr 0.05, min_data_in_leaf 50, feature_fraction 0.8, lambda_l2 1, max_bin 255,
  2 threads, seed 42, force_row_wise (Esteira's defaults and parameter string); objective regression on log1p(target)
  for rmsle, regression for rmse/mae, binary (probabilities) for a binary task;
- the final model trains on every row; submission.csv.gz keeps the sample's header, one row per test row.
With --json, one JSON object on stdout: seconds, peak_rss_mib (resource.getrusage), metric, cv, folds, stages.
LightGBM's Python package 4.6.0 is vendored in /work/shared/vendor/lightgbm-python-4.6.0; bench/tabular.sh puts it on
PYTHONPATH over the same native lib_lightgbm 4.6.0 that Esteira calls.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

T0 = time.perf_counter()
STAGES = []


def log(msg):
    print(f"[tabular-peer {time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Stage:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t = time.perf_counter()
        return self

    def __exit__(self, *exc):
        s = time.perf_counter() - self.t
        STAGES.append({"name": self.name, "seconds": round(s, 3), "peak_rss_mib": round(peak_mib(), 1)})
        log(f"{self.name}: {s:.2f}s")


def find(folder, *names):
    for name in names:
        for suffix in ("", ".gz"):
            p = os.path.join(folder, name + suffix)
            if os.path.isfile(p):
                return p
    raise SystemExit(f"no {' or '.join(names)} (plain or .gz) in {folder}")


# ---- metrics (the same definitions as Esteira's catalog) --------------------------------------------------------
def auc(p, y):
    ranks = pd.Series(p).rank(method="average").to_numpy()
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


METRICS = {
    "rmsle": lambda p, y: float(np.sqrt(np.mean((np.log1p(np.clip(p, 0, None)) - np.log1p(y)) ** 2))),
    "rmse": lambda p, y: float(np.sqrt(np.mean((p - y) ** 2))),
    "mae": lambda p, y: float(np.mean(np.abs(p - y))),
    "auc": auc,
    "logloss": lambda p, y: float(-np.mean(y * np.log(np.clip(p, 1e-15, 1 - 1e-15)) + (1 - y) * np.log(np.clip(1 - p, 1e-15, 1 - 1e-15)))),
    "accuracy": lambda p, y: float(np.mean((p >= 0.5) == (y == 1))),
}
HIGHER_IS_BETTER = {"auc", "accuracy"}


# ---- features -----------------------------------------------------------------------------------------------------
def parse_dates(s):
    """A string column as datetimes when at least 95 % of its present values parse, else None."""
    present = s.dropna()
    if len(present) == 0:
        return None
    probe = present.sample(min(len(present), 1000), random_state=0)
    if pd.to_numeric(probe, errors="coerce").notna().mean() > 0.5:
        return None
    if pd.to_datetime(probe, errors="coerce").notna().mean() < 0.95:
        return None
    return pd.to_datetime(s, errors="coerce")


def date_parts(d):
    days = (d - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    return {"year": d.dt.year, "month": d.dt.month, "weekday": d.dt.dayofweek, "hour": d.dt.hour,
            "dayofyear": d.dt.dayofyear, "days": days}


def build_features(train, test, id_col, target):
    """Feature frames for train and test, the time column's datetimes in train (or None), and notes."""
    notes = []
    tr, te = {}, {}
    trends = set()
    time_col, train_time = None, None
    for col in test.columns:
        if col not in train.columns or col == target:
            continue
        a, b = train[col], test[col]
        if a.dtype == object or b.dtype == object:
            da = parse_dates(a.astype(object))
            if da is not None:
                db = pd.to_datetime(b, errors="coerce")
                if time_col is None:
                    time_col, train_time = col, da
                for part, values in date_parts(da).items():
                    if part != "days" and values.nunique(dropna=True) <= 1:
                        continue
                    name = f"{col}_{part}"
                    tr[name], te[name] = values.astype("float32"), date_parts(db)[part].astype("float32")
                    if part in ("year", "days"):
                        trends.add(name)
                continue
            if col == id_col:
                continue
            na = a.nunique(dropna=True)
            if na >= 20 and na > 0.5 * a.notna().sum():
                notes.append(f"{col}: left out (free text or an identifier)")
                continue
            if na <= 1:
                continue
            cats = pd.Index(pd.concat([a, b]).dropna().astype(str).str.strip().unique())
            tr[col] = pd.Categorical(a.astype(str).str.strip().where(a.notna()), categories=cats)
            te[col] = pd.Categorical(b.astype(str).str.strip().where(b.notna()), categories=cats)
        else:
            if col == id_col:
                continue
            if a.nunique(dropna=True) <= 1:
                continue
            tr[col], te[col] = a.astype("float32"), b.astype("float32")
    # a number whose test values all lie beyond the training range cannot tell test rows apart (trends are exempt)
    for name in list(tr):
        if name in trends or isinstance(tr[name], pd.Categorical):
            continue
        lo, hi = np.nanmin(tr[name]), np.nanmax(tr[name])
        t = te[name]
        if t.notna().any() and ((t.dropna() > hi).all() or (t.dropna() < lo).all()):
            notes.append(f"{name}: left out (every test value outside the training range)")
            del tr[name], te[name]
    return pd.DataFrame(tr), pd.DataFrame(te), time_col, train_time, notes


# ---- folds --------------------------------------------------------------------------------------------------------
def time_block_folds(hours, folds):
    """[(train_rows, valid_rows)]: the train period cut into folds + 1 blocks at whole days from its first hour."""
    first, last = int(hours.min()), int(hours.max())
    span = last - first + 1
    out = []
    for i in range(1, folds + 1):
        origin = first + (span * i // (folds + 1)) // 24 * 24
        end = last + 1 if i == folds else first + (span * (i + 1) // (folds + 1)) // 24 * 24
        out.append((np.flatnonzero(hours < origin), np.flatnonzero((hours >= origin) & (hours < end))))
    return out


def k_folds(y, stratify, k, seed):
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=np.int32)
    groups = [np.flatnonzero(y == v) for v in np.unique(y)] if stratify else [np.arange(len(y))]
    dealt = 0
    for rows in groups:
        rows = rng.permutation(rows)
        fold[rows] = (dealt + np.arange(len(rows))) % k
        dealt += len(rows)
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--metric", choices=sorted(METRICS), help="default: auc for a binary target, rmse otherwise")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--iterations", type=int, help="fix the rounds (default: tuned; 400 when --leaves is given)")
    ap.add_argument("--leaves", type=int, help="fix the leaves (default: tuned; 63 when --iterations is given)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import lightgbm as lgb

    os.makedirs(args.out, exist_ok=True)
    with Stage("read"):
        sample_path = find(args.data, "sample_submission.csv", "sampleSubmission.csv")
        header = list(pd.read_csv(sample_path, nrows=0).columns)
        id_col, target = header[0], header[1]
        train = pd.read_csv(find(args.data, "train.csv"), low_memory=False)
        test = pd.read_csv(find(args.data, "test.csv"), low_memory=False)
    y = train[target].to_numpy(dtype=np.float64)
    binary = len(np.unique(y[~np.isnan(y)])) == 2
    metric = args.metric or ("auc" if binary else "rmse")
    if binary:
        lo = np.nanmin(y)
        y = (y != lo).astype(np.float64)
    log(f"id {id_col}, target {target}, {'binary' if binary else 'regression'}, metric {metric}; train {len(train):,}, test {len(test):,} rows")

    with Stage("features"):
        X, Xt, time_col, train_time, notes = build_features(train, test, id_col, target)
    for n in notes:
        log(n)
    log(f"{X.shape[1]} features ({sum(isinstance(X[c].dtype, pd.CategoricalDtype) for c in X.columns)} categorical), time column {time_col}")

    objective = "binary" if binary else "regression"
    label = np.log1p(y) if metric == "rmsle" else y
    tune = args.leaves is None and args.iterations is None
    args.leaves = args.leaves or 63
    args.iterations = args.iterations or 400
    params = {"objective": objective, "num_leaves": args.leaves, "learning_rate": 0.05, "min_data_in_leaf": 50,
              "feature_fraction": 0.8, "lambda_l2": 1.0, "max_bin": 255, "num_threads": args.threads, "seed": args.seed,
              "force_row_wise": True, "verbosity": -1}

    def fit(rows):
        ds = lgb.Dataset(X.iloc[rows], label=label[rows], params={"max_bin": 255, "verbosity": -1}, free_raw_data=True)
        return lgb.train(params, ds, num_boost_round=args.iterations)

    def predict(model, frame):
        p = model.predict(frame, num_iteration=args.iterations, num_threads=args.threads)
        return np.clip(np.expm1(p), 0, None) if metric == "rmsle" else p

    if time_col is not None:
        hours = ((train_time - pd.Timestamp("1970-01-01")) // pd.Timedelta(hours=1)).fillna(0).to_numpy(np.int64)
        plan, kind = time_block_folds(hours, args.folds), "time"
    else:
        plan, kind = k_folds(y, binary, max(2, args.folds), args.seed), "kfold"
    fold_models = None
    if tune:
        lgb_metric = {"rmsle": "rmse", "rmse": "rmse", "mae": "l1", "auc": "auc", "logloss": "binary_logloss",
                      "accuracy": "binary_error"}[metric]
        higher = metric in HIGHER_IS_BETTER
        best = None
        with Stage("tune"):
            sets = []
            for tr_rows, va_rows in plan:
                ds = lgb.Dataset(X.iloc[tr_rows], label=label[tr_rows], params={"max_bin": 255, "verbosity": -1}, free_raw_data=False)
                sets.append((ds, lgb.Dataset(X.iloc[va_rows], label=label[va_rows], reference=ds, free_raw_data=False)))
            for leaves in (15, 31, 63):
                # the folds' boosters grow in lockstep; every 25 rounds the mean fold score is read; 100 rounds
                # without a better one end the candidate (lgb.cv's early stopping, on the same per-fold bins as Esteira)
                boosters = []
                for ds, vs in sets:
                    b = lgb.Booster(dict(params, num_leaves=leaves, metric=lgb_metric), ds)
                    b.add_valid(vs, "valid")
                    boosters.append(b)
                best_score, best_iter, it = None, 0, 0
                while it < 3000 and it - best_iter <= 100:
                    for b in boosters:
                        for _ in range(25):
                            b.update()
                    it += 25
                    score = float(np.mean([b.eval_valid()[0][2] for b in boosters]))
                    if best_score is None or (score > best_score if higher else score < best_score):
                        best_score, best_iter = score, it
                log(f"{leaves} leaves: best {best_iter} iterations, mean fold {lgb_metric} {best_score:.4f}")
                if best is None or (best_score > best[0] if higher else best_score < best[0]):
                    best = (best_score, leaves, best_iter, boosters)
        params["num_leaves"], args.iterations, fold_models = best[1], best[2], best[3]
        log(f"chose {best[1]} leaves x {best[2]} iterations")
    folds, oof_p, oof_y = [], [], []
    for i, (tr_rows, va_rows) in enumerate(plan, 1):
        with Stage(f"cv fold {i}"):
            model = fit(tr_rows) if fold_models is None else fold_models[i - 1]
            p = predict(model, X.iloc[va_rows])
        s = METRICS[metric](p, y[va_rows])
        folds.append({"fold": i, "train_rows": int(len(tr_rows)), "valid_rows": int(len(va_rows)), "score": round(s, 5)})
        oof_p.append(p)
        oof_y.append(y[va_rows])
        log(f"fold {i} ({kind}): train {len(tr_rows):,}, valid {len(va_rows):,}, {metric} {s:.4f}")
    cv = METRICS[metric](np.concatenate(oof_p), np.concatenate(oof_y))
    log(f"CV {metric} {cv:.4f}")

    with Stage("final model"):
        final = fit(np.arange(len(X)))
    with Stage("predict"):
        pred = predict(final, Xt)
    with Stage("write submission"):
        sub = pd.DataFrame({id_col: test[id_col], target: pred})
        path = os.path.join(args.out, "submission.csv.gz")
        sub.to_csv(path, index=False, compression="gzip")

    seconds = time.perf_counter() - T0
    log(f"done in {seconds:.1f}s, peak RSS {peak_mib():.0f} MiB")
    if args.json:
        print(json.dumps({"tool": "tabular-peer", "library": "lightgbm", "library_version": lgb.__version__,
                          "seconds": round(seconds, 3), "peak_rss_mib": round(peak_mib(), 1), "metric": metric,
                          "cv": round(cv, 5), "fold_kind": kind, "folds": folds, "features": list(X.columns),
                          "submission": path, "stages": STAGES}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
