"""A command experiment for Esteira (see docs/contract.md): a per-building ridge regression in pandas/numpy.

Reads the prepared feature columns Esteira wrote to $ESTEIRA_FEATURES (NumPy .npy, one file per column),
fits one least-squares model per fold on the rows before the fold, and writes the two prediction files
Esteira checks and scores itself: $ESTEIRA_OUTPUT/oof.npy and $ESTEIRA_OUTPUT/test.npy (meter_reading units).
Needs only Debian's python3-pandas (numpy comes with it).
"""
import json
import os

import numpy as np
import pandas as pd

features = os.environ["ESTEIRA_FEATURES"]
output = os.environ["ESTEIRA_OUTPUT"]
COLUMNS = ["hour", "weekday", "is_day_off", "air_temperature", "air_temperature_mean24",
           "dew_temperature", "level", "level_profile", "profile_long", "horizon_days"]


def table(name, extra=()):
    folder = os.path.join(features, name)
    frame = pd.DataFrame({c: np.load(os.path.join(folder, c + ".npy"), mmap_mode="r") for c in list(COLUMNS) + list(extra)})
    return frame


def design(frame):
    x = frame[COLUMNS].copy()
    for c in COLUMNS:
        x[c] = x[c].fillna(x[c].median() if x[c].notna().any() else 0.0)
    hours = pd.get_dummies(frame["hour"].astype(int), prefix="h").astype(float)
    x = pd.concat([x.drop(columns=["hour"]), hours.reindex(columns=[f"h_{i}" for i in range(24)], fill_value=0.0)], axis=1)
    x["intercept"] = 1.0
    return x.to_numpy(dtype=np.float64)


def fit(x, y, ridge=1.0):
    a = x.T @ x + ridge * np.eye(x.shape[1])
    return np.linalg.solve(a, x.T @ y)


summary = json.load(open(os.path.join(features, "summary.json")))
train = table("train", ["label", "baseline", "time", "keep"])
valid = table("valid", ["label", "baseline", "fold"])
test = table("test", ["baseline"])

x_train, x_valid, x_test = design(train), design(valid), design(test)
target = (train["label"] - train["baseline"]).to_numpy()
keep = train["keep"].to_numpy() == 1

oof = np.zeros(len(valid), dtype=np.float32)
for fold in summary["folds"]:
    rows = keep & (train["time"].to_numpy() < fold["origin"])
    w = fit(x_train[rows], target[rows])
    mask = valid["fold"].to_numpy() == fold["index"]
    oof[mask] = np.expm1(x_valid[mask] @ w + valid["baseline"].to_numpy()[mask]).clip(min=0)

w = fit(x_train[keep], target[keep])
predictions = np.expm1(x_test @ w + test["baseline"].to_numpy()).clip(min=0).astype(np.float32)
np.save(os.path.join(output, "oof.npy"), oof)
np.save(os.path.join(output, "test.npy"), predictions)
print(f"ridge: {keep.sum()} training rows, {len(oof)} out-of-fold and {len(predictions)} test predictions written")
