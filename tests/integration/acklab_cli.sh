#!/usr/bin/env bash
# acklab_cli.sh: the acklab command line as a user meets it, end to end.
# Exit codes of run/check/list/doctor, exact scenario error messages (check
# and run refusing the same files alike), links planted in a run folder
# refused with their targets untouched, a private /tmp for every role, a
# report that cannot be written, a run as an unprivileged user giving the
# same verdicts, and nothing left behind
# (processes, network namespaces, interfaces, routes, rules) after a normal
# exit, after SIGINT and after SIGKILL in the middle of a run.
# Needs: ACKLAB_BIN (set by tests/run-tests.sh). Exits 77 when the machine
# cannot make namespaces (acklab doctor exits 4).
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
src=${ACKLAB_SRC:-$(pwd)}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-cli-test.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
fails=0; passes=0

ok()   { passes=$((passes+1)); echo "ok   $*"; }
bad()  { fails=$((fails+1)); echo "FAIL $*"; }
expect_rc() { # want, description, command...
	local want=$1 what=$2; shift 2
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then ok "$what (exit $rc)"; else
		bad "$what: exit $rc, wanted $want"; sed 's/^/     | /' "$work/out" "$work/err" | tail -20; fi
}

# what the machine's own network looks like; must not change
machine_view() {
	{ ip -o link show | sed 's/ qlen [0-9]*//' | awk '{print $2}'; ip -o addr; ip route; ip -6 route
	  cat /proc/sys/net/ipv4/ip_forward
	  nft list ruleset 2>/dev/null; } | sort
}
# Processes of one run: acklab is started in a session of its own, and every
# process it makes stays in that session, so what is left of a run is exactly
# what is left in its session (other acklab runs on the machine do not count).
session_left() { ps -eo sid=,pid=,comm= | awk -v s="$1" '$1 == s' | wc -l; }
wait_session_empty() { # sid: bounded wait for the kernel to reap a killed run
	for _ in $(seq 1 100); do [ "$(session_left "$1")" -eq 0 ] && return 0; sleep 0.05; done
	return 1
}

# --- usage and checking -------------------------------------------------------
expect_rc 0 "acklab --help" "$acklab" --help
expect_rc 0 "acklab run --help" "$acklab" run --help
expect_rc 2 "acklab with an unknown command" "$acklab" frobnicate
grep -q "unknown command 'frobnicate'" "$work/err" && ok "names the unknown command" || bad "unknown command message: $(cat "$work/err")"
expect_rc 0 "acklab check (every shipped file)" "$acklab" check
expect_rc 0 "acklab list" "$acklab" list
grep -q '| lost-ack |' "$work/out" && ok "list shows the scenarios" || bad "list output lacks lost-ack"
grep -q '^| browser-ws | control | .* | fanout-before-persist, disk-full, crash-after-persist, unknown-channel | ' \
	"$work/out" && ok "list shows a stack's own expect lines" || bad "list: $(grep '^| browser-ws' "$work/out")"

cat >"$work/bad.scn" <<'SCN'
scenario bad
send m1
fault drop-reply client server
expect * clean
SCN
expect_rc 2 "check rejects a misspelt fault" "$acklab" check "$work/bad.scn"
grep -qF "$work/bad.scn:3:7: unknown fault 'drop-reply' (did you mean 'drop-replies'?)" "$work/err" &&
	ok "error names file:line:col and suggests" || bad "error text was: $(cat "$work/err")"
expect_rc 2 "run with an unknown scenario" "$acklab" run no-such-scenario
mkdir -p "$work/empty"
expect_rc 2 "run with zero scenarios is an error" env ACKLAB_SCENARIOS="$work/empty" "$acklab" run
expect_rc 2 "run with an unknown stack" "$acklab" run lost-ack --stack ws-nope

# --- check and run refuse the same files, with the same file:line:col -----------
# refused NAME 'MESSAGE' TEXT: check exits 2 printing FILE:MESSAGE, and run exits 2
# with the same line before anything starts (no run folder is made).
mkdir -p "$work/bad"
refused() {
	local name=$1 msg=$2 file="$work/bad/$1.scn"
	printf '%s' "$3" >"$file"
	expect_rc 2 "check refuses $name" "$acklab" check "$file"
	grep -qxF "$file:$msg" "$work/err" && ok "check says $file:$msg" || bad "check $name said: $(cat "$work/err")"
	expect_rc 2 "run refuses $name" "$acklab" run "$file" --out "$work/bad/out-$name"
	grep -qxF "acklab: $file:$msg" "$work/err" && ok "run says the same" || bad "run $name said: $(cat "$work/err")"
	[ ! -e "$work/bad/out-$name" ] && ok "run $name started nothing" || bad "run $name made its run folder"
}
refused dotdot "1:10: bad scenario name '..' (expected lowercase letters, digits, '-' and '_', starting with a letter or digit)" \
	$'scenario ..\nsend m1\nexpect * clean\n'
[ -z "$(ls -A "$work/bad" | grep -v '\.scn$')" ] && ok "nothing was made beside the run folder either" ||
	bad "run of '..' made: $(ls -A "$work/bad")"
refused failpoint "2:19: unknown failpoint 'before-persist' (did you mean 'before_persist'?)" \
	$'scenario fp\nserver failpoints before-persist=crash@3\nsend m1\nexpect * clean\n'
refused failpoint-action "2:39: action 'fail' only applies to failpoint 'persist'" \
	$'scenario fp\nserver failpoints persist=fail@2,recv=fail\nsend m1\nexpect * clean\n'
refused utf8 "2:13: invalid UTF-8 (byte 0xe9; scenario files are UTF-8 text)" \
	$'scenario utf\nsend m1 "caf\xe9"\nexpect * clean\n'

# A placeholder the runner does not give: check names its column, run refuses the stacks folder.
mkdir -p "$work/badstack/stacks"
cp "$src/scenarios/lost-ack.scn" "$work/badstack/"
cp "$src"/scenarios/stacks/*.stack "$work/badstack/stacks/"
sed -i 's/--timeout-ms {timeout-ms}/--timeout-ms {timeout}/' "$work/badstack/stacks/http.stack"
col=$(grep '^client' "$work/badstack/stacks/http.stack" | awk '{print index($0, "{timeout}")}')
want="$work/badstack/stacks/http.stack:4:$col: unknown placeholder {timeout} (did you mean {timeout-ms}?)"
expect_rc 2 "check refuses an unknown placeholder" "$acklab" check "$work/badstack/stacks/http.stack"
grep -qxF "$want" "$work/err" && ok "check says $want" || bad "check said: $(cat "$work/err")"
expect_rc 2 "run refuses a stacks folder with an unknown placeholder" env ACKLAB_SCENARIOS="$work/badstack" \
	"$acklab" run lost-ack --stack http --out "$work/badstack/out"
grep -qxF "acklab: $want" "$work/err" && ok "run says the same" || bad "run said: $(cat "$work/err")"
[ ! -e "$work/badstack/out" ] && ok "and started nothing" || bad "run made its run folder"

# --- a .stack file is code: check says so for one outside scenarios/stacks ------------
cp "$src/scenarios/stacks/http.stack" "$work/mine.stack"
expect_rc 0 "check accepts a valid stack file elsewhere" "$acklab" check "$work/mine.stack"
grep -qF "acklab: warning: $work/mine.stack is not in $src/scenarios/stacks: a .stack file is code, its commands run with acklab's privileges (as root: the whole machine); read it before running it" "$work/err" &&
	ok "and warns that its commands run with acklab's privileges" || bad "no warning: $(cat "$work/err")"
expect_rc 0 "check of a shipped stack" "$acklab" check "$src/scenarios/stacks/http.stack"
grep -q warning "$work/err" && bad "warned about a shipped stack: $(cat "$work/err")" || ok "no warning for a shipped stack"

# --- can this machine run it at all? --------------------------------------------
"$acklab" doctor >"$work/doctor.out" 2>&1
drc=$?
if [ "$drc" -eq 4 ]; then
	cat "$work/doctor.out"
	echo "skipped: this machine cannot make the namespaces acklab needs"
	exit 77
fi
[ "$drc" -eq 0 ] && ok "doctor: every primitive holds" || { bad "doctor exit $drc"; sed 's/^/     | /' "$work/doctor.out"; }

before_view=$(machine_view)

# --- a normal run, as root and as an unprivileged user ---------------------------
expect_rc 0 "run lost-ack on ws-ack and http" "$acklab" run lost-ack --stack ws-ack,http --out "$work/root"
jq -r '.cells[] | "\(.stack) \(.verdict)"' "$work/root/results.json" | sort >"$work/root.verdicts"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	expect_rc 0 "doctor as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups "$acklab" doctor
	mkdir "$work/user" && chown 65534 "$work/user"
	expect_rc 0 "the same run as nobody" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$acklab" run lost-ack --stack ws-ack,http --out "$work/user/run"
	jq -r '.cells[] | "\(.stack) \(.verdict)"' "$work/user/run/results.json" | sort >"$work/user.verdicts"
	cmp -s "$work/root.verdicts" "$work/user.verdicts" && ok "same verdicts as root and as nobody: $(tr '\n' ';' <"$work/root.verdicts")" ||
		bad "verdicts differ: root $(cat "$work/root.verdicts") / nobody $(cat "$work/user.verdicts")"
fi

# --- sysctls: looked up as a host's network namespace has them --------------------
refused sysctl-unknown "2:24: unknown sysctl 'net.ipv4.tcp_retires2' (did you mean 'net.ipv4.tcp_retries2'?)" \
	$'scenario sy\nsysctl client net.ipv4.tcp_retires2=3\nsend m1\nexpect * clean\n'
refused sysctl-value "2:37: bad value 'abc' for net.ipv4.tcp_retries2 (expected a whole number, like its default 15)" \
	$'scenario sy\nsysctl client net.ipv4.tcp_retries2=abc\nsend m1\nexpect * clean\n'

# --- links planted in an existing run folder: refused, their targets untouched ------
# As root this is the attack: a link in --out pointing at a file of the machine.
echo "precious" >"$work/precious"
mkdir -p "$work/precious-dir"
sum_before=$(md5sum "$work/precious")
expect_rc 0 "a run to plant links into afterwards" "$acklab" run lost-ack --stack http --out "$work/planted"
for target in lost-ack/http/history.jsonl lost-ack/http/server.stderr.log lost-ack/http/capture.pcap \
	      lost-ack/http/chat.db results.json junit.xml summary.md lost-ack/ws-ack; do
	link="$work/planted/$target"
	rm -rf "$link"
	case $target in */ws-ack) ln -s "$work/precious-dir" "$link"; to="$work/precious-dir" ;;
			*) ln -s "$work/precious" "$link"; to="$work/precious" ;; esac
	expect_rc 2 "run refuses a link at $target" "$acklab" run lost-ack --stack http,ws-ack --out "$work/planted"
	grep -qxF "acklab: run: $link is a symbolic link (to $to): acklab never follows a link where it writes; remove it or choose another --out" "$work/err" &&
		ok "names the link and where it points" || bad "message was: $(cat "$work/err")"
	rm "$link"
done
[ "$(md5sum "$work/precious")" = "$sum_before" ] && [ -z "$(ls -A "$work/precious-dir")" ] &&
	ok "every file and folder the links pointed at is untouched" || bad "a link target was changed"
ln -s "$work/precious-dir" "$work/out-link"
expect_rc 2 "run refuses an --out that is a link" "$acklab" run lost-ack --stack http --out "$work/out-link"
grep -qF "$work/out-link is a symbolic link (to $work/precious-dir)" "$work/err" && ok "and says so" ||
	bad "message was: $(cat "$work/err")"
[ -z "$(ls -A "$work/precious-dir")" ] && ok "nothing was written through it" || bad "written through the --out link"

# A link that appears while the run goes (here planted by the stack's own server) is refused too.
mkdir -p "$work/planter/stacks"
printf '# one message\nscenario one\nsend m1\nawait client done m1\nexpect * clean\n' >"$work/planter/one.scn"
sed -e 's/^stack .*/stack   planter/' -e 's/ {failpoints}//' -e '/^needs/d' \
    -e "s|^server  \(.*\)|server  /bin/sh -c \"ln -s $work/precious {dir}/history.jsonl; exec \1\"|" \
    "$src/scenarios/stacks/http.stack" >"$work/planter/stacks/planter.stack"
expect_rc 1 "a link planted during the run fails its cell" env ACKLAB_SCENARIOS="$work/planter" \
	"$acklab" run --out "$work/planter/out"
grep -qF "$work/planter/out/one/planter/history.jsonl is a symbolic link (to $work/precious)" "$work/out" &&
	ok "the cell's error names the link" || bad "output was: $(cat "$work/out" "$work/err")"
[ "$(md5sum "$work/precious")" = "$sum_before" ] && ok "and its target is untouched" || bad "precious was changed"

# --- every role has a /tmp of its own; the run's folders stay reachable ------------
mkdir -p "$work/tmpprobe/stacks"
probe="acklab-probe-$$"
printf '# one message\nscenario one\nsend m1\nawait client done m1\nexpect * clean\n' >"$work/tmpprobe/one.scn"
sed -e 's/^stack .*/stack   probe/' -e 's/ {failpoints}//' -e '/^needs/d' \
    -e "s|^server  \(.*\)|server  /bin/sh -c \"echo left >/tmp/$probe; ls -A /tmp >{dir}/tmp-seen; exec \1\"|" \
    "$src/scenarios/stacks/http.stack" >"$work/tmpprobe/stacks/probe.stack"
for out in "$work/tmpprobe/out" "$bin/tests/tmpprobe-out"; do
	rm -rf "$out"
	expect_rc 0 "a role's /tmp is its own, --out $out" env ACKLAB_SCENARIOS="$work/tmpprobe" "$acklab" run --out "$out"
	seen=$(sort <"$out/one/probe/tmp-seen" 2>/dev/null | tr '\n' ' ')
	# Only what it wrote itself and the top of each kept folder that lives under /tmp: the
	# scenarios ($work), --out, and the programs (a checkout under /tmp, as CI may have).
	want=$( { echo "$probe"; for kept in "$work" "$out" "$(realpath "$bin")"; do
		case $kept in /tmp/*) kept=${kept#/tmp/}; echo "${kept%%/*}";; esac; done; } | sort -u | tr '\n' ' ')
	[ "$seen" = "$want" ] && ok "the server saw only its own /tmp: $seen" ||
		bad "the server's /tmp held: $seen (expected $want)"
	[ ! -e "/tmp/$probe" ] && ok "what it left in /tmp is gone with it" || bad "/tmp/$probe reached the machine"
	[ "$(stat -c %a "$out")" = 700 ] && [ "$(stat -c %a "$out/one/probe/history.jsonl")" = 600 ] &&
		ok "run folder 0700, files 0600" || bad "modes: $(stat -c '%a %n' "$out" "$out/one/probe/history.jsonl")"
done
rm -rf "$bin/tests/tmpprobe-out"

# --- --out must be new or empty; --force clears a run folder, and only that -------
expect_rc 0 "a first run into a folder" "$acklab" run lost-ack --stack http --out "$work/again"
expect_rc 2 "a second run into it is refused" "$acklab" run lost-ack --stack http --out "$work/again"
grep -qF "is not empty (an earlier run?): choose another --out, or add --force" "$work/err" &&
	ok "and says why and what to do" || bad "not-empty message: $(cat "$work/err")"
touch "$work/again/lost-ack/http/stale-file"
expect_rc 0 "--force runs into it" "$acklab" run lost-ack --stack http --out "$work/again" --force
[ ! -e "$work/again/lost-ack/http/stale-file" ] && ok "--force cleared what was there" || bad "a stale file survived --force"
mkdir -p "$work/again/lost-ack/http/deeper"
expect_rc 2 "--force refuses a folder deeper than a run's" "$acklab" run lost-ack --stack http --out "$work/again" --force
[ -d "$work/again/lost-ack/http/deeper" ] && [ -s "$work/again/results.json" ] &&
	ok "and removed nothing" || bad "--force removed something before refusing"

# --- a stack file of one's own, by path (a vendor's), with a helper beside it ------
mkdir -p "$work/vendor"
printf '#!/bin/sh\n# a wrapper of the vendor'"'"'s, next to its stack file\nexec "$@"\n' >"$work/vendor/wrap.sh"
chmod +x "$work/vendor/wrap.sh"
sed -e 's/^stack .*/stack   vendor/' -e 's/^default .*/default no/' -e "s|^server  |server  $work/vendor/wrap.sh |" \
    "$src/scenarios/stacks/http.stack" >"$work/vendor/vendor.stack"
expect_rc 0 "--stack PATH runs a stack file of one's own (default no), its folder reachable" \
	"$acklab" run lost-ack --stack "$work/vendor/vendor.stack" --out "$work/vendor-out"
[ "$(jq -r '.cells[0].stack' "$work/vendor-out/results.json")" = vendor ] && ok "the cell is the vendor's stack" ||
	bad "the cell's stack is $(jq -r '.cells[0].stack' "$work/vendor-out/results.json")"
cp "$src/scenarios/stacks/http.stack" "$work/vendor/http.stack"
expect_rc 2 "--stack PATH with an installed stack's name is refused" \
	"$acklab" run lost-ack --stack "$work/vendor/http.stack" --out "$work/vendor-out2"
grep -qF "stack 'http' is also defined in" "$work/err" && ok "and says which file has the name" || bad "$(cat "$work/err")"

# --- --scenarios-dir and --stacks-dir, for every command -------------------------
expect_rc 0 "list --stacks-dir shows the stacks of that folder" "$acklab" list --stacks-dir "$work/vendor"
grep -q "^| vendor | control |" "$work/out" && ok "the vendor's stack is listed" || bad "$(grep '^| ' "$work/out" | head -3)"
expect_rc 0 "run --scenarios-dir runs the scenarios of that folder" \
	"$acklab" run --scenarios-dir "$work/tmpprobe" --stack probe --out "$work/sdir-out"
[ "$(jq -r '.cells[0].scenario' "$work/sdir-out/results.json")" = one ] && ok "the cell is that folder's scenario" ||
	bad "scenarios-dir cell: $(jq -c '.cells[0].scenario' "$work/sdir-out/results.json")"
expect_rc 2 "--scenarios-dir that is not a folder" "$acklab" check --scenarios-dir "$work/none"

# --- a report that cannot be written ---------------------------------------------
# (a run into a fresh folder, then summary.md made a folder and the reports written again)
expect_rc 0 "a run to report again" "$acklab" run lost-ack --stack http --out "$work/noreport"
rm -f "$work/noreport/summary.md" "$work/noreport/results.json"
mkdir -p "$work/noreport/summary.md"
expect_rc 1 "reports whose summary.md cannot be written exit 1" "$acklab" report "$work/noreport"
grep -qF "acklab: report: cannot write the reports: cannot write $work/noreport/summary.md: Is a directory" "$work/err" &&
	ok "says which report and why" || bad "report failure message: $(cat "$work/err")"
grep -q "Reports: " "$work/out" && bad "claims the reports were written: $(tail -1 "$work/out")" ||
	ok "does not claim the reports were written"
[ -s "$work/noreport/results.json" ] && ok "the reports that could be written are there" ||
	bad "results.json missing"

# --- killed in the middle of a run --------------------------------------------
# A cell that waits 30 s after its first message, so the signal always lands mid-run.
mkdir -p "$work/slow/stacks"
cp "$src/scenarios/stacks/ws-ack.stack" "$work/slow/stacks/"
printf 'scenario slow\nrecipients 1\nsend m1\nawait client done m1\nwait 30s\nexpect * clean\n' \
	>"$work/slow/slow.scn"
for sig in INT KILL; do
	setsid "$acklab" run --scenarios-dir "$work/slow" --out "$work/killed-$sig" >"$work/killed.out" 2>&1 &
	pid=$!
	# wait (bounded) until the cell is in the middle: its server store exists
	for _ in $(seq 1 200); do
		[ -e "$work/killed-$sig/slow/ws-ack/chat.db" ] && break
		sleep 0.05
	done
	[ "$(session_left "$pid")" -ge 3 ] && ok "SIG$sig: the run is going ($(session_left "$pid") processes)" ||
		bad "SIG$sig: the run was not going when killed"
	kill -"$sig" "$pid"
	wait "$pid" 2>/dev/null
	rc=$?
	if wait_session_empty "$pid"; then ok "SIG$sig mid-run: no process, and so no namespace, is left"; else
		bad "SIG$sig mid-run: left: $(ps -eo sid=,pid=,stat=,comm= | awk -v s="$pid" '$1 == s')"; fi
	if [ "$sig" = INT ]; then
		[ "$rc" -eq 130 ] && ok "SIGINT: exit 130" || bad "SIGINT: exit $rc, wanted 130"
		grep -q "interrupted" "$work/killed.out" && ok "SIGINT: says the run was interrupted" ||
			bad "SIGINT: output does not say interrupted"
	fi
done

after_view=$(machine_view)
[ "$before_view" = "$after_view" ] && ok "the machine's interfaces, routes, sysctls and ruleset are unchanged" ||
	{ bad "the machine's network view changed"; diff <(echo "$before_view") <(echo "$after_view") | head; }

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
