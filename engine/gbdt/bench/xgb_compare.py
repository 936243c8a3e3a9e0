#!/usr/bin/env python3
"""Train XGBoost `hist` on the data exported by gbdtbench and compare with our
trainer, in interleaved pairs (ours, then XGBoost) so both see the same load on
a shared machine.

Usage: xgb_compare.py DATA_DIR OURS_JSON PAIRS GBDTBENCH [gbdtbench flags...]
OURS_JSON is the result line of the exporting gbdtbench run (the first pair);
later pairs re-run GBDTBENCH with the same flags. Trees, depth, learning rate
and bins match gbdtbench's; subsample and colsample are 1 on both sides;
nthread=2. With gbdtbench -classes K > 2 both sides fit a K-class softmax
(XGBoost multi:softprob) and AUC is the macro one-vs-rest AUC. Logloss is the
mean -log of the true class's probability clipped to [1e-15, 1-1e-15], the
same formula gbdtbench uses."""
import json
import statistics
import subprocess
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score


def load(d, name, nf):
    X = np.fromfile(f"{d}/{name}_X.f32", dtype="<f4").reshape(-1, nf)
    y = np.fromfile(f"{d}/{name}_y.u8", dtype=np.uint8)
    return X, y


def logloss(p, y):
    if p.ndim == 1:
        p = np.column_stack([1 - p, p])
    pt = np.clip(p[np.arange(len(y)), y], 1e-15, 1 - 1e-15)
    return float(-np.mean(np.log(pt)))


def auc(p, y):
    if p.ndim == 1:
        return float(roc_auc_score(y, p))
    return float(roc_auc_score(y, p, multi_class="ovr", average="macro"))


def run_xgb(params, Xtr, ytr, Xte, yte, trees):
    c0 = time.process_time()
    t0 = time.perf_counter()
    dtr = xgb.DMatrix(Xtr, label=ytr, missing=np.nan, nthread=2)
    t1 = time.perf_counter()
    booster = xgb.train(params, dtr, num_boost_round=trees)
    t2 = time.perf_counter()
    cpu = time.process_time() - c0
    p = booster.predict(xgb.DMatrix(Xte, missing=np.nan, nthread=2))
    return {
        "impl": f"xgboost-{xgb.__version__}-hist",
        "train_seconds": t2 - t0,
        "dmatrix_seconds": t1 - t0,
        "cpu_seconds": cpu,
        "test_auc": auc(p, yte),
        "test_logloss": logloss(p, yte),
    }


def main():
    d, ours_path, pairs, bench = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    bench_args = sys.argv[5:]
    ours = json.loads(open(ours_path).read().strip().splitlines()[-1])
    nf, trees, depth = ours["features"], ours["trees"], ours["depth"]
    classes = ours.get("classes", 2)
    Xtr, ytr = load(d, "train", nf)
    Xte, yte = load(d, "test", nf)
    params = {
        "objective": "binary:logistic" if classes == 2 else "multi:softprob",
        "tree_method": "hist",
        "max_depth": depth,
        "eta": ours.get("lr", 0.08),
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "min_child_weight": 1.0,
        "lambda": 1.0,
        "max_bin": 256,
        "nthread": 2,
        "seed": 1,
        "eval_metric": "logloss" if classes == 2 else "mlogloss",
    }
    if classes > 2:
        params["num_class"] = classes
    rows = []
    for i in range(max(1, pairs)):
        if i > 0:
            out = subprocess.run([bench] + bench_args, check=True, capture_output=True, text=True).stdout
            ours = json.loads(out.strip().splitlines()[-1])
        x = run_xgb(params, Xtr, ytr, Xte, yte, trees)
        rows.append((ours, x))
        print(f"pair {i + 1}: ours {ours['train_seconds']:.2f} s, xgboost {x['train_seconds']:.2f} s, "
              f"ratio {ours['train_seconds'] / x['train_seconds']:.3f}", flush=True)
    ours_best = min((o for o, _ in rows), key=lambda r: r["train_seconds"])
    xgb_best = min((x for _, x in rows), key=lambda r: r["train_seconds"])
    ratios = [o["train_seconds"] / x["train_seconds"] for o, x in rows]
    print(f"data: {len(ytr)} train rows, {len(yte)} test rows, {nf} features, {classes} classes "
          f"({params['objective']}); {trees} trees, depth {depth}, "
          f"lr {params['eta']}, nthread=2 / GOMAXPROCS={ours['gomaxprocs']}; {len(rows)} interleaved pair(s)")
    print(f"{'impl':<22}{'best s':>9}{'cpu s':>8}{'test AUC':>11}{'logloss':>10}")
    for r in (ours_best, xgb_best):
        print(f"{r['impl']:<22}{r['train_seconds']:>9.2f}{r['cpu_seconds']:>8.2f}{r['test_auc']:>11.4f}{r['test_logloss']:>10.4f}")
    print(f"xgboost DMatrix construction (included): {xgb_best['dmatrix_seconds']:.2f} s; "
          f"our binning (included): {ours_best['bin_seconds']:.2f} s")
    print(f"time ratio ours/xgboost: median of pairs {statistics.median(ratios):.3f}, "
          f"best vs best {ours_best['train_seconds'] / xgb_best['train_seconds']:.3f}")
    print(f"AUC diff (ours - xgb): {ours_best['test_auc'] - xgb_best['test_auc']:+.4f}   "
          f"logloss diff: {ours_best['test_logloss'] - xgb_best['test_logloss']:+.4f}")


if __name__ == "__main__":
    main()
