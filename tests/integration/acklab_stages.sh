#!/usr/bin/env bash
# acklab_stages.sh: the stages through the record, as a user meets them.
#  - a stored run checked again (`acklab report DIR`) gives the verdicts, classes
#    and per-message outcomes of the run that made it, on the full default matrix;
#  - three shards (`--shard K/3`) merged by `acklab report A B C` equal the
#    same cells of the unsharded run (the shards run eight scenarios without
#    browser cells: send side, receive side, bots and the load balancer),
#    and a cell given twice is refused;
#  - a cell rerun from its plan (`--plan DIR/plan.json`) gives the same classes;
#  - a stack that lacks what a scenario needs is n/a (not run, never met), with
#    the missing capability named, in the terminal, results.json and junit.xml;
#    a bot scenario about one delivery (bot over http) on a bot of the other is too.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-stages-test.XXXXXX)
chmod 755 "$work"
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

# Per cell: scenario, stack, status, verdict and every message's class.
outcomes() { jq -S -c '[.cells[] | {scenario, stack, status, verdict,
	messages: [.messages[] | {id, class, client, stored}]}] | sort_by(.scenario, .stack)' "$1"; }
# The cells of two outcome files that differ, one line each (scenario stack: status verdict), and
# the error or reason of each from the results.json files given after them.
differing() {
	jq -r -n --slurpfile a "$1" --slurpfile b "$2" '($a[0] | map({(.scenario + " " + .stack): .}) | add) as $x |
		($b[0] | map({(.scenario + " " + .stack): .}) | add) as $y |
		($x + $y | keys[]) as $k | select($x[$k] != $y[$k]) |
		"\($k): \($x[$k].status // "-") \($x[$k].verdict // "-") / \($y[$k].status // "-") \($y[$k].verdict // "-")"'
	shift 2
	jq -r '.cells[] | select(.status != "met" and .status != "n/a") |
		"  \(.scenario) \(.stack): \(.status): \(.error // .reason // "" | .[0:300])"' "$@"
}

# 1. a full run, then checked again from its folder
"$acklab" run --out "$work/full" -j 4 >"$work/full.out" 2>&1
rc=$?
# A cell's line in acklab run's output whose status is not ok: "[12/126] scenario stack FAIL ..."
not_ok='^\[ *[0-9]+/[0-9]+\] +[^ ]+ +[^ ]+ +[^o ]'
[ $rc -eq 0 ] && ok "full matrix run (exit 0)" || { bad "full matrix run exit $rc"; grep -E "$not_ok" "$work/full.out"; }
outcomes "$work/full/results.json" >"$work/full.outcomes"
for f in plan.json cell.json history.jsonl store.jsonl; do
	[ -s "$work/full/lost-ack/http/$f" ] && ok "a cell's record holds $f" || bad "no $f in a cell folder"
done
"$acklab" report "$work/full" >"$work/recheck.out" 2>&1
rc=$?
outcomes "$work/full/results.json" >"$work/recheck.outcomes"
if [ $rc -eq 0 ] && cmp -s "$work/full.outcomes" "$work/recheck.outcomes"; then
	ok "acklab report on the stored run: same verdicts and classes ($(jq length "$work/full.outcomes") cells)"
else
	bad "re-check differs (exit $rc)"; differing "$work/full.outcomes" "$work/recheck.outcomes" "$work/full/results.json"
fi
# The check is a pure function of the folder: a store read back differently changes the verdict.
cp -r "$work/full/lost-ack/http" "$work/http.bak"
head -n 2 "$work/full/lost-ack/http/store.jsonl" >"$work/store.cut"
cp "$work/store.cut" "$work/full/lost-ack/http/store.jsonl"
"$acklab" report "$work/full" >/dev/null 2>&1
v=$(jq -r '.cells[] | select(.scenario=="lost-ack" and .stack=="http") | .verdict' "$work/full/results.json")
case $v in LOST*|PHANTOM*) ok "a store.jsonl missing rows is checked as such ($v)";; *) bad "edited store.jsonl gave '$v'";; esac
rm -rf "$work/full/lost-ack/http"; cp -r "$work/http.bak" "$work/full/lost-ack/http"

# 2. three shards, merged: eight scenarios with no browser cell (the matrix's slowest), one of
# each kind: send side, receive side, bots, the load balancer.
subset="partition-recipient receive-cut bot-lost-ack bot-half-open rolling-deploy power-loss
	half-open-nat-no-heartbeat shaped-network"
for k in 1 2 3; do
	# shellcheck disable=SC2086
	"$acklab" run $subset --shard "$k/3" --out "$work/shard$k" -j 4 >"$work/shard$k.out" 2>&1 ||
		{ bad "shard $k/3 exit $?"; grep -E "$not_ok" "$work/shard$k.out"; }
done
jq -c --arg s "$subset" '[.[] | select(.scenario as $x | $s | split("\\s+"; null) | index($x))]' \
	"$work/full.outcomes" >"$work/full-subset.outcomes"
cells=$(jq length "$work/full-subset.outcomes")
n1=$(jq '.cells | length' "$work/shard1/results.json"); n2=$(jq '.cells | length' "$work/shard2/results.json")
n3=$(jq '.cells | length' "$work/shard3/results.json")
[ $((n1 + n2 + n3)) -eq "$cells" ] && [ "$cells" -gt 20 ] && ok "shards hold $n1+$n2+$n3 cells" ||
	bad "shards hold $n1+$n2+$n3 cells, the unsharded run $cells of those scenarios"
"$acklab" report "$work/shard1" "$work/shard2" "$work/shard3" --out "$work/merged" >"$work/merged.out" 2>&1
rc=$?
outcomes "$work/merged/results.json" >"$work/merged.outcomes"
if [ $rc -eq 0 ] && cmp -s "$work/full-subset.outcomes" "$work/merged.outcomes"; then
	ok "three shards merged equal the same $cells cells of the unsharded run"
else
	bad "merged shards differ (exit $rc)"
	differing "$work/full-subset.outcomes" "$work/merged.outcomes" "$work/merged/results.json"
fi
grep -q "tests=\"$cells\"" "$work/merged/junit.xml" && ok "merged junit.xml has $cells testcases" || bad "merged junit.xml"
"$acklab" report "$work/shard1" "$work/shard1" --out "$work/twice" >"$work/twice.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "in two run folders" "$work/twice.out" && ok "a cell given twice is refused (exit 2)" ||
	{ bad "a cell given twice: exit $rc"; cat "$work/twice.out"; }
"$acklab" report "$work/shard1" "$work/shard2" >"$work/noout.out" 2>&1
[ $? -eq 2 ] && ok "several folders without --out is a usage error" || bad "several folders without --out"
"$acklab" report "$work/nothing-here" >"$work/none.out" 2>&1
[ $? -eq 2 ] && grep -q "no such run folder" "$work/none.out" && ok "a missing folder is a usage error" ||
	bad "a missing folder"

# 3. a cell run again from its plan
"$acklab" run --plan "$work/full/lost-ack/ws-ack/plan.json" --out "$work/replay" >"$work/replay.out" 2>&1
rc=$?
a=$(jq -c '[.cells[] | select(.stack=="ws-ack" and .scenario=="lost-ack") | .messages[] | {id, class}]' "$work/full/results.json")
b=$(jq -c '[.cells[] | .messages[] | {id, class}]' "$work/replay/results.json")
[ $rc -eq 0 ] && [ "$a" = "$b" ] && ok "--plan reruns the cell with the same classes ($(jq -r '.cells[0].verdict' "$work/replay/results.json"))" ||
	bad "--plan: exit $rc, $a vs $b"
cmp -s <(jq -S 'del(.acklab)' "$work/full/lost-ack/ws-ack/plan.json") <(jq -S 'del(.acklab)' "$work/replay/lost-ack/ws-ack/plan.json") &&
	ok "the replay's plan.json is the plan it was given" || bad "the replay's plan differs"

# 4. capabilities: a black-box stack (no failpoints, no event lines; it can be restarted)
#    is n/a where it must be, and gets a real verdict where the network can do the job
mkdir -p "$work/scn/stacks"
cp "$src"/scenarios/*.scn "$work/scn/"
cp "$src"/scenarios/stacks/*.stack "$work/scn/stacks/"
sed -e 's/^stack .*/stack   blackbox/' -e 's/^offers .*/offers  restart/' -e 's/ {failpoints}//' -e 's/ --events -//' \
	-e 's/^default .*/default no/' "$src/scenarios/stacks/http.stack" >"$work/scn/stacks/blackbox.stack"
printf '%s\n' "# Needs the server's event lines." "scenario needs-events" "send m1" \
	"await server persisted m1" "await client done m1" "expect * clean" >"$work/scn/needs-events.scn"
ACKLAB_SCENARIOS="$work/scn" "$acklab" run crash-before-persist needs-events lost-ack half-open-nat \
	crash-before-read --stack http,blackbox --out "$work/na" >"$work/na.out" 2>&1
rc=$?
st() { jq -r --arg s "$1" --arg k "$2" '.cells[] | select(.scenario==$s and .stack==$k) | .status' "$work/na/results.json"; }
[ "$(st crash-before-persist blackbox)" = "n/a" ] && ok "crash-before-persist on a stack without failpoints is n/a" ||
	bad "crash-before-persist × blackbox is '$(st crash-before-persist blackbox)'"
[ "$(st needs-events blackbox)" = "n/a" ] && ok "a scenario awaiting server persisted on a stack without event lines is n/a" ||
	bad "needs-events × blackbox is '$(st needs-events blackbox)'"
for scn in lost-ack half-open-nat crash-before-read; do
	[ "$(st $scn blackbox)" = "met" ] && ok "$scn runs on the black-box stack (met)" ||
		bad "$scn × blackbox is '$(st $scn blackbox)'"
done
[ "$(st crash-before-persist http)" = "met" ] && ok "the same scenario on http still runs (met)" || bad "http cell"
grep -q "does not offer failpoints" "$work/na/results.json" && ok "results.json names the missing capability" ||
	bad "no missing capability in results.json"
grep -q "n/a" "$work/na.out" && ok "the terminal shows n/a" || bad "no n/a on the terminal"
grep -q '<skipped message="stack blackbox does not offer failpoints' "$work/na/junit.xml" &&
	ok "junit.xml marks the n/a cell skipped" || bad "junit.xml for n/a"
[ ! -e "$work/na/crash-before-persist/blackbox/history.jsonl" ] && ok "the n/a cell did not run" ||
	bad "the n/a cell ran"
grep -q "does not offer failpoints" "$work/na/summary.md" && ok "summary.md says why the cell is n/a" || bad "summary.md n/a"
[ $rc -eq 0 ] && ok "n/a cells do not fail the run (exit 0), nor count as met" || bad "n/a run exit $rc"
grep -q "8 of 8 cells met their expectation; 2 n/a" "$work/na.out" && ok "the tally counts n/a apart" ||
	{ bad "tally"; tail -3 "$work/na.out"; }
ACKLAB_SCENARIOS="$work/scn" "$acklab" run crash-before-persist --stack blackbox --out "$work/allna" >"$work/allna.out" 2>&1
[ $? -eq 4 ] && ok "a run where no cell can run exits 4" || bad "all n/a exit $?"
# A bot scenario about one way of delivery, on a bot that gets its events the other way: n/a.
"$acklab" run bot-lost-ack bot-half-open --stack bot-rtm,bot-events --out "$work/botna" >"$work/botna.out" 2>&1
rc=$?
bst() { jq -r --arg s "$1" --arg k "$2" '.cells[] | select(.scenario==$s and .stack==$k) | "\(.status) \(.na)"' \
	"$work/botna/results.json"; }
case "$(bst bot-lost-ack bot-rtm)|$(bst bot-half-open bot-events)" in
"n/a stack bot-rtm does not offer bot-http"*"|n/a stack bot-events does not offer bot-websocket"*)
	ok "a bot scenario over http is n/a on an RTM bot, one over websocket on an Events API bot";;
*)	bad "bot delivery: '$(bst bot-lost-ack bot-rtm)' / '$(bst bot-half-open bot-events)'";;
esac
[ $rc -eq 0 ] && [ "$(bst bot-lost-ack bot-events | cut -d' ' -f1)" = met ] &&
	[ "$(bst bot-half-open bot-rtm | cut -d' ' -f1)" = met ] && ok "the bots they are about still run (met)" ||
	bad "bot cells: exit $rc, $(bst bot-lost-ack bot-events) / $(bst bot-half-open bot-rtm)"

# 5. tokens match whole: m1..m12 on every default stack, clean (no m1 found inside m10)
{
	echo "# m1..m12: a copy of m10 is not a copy of m1."
	echo "scenario twelve"
	for i in $(seq 1 12); do echo "send m$i"; echo "await client done m$i"; done
	echo "settle 100ms"
	echo "expect * clean"
} >"$work/scn/twelve.scn"
ACKLAB_SCENARIOS="$work/scn" "$acklab" run twelve --out "$work/twelve" -j 5 >"$work/twelve.out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(jq '[.cells[] | select(.verdict == "clean")] | length' "$work/twelve/results.json")" -eq 5 ] &&
	ok "m1..m12 are clean on the five default stacks" || { bad "m1..m12: exit $rc"; tail -12 "$work/twelve.out"; }

# 6. no fixed caps: 600 messages (1199 steps) to 10 recipients in one cell, checked whole
{
	echo "# Many messages to many recipients: nothing is capped at 32 messages, 128 steps,"
	echo "# 8 recipients or 64 watched tokens."
	echo "scenario many"
	echo "recipients 10"
	echo "client timeout-ms 5000"
	echo "send w1..w600 every 1ms"
	echo "await client done w600 within 30s"
	echo "settle 2s"
	echo "expect * clean"
} >"$work/scn/many.scn"
ACKLAB_SCENARIOS="$work/scn" "$acklab" run many --stack http --out "$work/many" >"$work/many.out" 2>&1
rc=$?
n=$(jq '.cells[0].messages | length' "$work/many/results.json" 2>/dev/null || echo 0)
[ $rc -eq 0 ] && [ "$n" -eq 600 ] && ok "600 messages to 10 recipients: $(jq -r '.cells[0].verdict' "$work/many/results.json"), all 600 classified" ||
	{ bad "many: exit $rc, $n messages"; tail -5 "$work/many.out"; }
[ "$(grep -c '"ev":"received"' "$work/many/many/http/history.jsonl")" -ge 6000 ] &&
	ok "every recipient's displays are in the history" || bad "recipients' displays"

# 7. a cell that errors still classifies: an await that times out because m3 was lost shows LOST m3
{
	echo "# m3 is lost by ws-naive, so the await for its display times out: the cell errors,"
	echo "# and still says what happened to every message."
	echo "scenario brokenawait"
	echo "server failpoints before_persist=crash@3"
	echo "on exit server: restart server"
	echo "send m1"
	echo "await client done m1"
	echo "send m2"
	echo "await client done m2"
	echo "send m3"
	echo "await recipient1 received m3 within 1s"
	echo "expect * clean"
} >"$work/scn/brokenawait.scn"
ACKLAB_SCENARIOS="$work/scn" "$acklab" run brokenawait --stack ws-naive --out "$work/broken" >"$work/broken.out" 2>&1
cell() { jq -r ".cells[0].$1" "$work/broken/results.json"; }
[ "$(cell status)" = error ] && [ "$(cell 'messages[2].class')" = lost ] && [ "$(cell 'messages[0].class')" = ok ] &&
	ok "an errored cell keeps its classes (m3 lost, m1 ok)" || bad "errored cell: $(cell status) $(cell 'messages[2].class')"
grep -q "error: LOST m3" "$work/broken.out" && ok "the matrix shows error: LOST m3" ||
	{ bad "matrix text"; tail -4 "$work/broken.out"; }

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
