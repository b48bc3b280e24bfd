#!/usr/bin/env bash
# acklab_bigcell.sh: a cell of many messages reads as a summary in summary.md.
# A workload of 120 messages from two clients on ws-naive, the NAT forgetting
# the flows midway (some are LOST: the cell is not as expected, so its story
# is written): the story gives the count of each class, the first three
# messages of each class (not a row for each of the 120), throughput and
# Sent-minus-send latency, and leaves the diagram out; results.json still
# has every message.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-bigcell-test.XXXXXX)
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

mkdir -p "$work/scn/stacks"
cp "$src/scenarios/stacks/ws-naive.stack" "$work/scn/stacks/"
cat >"$work/scn/big.scn" <<'SCN'
# A big cell: 120 messages from two clients, the NAT forgets the flows midway.
scenario big
title "big cell"
recipients 1
client timeout-ms 300 attempts 6 backoff-base-ms 25 backoff-cap-ms 200 heartbeat-ms 100 connect-timeout-ms 300
on at 300ms: evict-nat client server
workload clients 2 messages 120 rate 200
expect * clean
SCN
"$acklab" run --scenarios-dir "$work/scn" --out "$work/out" -j 1 >"$work/run.out" 2>&1
rc=$?
md="$work/out/summary.md"
[ $rc -eq 1 ] && ok "the cell lost messages and is not as expected (exit 1)" || { bad "exit $rc"; tail -20 "$work/run.out"; }
grep -q '^120 messages: ok [0-9]*; lost [0-9]*; the first 3 of each class:' "$md" && ok "the count of each class" \
	|| bad "no class counts: $(grep -m1 'messages:' "$md")"
rows=$(sed -n '/^## big × ws-naive/,/^Every message/p' "$md" | grep -c '^| w[12]\.')
[ "$rows" -eq 6 ] && ok "three messages of each class, not 120 rows" || bad "$rows message rows"
grep -q '^Throughput and latency: 120 messages shown Sent, [0-9]* per second.*p50 [0-9.]* ms, p99 [0-9.]* ms' "$md" \
	&& ok "throughput and latency" || bad "no throughput line"
grep -q 'the sequence diagram is left out' "$md" && ! sed -n '/^## big × ws-naive/,$p' "$md" | grep -q '^```text' \
	&& ok "no diagram for a big cell" || bad "a diagram or no note about it"
[ "$(jq '.cells[0].messages | length' "$work/out/results.json")" = 120 ] && ok "results.json has all 120" \
	|| bad "results.json messages: $(jq '.cells[0].messages | length' "$work/out/results.json")"
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
