#!/usr/bin/env python3
"""Train XGBoost `hist` on the data exported by gbdtbench and compare with our
result line. Usage: xgb_compare.py DATA_DIR OURS_JSON_LINE_FILE
Trees, depth, learning rate and max_bin match gbdtbench's; subsample and
colsample are 1 on both sides; nthread=2."""
import json
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import log_loss, roc_auc_score


def load(d, name, nf):
    X = np.fromfile(f"{d}/{name}_X.f32", dtype="<f4").reshape(-1, nf)
    y = np.fromfile(f"{d}/{name}_y.u8", dtype=np.uint8)
    return X, y


def main():
    d, ours_path = sys.argv[1], sys.argv[2]
    ours = json.loads(open(ours_path).read().strip().splitlines()[-1])
    nf, trees, depth = ours["features"], ours["trees"], ours["depth"]
    Xtr, ytr = load(d, "train", nf)
    Xte, yte = load(d, "test", nf)
    params = {
        "objective": "binary:logistic",
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
        "eval_metric": "logloss",
    }
    repeat = int(ours.get("repeat", 1))
    best = None
    for _ in range(max(1, repeat)):
        c0 = time.process_time()
        t0 = time.perf_counter()
        dtr = xgb.DMatrix(Xtr, label=ytr, missing=np.nan, nthread=2)
        t1 = time.perf_counter()
        booster = xgb.train(params, dtr, num_boost_round=trees)
        t2 = time.perf_counter()
        cpu = time.process_time() - c0
        if best is None or t2 - t0 < best[2] - best[0]:
            best = (t0, t1, t2, cpu)
        del dtr
    t0, t1, t2, cpu = best
    p = booster.predict(xgb.DMatrix(Xte, missing=np.nan, nthread=2))
    xgb_res = {
        "impl": f"xgboost-{xgb.__version__}-hist",
        "train_seconds": t2 - t0,
        "dmatrix_seconds": t1 - t0,
        "cpu_seconds": cpu,
        "test_auc": float(roc_auc_score(yte, p)),
        "test_logloss": float(log_loss(yte, np.clip(p, 1e-15, 1 - 1e-15))),
    }
    print(f"data: {len(ytr)} train rows, {len(yte)} test rows, {nf} features; {trees} trees, depth {depth}, "
          f"lr {params['eta']}, nthread=2 / GOMAXPROCS={ours['gomaxprocs']}; fastest of {repeat} run(s) each")
    print(f"{'impl':<22}{'train s':>10}{'cpu s':>8}{'test AUC':>11}{'logloss':>10}")
    for r in (ours, xgb_res):
        print(f"{r['impl']:<22}{r['train_seconds']:>10.2f}{r['cpu_seconds']:>8.2f}{r['test_auc']:>11.4f}{r['test_logloss']:>10.4f}")
    print(f"xgboost DMatrix construction (included above): {xgb_res['dmatrix_seconds']:.2f} s; "
          f"our binning (included above): {ours['bin_seconds']:.2f} s")
    print(f"time ratio ours/xgboost: {ours['train_seconds'] / xgb_res['train_seconds']:.3f}  "
          f"(speed-up {xgb_res['train_seconds'] / ours['train_seconds']:.2f}x)")
    print(f"AUC diff (ours - xgb): {ours['test_auc'] - xgb_res['test_auc']:+.4f}   "
          f"logloss diff: {ours['test_logloss'] - xgb_res['test_logloss']:+.4f}")


if __name__ == "__main__":
    main()
