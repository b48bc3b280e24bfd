#!/usr/bin/env bash
# acklab_disk.sh: the storage faults end to end, as a user meets them.
# The doctor proves every storage primitive on a file; a power cut loses
# what a store without fsync acked and nothing of a store that fsyncs; a
# full disk during m3 gives the same row as chatd's failpoint; and a run
# killed with SIGKILL while its server runs on acklab's FUSE filesystem
# leaves no process (the filesystem's included) and no FUSE mount on the
# machine. Needs: ACKLAB_BIN (set by tests/run-tests.sh). Exits 77 when this
# machine does not let this user serve FUSE (the doctor says why).
set -u
bin=${ACKLAB_BIN:?ACKLAB_BIN must point at the built programs}
acklab="$bin/acklab"
work=$(mktemp -d /tmp/acklab-disk-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0; passes=0

ok()  { passes=$((passes+1)); echo "ok   $*"; }
bad() { fails=$((fails+1)); echo "FAIL $*"; }

"$acklab" doctor >"$work/doctor" 2>&1
doctor_rc=$?
if grep -q '^  FUSE (/dev/fuse) *no' "$work/doctor"; then
	grep '^  FUSE' "$work/doctor"
	grep -q '^disk-full .* skip ' "$work/doctor" || { echo "FAIL the doctor does not skip disk-full"; exit 1; }
	echo "this machine does not let $(id -un) serve FUSE"
	exit 77
fi

# --- the doctor proves each storage primitive ----------------------------------
[ "$doctor_rc" -eq 0 ] && ok "doctor: every primitive holds (exit 0)" ||
	{ bad "doctor: exit $doctor_rc"; tail -20 "$work/doctor"; }
for row in disk-full disk-error disk-slow lose-unsynced; do
	line=$(grep "^$row " "$work/doctor")
	case $line in
	*" ok "*) ok "doctor: $row holds: ${line##*ok      }" ;;
	*) bad "doctor: $row: $line" ;;
	esac
done

# --- power loss and a full disk on the reference stacks ------------------------
"$acklab" run power-loss disk-full --stack http,ws-naive,http-sync-off,http-fanout-first \
	--out "$work/run" >"$work/run.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] && ok "power-loss and disk-full meet their expectations (exit 0)" ||
	{ bad "power-loss/disk-full: exit $rc"; tail -20 "$work/run.out"; }
grep -q '^\[.*power-loss .*http-sync-off .* ok .*LOST m1,m2,m3' "$work/run.out" &&
	ok "a store without fsync loses the messages it acked: LOST m1,m2,m3" ||
	bad "http-sync-off under power-loss: $(grep 'http-sync-off' "$work/run.out")"
grep -q '^\[.*power-loss .* http  .* ok .*clean' "$work/run.out" &&
	ok "a store that fsyncs before it acks loses nothing" ||
	bad "http under power-loss: $(grep 'power-loss .* http ' "$work/run.out")"
grep -q '"what":"cut the server.s power: killed it with SIGKILL and dropped the [1-9][0-9]* writes' \
	"$work/run/power-loss/http-sync-off/history.jsonl" &&
	ok "the history says how many unsynced writes the power cut dropped" ||
	bad "no dropped writes in the history of power-loss/http-sync-off"
grep -q '^\[.*disk-full .*http-fanout-first  *ok .*PHANTOM m3, ORPHAN r1' "$work/run.out" &&
	ok "a full disk makes a fanout-first server show a PHANTOM" ||
	bad "http-fanout-first under disk-full: $(grep 'disk-full .*http-fanout-first' "$work/run.out")"

# --- SIGKILL in the middle of a run on the filesystem --------------------------
fuse_mounts() { grep -c ' - fuse' /proc/self/mountinfo; }
session_left() { ps -eo sid=,pid=,comm= | awk -v s="$1" '$1 == s' | wc -l; }
cat >"$work/slow.scn" <<'SCN'
# A server on a slow disk, held long enough to be killed mid-run.
scenario slow
recipients 0
send m1
await client done m1
fault disk-slow server 5
wait 10s
expect * clean
SCN
before=$(fuse_mounts)
setsid "$acklab" run "$work/slow.scn" --stack http --out "$work/killed" >"$work/killed.out" 2>&1 &
pid=$!
# bounded wait until a process of the run sees the server's folder through FUSE
mounted=""
for _ in $(seq 1 200); do
	for p in $(ps -eo sid=,pid= | awk -v s="$pid" '$1 == s {print $2}'); do
		grep -q ' - fuse' "/proc/$p/mountinfo" 2>/dev/null && mounted=$p
	done
	# m1 sent: the fault is armed and the run waits
	[ -n "$mounted" ] && grep -q '"sent"' "$work/killed/slow/http/client.stdout.log" 2>/dev/null && break
	sleep 0.05
done
[ -n "$mounted" ] && ok "mid-run, the server (pid $mounted) has its data folder on FUSE" ||
	bad "no process of the run had a FUSE mount"
[ "$(fuse_mounts)" -eq "$before" ] && ok "mid-run, the machine's own mount table has no FUSE mount of the run" ||
	bad "mid-run, a FUSE mount appeared in the machine's mount table"
ps -eo sid=,args= | awk -v s="$pid" '$1 == s' | grep -q 'disk-serve' &&
	ok "mid-run, the filesystem process runs in the run's session" || bad "no disk-serve process mid-run"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
gone=no
for _ in $(seq 1 100); do [ "$(session_left "$pid")" -eq 0 ] && { gone=yes; break; }; sleep 0.05; done
[ "$gone" = yes ] && ok "after SIGKILL no process of the run is left, disk-serve included" ||
	bad "after SIGKILL: left: $(ps -eo sid=,pid=,args= | awk -v s="$pid" '$1 == s')"
[ "$(fuse_mounts)" -eq "$before" ] && ok "after SIGKILL the machine's mount table has no FUSE mount of the run" ||
	bad "after SIGKILL: $(grep ' - fuse' /proc/self/mountinfo)"

# A relative --out from a working folder under /tmp: roles see the run folder through a
# private /tmp and the storage mount, where a relative path would miss it.
( cd "$work" && "$acklab" run disk-full --stack http --out rel-out >"$work/rel.out" 2>&1 )
rc=$?
[ $rc -eq 0 ] && [ "$(jq -r '.cells[0].status' "$work/rel-out/results.json" 2>/dev/null)" = met ] &&
	ok "disk-full bites with a relative --out under /tmp" ||
	{ bad "relative --out under /tmp: exit $rc"; tail -3 "$work/rel.out"; }

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
