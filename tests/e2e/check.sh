# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Pass/fail bookkeeping for the end-to-end tests. Sourced after lab.sh.
PASS=0
FAIL=0

ok() {
	PASS=$((PASS + 1))
	printf 'ok   %s\n' "$*"
}

not_ok() {
	FAIL=$((FAIL + 1))
	printf 'FAIL %s\n' "$*"
}

# check DESCRIPTION command...: passes when the command succeeds.
check() {
	_ck_what=$1
	shift
	if "$@"; then ok "$_ck_what"; else not_ok "$_ck_what"; fi
}

# lab_until SECONDS command...: retries the command every 0.5 s until it succeeds.
lab_until() {
	_lu_n=$(($1 * 2))
	shift
	until "$@"; do
		_lu_n=$((_lu_n - 1))
		[ $_lu_n -gt 0 ] || return 1
		sleep 0.5
	done
}

# not command...: succeeds when the command fails (quietly).
not() { ! "$@" >/dev/null 2>&1; }

# has_line TEXT LINE: TEXT holds exactly LINE as one of its lines (case-insensitive).
has_line() { printf '%s\n' "$1" | grep -qixF -- "$2"; }

stat_field() { # stat_field FILE NAME: a field of rtp.py's statistics line
	tr ' ' '\n' <"$1" 2>/dev/null | sed -n "s/^$2=//p"
}

# finish NAME: the closing line, and keep the logs of a failed run.
finish() {
	if [ "$FAIL" -ne 0 ] && [ -n "${LAB_DIR:-}" ]; then
		# shellcheck disable=SC2034 # read by lab_down
		LAB_KEEP=1
		echo "     logs: $LAB_DIR"
	fi
	echo "$1: $PASS passed, $FAIL failed"
	if [ -n "${RESULTS:-}" ]; then echo "$1 $PASS $FAIL" >>"$RESULTS"; fi
	[ "$FAIL" -eq 0 ]
}
