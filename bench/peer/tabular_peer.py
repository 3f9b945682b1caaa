#!/usr/bin/python3
"""The Python peer for Esteira's tabular profile: any Kaggle-style folder (train.csv, test.csv, a sample submission;
plain or .gz) done "the usual Kaggle way" with pandas and LightGBM's own Python package.

    /usr/bin/python3 bench/peer/tabular_peer.py --data DIR --out OUTDIR [--metric rmsle|rmse|mae|auc|logloss|accuracy]
        [--folds 3] [--iterations 400] [--leaves 63] [--seed 42] [--threads 2] [--json]

Nothing is specific to one competition; it does what Esteira's tabular profile does, generically:
- id and target are the sample submission's first and second columns; the task is binary when the target has two values;
- columns not in test.csv are dropped (e.g. a target's parts), and the id unless it is the time column; columns
  constant in train are dropped; feature names are Esteira's (ASCII letters and digits, anything else an underscore);
- string columns: a date column (most values parse) gives year, month, day, day of week, hour and day of year (each
  only when it varies in train) and days since 1970 (the trend); other strings become pandas categories (LightGBM's
  native categorical splits), except free text (≥ 20 distinct values, over half of the rows), which is left out;
- the order is Esteira's: the given (non-date) columns first, in train.csv's order, then the date-derived features
  (LightGBM breaks a tie between two equally good splits toward the earlier feature), then the neighbour features;
- a feature derived from the time column is left out when most (over half) of its present test values, floored to whole units, lie
  inside the training range but on no floored training value (a test between training days: it names training days);
  a number that is not a trend (year, days since 1970) is left out when 95 % or more of its present test values lie
  outside the training range (it cannot tell test rows apart), as Esteira does;
- the time column is the first date column every training row has (and varying in train, or the id); when every train
  and test row has a time, no time occurs twice across both and most neighbouring rows are one step apart (the most
  common step separates more than half of them), all rows are ordered by time and each kept given
  feature (numeric or categorical) gets {name}_before and {name}_after (the previous and next row's value, NaN at either
  end; categorical for a category) and, for numbers, {name}_around (mean of the rows within 3 either side, itself
  included, NaN skipped), grouped per source feature and subject to the same leaving-out rule;
- CV: with a time column and more than half of the test rows on days (whole days since 1970) strictly inside the
  training's first and last day that no training row has (a test between training days), K-fold (k = max(2, folds))
  on blocks of days: a training row of day d goes to fold ((d - first training day) // r) % k, r the median length of
  the test's runs of consecutive days; otherwise, with a time column spanning folds + 1 days or more, forward-chaining
  time blocks (the train period cut into folds + 1 equal blocks at midnight; fold i trains before block i and
  validates on it); otherwise seeded K-fold, stratified for a binary target; CV is the metric over every validation
  row pooled;
- LightGBM, tuned as Esteira tunes when the user fixes neither leaves nor iterations (--leaves/--iterations fix them):
  for 15, 31 and 63 leaves, the folds' boosters grow in lockstep and their validation sets are scored every 25 rounds
  with the competition metric as LightGBM computes it (rmse of log1p for rmsle, l1, auc, binary_logloss,
  binary_error); a candidate stops 100 rounds after its best mean fold score (at most 3000 rounds); the best mean fold
  score wins, and CV is its folds' predictions at its best iteration. Otherwise: 400 iterations, 63 leaves;
  lr 0.05, min_data_in_leaf 50, feature_fraction 0.8, lambda_l2 1, max_bin 255, seed 42, force_row_wise (Esteira's
  defaults and parameter string), 2 threads (--threads; Esteira boosts training sets under 100,000 rows on one);
  objective regression on log1p(target) for rmsle, regression for rmse/mae, binary (probabilities) for a binary task;
- the final model trains on every row; submission.csv.gz keeps the sample's header, one row per test row.
With --json, one JSON object on stdout: seconds, peak_rss_mib (resource.getrusage), metric, cv, fold_kind (blocks,
time or kfold), block_days, folds, features, stages.
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
DATE_PARTS = ("year", "month", "day", "weekday", "hour", "dayofyear")
# names Esteira's feature tables use for their own columns: a feature so named gets a trailing underscore
RESERVED = {"label", "time", "keep", "fold", "train_row", "row", "baseline", "prediction"}
NEIGHBOUR_WINDOW = 3  # rows either side of a row that its _around feature averages


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


def date_part(d, part):
    """One calendar part of datetimes as float32 (NaN where missing); weekday Monday = 0; days since 1970 with the
    time of day as a fraction."""
    if part == "days":
        values = (d - pd.Timestamp("1970-01-01")) / pd.Timedelta(days=1)
    else:
        values = getattr(d.dt, {"weekday": "dayofweek"}.get(part, part))
    return values.to_numpy(dtype=np.float64, na_value=np.nan).astype(np.float32)


def safe_name(name):
    """Esteira's feature name: ASCII letters and digits kept, anything else an underscore."""
    out = "".join(c if c.isascii() and c.isalnum() else "_" for c in str(name).strip())
    return out or "column"


def hours_since_1970(d):
    """Whole hours since 1970 (floored), 0 where the time is missing (as Esteira's time column)."""
    return ((d - pd.Timestamp("1970-01-01")) // pd.Timedelta(hours=1)).fillna(0).to_numpy(np.int64)


def between_training_values(a, b):
    """Why most present test values, floored to whole units, fall inside the training range on no floored training
    value (Esteira's BetweenTrainingValues); else None."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    known = a[~np.isnan(a)]
    present = b[~np.isnan(b)]
    if len(known) == 0 or len(present) == 0:
        return None
    inside = (present >= known.min()) & (present <= known.max())
    between = int((inside & ~np.isin(np.floor(present), np.floor(known))).sum())
    if between * 2 > len(present):
        return f"{100.0 * between / len(present):.0f} % of its test values fall between its training values, on none"
    return None


def outside_training_range(a, b):
    """Why 95 % or more of the present test values lie outside the training range; else None."""
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    known = a[~np.isnan(a)]
    present = int((~np.isnan(b)).sum())
    if len(known) == 0 or present == 0:
        return None
    lo, hi = known.min(), known.max()
    outside = int(((b < lo) | (b > hi)).sum())
    if outside >= 0.95 * present:
        return f"{100.0 * outside / present:.0f} % of its test values lie outside its training range [{lo:g}, {hi:g}]"
    return None


def neighbours(values, order):
    """(before, after, around) of one feature over train+test rows, `order` sorting the rows by time: the previous
    and next row's value (NaN at either end) and the mean of the rows within NEIGHBOUR_WINDOW rows either side, the
    row's own included, missing values skipped (summed in float64 in time order, as Esteira does)."""
    s = values[order]
    n = len(s)
    before, after = np.full(n, np.nan, np.float32), np.full(n, np.nan, np.float32)
    before[1:], after[:-1] = s[:-1], s[1:]
    s64 = s.astype(np.float64)
    total, count = np.zeros(n), np.zeros(n)
    for off in range(-NEIGHBOUR_WINDOW, NEIGHBOUR_WINDOW + 1):
        shifted = np.full(n, np.nan)
        if off < 0:
            shifted[-off:] = s64[:off]
        elif off > 0:
            shifted[:-off] = s64[off:]
        else:
            shifted[:] = s64
        ok = ~np.isnan(shifted)
        total += np.where(ok, shifted, 0.0)
        count += ok
    around = np.full(n, np.nan, np.float32)
    around[count > 0] = (total[count > 0] / count[count > 0]).astype(np.float32)
    out = []
    for sorted_values in (before, after, around):
        back = np.empty(n, np.float32)
        back[order] = sorted_values
        out.append(back)
    return out


def build_features(train, test, id_col, target):
    """Feature frames for train and test, the time column, its hours since 1970 in train and in test (None without
    one), and notes."""
    notes = []
    tr, te = {}, {}
    taken = set(RESERVED)

    def add(name, a, b, categorical=False, trend=False, date_derived=False):
        """Esteira's TabularEncoder.Add: the feature's (safe) name, or None when a rule leaves it out."""
        why = between_training_values(a, b) if date_derived else None
        if why is None and not categorical and not trend:
            why = outside_training_range(a, b)
        if why is not None:
            notes.append(f"{name}: left out ({why})")
            return None
        safe = safe_name(name)
        while safe.lower() in taken:
            safe += "_"
        taken.add(safe.lower())
        tr[safe], te[safe] = a, b
        return safe

    # each column of train.csv that test.csv has (not the target): its kind and values
    columns, dates = [], {}
    for col in train.columns:
        if col not in test.columns or col == target:
            continue
        a, b = train[col], test[col]
        if a.dtype == object or b.dtype == object:
            da = parse_dates(a.astype(object))
            if da is not None:
                dates[col] = (da, pd.to_datetime(b, errors="coerce"))
                columns.append((col, "date"))
                continue
            na = a.nunique(dropna=True)
            if na >= 20 and na > 0.5 * a.notna().sum():
                if col != id_col:
                    notes.append(f"{col}: left out (free text or an identifier)")
                continue
            columns.append((col, "category"))
        else:
            columns.append((col, "number"))
    # the time column: the first date column every training row has, varying in train (or the id)
    time_col = next((c for c, kind in columns if kind == "date" and dates[c][0].notna().all()
                     and (c == id_col or dates[c][0].nunique() > 1)), None)

    # the given columns first, in file order, then what is derived from dates (LightGBM breaks ties toward the earlier)
    sources = []
    for col, kind in sorted(columns, key=lambda c: c[1] == "date"):
        if col == id_col and col != time_col:
            continue
        a, b = train[col], test[col]
        if kind != "date" and a.nunique(dropna=True) <= 1:
            continue
        if kind == "number":
            name = add(col, a.to_numpy(np.float32), b.to_numpy(np.float32))
            if name is not None:
                sources.append((name, False))
        elif kind == "category":
            a = a.astype(str).str.strip().where(a.notna())
            b = b.astype(str).str.strip().where(b.notna())
            cats = pd.Index(pd.concat([a, b]).dropna().unique())
            name = add(col, pd.Categorical(a, categories=cats), pd.Categorical(b, categories=cats), categorical=True)
            sources.append((name, True))  # a category is never left out
        else:
            da, db = dates[col]
            if col != time_col and da.nunique() <= 1:
                continue
            for part in DATE_PARTS:
                va = date_part(da, part)
                if len(np.unique(va[~np.isnan(va)])) > 1:
                    add(f"{col}_{part}", va, date_part(db, part), trend=part == "year", date_derived=col == time_col)
            add(f"{col}_days", date_part(da, "days"), date_part(db, "days"), trend=True, date_derived=col == time_col)

    train_hours = test_hours = None
    if time_col is not None:
        da, db = dates[time_col]
        train_hours, test_hours = hours_since_1970(da), hours_since_1970(db)
        # one series in time (every row timed, no time twice across train and test): each kept given feature's
        # neighbours in time, before, after and (numbers) around, test rows included; grouped per source feature
        both = pd.concat([da, db], ignore_index=True)
        if sources and not both.isna().any():
            order = np.argsort(both.to_numpy(), kind="stable")
            ordered = both.to_numpy()[order]
            twice = np.flatnonzero(ordered[1:] == ordered[:-1])
            steps = np.diff(ordered)
            usual = np.unique(steps, return_counts=True)[1].max() if len(steps) else 0
            if len(twice):
                notes.append(f"{time_col}: no neighbour features ({pd.Timestamp(ordered[twice[0]])} occurs twice)")
            elif usual * 2 <= len(steps):
                notes.append(f"{time_col}: no neighbour features (rows are not at regular steps)")
            else:
                n = len(da)
                for name, categorical in sources:
                    if categorical:
                        cats = tr[name].categories
                        codes = np.concatenate([tr[name].codes, te[name].codes]).astype(np.float32)
                        codes[codes < 0] = np.nan
                        before, after, _ = neighbours(codes, order)
                        for suffix, v in (("before", before), ("after", after)):
                            c = np.where(np.isnan(v), -1, v).astype(np.int64)
                            add(f"{name}_{suffix}", pd.Categorical.from_codes(c[:n], cats),
                                pd.Categorical.from_codes(c[n:], cats), categorical=True)
                    else:
                        values = np.concatenate([tr[name], te[name]]).astype(np.float32)
                        for suffix, v in zip(("before", "after", "around"), neighbours(values, order)):
                            add(f"{name}_{suffix}", v[:n], v[n:])
    return pd.DataFrame(tr), pd.DataFrame(te), time_col, train_hours, test_hours, notes


# ---- folds --------------------------------------------------------------------------------------------------------
def whole_days(hours):
    """Hours to days as C#'s integer division does (toward zero), so that days before 1970 match Esteira's."""
    hours = np.asarray(hours, np.int64)
    return np.sign(hours) * (np.abs(hours) // 24)


def interleaved_run_days(train_hours, test_hours):
    """Esteira's InterleavedRunDays: when more than half of the test rows fall on days strictly inside training's
    (first day, last day) that no training row has, the median length of the test's runs of consecutive days (the
    element at len // 2 of the sorted lengths); else None."""
    if len(train_hours) == 0 or len(test_hours) == 0:
        return None
    train_days, test_days = whole_days(train_hours), whole_days(test_hours)
    first, last = train_days.min(), train_days.max()
    inside = (test_days > first) & (test_days < last) & ~np.isin(test_days, train_days)
    if inside.sum() * 2 <= len(test_days):
        return None
    distinct = np.unique(test_days)
    breaks = np.flatnonzero(np.diff(distinct) != 1)
    runs = np.sort(np.diff(np.concatenate([[0], breaks + 1, [len(distinct)]])))
    return int(runs[len(runs) // 2])


def day_block_folds(hours, run_days, k):
    """[(train_rows, valid_rows)]: training days cut into blocks of run_days from the first, dealt to k folds in
    turn; each fold trains on the others' rows."""
    days = whole_days(hours)
    fold = ((days - days.min()) // run_days) % k
    return [(np.flatnonzero(fold != f), np.flatnonzero(fold == f)) for f in range(k)]


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
        X, Xt, time_col, train_hours, test_hours, notes = build_features(train, test, id_col, target)
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

    # a test between training days is validated on blocks of days as long as its own runs, dealt to K folds; a test
    # after training on forward-chaining time blocks (when the training span holds folds + 1 days); otherwise K-fold
    run_days = interleaved_run_days(train_hours, test_hours) if time_col is not None else None
    if run_days is not None and len(y) >= max(2, args.folds):
        plan, kind = day_block_folds(train_hours, run_days, max(2, args.folds)), "blocks"
    elif time_col is not None and train_hours.max() - train_hours.min() + 1 >= (max(1, args.folds) + 1) * 24:
        plan, kind = time_block_folds(train_hours, max(1, args.folds)), "time"
    else:
        plan, kind = k_folds(y, binary, max(2, args.folds), args.seed), "kfold"
    log(f"{len(plan)} folds ({kind}{f', {run_days}-day blocks' if kind == 'blocks' else ''})")
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
                while it < 3000 and it - best_iter < 100:
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
                          "cv": round(cv, 5), "fold_kind": kind, "block_days": run_days if kind == "blocks" else 0, "folds": folds, "features": list(X.columns),
                          "submission": path, "stages": STAGES}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
