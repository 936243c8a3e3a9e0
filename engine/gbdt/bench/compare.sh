#!/bin/sh
# Benchmark our GBDT against XGBoost hist on identical synthetic data.
# Usage (from the repository root): engine/gbdt/bench/compare.sh [gbdtbench flags…]
# PAIRS=3 engine/gbdt/bench/compare.sh runs three interleaved (ours, XGBoost)
# pairs and reports the median ratio; the dev machine is shared, so single runs
# are noisy. Needs python3 with xgboost, scikit-learn and numpy (Debian:
# python3-xgboost python3-sklearn python3-numpy). The exported data lives in a
# temp dir that is removed on exit. -classes 3 compares the 3-class softmax task
# (see README.md). XGBoost's OpenMP threads sleep instead of spinning between
# parallel regions (OMP_WAIT_POLICY=PASSIVE unless set), so on a busy machine
# they do not burn the cores the next pair needs.
set -eu
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
PY=${PYTHON:-/usr/bin/python3}
PAIRS=${PAIRS:-1}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gbdtbench" ./engine/gbdt/bench/gbdtbench
"$tmp/gbdtbench" -out "$tmp" "$@" > "$tmp/ours.json"
"$PY" "$(dirname "$0")/xgb_compare.py" "$tmp" "$tmp/ours.json" "$PAIRS" "$tmp/gbdtbench" "$@"
