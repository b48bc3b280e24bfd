#!/usr/bin/env bash
# acklab explore finds a seeded bug and acklab shrink cuts it down.
#
# bin/tests/chatd-seeded-bug is chatd built with -DCHATD_SEEDED_BUG
# (fixtures/chatd/seeded_bug.h): its dedup misses one message id in twenty,
# so a resend of such a message is stored twice. The test scenario streams
# 30 HTTP sends while a nemesis drops the server's answers now and then;
# each lost answer makes the client resend with the same client_msg_id.
# explore must find a seed where the http property (clean) fails within 30
# seeds; shrink must cut that plan to at most 5 messages and 2 faults; the
# .scn it writes must fail twice in a row when run as a plain scenario.
# Two-sided: the same scenario explored against the stock http stack (whose
# chatd has no such bug) must find nothing in the same seeds.
set -u
bin=${ACKLAB_BIN:-bin}
src=${ACKLAB_SRC:-.}
dir="$src/tests/integration/explore"
work=$(mktemp -d /tmp/acklab-explore-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0
say() { echo "$@"; }
bad() { echo "FAIL $*"; fail=1; }

[ -x "$bin/tests/chatd-seeded-bug" ] || { echo "no $bin/tests/chatd-seeded-bug (make test-programs builds it)"; exit 1; }
"$bin/acklab" doctor >/dev/null 2>&1; [ $? -eq 4 ] && { echo "this machine cannot build the sandbox"; exit 77; }

# The stock http stack: the same seeds find nothing (a property that always fails would be caught here).
sed 's/^expect http-seeded-bug clean/expect http clean/' "$dir/seeded-dedup.scn" >"$work/stock.scn"
"$bin/acklab" explore "$work/stock.scn" --seed 1 --runs 6 -j 4 --out "$work/stock" >"$work/stock.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && grep -q "no property failed in 6 seeds" "$work/stock.out" &&
	say "ok   the stock http stack keeps its property over seeds 1..6" ||
	{ bad "stock http: exit $rc"; cat "$work/stock.out"; }

"$bin/acklab" explore "$dir/seeded-dedup.scn" --stack "$dir/http-seeded-bug.stack" --seed 1 --runs 30 -j 4 \
	--out "$work/run" >"$work/explore.out" 2>&1
rc=$?
cat "$work/explore.out"
plan=$(sed -n 's/^  shrink: acklab shrink \(.*\)$/\1/p' "$work/explore.out" | tail -n 1)
[ "$rc" -eq 1 ] && [ -n "$plan" ] && [ -f "$plan" ] &&
	say "ok   explore finds a failing seed and prints how to replay and shrink it" ||
	{ bad "explore: exit $rc, plan '$plan'"; exit 1; }
grep -q '^FAIL seed [0-9]*: http-seeded-bug: expected clean, observed duplicate=' "$work/explore.out" &&
	say "ok   the failure is the seeded bug's (a duplicate)" || bad "not a duplicate"
seed_scn=$(dirname "$(dirname "$(dirname "$plan")")")/seeded-dedup.scn
"$bin/acklab" check --stacks-dir "$dir" "$seed_scn" >/dev/null 2>&1 && grep -q '^fault drop-replies client server' "$seed_scn" &&
	say "ok   the drawn schedule is a scenario file of its own, with plain fault lines" ||
	bad "drawn scenario $seed_scn"

"$bin/acklab" shrink "$plan" --max-runs 30 --out "$work/min.scn" >"$work/shrink.out" 2>&1
rc=$?
cat "$work/shrink.out"
[ "$rc" -eq 0 ] && [ -f "$work/min.scn" ] && say "ok   shrink writes a scenario" || { bad "shrink: exit $rc"; exit 1; }
runs=$(sed -n 's/.* in \([0-9]*\) reruns (at most 30).*/\1/p' "$work/shrink.out")
[ -n "$runs" ] && [ "$runs" -le 30 ] && say "ok   shrink said how many reruns it took ($runs of at most 30)" ||
	bad "rerun count '$runs'"
msgs=$(grep -c '^send ' "$work/min.scn"); faults=$(grep -c '^fault ' "$work/min.scn")
[ "$msgs" -ge 1 ] && [ "$msgs" -le 5 ] && [ "$faults" -ge 1 ] && [ "$faults" -le 2 ] &&
	say "ok   the shrunk scenario has $msgs message(s) and $faults fault(s)" ||
	{ bad "shrunk to $msgs messages, $faults faults"; cat "$work/min.scn"; }

for i in 1 2; do
	"$bin/acklab" run "$work/min.scn" --stack "$dir/http-seeded-bug.stack" --out "$work/min$i" >"$work/min$i.out" 2>&1
	rc=$?
	[ "$rc" -eq 1 ] && grep -q 'FAIL  DUP w' "$work/min$i.out" &&
		say "ok   the shrunk scenario fails again as a plain run ($i of 2)" ||
		{ bad "shrunk run $i: exit $rc"; cat "$work/min$i.out"; }
done
exit $fail
