#!/usr/bin/env bash
# acklab_stack_expect.sh: a stack file carries its own expectations, as a
# vendor's does ("at-least-once: DUP under lost-ack") without editing the
# scenarios acklab ships.
#  - `acklab check` refuses a stack's expect line naming a scenario that does
#    not exist (file:line:col, with a suggestion) or a message it never sends;
#  - the stack's own line wins over the scenario's '*': a copy of http-nokey
#    under another name stores m3 twice under lost-ack and is met only because
#    its own line says duplicate={m3};
#  - without a line of its own a stack run by path is held to the scenario's
#    '*' (unknown-channel: failed-visible={m2}, attempts(m2)=1), not to "clean";
#  - plan.json, summary.md, report.html and junit.xml say which line the
#    expectation came from.
# Needs: ACKLAB_BIN, ACKLAB_SRC (set by tests/run-tests.sh). Exits 77 when the
# machine cannot make namespaces.
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-stack-expect.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0
ok()  { echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

# A vendor's stack: the shipped http-nokey under a name no scenario knows, not a default column.
sed -e 's/^stack .*/stack   vendor-nokey/' -e 's/^default .*/default no/' \
	"$src/scenarios/stacks/http-nokey.stack" >"$work/vendor.stack"
line=$(($(wc -l <"$work/vendor.stack") + 1))

# 1. check: a scenario that is not there, a message the scenario never sends
cp "$work/vendor.stack" "$work/typo.stack"
echo "expect lost-akc duplicate={m3}" >>"$work/typo.stack"
out=$("$acklab" check "$work/typo.stack" 2>&1); rc=$?
[ $rc -eq 2 ] && ok "check refuses an unknown scenario (exit 2)" || bad "check exit $rc: $out"
grep -qF "$work/typo.stack:$line:8: unknown scenario 'lost-akc' (did you mean 'lost-ack'?)" <<<"$out" &&
	ok "the error names file:line:col and the scenario meant" || bad "error: $out"
cp "$work/vendor.stack" "$work/msg.stack"
echo "expect lost-ack duplicate={m33}" >>"$work/msg.stack"
out=$("$acklab" check "$work/msg.stack" 2>&1)
grep -qF "$work/msg.stack:$line:28: message 'm33' is never sent" <<<"$out" &&
	ok "a message the scenario never sends is an error" || bad "error: $out"

"$acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

# 2. without a line of its own: lost-ack's '*' says clean, the stack stores m3 twice
"$acklab" run lost-ack unknown-channel --stack "$work/vendor.stack" --out "$work/plain" >"$work/plain.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "held to lost-ack's '*', the nokey stack is not as expected (exit 1)" ||
	{ bad "run exit $rc"; tail -20 "$work/plain.out"; }
jq -e '.cells[] | select(.scenario == "lost-ack") | .verdict == "DUP m3" and .status == "unmet"' \
	"$work/plain/results.json" >/dev/null && ok "lost-ack: DUP m3, unmet" || bad "lost-ack: $(jq -c .cells "$work/plain/results.json")"
jq -e '.cells[] | select(.scenario == "unknown-channel") | .status == "met" and .expected == "FAILED m2"' \
	"$work/plain/results.json" >/dev/null && ok "unknown-channel: a stack run by path is held to the scenario's '*'" ||
	bad "unknown-channel: $(jq -c '.cells[] | select(.scenario == "unknown-channel")' "$work/plain/results.json")"
jq -e '.expect.by == "scenario *" and .expect.line > 0 and (.expect.file | endswith("scenarios/unknown-channel.scn"))' \
	"$work/plain/unknown-channel/vendor-nokey/plan.json" >/dev/null &&
	ok "plan.json says the expectation is the scenario's '*' line" || bad "plan: $(jq -c .expect "$work/plain/unknown-channel/vendor-nokey/plan.json")"

# 3. the stack says what it is: at least once, m3 stored twice under lost-ack
echo "expect lost-ack duplicate={m3} attempts(m3)>=2   # at least once, no idempotency key" >>"$work/vendor.stack"
"$acklab" check "$work/vendor.stack" >"$work/check.out" 2>&1 && ok "check accepts the stack's expect line" ||
	bad "check: $(cat "$work/check.out")"
"$acklab" run lost-ack --stack "$work/vendor.stack" --out "$work/own" >"$work/own.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok "held to its own line, the same stack is as expected (exit 0)" ||
	{ bad "run exit $rc"; tail -20 "$work/own.out"; }
jq -e --arg f "$work/vendor.stack" --argjson l "$line" \
	'.expect == {"by": "stack", "file": $f, "line": $l, "source": "expect lost-ack duplicate={m3} attempts(m3)>=2   # at least once, no idempotency key"}' \
	"$work/own/lost-ack/vendor-nokey/plan.json" >/dev/null && ok "plan.json records the stack's line" ||
	bad "plan: $(jq -c .expect "$work/own/lost-ack/vendor-nokey/plan.json")"
grep -qF "Expected DUP m3 (\`$work/vendor.stack:$line\`), observed DUP m3." "$work/own/summary.md" &&
	ok "summary.md shows where the expectation is written" || bad "summary.md: $(grep Expected "$work/own/summary.md")"
grep -qF "Expected <b>DUP m3</b> (<code>$work/vendor.stack:$line</code>)" "$work/own/report.html" &&
	ok "report.html shows it too" || bad "report.html: $(grep -o 'Expected <b>[^.]*' "$work/own/report.html")"
jq -e --arg w "$work/vendor.stack:$line" '.cells[0].expect_at == $w' "$work/own/results.json" >/dev/null &&
	ok "results.json says where the expectation is" || bad "results.json expect_at: $(jq -c '.cells[0].expect_at' "$work/own/results.json")"
grep -qF "file=\"$work/vendor.stack\" line=\"$line\"" "$work/own/junit.xml" &&
	ok "junit.xml points at the stack's line" || bad "junit: $(grep testcase "$work/own/junit.xml")"
# A stored run checked again reads the expectation from the plan's own copy of the stack.
rm "$work/vendor.stack"
"$acklab" report "$work/own" >/dev/null 2>&1 && ok "checked again without the stack file: still as expected" ||
	bad "report of the stored run failed"
exit $((fails > 0))
