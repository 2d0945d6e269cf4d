#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Golden corpus: each case directory holds in.sip and args (the translator's options); out.sip
# and actions are what the translator must print to stdout and stderr. A change in
# translation shows up here as a unified diff.
# Usage: run.sh [--update] TRANSLATOR
set -u

update=0
if [ "${1:-}" = "--update" ]; then
	update=1
	shift
fi
bin=${1:?usage: run.sh [--update] TRANSLATOR}
dir=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
for case in "$dir"/*/; do
	case=${case%/}
	name=$(basename "$case")
	[ -f "$case/in.sip" ] || continue
	# shellcheck disable=SC2046 # args holds the options, split on purpose
	"$bin" $(cat "$case/args") "$case/in.sip" >"$tmp/out.sip" 2>"$tmp/actions"
	rc=$?
	if [ "$update" = 1 ]; then
		cp "$tmp/out.sip" "$case/out.sip"
		cp "$tmp/actions" "$case/actions"
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL $name: exit $rc"
		cat "$tmp/actions"
		fail=$((fail + 1))
	elif ! diff -u --label "$name/out.sip" --label actual "$case/out.sip" "$tmp/out.sip" ||
		! diff -u --label "$name/actions" --label actual "$case/actions" "$tmp/actions"; then
		echo "FAIL $name"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
done
echo "golden ($bin): $pass passed, $fail failed"
if [ -n "${RESULTS:-}" ]; then echo "golden $pass $fail" >>"$RESULTS"; fi
[ $fail -eq 0 ] && [ $pass -gt 0 ]
