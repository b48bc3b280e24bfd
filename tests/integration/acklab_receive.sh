#!/usr/bin/env bash
# The receive side of the matrix, end to end: a receive scenario runs its
# sender (http) against the recipient stacks, the WebSocket-only recipient
# shows the GAP, the one that catches up is clean, the stale-cursor control
# shows m1 and m2 again; the terminal, summary.md, report.html and
# results.json show them as a matrix of their own; `acklab report` checks
# the stored run to the same; a cell's plan runs again to the same verdict.
# A listener of one's own, given by path, is a column like the others and
# is held to clean when no expect line names it: a copy of the
# WebSocket-only listener fails with its GAP. A recipient stack is no
# column of a send scenario.
set -u
bin=${ACKLAB_BIN:-bin}
src=${ACKLAB_SRC:-.}
work=$(mktemp -d /tmp/acklab-receive-XXXXXX)
trap 'rm -rf "$work"' EXIT
pass=0 failn=0
ok()  { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; failn=$((failn + 1)); }
has() { # file, text, what
	grep -qF -- "$2" "$1" && ok "$3" || bad "$3: no \"$2\" in $1"
}

"$bin/acklab" run receive-cut -j 3 --out "$work/run" >"$work/out" 2>"$work/err"
rc=$?
if [ "$rc" -eq 4 ]; then echo "SKIP: acklab cannot run here: $(tail -n 1 "$work/err")"; exit 77; fi
[ "$rc" -eq 0 ] && ok "the receive cells met their expectations" || bad "acklab run exited $rc: $(tail -n 5 "$work/out")"
grep -E -q "^receive side \(sender http\) +listen-ws-only +listen-catchup +listen-stale-cursor$" "$work/out" &&
	ok "the terminal prints the receive side's own table" || bad "no receive-side header in the terminal matrix"
grep -E -q "^recipient's connection cut +GAP m3,m4 ok +clean ok +DUP-PUSH m1,m2 ok$" "$work/out" &&
	ok "its row: GAP, clean, DUP-PUSH" || bad "the receive row: $(grep "connection cut" "$work/out")"
grep -q "^scenario " "$work/out" && bad "a send-side table with no send cell" || ok "no send-side table without send cells"
has "$work/run/summary.md" "## Receive side" "summary.md has the receive side"
has "$work/run/summary.md" "| recipient's connection cut | [GAP m3,m4 ✓](#story-receive-cut-listen-ws-only) | clean ✓ |" \
	"summary.md's receive row links the GAP to its story"
has "$work/run/summary.md" "recipient1 found its connection dead: tcp user timeout: data unacknowledged for 100 ms" \
	"the story says how the recipient found its connection dead: its ping was never delivered"
has "$work/run/report.html" '<h2 id="receive">Receive side</h2>' "report.html has the receive side"
grep -q '"sender": *"http"' "$work/run/results.json" && ok "results.json names the sender" || bad "no sender in results.json"
has "$work/run/receive-cut/listen-ws-only/plan.json" '"sender_name": "http"' "the plan names the sender"

"$bin/acklab" report "$work/run" >"$work/report" 2>&1 &&
	grep -E -q "^recipient's connection cut +GAP m3,m4 ok +clean ok +DUP-PUSH m1,m2 ok$" "$work/report" &&
	ok "acklab report checks the stored run again to the same receive matrix" ||
	bad "acklab report: $(tail -n 3 "$work/report")"

"$bin/acklab" run --plan "$work/run/receive-cut/listen-ws-only/plan.json" --out "$work/again" >"$work/out2" 2>&1 &&
	grep -q "GAP m3,m4" "$work/out2" && ok "the plan runs again to the same verdict" || bad "rerun: $(tail -n 3 "$work/out2")"

mkdir -p "$work/mine"
sed -e 's/^stack .*/stack    my-listener/' -e 's/^default .*/default  no/' \
	"$src/scenarios/stacks/listen-ws-only.stack" >"$work/mine/my-listener.stack"
"$bin/acklab" run receive-cut --stack "$work/mine/my-listener.stack" --out "$work/mine/run" >"$work/out3" 2>&1
rc=$?
[ "$rc" -eq 1 ] && ok "a listener of one's own not named by an expect line must be clean" || bad "exit $rc, want 1"
grep -E -q "^recipient's connection cut +GAP m3,m4 FAIL$" "$work/out3" && ok "and shows its GAP" ||
	bad "my-listener: $(grep "connection cut" "$work/out3")"

"$bin/acklab" run lost-ack --stack listen-catchup --out "$work/none" >"$work/out4" 2>&1
rc=$?
[ "$rc" -eq 2 ] && grep -q "no cell to run" "$work/out4" && ok "a recipient stack is no column of a send scenario" ||
	bad "exit $rc: $(tail -n 2 "$work/out4")"

echo "$pass passed, $failn failed"
[ "$failn" -eq 0 ]
