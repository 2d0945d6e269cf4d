#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The pure fuzz harnesses (core, binding table, TCP framer, config parser), built without
# libFuzzer for another CPU, replay their seed corpus and saved regressions there: every
# invariant they check (unique ports, whole table, same framing however a stream is cut, ...)
# must hold on that CPU too. One result line per harness goes to RESULTS ("s390x-fuzz_table 1 0").
# Usage: replay.sh CPU RESULTS WORKDIR RUNNER HARNESS...   (RUNNER: e.g. qemu-s390x-static)
#   FUZZ_CORPORA=DIR   also replay DIR/corpus-HARNESS, the corpus native fuzzing grew
set -u
cpu=${1:?usage: replay.sh CPU RESULTS WORKDIR RUNNER HARNESS...}
results=${2:?} work=${3:?} runner=${4:?}
shift 4
here=$(dirname "$0")
fuzz=$here/../fuzz
status=0
for harness in "$@"; do
	name=$(basename "$harness")
	corpus=$work/corpus-$name
	rm -rf "$corpus"
	sh "$fuzz/seed.sh" "$name" "$corpus" >/dev/null
	if [ -d "$fuzz/regressions/$name" ]; then
		cp "$fuzz/regressions/$name"/* "$corpus/" 2>/dev/null || true
	fi
	# what the native fuzzing grew from the same seeds (make test runs it first), when there
	if [ -n "${FUZZ_CORPORA:-}" ] && [ -d "$FUZZ_CORPORA/corpus-$name" ]; then
		cp "$FUZZ_CORPORA/corpus-$name"/* "$corpus/" 2>/dev/null || true
	fi
	n=$(find "$corpus" -type f | wc -l)
	if [ "$n" -lt 10 ]; then
		echo "$cpu $name: only $n seeds: nothing worth replaying"
		echo "$cpu-$name 0 1" >>"$results"
		status=1
		continue
	fi
	# shellcheck disable=SC2046 # one argument per seed file (their names have no spaces)
	if out=$("$runner" "$harness" $(find "$corpus" -type f | sort) 2>&1); then
		echo "$cpu $name: $out"
		echo "$cpu-$name 1 0" >>"$results"
	else
		printf '%s\n' "$out" | tail -n 20
		echo "$cpu $name: an invariant failed (see above)"
		echo "$cpu-$name 0 1" >>"$results"
		status=1
	fi
done
exit $status
