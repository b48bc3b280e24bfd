#!/usr/bin/env bash
# acklab_bigcell.sh: a cell of many messages reads as a summary in summary.md.
# A workload of 120 messages from two clients on ws-naive, the NAT forgetting
# the flows midway (some are LOST: the cell is not as expected, so its story
# is written): the story gives the count of each class, the first three
# messages of each class (not a row for each of the 120), throughput and
# Sent-minus-send latency, and leaves the diagram out; results.json still
# has every message.
# Then the same cell folder with a canned history of 50,000 messages (over
# 16 MiB, the most a check keeps in memory as objects), checked again by
# `acklab report`: every message classified from the files (1 in 1000 stored
# twice: 50 DUP), the measures still taken from the events kept, and
# report.html a summary, not 50,000 rows.
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

# 2. a canned history over the in-memory bound, checked again from the folder
cell="$work/out/big/ws-naive"
awk -v n=50000 'BEGIN {
	t = 1000000000; tok = "acklab-5f2c-"
	printf "{\"t\":%d,\"ev\":\"started\",\"role\":\"client\"}\n", t
	for (i = 1; i <= n; i++) {
		id = "w1." i
		if (i == n / 2) {
			printf "{\"t\":%d,\"ev\":\"fault\",\"fault\":\"evict-nat\",\"args\":[\"client\",\"server\"],\"took_ms\":0,\"role\":\"acklab\"}\n", t += 1000
			printf "{\"t\":%d,\"ev\":\"disconnected\",\"role\":\"client\"}\n", t += 7000000
			printf "{\"t\":%d,\"ev\":\"connected\",\"role\":\"client\"}\n", t += 3000000
		}
		printf "{\"t\":%d,\"ev\":\"send\",\"id\":\"%s\",\"token\":\"%s%s\",\"channel\":\"general\",\"text\":\"%s: message %s (%s%s)\",\"watched\":true,\"role\":\"acklab\"}\n", t += 1000, id, tok, id, id, id, tok, id
		printf "{\"t\":%d,\"ev\":\"sending\",\"id\":\"%s\",\"attempt\":1,\"role\":\"client\"}\n", t += 1000, id
		printf "{\"t\":%d,\"ev\":\"sent\",\"id\":\"%s\",\"ts\":\"1700000000.%06d\",\"attempts\":1,\"role\":\"client\"}\n", t += 1000, id, i
		printf "{\"t\":%d,\"ev\":\"received\",\"channel\":\"general\",\"ts\":\"1700000000.%06d\",\"text\":\"%s: message %s (%s%s)\",\"via\":\"ws\",\"role\":\"recipient1\"}\n", t += 1000, i, id, id, tok, id
		printf "{\"channel\":\"general\",\"ts\":\"1700000000.%06d\",\"text\":\"%s: message %s (%s%s)\"}\n", i, id, id, tok, id > "/dev/stderr"
		if (i % 1000 == 0)
			printf "{\"channel\":\"general\",\"ts\":\"1700000000.%06d\",\"text\":\"%s: message %s (%s%s)\"}\n", i, id, id, tok, id > "/dev/stderr"
	}
	printf "{\"t\":%d,\"ev\":\"exit\",\"code\":0,\"role\":\"client\"}\n", t += 1000
}' >"$cell/history.jsonl" 2>"$cell/store.jsonl"
jq '.store_read_ns = 2000000000 | .t0_ns = 1000000000 | .error = ""' "$cell/cell.json" >"$work/cell.json" &&
	mv "$work/cell.json" "$cell/cell.json"
size=$(stat -c %s "$cell/history.jsonl")
[ "$size" -gt $((16 << 20)) ] && ok "a canned history of $((size >> 20)) MiB" || bad "the canned history is only $size bytes"
"$acklab" report "$work/out" >"$work/report.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "acklab report on it: not as expected (exit 1)" || { bad "report exit $rc"; tail -5 "$work/report.out"; }
counts=$(jq -c '.cells[0].counts' "$work/out/results.json")
[ "$(jq '.cells[0].messages | length' "$work/out/results.json")" = 50000 ] && [ "$(jq '.ok' <<<"$counts")" = 49950 ] &&
	[ "$(jq '.duplicate' <<<"$counts")" = 50 ] && ok "all 50000 classified from the files: 49950 ok, 50 duplicate" ||
	bad "classes: $counts"
grep -q '^50000 messages: ok 49950; duplicate 50; the first 3 of each class:' "$md" && ok "summary.md: the counts" ||
	bad "summary.md: $(grep -m1 'messages:' "$md")"
grep -q '^Throughput and latency: 50000 messages shown Sent' "$md" && ok "summary.md: throughput and latency from the checker" ||
	bad "no throughput line for the big history"
[ "$(jq '.cells[0].extra.detect_ms' "$work/out/results.json")" = 7 ] && ok "the measures come from the events kept (detect 7 ms)" ||
	bad "detect_ms: $(jq '.cells[0].extra' "$work/out/results.json")"
html=$(stat -c %s "$work/out/report.html")
grep -q '50000 messages: ok 49950; duplicate 50;' "$work/out/report.html" && [ "$html" -lt 1000000 ] &&
	ok "report.html: a summary ($((html / 1024)) KiB), not 50000 rows" || bad "report.html: $html bytes"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
