#!/usr/bin/env bash
# run.sh: the one entry point. Installs the Debian packages acklab needs (only
# the missing ones), builds, then hands over to the C program.
#
#   ./run.sh               run every scenario against every stack, print the matrix,
#                          then the detection study (acklab study detection)
#   ./run.sh test          build and run every test (unit, integration, fuzz, matrix);
#                          exits 1 when one failed (make test would exit 2)
#   ./run.sh asan          the tests again under address/undefined sanitizers
#   ./run.sh ARGS...       anything else goes to `bin/acklab`, e.g. ./run.sh doctor
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(gcc make pkg-config libc6-dev
          libwebsockets-dev libcurl4-openssl-dev libsqlite3-dev libjansson-dev
          libnl-3-dev libnl-route-3-dev libnl-nf-3-dev libnftables-dev libpcap-dev
          libnetfilter-queue-dev libnftnl-dev libmnl-dev
          uuid-dev libssl-dev libcmocka-dev util-linux procps iproute2 nftables jq tshark
          libfuse3-dev fuse3
          python3 python3-yaml
          haproxy                     # the load balancer of the rolling-deploy scenarios
          chromium                    # the browser test of report.html (headless, offline)
          clang libclang-rt-14-dev)   # the fuzz programs: clang, and libFuzzer with the sanitizer runtimes

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "run.sh: installing missing Debian packages: ${missing[*]}" >&2
	if [ "$(id -u)" -eq 0 ]; then
		as_root=()
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		as_root=(sudo)
	else
		echo "run.sh: these packages are missing and I am neither root nor allowed to sudo:" >&2
		echo "  sudo apt-get install -y ${missing[*]}" >&2
		echo "run.sh: run that as an administrator, then ./run.sh again." >&2
		exit 2
	fi
	export DEBIAN_FRONTEND=noninteractive
	"${as_root[@]}" apt-get update -qq
	"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" all

# The tests run outside make, so the exit status is the runner's (1 when a
# test failed), not make's 2, which means a usage error to acklab.
case "${1:-}" in
test)  shift; make -s -j"$jobs" test-programs "$@"
       exec tests/run-tests.sh bin unit integration fuzz matrix ;;
asan)  shift; make -s -j"$jobs" BUILD=build/asan BIN=build/asan/bin SAN=1 test-programs "$@"
       exec tests/run-tests.sh build/asan/bin unit integration fuzz matrix ;;
"")    # The main job: the matrix, then the detection study; fails if either does.
       rc=0
       bin/acklab run || rc=$?
       bin/acklab study detection || { st=$?; [ $rc -eq 0 ] && rc=$st; }
       exit $rc ;;
*)     exec bin/acklab "$@" ;;
esac
