#!/usr/bin/python3
"""Python peer for the Esteira benchmark: the GEPIII job done "the usual Kaggle way" (pandas + xgboost, or pandas +
LightGBM's own Python package with --library lightgbm; everything but the GBM library is the same code).

Reads the six GEPIII CSVs (plain or .gz), aligns weather (UTC) to local meter time by the site offset,
concatenates weather_train + weather_test, interpolates short weather gaps, builds features (building
metadata, hour, weekday, weather, 24 h rolling mean and 3 h lag of air temperature), trains xgboost on
log1p(meter_reading) with forward-chaining time-block CV (the train period cut into folds+1 equal blocks
at local midnight; fold i trains on blocks 0..i-1 and validates on block i, i = 1..folds), then a final
model on all train rows, predicts test in chunks and writes OUT/submission.csv.gz (row_id,meter_reading).

Run with the Debian python (apt-get install -y python3-pandas python3-xgboost):
    /usr/bin/python3 bench/peer/peer.py --data DIR --out OUTDIR [--iterations 500] [--max-leaves 255] [--json]
    [--library xgboost|lightgbm]
LightGBM's Python package 4.6.0 is vendored in /work/shared/vendor/lightgbm-python-4.6.0 (see its README; bench/run.sh
puts it on PYTHONPATH over the same native lib_lightgbm 4.6.0 that Esteira calls).
"""
import argparse
import gc
import json
import os
import resource
import sys
import time

import numpy as np
import pandas as pd

# Site UTC offsets (hours, standard time) used by the GEPIII winners; local = UTC + offset.
SITE_OFFSET = {0: -5, 1: 0, 2: -7, 3: -5, 4: -8, 5: 0, 6: -5, 7: -5, 8: -5, 9: -6, 10: -7, 11: -5,
               12: 0, 13: -6, 14: -5, 15: -5}
WEATHER_COLS = ["air_temperature", "cloud_coverage", "dew_temperature", "precip_depth_1_hr",
                "sea_level_pressure", "wind_direction", "wind_speed"]
FEATURES = ["building_id", "meter", "site_id", "primary_use", "log_square_feet", "year_built", "floor_count",
            "hour", "weekday"] + WEATHER_COLS + ["air_temperature_mean24", "air_temperature_lag3"]
TS_FORMAT = "%Y-%m-%d %H:%M:%S"

STAGES = []


class Stage:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        dt = time.perf_counter() - self.t0
        STAGES.append({"name": self.name, "seconds": round(dt, 3)})
        print(f"[peer] {self.name:<28} {dt:8.2f} s   (peak RSS {peak_rss_mib():,.0f} MiB)", file=sys.stderr, flush=True)


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def find(data, name):
    for cand in (name, name + ".gz"):
        p = os.path.join(data, cand)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{name}(.gz) not found in {data}")


def rmsle_log(pred_log, true_log):
    return float(np.sqrt(np.mean((pred_log.astype(np.float64) - true_log.astype(np.float64)) ** 2)))


def load_weather(data):
    w = pd.concat([pd.read_csv(find(data, "weather_train.csv")), pd.read_csv(find(data, "weather_test.csv"))],
                  ignore_index=True)
    w["timestamp"] = pd.to_datetime(w["timestamp"], format=TS_FORMAT)
    w = w.drop_duplicates(["site_id", "timestamp"]).sort_values(["site_id", "timestamp"])
    parts = []
    for site, g in w.groupby("site_id", sort=True):
        g = g.set_index("timestamp")[WEATHER_COLS]
        grid = pd.date_range(g.index.min(), g.index.max(), freq="H")
        g = g.reindex(grid)
        # short gaps only (<= 6 h, inside the observed range); longer gaps stay NaN for xgboost
        g = g.interpolate(method="linear", limit=6, limit_area="inside")
        g["air_temperature_mean24"] = g["air_temperature"].rolling(24, min_periods=1).mean()
        g["air_temperature_lag3"] = g["air_temperature"].shift(3)
        g.index = g.index + pd.Timedelta(hours=SITE_OFFSET.get(int(site), 0))  # UTC -> local meter time
        g.index.name = "timestamp"
        g = g.reset_index()
        g.insert(0, "site_id", np.int8(site))
        parts.append(g)
    w = pd.concat(parts, ignore_index=True)
    for c in w.columns:
        if w[c].dtype == np.float64:
            w[c] = w[c].astype(np.float32)
    return w


def load_buildings(data):
    b = pd.read_csv(find(data, "building_metadata.csv"))
    b["primary_use"] = b["primary_use"].astype("category").cat.codes.astype(np.int8)
    b["log_square_feet"] = np.log(b["square_feet"]).astype(np.float32)
    b["site_id"] = b["site_id"].astype(np.int8)
    b["year_built"] = b["year_built"].astype(np.float32)
    b["floor_count"] = b["floor_count"].astype(np.float32)
    return b[["building_id", "site_id", "primary_use", "log_square_feet", "year_built", "floor_count"]]


def add_features(df, buildings, weather):
    df = df.merge(buildings, on="building_id", how="left")
    df = df.merge(weather, on=["site_id", "timestamp"], how="left")
    df["hour"] = df["timestamp"].dt.hour.astype(np.int8)
    df["weekday"] = df["timestamp"].dt.weekday.astype(np.int8)
    return df


def matrix(df):
    return np.ascontiguousarray(df[FEATURES].to_numpy(dtype=np.float32))


class Gbm:
    """The one part that differs between the peers: training and predicting with xgboost or LightGBM, same settings
    (Esteira's: learning rate, leaves, min rows per leaf, feature fraction, L2, 255 bins, threads, seed)."""

    def __init__(self, args):
        self.args = args
        self.library = args.library
        if self.library == "xgboost":
            import xgboost
            self.lib, self.version = xgboost, xgboost.__version__
            self.params = {
                "objective": "reg:squarederror", "tree_method": "hist", "grow_policy": "lossguide",
                "max_leaves": args.max_leaves, "max_depth": 0, "learning_rate": args.learning_rate,
                "min_child_weight": args.min_child_weight, "colsample_bytree": args.colsample,
                "reg_lambda": args.reg_lambda, "max_bin": 255, "nthread": args.threads, "seed": args.seed,
                "verbosity": 1,
            }
        else:
            import lightgbm
            self.lib, self.version = lightgbm, lightgbm.__version__
            # LightGBM's defaults otherwise (as a Kaggler would run it: no force_row_wise, no bagging)
            self.params = {
                "objective": "regression", "num_leaves": args.max_leaves, "learning_rate": args.learning_rate,
                "min_data_in_leaf": int(args.min_child_weight), "feature_fraction": args.colsample,
                "lambda_l2": args.reg_lambda, "max_bin": 255, "num_threads": args.threads, "seed": args.seed,
                "verbosity": -1,
            }

    def train_consuming(self, rows):
        """Trains on rows = [X, y], emptying the list so that the raw rows are freed once the library has binned them."""
        X, y = rows
        rows.clear()
        if self.library == "xgboost":
            dtrain = self.lib.QuantileDMatrix(X, label=y, max_bin=255, nthread=self.args.threads)
        else:
            dtrain = self.lib.Dataset(X, label=y, params={"max_bin": 255, "num_threads": self.args.threads, "verbosity": -1},
                                      free_raw_data=True).construct()
        del X, y
        gc.collect()
        booster = self.lib.train(self.params, dtrain, num_boost_round=self.args.iterations)
        del dtrain
        return booster

    def predict(self, booster, X):
        if self.library == "xgboost":
            return booster.inplace_predict(X)
        return booster.predict(X, num_threads=self.args.threads)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with the GEPIII CSVs (plain or .gz)")
    ap.add_argument("--out", required=True, help="output folder for submission.csv.gz")
    ap.add_argument("--iterations", type=int, default=500)
    ap.add_argument("--max-leaves", type=int, default=255)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--min-child-weight", type=float, default=50, help="Esteira's min rows per leaf (squared error: hessian 1 per row)")
    ap.add_argument("--colsample", type=float, default=0.8, help="Esteira's feature fraction")
    ap.add_argument("--reg-lambda", type=float, default=1.0, help="Esteira's L2")
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk-rows", type=int, default=4_000_000, help="test rows per prediction chunk")
    ap.add_argument("--library", choices=("xgboost", "lightgbm"), default="xgboost", help="the GBM library")
    ap.add_argument("--json", action="store_true", help="print one JSON object (stages, cv_rmsle) on stdout at the end")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t_all = time.perf_counter()

    gbm = Gbm(args)
    with Stage("read train + metadata"):
        train = pd.read_csv(find(args.data, "train.csv"),
                            dtype={"building_id": np.int16, "meter": np.int8, "meter_reading": np.float32})
        train["timestamp"] = pd.to_datetime(train["timestamp"], format=TS_FORMAT)
        buildings = load_buildings(args.data)
    with Stage("weather (align, interpolate)"):
        weather = load_weather(args.data)
    with Stage("features (train)"):
        train = add_features(train, buildings, weather)
        # the usual GEPIII public-kernel clean-up: site-0 electricity is 0 or garbage until ~20 May 2016,
        # so every site-0 electricity row before 2016-05-21 is dropped (true of the real BDG2 sample too)
        bad = (train["site_id"] == 0) & (train["meter"] == 0) & (train["timestamp"] < "2016-05-21")
        train = train.loc[~bad.to_numpy()].reset_index(drop=True)
        hours = ((train["timestamp"] - pd.Timestamp("2016-01-01")) // pd.Timedelta(hours=1)).to_numpy(np.int64)
        X = matrix(train)
        y = np.log1p(train["meter_reading"].to_numpy(np.float32)).astype(np.float32)
        n_train = len(train)
        del train
        gc.collect()
    print(f"[peer] train rows {n_train:,}, features {len(FEATURES)}", file=sys.stderr)

    # forward-chaining time-block CV, block edges at local midnight (same plan as Esteira's TimeBlockFolds)
    folds = []
    first, last = int(hours.min()), int(hours.max())
    span = last - first + 1
    k = args.folds
    sq_sum, n_val = 0.0, 0
    for i in range(1, k + 1):
        origin = first + (span * i // (k + 1)) // 24 * 24
        end = last + 1 if i == k else first + (span * (i + 1) // (k + 1)) // 24 * 24
        with Stage(f"cv fold {i} train"):
            tr = hours < origin
            booster = gbm.train_consuming([X[tr], y[tr]])
        with Stage(f"cv fold {i} validate"):
            va = (hours >= origin) & (hours < end)
            p = np.clip(gbm.predict(booster, X[va]), 0, None)
            r = rmsle_log(p, y[va])
            sq_sum += float(np.sum((p.astype(np.float64) - y[va]) ** 2))
            n_val += int(va.sum())
        folds.append({"fold": i, "valid_from_hour": origin, "valid_to_hour": end, "train_rows": int(tr.sum()),
                      "valid_rows": int(va.sum()), "rmsle": round(r, 5)})
        print(f"[peer] fold {i}: train {int(tr.sum()):,} rows, valid {int(va.sum()):,} rows, RMSLE {r:.4f}", file=sys.stderr)
        del booster
        gc.collect()
    cv = float(np.sqrt(sq_sum / max(n_val, 1))) if k > 0 else float("nan")
    print(f"[peer] CV RMSLE (all validation rows) {cv:.4f}", file=sys.stderr)

    with Stage("final train"):
        final = [X, y]
        del X, y, hours
        booster = gbm.train_consuming(final)  # the rows are freed once binned, before boosting
        gc.collect()

    row_ids, preds = [], []
    t_feat = t_pred = 0.0
    with Stage("predict test (chunks)"):
        reader = pd.read_csv(find(args.data, "test.csv"), chunksize=args.chunk_rows,
                             dtype={"row_id": np.int32, "building_id": np.int16, "meter": np.int8})
        for chunk in reader:
            t0 = time.perf_counter()
            chunk["timestamp"] = pd.to_datetime(chunk["timestamp"], format=TS_FORMAT)
            chunk = add_features(chunk, buildings, weather)
            Xc = matrix(chunk)
            t1 = time.perf_counter()
            p = np.expm1(np.clip(gbm.predict(booster, Xc), 0, None)).astype(np.float32)
            t_pred += time.perf_counter() - t1
            t_feat += t1 - t0
            row_ids.append(chunk["row_id"].to_numpy())
            preds.append(p)
            del chunk, Xc
        print(f"[peer]   of which test features {t_feat:.2f} s, {args.library} predict {t_pred:.2f} s", file=sys.stderr)
    with Stage("write submission.csv.gz"):
        sub = pd.DataFrame({"row_id": np.concatenate(row_ids), "meter_reading": np.concatenate(preds)})
        path = os.path.join(args.out, "submission.csv.gz")
        sub.to_csv(path, index=False, float_format="%.4f", compression={"method": "gzip", "compresslevel": 6})
    total = time.perf_counter() - t_all
    print(f"[peer] submission {path} ({len(sub):,} rows); total {total:.1f} s; peak RSS {peak_rss_mib():,.0f} MiB", file=sys.stderr)
    if args.json:
        print(json.dumps({"tool": f"peer-{args.library}", "library": args.library, "library_version": gbm.version, "cv_rmsle": round(cv, 5), "folds": folds, "train_rows": n_train,
                          "test_rows": len(sub), "submission": path, "stages": STAGES, "seconds": round(total, 3),
                          "peak_rss_mib": round(peak_rss_mib(), 1), "pandas": pd.__version__}))


if __name__ == "__main__":
    main()
