#!/usr/bin/env bash
# run.sh: the one entry point. Installs the Debian packages acklab needs (only
# the missing ones), builds, then hands over to the C program.
#
#   ./run.sh               run every scenario against every stack, print the matrix,
#                          then the Socket.IO columns, then the detection study
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
          chromium                    # the browser stacks' client (bin/browserc) and the test of report.html
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

# The Socket.IO stacks (scenarios/stacks/sio-*.stack) run on Node and the npm
# packages pinned in fixtures/socketio/package-lock.json. They are optional:
# where Node or the packages cannot be installed (no network, no root), this
# says why and those cells are n/a; nothing else is held up.
socketio_deps() {
	local want=() root=()
	command -v node >/dev/null 2>&1 || want+=(nodejs)
	command -v npm >/dev/null 2>&1 || want+=(npm)
	if [ ${#want[@]} -gt 0 ]; then
		if [ "$(id -u)" -ne 0 ]; then
			if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
				root=(sudo)
			else
				echo "run.sh: the Socket.IO cells will be n/a: ${want[*]} missing, and I cannot install them (sudo apt-get install -y ${want[*]})" >&2
				return 0
			fi
		fi
		echo "run.sh: installing ${want[*]} for the Socket.IO stacks" >&2
		if ! { DEBIAN_FRONTEND=noninteractive "${root[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null ||
		       { "${root[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${root[@]}" apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null; }; }; then
			echo "run.sh: the Socket.IO cells will be n/a: could not install ${want[*]}" >&2
			return 0
		fi
	fi
	# npm ci writes node_modules/.package-lock.json: up to date when it is newer than the lock.
	if [ fixtures/socketio/package-lock.json -nt fixtures/socketio/node_modules/.package-lock.json ]; then
		echo "run.sh: npm ci in fixtures/socketio (socket.io, socket.io-client)" >&2
		(cd fixtures/socketio && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
			echo "run.sh: the Socket.IO cells will be n/a: npm ci failed in fixtures/socketio" >&2
	fi
}
socketio_deps

jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" all

# The tests run outside make, so the exit status is the runner's (1 when a
# test failed), not make's 2, which means a usage error to acklab.
case "${1:-}" in
test)  shift; make -s -j"$jobs" test-programs "$@"
       exec tests/run-tests.sh bin unit integration fuzz matrix ;;
asan)  shift; make -s -j"$jobs" BUILD=build/asan BIN=build/asan/bin SAN=1 test-programs "$@"
       exec tests/run-tests.sh build/asan/bin unit integration fuzz matrix ;;
"")    # The main job: the matrix (browser columns included), the same scenarios on
       # Socket.IO (n/a where Node or its packages are missing), then the
       # detection study; fails if any of them does.
       rc=0
       bin/acklab run || rc=$?
       bin/acklab run --stack sio-emit,sio-retries,sio-retries-key,sio-listen-push,sio-listen-recovery ||
               { st=$?; [ $rc -eq 0 ] && rc=$st; }
       bin/acklab study detection || { st=$?; [ $rc -eq 0 ] && rc=$st; }
       exit $rc ;;
*)     exec bin/acklab "$@" ;;
esac
