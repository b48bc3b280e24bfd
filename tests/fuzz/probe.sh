#!/usr/bin/env bash
# probe.sh [CC]: can this machine build libFuzzer programs? Links a one-line
# fuzz target with -fsanitize=fuzzer,address,undefined, the flags `make fuzz`
# uses, because clang alone is not enough: libFuzzer and the sanitizer
# runtimes come in a separate Debian package (libclang-rt-14-dev). Exits 0
# when it can; otherwise prints the reason and the fix on one line and exits
# 77, the test suite's "skipped here".
set -u
cc=${1:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "no $cc: install clang and libclang-rt-14-dev to build the fuzz programs"
	exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/acklab-probe.XXXXXX") || exit 77
trap 'rm -rf "$dir"' EXIT
printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
	'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' >"$dir/t.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined -o "$dir/t" "$dir/t.c" >"$dir/log" 2>&1; then
	echo "$cc cannot link -fsanitize=fuzzer,address,undefined ($(head -n 1 "$dir/log")): install libclang-rt-14-dev"
	exit 77
fi
exit 0
