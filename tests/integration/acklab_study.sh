#!/usr/bin/env bash
# acklab_study.sh: `acklab study detection` as a user runs it.
#  - it runs every setting and exits 0 (each behaved as the study expects);
#  - study.json holds every row with figures that order as the lesson says:
#    the 100 ms heartbeat notices first and loses least, the kernel's defaults
#    notice nothing in the window and lose every message sent after the
#    eviction (the positive control), keepalive notices an idle connection
#    and not a busy one, the kernel's estimate is ~17 minutes;
#  - study.md, study.html (with its plot) and the generated scenarios are
#    there, and a generated scenario reruns alone with `acklab run`;
#  - a bad command line is exit 2 with a reason.
# Needs: ACKLAB_BIN (set by tests/run-tests.sh). Exits 77 when the machine
# cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-study-test.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0; passes=0
ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

"$acklab" study detection --out "$work/s" -j 4 >"$work/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "study detection exit 0" || { bad "study detection exit $rc"; cat "$work/out"; }
j="$work/s/study.json"
row() { jq -r --arg n "$1" ".rows[] | select(.name == \$n) | $2" "$j"; }
[ "$(jq '.rows | length' "$j")" -ge 8 ] && ok "study.json has every row" || bad "study.json rows: $(jq '.rows | length' "$j")"
[ "$(jq '[.rows[] | select(.as_expected != true)] | length' "$j")" = 0 ] && ok "every row as expected" \
	|| bad "rows not as expected: $(jq -c '[.rows[] | select(.as_expected != true) | {name, error}]' "$j")"

hb=$(row detect-heartbeat-100 .noticed_ms); hb_lost=$(row detect-heartbeat-100 .lost)
uto=$(row detect-user-timeout-1500 .noticed_ms)
def=$(row detect-kernel-default .noticed_ms); def_lost=$(row detect-kernel-default .lost)
def_sent=$(row detect-kernel-default .sent_after_eviction)
awk -v a="$hb" -v b="$uto" 'BEGIN{exit !(a > 0 && a < b)}' && ok "heartbeat 100 ms ($hb ms) notices before TCP_USER_TIMEOUT 1.5 s ($uto ms)" \
	|| bad "heartbeat $hb ms vs user timeout $uto ms"
[ "$def" = null ] && [ "$def_lost" = "$def_sent" ] && [ "$def_sent" -gt 10 ] \
	&& ok "kernel defaults: nothing noticed, all $def_sent messages after the eviction lost" \
	|| bad "kernel defaults: noticed $def, lost $def_lost of $def_sent"
[ "$hb_lost" -lt "$def_lost" ] && ok "heartbeat loses $hb_lost, the kernel default $def_lost" || bad "heartbeat lost $hb_lost"
[ "$(row detect-keepalive-idle .noticed_ms)" != null ] && [ "$(row detect-keepalive-busy .noticed_ms)" = null ] \
	&& ok "keepalive notices an idle connection, not a busy one" || bad "keepalive rows: $(jq -c '.rows[] | select(.name | test("keepalive")) | {name, noticed_ms, reason}' "$j")"
row detect-keepalive-idle .reason | grep -q keepalive && ok "the idle row's reason names keepalive" || bad "idle keepalive reason: $(row detect-keepalive-idle .reason)"
est=$(row detect-kernel-default .kernel_give_up_ms)
awk -v e="$est" 'BEGIN{exit !(e > 900000 && e < 1100000)}' && ok "kernel estimate $est ms (~17 min)" || bad "kernel estimate $est"

grep -q '| tcp_retries2=2 |' "$work/s/study.md" && ok "study.md has the table" || bad "study.md"
grep -q '<svg[^>]*id="study-plot"' "$work/s/study.html" && grep -q 'estimated' "$work/s/study.html" \
	&& ok "study.html has the plot" || bad "study.html has no plot"
grep -q 'heartbeat every 100 ms' "$work/out" && grep -q 'all [0-9]* settings behaved' "$work/out" \
	&& ok "the terminal shows the table" || bad "terminal output"

# A generated scenario is a scenario: it reruns alone (held to `clean`, so unmet when it lost messages).
mkdir -p "$work/scn/stacks"
cp "$work/s/scenarios/detect-keepalive-idle.scn" "$work/scn/"
cp "$(dirname "$bin")/scenarios/stacks/ws-naive.stack" "$work/scn/stacks/" 2>/dev/null \
	|| cp "${ACKLAB_SRC:-.}/scenarios/stacks/ws-naive.stack" "$work/scn/stacks/"
"$acklab" run --scenarios-dir "$work/scn" --out "$work/rerun" -j 1 >"$work/rerun.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "the idle keepalive row reruns alone, clean" || { bad "rerun exit $rc"; tail -20 "$work/rerun.out"; }

"$acklab" study nonsense >"$work/bad.out" 2>&1
[ $? -eq 2 ] && grep -q 'no study named nonsense' "$work/bad.out" && ok "unknown study: exit 2 with the reason" \
	|| bad "unknown study: $(cat "$work/bad.out")"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
