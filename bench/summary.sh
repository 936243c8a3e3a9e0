#!/usr/bin/env bash
# One table of the SPEC §9 figures (`make bench`): each ours next to its reference
# measured in the same run where one exists, with the target and its status.
# A reference tool that is missing is reported as skipped in the table, never
# left out. Figures are CPU seconds where the machine is shared (see README).
#
#   bench/summary.sh            # everything (GBDT pairs, indicators, backtest, sweep, build, API)
#   SKIP_API=1 bench/summary.sh # without the wrk/FastAPI comparison
set -uo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
PY=${PYTHON:-/usr/bin/python3}
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}" # XGBoost's threads sleep between regions
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=()

# row NAME OURS REFERENCE RATIO TARGET STATUS
row() { rows+=("$1|$2|$3|$4|$5|$6"); }

# metric FILE BENCH UNIT: the value a benchmark line reports for UNIT.
metric() {
	awk -v b="$2" -v u="$3" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i+1) == u) { print $i; exit } }' "$1"
}
status() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { if (v == "") { print "n/a"; exit } ok = (op == "<" ? v < t : v > t); print (ok ? "PASS" : "FAIL") }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f×", a / b }'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores" >&2

# GBDT vs XGBoost: interleaved pairs on the same exported data.
if "$PY" -c 'import xgboost, sklearn, numpy' 2>/dev/null; then
	PAIRS=${PAIRS:-3} engine/gbdt/bench/compare.sh -rows 100000 -test 50000 > "$work/gbdt.txt" 2>&1
	ours=$(awk '$1 == "sigmalab-gbdt" || $1 ~ /^ours/ { print $2; exit }' "$work/gbdt.txt")
	xgb=$(awk '$1 ~ /^xgboost/ { print $2; exit }' "$work/gbdt.txt")
	med=$(sed -n 's/.*median of pairs \([0-9.]*\).*/\1/p' "$work/gbdt.txt")
	auc=$(sed -n 's/^AUC diff (ours - xgb): \([-+0-9.]*\).*/\1/p' "$work/gbdt.txt")
	row "GBDT train 100k×50, 100 trees (best s)" "${ours:-?}" "${xgb:-?} (XGBoost hist)" "${med:-?}× median" "≤ 0.5×; AUC diff ${auc:-?}" "$(status "$med" 0.5 "<")"
else
	row "GBDT train vs XGBoost" "—" "skipped: python3-xgboost/sklearn/numpy missing" "—" "≤ 0.5×" "skipped"
fi

# Indicators: the 12 common ones against pandas (in the benchmark), all 46 on one core.
$GO test -run '^$' -bench 'Common12$|AllOHLCV1M$|AllOHLCVBatch1M$' -cpu 1 -benchtime 3x ./engine/indicators/ > "$work/ind.txt" 2>&1
c12=$(metric "$work/ind.txt" BenchmarkCommon12 cpu_s/12)
pd12=$(metric "$work/ind.txt" BenchmarkCommon12 pandas_cpu_s/12)
if [[ -n "$pd12" ]]; then
	row "12 common indicators, 1M bars (CPU s)" "$c12" "$pd12 (pandas)" "$(ratio "$c12" "$pd12")" "faster than pandas" "$(status "$(ratio "$pd12" "$c12" | tr -d '×')" 1 ">")"
else
	row "12 common indicators, 1M bars (CPU s)" "$c12" "skipped: python3-pandas missing" "—" "faster than pandas" "skipped"
fi
all=$(metric "$work/ind.txt" BenchmarkAllOHLCV1M wall_s/all)
batch=$(metric "$work/ind.txt" BenchmarkAllOHLCVBatch1M wall_s/all)
row "46 OHLCV indicators, 1M bars, 1 core (s)" "$all (batch $batch)" "—" "—" "< 0.5 s" "$(status "$all" 0.5 "<")"

# Backtest and sweep (no same-work reference script in the repository).
$GO test -run '^$' -bench 'Backtest5Fold300Trees$' -benchtime 2x ./engine/backtest/ > "$work/bt.txt" 2>&1
bt=$(awk '$1 ~ /^BenchmarkBacktest5Fold300Trees/ { printf "%.2f", $3 / 1e9; exit }' "$work/bt.txt")
row "backtest 5-fold, 300 trees, 10k×36 (s)" "$bt" "skipped: no same-work XGBoost pipeline script" "—" "< 2 s" "$(status "$bt" 2 "<")"
$GO test -run '^$' -bench 'Sweep1000x100k$' -benchtime 2x ./engine/sweep/ > "$work/sw.txt" 2>&1
sw=$(metric "$work/sw.txt" BenchmarkSweep1000x100k cpu_s/op)
row "sweep 1,000 cells × 100k rows (CPU s)" "$sw" "skipped: no per-cell reference script" "—" "< 5 s" "$(status "$sw" 5 "<")"

# One-year 0DTE build: peak heap and Parquet/CSV size.
$GO test -run '^$' -bench 'BuildPeakHeap$|BuildOptionsMatrixOneYear$' -benchtime 1x ./engine/ > "$work/build.txt" 2>&1
peak=$(awk '$1 ~ /^BenchmarkBuildPeakHeap/ { for (i = 3; i < NF; i++) if ($(i+1) == "peak-heap-MB") { print $i; exit } }' "$work/build.txt")
pq=$(metric "$work/build.txt" BenchmarkBuildOptionsMatrixOneYear parquet/csv)
row "one-year 0DTE build, peak heap (MB)" "$peak" "—" "—" "< 200 MB" "$(status "$peak" 200 "<")"
row "0DTE matrix Parquet / CSV size" "$pq" "—" "—" "≤ 0.333" "$(status "$pq" 0.3334 "<")"

# The API over TCP: wrk on /leaderboard with 100k runs vs FastAPI, start-up, idle RSS.
if [[ -n "${SKIP_API:-}" ]]; then
	row "GET /leaderboard under wrk" "—" "skipped: SKIP_API set" "—" "p99 < 5 ms" "skipped"
elif command -v wrk >/dev/null && "$PY" -c 'import fastapi, uvicorn' 2>/dev/null; then
	make -s build >/dev/null && BIN=bin/sigmalab GO=$GO bench/api.sh > "$work/api.txt" 2>&1
	while IFS= read -r l; do row "$(cut -d: -f1 <<<"$l" | sed 's/^ *//')" "$(cut -d: -f2- <<<"$l")" "(FastAPI, in the line)" "" "" ""; done \
		< <(grep -E ': ratio' "$work/api.txt")
	st=$(awk '$1 == "start" { print $3 }' "$work/api.txt")
	rss=$(awk '$1 == "idle" { print $4 }' "$work/api.txt")
	row "start-up to first /health (ms)" "$st" "$(awk '$1 == "start" { print $4 }' "$work/api.txt")" "—" "< 300 ms" "$(status "$st" 300 "<")"
	row "idle RSS (MB)" "$rss" "$(awk '$1 == "idle" { print $5 }' "$work/api.txt")" "—" "< 60 MB" "$(status "$rss" 60 "<")"
else
	row "GET /leaderboard under wrk, start-up, idle RSS" "—" "skipped: needs wrk and python3-fastapi python3-uvicorn (make bench-api)" "—" "p99 < 5 ms" "skipped"
fi

printf '\n%-44s | %-22s | %-46s | %-14s | %-24s | %s\n' "figure" "ours" "reference (same run)" "ratio" "target" "status"
printf '%s\n' "$(printf -- '-%.0s' {1..170})"
for r in "${rows[@]}"; do
	IFS='|' read -r a b c d e f <<<"$r"
	printf '%-44s | %-22s | %-46s | %-14s | %-24s | %s\n' "$a" "$b" "$c" "$d" "$e" "$f"
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
