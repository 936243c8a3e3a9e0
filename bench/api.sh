#!/usr/bin/env bash
# bench/api.sh — the API targets of SPEC §9, measured on the real binary over TCP
# against a FastAPI/uvicorn reference in the same run (`make bench-api`):
#   GET /leaderboard with 100k stored runs: ≥ 15× the reference's req/s, p99 < 5 ms;
#   server start (process start → first 200 on /health) < 300 ms; idle RSS < 60 MB.
#
# Steps: seed a temp data dir with 100k runs (the httpapi benchmark's fixed-seed
# runs, via TestSeedLeaderboardDataDir), start `sigmalab serve --demo=false` on it,
# time the start, read idle RSS from /proc, run wrk on two queries; dump the same
# runs through the API, serve them from memory with bench/leaderboard_ref.py
# (FastAPI/uvicorn) and run the same wrk; print one table.
#
# Needs: go, wrk, a python3 with fastapi and uvicorn (Debian: apt-get install wrk
# python3-fastapi python3-uvicorn; python3-uvloop and python3-httptools are used
# by uvicorn when present).
#
# Environment: BIN (prebuilt binary; built into the temp dir otherwise), GO,
# PORT, REF_PORT, DURATION (wrk -d, default 10s), WARMUP (default 2s),
# REF_MODE (dumps|raw|dict, see leaderboard_ref.py; default dumps), PYTHON.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
GO=${GO:-go}
PORT=${PORT:-18761}
REF_PORT=${REF_PORT:-18762}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
REF_MODE=${REF_MODE:-dumps}
THREADS=2
CONNS=32
QUERIES=(
	"/leaderboard?limit=50&order_by=sharpe_hourly"
	"/leaderboard?model_id=model_7&order_by=cum_ret&limit=50"
)

die() { echo "bench-api: $*" >&2; exit 1; }

command -v wrk >/dev/null || die "wrk not found (apt-get install wrk)"
PY=""
for p in ${PYTHON:-} $(type -ap python3); do
	if "$p" -c 'import fastapi, uvicorn' 2>/dev/null; then PY=$p; break; fi
done
[[ -n $PY ]] || die "no python3 with fastapi and uvicorn (apt-get install python3-fastapi python3-uvicorn)"

work=$(mktemp -d "${TMPDIR:-/tmp}/sigmalab-bench-api.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A fifo nobody writes to: `read -t` on it sleeps without forking.
mkfifo "$work/tick"
exec 9<>"$work/tick"
nap() { read -r -t "$1" -u 9 || true; }
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo $((10#$t)); }

for port in "$PORT" "$REF_PORT"; do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then die "port $port is in use (set PORT / REF_PORT)"; fi
done

# health_ok PORT: one GET /health over bash's /dev/tcp (no fork, so polling
# every 2 ms does not slow the start it measures).
health_ok() {
	local line=""
	{ exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
	printf 'GET /health HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$1" >&3
	read -r -t 2 line <&3 || true
	exec 3>&-
	[[ $line == *" 200 "* ]]
}

# wait_up PID PORT TIMEOUT_S: prints ms from $t0 to the first 200 on /health.
wait_up() {
	local deadline=$(($(now_us) + $3 * 1000000))
	while ! health_ok "$2"; do
		kill -0 "$1" 2>/dev/null || die "server on port $2 exited during start (log: see above)"
		(($(now_us) < deadline)) || die "server on port $2 not up after $3 s"
		nap 0.002
	done
	echo $((($(now_us) - t0) / 1000))
}

rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

# bench NAME PORT QUERY: warm-up, then the measured wrk run; appends
# "name|query|req/s|p50 ms|p99 ms|errors" to $work/results.
bench() {
	local url="http://127.0.0.1:$2$3" out
	wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "$url" >/dev/null
	out=$(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$url")
	echo "$out" | awk -v name="$1" -v q="$3" '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx/ { err += $NF } /Socket errors/ { err += 1 }
		END { printf "%s|%s|%.0f|%.2f|%.2f|%d\n", name, q, rps, p50, p99, err }' >>"$work/results"
}

# ids QUERY PORT: total, page ids and next_offset of one answer (sanity: both servers agree).
ids() {
	"$PY" -c 'import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1]))
print(d["total"], d["next_offset"], [r["id"] for r in d["rows"]])' "http://127.0.0.1:$2$1"
}

echo "== $(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -z ${BIN:-} ]]; then
	echo "== building sigmalab"
	(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -o "$work/sigmalab" .)
	BIN=$work/sigmalab
fi
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")

echo "== seeding 100k runs"
mkdir "$work/data"
(cd "$root" && SIGMA_BENCH_DATA_DIR="$work/data" "$GO" test -count=1 -run '^TestSeedLeaderboardDataDir$' ./httpapi/ >"$work/seed.log") ||
	{ cat "$work/seed.log" >&2; die "seeding failed"; }
echo "   data dir: $(du -sh "$work/data" | cut -f1)"

echo "== sigmalab serve"
t0=$(now_us)
"$BIN" serve --demo=false --data "$work/data" --addr "127.0.0.1:$PORT" 2>"$work/sigmalab.log" &
pid=$!
pids+=("$pid")
start_ms=$(wait_up "$pid" "$PORT" 30)
nap 1
idle_rss=$(rss_mb "$pid")
for q in "${QUERIES[@]}"; do bench sigmalab "$PORT" "$q"; done
load_rss=$(rss_mb "$pid")
for q in "${QUERIES[@]}"; do ids "$q" "$PORT" >"$work/ids-sigmalab-${q//[^a-z0-9]/_}"; done
echo "== dumping the runs for the reference"
"$PY" "$root/bench/leaderboard_ref.py" dump --url "http://127.0.0.1:$PORT" --out "$work/runs.json"
kill "$pid"
wait "$pid" 2>/dev/null || true

echo "== reference: FastAPI/uvicorn ($PY, mode $REF_MODE)"
t0=$(now_us)
"$PY" "$root/bench/leaderboard_ref.py" serve --rows "$work/runs.json" --port "$REF_PORT" --mode "$REF_MODE" 2>"$work/ref.log" &
rpid=$!
pids+=("$rpid")
ref_start_ms=$(wait_up "$rpid" "$REF_PORT" 180)
nap 1
ref_idle_rss=$(rss_mb "$rpid")
for q in "${QUERIES[@]}"; do
	ids "$q" "$REF_PORT" | cmp -s - "$work/ids-sigmalab-${q//[^a-z0-9]/_}" ||
		die "reference and sigmalab disagree on $q"
	bench reference "$REF_PORT" "$q"
done
ref_load_rss=$(rss_mb "$rpid")

echo
echo "GET /leaderboard, 100k stored runs: wrk -t$THREADS -c$CONNS -d$DURATION --latency (after a $WARMUP warm-up)"
echo "reference: FastAPI $("$PY" -c 'import fastapi; print(fastapi.__version__)') / uvicorn $("$PY" -c 'import uvicorn; print(uvicorn.__version__)'), one worker, mode $REF_MODE, same runs from memory"
echo "machine: $(nproc) cores shared by wrk, the server and anything else running; load average now $(cut -d' ' -f1-3 /proc/loadavg)"
echo
awk -F'|' -v pct=15 '
	{ key = $2; if ($1 == "sigmalab") { s[key] = $0; order[++n] = key } else r[key] = $0 }
	END {
		printf "%-58s %10s %10s %7s %9s %9s %9s %9s\n", "query", "sigmalab/s", "ref/s", "ratio", "p50 ms", "p99 ms", "ref p50", "ref p99"
		for (i = 1; i <= n; i++) {
			k = order[i]; split(s[k], a, "|"); split(r[k], b, "|")
			ratio = b[3] > 0 ? a[3] / b[3] : 0
			printf "%-58s %10d %10d %6.1fx %9.2f %9.2f %9.2f %9.2f%s\n", k, a[3], b[3], ratio, a[4], a[5], b[4], b[5], (a[6] + b[6] > 0 ? "  (errors!)" : "")
			verdict = verdict sprintf("  %s: ratio %.1fx (target >= %dx) %s, p99 %.2f ms (target < 5) %s\n", k, ratio, pct,
				ratio >= pct ? "PASS" : "FAIL", a[5], a[5] < 5 ? "PASS" : "FAIL")
		}
		printf "\n%s", verdict
	}' "$work/results"
printf '%-22s %10s %10s %s\n' "" "sigmalab" "reference" ""
printf '%-22s %10s %10s %s\n' "start ms" "$start_ms" "$ref_start_ms" "(target < 300: $( ((start_ms < 300)) && echo PASS || echo FAIL); reference start includes loading the runs)"
printf '%-22s %10s %10s %s\n' "idle RSS MB" "$idle_rss" "$ref_idle_rss" "(target < 60: $(awk -v v="$idle_rss" 'BEGIN { print (v < 60 ? "PASS" : "FAIL") }'))"
printf '%-22s %10s %10s %s\n' "RSS after load MB" "$load_rss" "$ref_load_rss" "(sigmalab: includes the mmap'd database pages read)"
