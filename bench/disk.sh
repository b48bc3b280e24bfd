#!/usr/bin/env bash
# disk.sh [N [FOLDER...]]: what acklab's storage filesystem costs a server.
# Builds bench/disk_bench, which times N rounds (default 200) of a 4 KiB
# write and an fsync on a file in each FOLDER (default /dev/shm and /tmp),
# directly and through the FUSE filesystem that storage faults put under the
# server's data folder, and prints median and 99th percentile. Through FUSE
# an fsync writes the cached data to the real file and stops there (the
# machine's page cache is the disk that survives in acklab's model), so it
# can be faster than a real fsync on a disk. A benchmark, not a test: it
# prints figures and exits 0 (4 when this machine cannot serve FUSE).
set -u
cd "$(dirname "$0")/.."
make -s bin/acklab bin/bench/disk_bench || exit 1
exec bin/bench/disk_bench "$PWD/bin/acklab" "${1:-200}" "${@:2}"
