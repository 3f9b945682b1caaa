#!/usr/bin/env python3
"""Per building: a submission's test RMSLE against the naive recent profile's (issue 14's check).

usage: bench/per_building.py DATA_DIR SUBMISSION [SUBMISSION ...]

The recent profile is the median log1p reading per building × weekday × hour over the last 8 weeks of train.csv;
a building never seen in training takes the median of the others' profiles. DATA_DIR holds train.csv(.gz),
test.csv(.gz) and solution.csv(.gz) (the true test readings; only scored here, never trained on).
"""
import os
import sys

import numpy as np
import pandas as pd


def read(folder, name):
    path = os.path.join(folder, name)
    return pd.read_csv(path if os.path.exists(path) else path + ".gz")


def main(folder, submissions):
    train = read(folder, "train.csv")
    test = read(folder, "test.csv").merge(read(folder, "solution.csv")[["row_id", "meter_reading"]], on="row_id")
    for frame in (train, test):
        frame["ts"] = pd.to_datetime(frame.timestamp)
        frame["wd"], frame["h"] = frame.ts.dt.weekday, frame.ts.dt.hour
    recent = train[train.ts >= train.ts.max() - pd.Timedelta(days=56)]
    profile = recent.assign(l=np.log1p(recent.meter_reading)).groupby(["building_id", "wd", "h"]).l.median().rename("rp").reset_index()
    pooled = profile.groupby(["wd", "h"]).rp.median().rename("pool").reset_index()
    test = test.merge(profile, on=["building_id", "wd", "h"], how="left").merge(pooled, on=["wd", "h"], how="left")
    test["rp"] = test.rp.fillna(test["pool"])
    actual = np.log1p(test.meter_reading)
    naive = ((test.rp - actual) ** 2).groupby(test.building_id).mean() ** 0.5
    print(f"recent profile: test RMSLE {np.sqrt(((test.rp - actual) ** 2).mean()):.4f}")
    for path in submissions:
        sub = pd.read_csv(path).rename(columns={"meter_reading": "p"}).merge(test[["row_id", "building_id", "meter_reading"]], on="row_id")
        error = (np.log1p(sub.p) - np.log1p(sub.meter_reading)) ** 2
        model = error.groupby(sub.building_id).mean() ** 0.5
        worse = (model - naive).sort_values(ascending=False)
        worse = worse[worse > 0]
        print(f"{path}: test RMSLE {np.sqrt(error.mean()):.4f}; worse than the recent profile on {len(worse)} of {len(model)} buildings, "
              f"by more than 0.10 on {(worse > 0.10).sum()}: " + ", ".join(f"{b} (+{d:.3f})" for b, d in worse.items()))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
