#!/usr/bin/env bash
# explore.sh [SEEDS] [SCENARIO]: how fast acklab explore checks messages.
# Runs `acklab explore SCENARIO --seed 1 --runs SEEDS -j 2` (default 10
# seeds of scenarios/explore/soak.scn, against http and ws-ack-key, which
# keep their properties, so every seed runs) and prints what explore
# itself measured: messages checked per second of wall time, cells per
# minute, and per stack the throughput and the Sent-minus-send latency.
# -j 2 is one cell per core on the two-core machines this is measured on.
set -u
cd "$(dirname "$0")/.."
seeds=${1:-10}; scn=${2:-scenarios/explore/soak.scn}
make -s all || exit 1
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] && [ -w "$base" ] || base=/tmp
out=$(mktemp -d "$base/acklab-explore-bench.XXXXXX")
trap 'rm -rf "$out"' EXIT
echo "acklab explore of $scn, $seeds seeds, -j 2, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
bin/acklab explore "$scn" --stack http,ws-ack-key --seed 1 --runs "$seeds" -j 2 --out "$out/run" >"$out/log" 2>&1
rc=$?
secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
grep -E '^explore:|^  [a-z]' "$out/log"
echo "wall time ${secs}s, exit $rc"
[ "$rc" -le 1 ]
