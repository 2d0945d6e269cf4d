#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each fuzz harness for a bounded time, seeded with the golden corpus, the RFC 4475
# torture set when present, and every saved regression (the daemon's config and packet harnesses
# with config files and packets instead; the stream harness with them as TCP streams). Any
# finding fails the run; the other harnesses still run (one result line each).
# Usage: run.sh BUILD_DIR SECONDS HARNESS...
set -eu
build=$1
seconds=$2
shift 2
here=$(dirname "$0")
status=0

for harness in "$@"; do
	name=$(basename "$harness")
	corpus=$build/fuzz/corpus-$name
	mkdir -p "$corpus"
	sh "$here/seed.sh" "$name" "$corpus"
	# Saved findings replay first, every time.
	if [ -d "$here/regressions/$name" ] && [ -n "$(ls "$here/regressions/$name")" ]; then
		"$harness" "$here"/regressions/"$name"/* >"$build/fuzz/$name-regressions.log" 2>&1 || {
			cat "$build/fuzz/$name-regressions.log"
			echo "$name: a saved regression fails again"
			if [ -n "${RESULTS:-}" ]; then echo "$name 0 1" >>"$RESULTS"; fi
			status=1
			continue
		}
	fi
	log=$build/fuzz/$name.log
	if ! "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$build/fuzz/$name-" "$corpus" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "$name: FAILED; the input is in $build/fuzz/ (save it under tests/fuzz/regressions/$name/)"
		if [ -n "${RESULTS:-}" ]; then echo "$name 0 1" >>"$RESULTS"; fi
		status=1
		continue
	fi
	echo "fuzz $name: $(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#') runs in ${seconds}s, no finding"
	if [ -n "${RESULTS:-}" ]; then echo "$name 1 0" >>"$RESULTS"; fi
done
exit $status
