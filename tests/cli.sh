#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The command-line contract of sipalg-rewrite: usage errors exit 2 and name the option; a
# message that cannot be parsed passes through byte-identical with a reason, exit 0.
# Usage: cli.sh TRANSLATOR
set -u
bin=${1:?usage: cli.sh TRANSLATOR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
base="--direction out --lan 192.168.1.0/24 --public 203.0.113.5"
printf 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP 192.168.1.9\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n' >"$tmp/ok.sip"

check() { # description, expected exit, text stderr must contain, command...
	what=$1 want=$2 text=$3
	shift 3
	"$@" <"$tmp/ok.sip" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$text" "$tmp/err"; then
		pass=$((pass + 1))
	else
		echo "FAIL $what: exit $rc (want $want), stderr:"
		cat "$tmp/err"
		fail=$((fail + 1))
	fi
}

# shellcheck disable=SC2086 # $base is a list of options
{
	check "bad direction" 2 "--direction 'sideways'" "$bin" --direction sideways --lan 10.0.0.0/8 --public 1.2.3.4
	check "bad lan" 2 "--lan '10.0.0.0/40'" "$bin" --direction out --lan 10.0.0.0/40 --public 1.2.3.4
	check "missing lan" 2 "--lan" "$bin" --direction out --public 1.2.3.4
	check "bad public" 2 "--public 'router'" "$bin" --direction out --lan 10.0.0.0/8 --public router
	check "missing public" 2 "--public" "$bin" --direction out --lan 10.0.0.0/8
	check "bad map" 2 "--map '192.168.1.9:5060'" "$bin" $base --map 192.168.1.9:5060
	check "bad map port" 2 "--map '192.168.1.9:5060=70000'" "$bin" $base --map 192.168.1.9:5060=70000
	check "bad src" 2 "--src 'x'" "$bin" $base --src x
	check "unknown option" 2 "usage:" "$bin" $base --frobnicate
	check "missing file" 1 "nosuchfile" "$bin" $base "$tmp/nosuchfile"
	check "stdin translates" 0 "signaling 192.168.1.9:5060 -> 203.0.113.5:5060" "$bin" $base
}
printf 'SIP/2.0 200 OK\r\nVia: broken\r\n' >"$tmp/bad.sip"
# shellcheck disable=SC2086
if "$bin" $base "$tmp/bad.sip" >"$tmp/out" 2>"$tmp/err" && cmp -s "$tmp/bad.sip" "$tmp/out" && grep -q "passed unchanged: " "$tmp/err"; then
	pass=$((pass + 1))
else
	echo "FAIL unparseable message: not passed through unchanged with a reason"
	fail=$((fail + 1))
fi
echo "cli ($bin): $pass passed, $fail failed"
if [ -n "${RESULTS:-}" ]; then echo "cli $pass $fail" >>"$RESULTS"; fi
[ $fail -eq 0 ]
