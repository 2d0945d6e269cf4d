#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# One CPU's stage of make test: the unit tests built for it (if any), then its sipalg-rewrite
# through the golden corpus, the command-line contract and the RFC 4475 set compared with the
# native build. Each result line goes to RESULTS under the CPU's name ("i386-golden 21 0").
# Usage: stage.sh CPU RESULTS REFERENCE TRANSLATOR [UNIT_TEST...]
set -u
cpu=${1:?usage: stage.sh CPU RESULTS REFERENCE TRANSLATOR [UNIT_TEST...]}
results=${2:?} ref=${3:?} bin=${4:?}
shift 4
here=$(dirname "$0")
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT

status=0
if [ $# -gt 0 ]; then
	sh "$here/../run-unit.sh" "$tmp" "$@" || status=1
fi
RESULTS=$tmp sh "$here/../golden/run.sh" "$bin" || status=1
RESULTS=$tmp sh "$here/../cli.sh" "$bin" || status=1
RESULTS=$tmp sh "$here/torture-same.sh" "$ref" "$bin" || status=1
sed "s/^/$cpu-/" "$tmp" >>"$results"
# a script that died before its result line still fails the stage
[ $status -eq 0 ] || { echo "$cpu: failed"; grep -q " [1-9][0-9]*\$" "$tmp" || echo "$cpu 0 1" >>"$results"; }
exit $status
