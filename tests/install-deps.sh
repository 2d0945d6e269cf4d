#!/bin/sh
# Installs the Debian packages a target needs, only those missing.
# Usage: install-deps.sh build|demo|test|bench
set -eu

build="gcc make pkg-config libc6-dev libosip2-dev libnetfilter-queue-dev libnfnetlink-dev
	libnftnl-dev libmnl-dev libnetfilter-conntrack-dev"
# the end-to-end lab: see the PACKAGES line of tests/e2e/lab.sh
lab="$(sed -n 's/^# PACKAGES: //p' "$(dirname "$0")/e2e/lab.sh") iptables"
test="$build libcmocka-dev clang libclang-rt-dev diffutils shellcheck valgrind $lab"
# make bench: the lab, callgrind, strip
bench="$build $lab valgrind binutils"

case "${1:-}" in
build) want=$build ;;
demo) want="$build $lab" ;;
test) want=$test ;;
bench) want=$bench ;;
*) echo "usage: $0 build|demo|test|bench" >&2; exit 2 ;;
esac

missing=
for p in $want; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run as root (make installs them with apt-get), or: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # the list is meant to split
apt-get install -y -qq --no-install-recommends $missing >/dev/null
