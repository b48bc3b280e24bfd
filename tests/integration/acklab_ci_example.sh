#!/usr/bin/env bash
# acklab_ci_example.sh: docs/ci/github-actions.yml does what docs/ci.md says.
# Reads the workflow, checks its shape (a matrix of shards whose `--shard K/N`
# covers 1..N, a merge job that needs them and reports every shard's folder),
# then runs its own `run:` commands here, with GitHub's expressions and the
# artifact moves done by hand, on a small selection of cells, and checks the
# merged verdicts and the step summary.
# Needs: ACKLAB_BIN, ACKLAB_SRC, python3 with yaml. Exits 77 when the machine
# cannot make namespaces or python3-yaml is missing.
set -u
bin=${ACKLAB_BIN:?}
src=${ACKLAB_SRC:-$(pwd)}
wf="$src/docs/ci/github-actions.yml"
work=$(mktemp -d /tmp/acklab-ci-example.XXXXXX)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
python3 -c 'import yaml' 2>/dev/null || { echo "python3-yaml is not installed"; exit 77; }
"$bin/acklab" doctor >/dev/null 2>&1
[ $? -eq 4 ] && { echo "this machine cannot make the namespaces acklab needs"; exit 77; }

# The commands of the workflow, one per line: "shard K N COMMAND" and "merge COMMAND".
python3 - "$wf" >"$work/steps" <<'PY' || exit 1
import sys, yaml
wf = yaml.safe_load(open(sys.argv[1]))
jobs = wf["jobs"]
shards = jobs["shard"]["strategy"]["matrix"]["shard"]
assert shards == list(range(1, len(shards) + 1)), shards
assert jobs["merge"]["needs"] == "shard" and jobs["merge"]["if"] == "always()"
runs = [s["run"] for s in jobs["shard"]["steps"] if "run" in s]
assert len(runs) == 1 and "--shard ${{ matrix.shard }}/%d" % len(shards) in runs[0], runs
for k in shards:
    print("shard", k, runs[0].replace("${{ matrix.shard }}", str(k)))
merge = [s["run"] for s in jobs["merge"]["steps"] if "run" in s]
assert len(merge) == 1
for k in shards:
    assert "shards/acklab-shard-%d" % k in merge[0], merge[0]
print("merge", merge[0])
PY
echo "ok   the workflow's shape: $(grep -c '^shard' "$work/steps") shards and a merge job"

# run.sh is the project's entry point; here it is the built acklab with two scenarios.
mkdir -p "$work/repo"
cat >"$work/repo/run.sh" <<SH
#!/usr/bin/env bash
cmd=\$1; shift
[ "\$cmd" = run ] && exec "$bin/acklab" run lost-ack crash-before-persist -j 4 "\$@"
exec "$bin/acklab" "\$cmd" "\$@"
SH
chmod +x "$work/repo/run.sh"
cd "$work/repo" || exit 1
fails=0
while read -r kind rest; do
	if [ "$kind" = shard ]; then
		k=${rest%% *}; cmd=${rest#* }
		bash -c "$cmd" >"$work/shard$k.log" 2>&1
		# upload-artifact of shards/shard-K, download-artifact into shards/acklab-shard-K
		mkdir -p "$work/dl"
		mv "shards/shard-$k" "$work/dl/acklab-shard-$k" || { echo "FAIL shard $k wrote no folder"; fails=1; }
	else
		rmdir shards 2>/dev/null; mv "$work/dl" shards
		GITHUB_STEP_SUMMARY="$work/step-summary.md" bash -c "$rest" >"$work/merge.log" 2>&1
		rc=$?
		[ $rc -eq 0 ] && echo "ok   the merge job passes (exit 0)" || { echo "FAIL merge exit $rc"; tail "$work/merge.log"; fails=1; }
	fi
done <"$work/steps"
n=$(jq '.cells | length' merged/results.json 2>/dev/null || echo 0)
# 5 default stacks each, plus the browser cells they name (n/a ones included)
[ "$n" -eq 13 ] && echo "ok   merged results hold the 13 cells" || { echo "FAIL merged results hold $n cells"; fails=1; }
grep -q "^| lost ack |" "$work/step-summary.md" && echo "ok   the step summary holds the matrix" ||
	{ echo "FAIL no matrix in the step summary"; fails=1; }
[ "$fails" -eq 0 ] && echo "1 passed, 0 failed" || echo "0 passed, 1 failed"
exit "$fails"
