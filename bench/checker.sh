#!/usr/bin/env bash
# checker.sh [N]: the checker's speed. Builds bench/checker_bench, which makes a
# canned history of N messages (default 1,000,000: each sent, shown Sent,
# pushed and stored; every hundredth stored twice) in memory and checks it,
# then prints messages per second and memory. Target: >= 1,000,000 messages/s,
# memory linear in the history. A benchmark, not a test: it prints figures and
# exits 0 (1 only when the checker got the classes wrong or failed).
set -u
cd "$(dirname "$0")/.."
make -s bin/bench/checker_bench || exit 1
n=${1:-1000000}
for size in $((n / 10)) "$n"; do
	echo "== $size messages"
	bin/bench/checker_bench "$size" || exit 1
	echo
done
