#!/usr/bin/python3
"""Measure the constants hard-coded in bench/Esteira.Bench.Generator/Calibration.cs.

Input: the small REAL sample /work/shared/data/bdg2-electricity-2016 (36 buildings, electricity,
2016, sites 0/2/3). train.csv (Jan-Aug) and test.csv+solution.csv (Sep-Dec) are joined to give a full
local-time year per building. Run:  /usr/bin/python3 bench/calibrate/calibrate.py [DIR]
Prints the numbers; they were copied by hand into Calibration.cs.
"""
import sys
import numpy as np
import pandas as pd

D = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/bdg2-electricity-2016"
OFFS = {0: -5, 1: 0, 2: -7, 3: -5, 4: -8, 5: 0, 6: -5, 7: -5, 8: -5, 9: -6, 10: -7, 11: -5, 12: 0, 13: -6, 14: -5, 15: -5}
np.set_printoptions(precision=3, suppress=True, linewidth=200)

tr = pd.read_csv(f"{D}/train.csv", parse_dates=["timestamp"])
te = pd.read_csv(f"{D}/test.csv", parse_dates=["timestamp"])
so = pd.read_csv(f"{D}/solution.csv")
te = te.merge(so[["row_id", "meter_reading"]], on="row_id").drop(columns="row_id")
df = pd.concat([tr, te], ignore_index=True)
bm = pd.read_csv(f"{D}/building_metadata.csv")
df = df.merge(bm, on="building_id")
# site-0 electricity is 0 or garbage until about 20 May 2016 (known GEPIII artefact, present in this sample
# too): leave it out of the calibration
df = df[~((df.site_id == 0) & (df.timestamp < "2016-05-21"))]
w = pd.concat([pd.read_csv(f"{D}/weather_train.csv", parse_dates=["timestamp"]),
               pd.read_csv(f"{D}/weather_test.csv", parse_dates=["timestamp"])])
w["timestamp"] = w["timestamp"] + pd.to_timedelta(w["site_id"].map(OFFS), unit="h")  # UTC -> local
w = w.sort_values(["site_id", "timestamp"])
w["air_temperature"] = w.groupby("site_id")["air_temperature"].transform(lambda s: s.interpolate(limit_direction="both"))
df = df.merge(w[["site_id", "timestamp", "air_temperature"]], on=["site_id", "timestamp"], how="left")

def grp(u):
    return u if u in ("Education", "Office", "Lodging/residential", "Entertainment/public assembly", "Public services") else "Other"
df["grp"] = df["primary_use"].map(grp)
df["hour"] = df.timestamp.dt.hour
df["dow"] = df.timestamp.dt.dayofweek
df["we"] = (df.dow >= 5).astype(int)
df["date"] = df.timestamp.dt.normalize()
df["month"] = df.timestamp.dt.month

print(f"rows {len(df)}  buildings {df.building_id.nunique()}  zero share {np.mean(df.meter_reading == 0):.4f}")
hours_possible = df.building_id.nunique() * 8784
print(f"missing share (gaps) {1 - len(df) / hours_possible:.4f}")

# --- B: level vs square_feet
lvl = df[df.meter_reading > 0].groupby("building_id").agg(m=("meter_reading", "mean"), sqft=("square_feet", "first"))
x, y = np.log(lvl.sqft), np.log(lvl.m)
b, a = np.polyfit(x, y, 1)
res = y - (a + b * x)
print(f"\n[level] ln(mean kWh) = {a:.3f} + {b:.3f} ln(sqft); residual sd {res.std():.3f}")

# --- C: normalized profiles per group
df = df.merge(lvl[["m"]], left_on="building_id", right_index=True)
df["n"] = df.meter_reading / df.m
print("\n[profile] hourly mean of reading/building-mean, weekday then weekend, per group")
for g, d in df.groupby("grp"):
    p = d.groupby(["we", "hour"]).n.mean().unstack()
    wd = p.loc[0].values / p.loc[0].values.mean()
    we = p.loc[1].values / p.loc[0].values.mean()
    dowf = d.groupby("dow").n.mean().values
    dowf = dowf / dowf[:5].mean()
    print(f"  {g} (buildings {d.building_id.nunique()})")
    print("    weekday", np.round(wd, 3).tolist())
    print("    weekend", np.round(we, 3).tolist())
    print("    dow factor", np.round(dowf, 3).tolist())

# --- D: spread of amplitude across buildings (weekday peak/min of hourly profile)
amp = []
for bid, d in df.groupby("building_id"):
    p = d[d.we == 0].groupby("hour").n.mean()
    amp.append(np.log(p.max() / p.min()))
amp = np.array(amp)
print(f"\n[amplitude] ln(max/min weekday profile): mean {amp.mean():.3f} sd {amp.std():.3f}")

# --- E: daily temperature response (per building, then median over buildings; robust to the
# few buildings with level shifts) and raw month factors
dd = df.groupby(["building_id", "grp", "date", "we"]).agg(n=("n", "mean"), t=("air_temperature", "mean"), month=("month", "first")).reset_index()
dd["r"] = dd.n / dd.groupby(["building_id", "we"]).n.transform("median")
cs = []
for bid, d in dd.groupby("building_id"):
    X = np.c_[np.ones(len(d)), np.maximum(d.t - 18, 0), np.maximum(12 - d.t, 0)]
    c, *_ = np.linalg.lstsq(X, d.r.values, rcond=None)
    cs.append(c)
cs = np.array(cs)
q = np.percentile(cs, [25, 50, 75], axis=0)
print("\n[temperature] per-building fit daily reading/median = c0 + cc*max(T-18,0) + ch*max(12-T,0); quartiles over buildings:")
for name, k in (("c0", 0), ("cc (per degC above 18)", 1), ("ch (per degC below 12)", 2)):
    print(f"  {name}: q25 {q[0, k]:.4f}  median {q[1, k]:.4f}  q75 {q[2, k]:.4f}")
print("[season] raw monthly mean of daily reading/median, median over buildings, per group")
for g, d in dd.groupby("grp"):
    mm = d.groupby(["building_id", "month"]).r.mean().unstack().median()
    print(f"  {g}", np.round(mm.values, 3).tolist())

# --- F: noise: ln y minus building x we x hour mean, split into daily offsets + hourly residual;
# daily offsets are taken relative to a centred 31-day rolling median (removes season/level shifts)
pos = df[df.meter_reading > 0].copy()
pos["ly"] = np.log(pos.meter_reading)
pos["e"] = pos.ly - pos.groupby(["building_id", "we", "hour"]).ly.transform("mean")
pos["dmean"] = pos.groupby(["building_id", "date"]).e.transform("mean")
pos["h"] = pos.e - pos.dmean
pos = pos.sort_values(["building_id", "timestamp"])
ph = pos.groupby("building_id").h.apply(lambda s: s.autocorr(1)).median()
print(f"\n[noise] hourly residual sd: pooled {pos.h.std():.3f}, per-building median {pos.groupby('building_id').h.std().median():.3f}; lag-1 autocorr median {ph:.3f}")
daily = pos.groupby(["building_id", "date"]).dmean.first().reset_index()
daily["dev"] = daily.dmean - daily.groupby("building_id").dmean.transform(lambda s: s.rolling(31, center=True, min_periods=5).median())
pdv = daily.groupby("building_id").dev.apply(lambda s: s.autocorr(1)).median()
sdb = daily.groupby("building_id").dev.std()
print(f"[noise] daily offset vs 31-day rolling median: sd per-building q25 {sdb.quantile(.25):.3f} median {sdb.median():.3f} q75 {sdb.quantile(.75):.3f}; lag-1 autocorr median {pdv:.3f}")
