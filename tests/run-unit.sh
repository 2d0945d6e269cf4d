#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the cmocka test binaries and records how many tests passed and failed in RESULTS.
# Usage: run-unit.sh RESULTS BINARY...
set -u
results=$1
shift
status=0
for t in "$@"; do
	log=$t.log
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t" >"$log" 2>&1 || status=1
	cat "$log"
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log")
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log")
	# a binary that died before its summary counts as one failure
	[ -n "$passed$failed" ] || failed=1
	echo "$(basename "$t") ${passed:-0} ${failed:-0}" >>"$results"
done
exit $status
