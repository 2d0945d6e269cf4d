#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The RFC 4475 torture set through two builds of sipalg-rewrite: every message, in both
# directions, with and without port mappings. The translator under test (a 32-bit or a
# big-endian build) must print exactly what the reference (the native build) prints, byte for
# byte on stdout and stderr, with the same exit status.
#
# The corpus lives outside the repository (../shared/corpus/rfc4475 beside a developer's
# checkout; SIPALG_CORPUS overrides): when it is absent this says so and checks nothing.
# Usage: torture-same.sh REFERENCE TRANSLATOR
set -u
ref=${1:?usage: torture-same.sh REFERENCE TRANSLATOR}
bin=${2:?usage: torture-same.sh REFERENCE TRANSLATOR}
dir=${SIPALG_CORPUS:-../shared/corpus/rfc4475}
if [ ! -d "$dir" ]; then
	echo "torture ($bin): RFC 4475 corpus not found at $dir (it is ../shared/corpus beside a" \
		"developer checkout; set SIPALG_CORPUS to use another): skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

lan="--lan 192.0.2.0/24 --lan 10.0.0.0/8 --public 203.0.113.9"
maps="--map 192.0.2.5:49217=40000 --map 192.0.2.15:5060=41000"
pass=0
fail=0
files=0
translated=0
for f in "$dir"/*.dat; do
	[ -f "$f" ] || continue
	files=$((files + 1))
	name=$(basename "$f" .dat)
	bad=
	: >"$tmp/report"
	for d in out in; do
		for m in "" "$maps"; do
			# shellcheck disable=SC2086 # $lan and $m are lists of options
			"$ref" --direction $d $lan $m "$f" >"$tmp/ref.out" 2>"$tmp/ref.err"
			ref_rc=$?
			# shellcheck disable=SC2086
			"$bin" --direction $d $lan $m "$f" >"$tmp/bin.out" 2>"$tmp/bin.err"
			rc=$?
			run="--direction $d${m:+ $m}"
			if [ $ref_rc -ne 0 ]; then
				bad="$bad; the reference exited $ref_rc ($run)"
			elif [ $rc -ne 0 ]; then
				bad="$bad; exit $rc ($run): $(head -c 300 "$tmp/bin.err")"
			elif ! cmp -s "$tmp/ref.out" "$tmp/bin.out" || ! cmp -s "$tmp/ref.err" "$tmp/bin.err"; then
				bad="$bad; output differs ($run)"
				diff -a -u --label reference --label "$bin" "$tmp/ref.out" "$tmp/bin.out" >>"$tmp/report"
				diff -a -u --label reference --label "$bin" "$tmp/ref.err" "$tmp/bin.err" >>"$tmp/report"
			fi
			cmp -s "$f" "$tmp/ref.out" || translated=$((translated + 1))
		done
	done
	if [ -n "$bad" ]; then
		echo "FAIL $name${bad}"
		cat "$tmp/report"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
# the corpus is 49 messages, 14 of the 196 runs translate: fewer means the check checks little
if [ "$files" -lt 40 ] || [ "$translated" -lt 10 ]; then
	echo "FAIL torture: $files messages in $dir and $translated translated runs (want 40 and 10 at least)"
	fail=$((fail + 1))
fi
echo "torture ($bin vs $ref): $pass passed, $fail failed ($files messages, 4 runs each, $translated translated)"
if [ -n "${RESULTS:-}" ]; then echo "torture-same $pass $fail" >>"$RESULTS"; fi
[ $fail -eq 0 ] && [ $pass -gt 0 ]
