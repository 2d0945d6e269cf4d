#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the Debian packages a target needs, only those missing.
# Usage: install-deps.sh build|demo|test|bench
set -eu

build="gcc make pkg-config libc6-dev libosip2-dev libnetfilter-queue-dev libnfnetlink-dev
	libnftnl-dev libmnl-dev libnetfilter-conntrack-dev"
# the end-to-end lab: see the PACKAGES line of tests/e2e/lab.sh
lab="$(sed -n 's/^# PACKAGES: //p' "$(dirname "$0")/e2e/lab.sh") iptables"
test="$build libcmocka-dev clang libclang-rt-dev diffutils shellcheck valgrind $lab"
# make bench: the lab, callgrind, strip, strace (system calls per message)
bench="$build $lab valgrind binutils strace"

# make test's router-CPU stages (the Makefile's i386 and s390x): gcc -m32 with Debian's i386
# multiarch libraries (the kernel's <asm/*.h> from the i686 cross headers, which have no
# version tie to the amd64 ones), and a static s390x build run under qemu-user. gcc-N-multilib
# for the installed gcc, not gcc-multilib: that one conflicts with every cross compiler.
cross_set() {
	v=$(gcc -dumpversion 2>/dev/null | cut -d. -f1)
	echo "gcc-${v:-12}-multilib linux-libc-dev-i386-cross libosip2-dev:i386 libcmocka-dev:i386
		gcc-s390x-linux-gnu libc6-dev-s390x-cross libosip2-dev:s390x qemu-user-static"
}
cross=

case "${1:-}" in
build) want=$build ;;
demo) want="$build $lab" ;;
test) want=$test cross=$(cross_set) ;;
bench) want=$bench ;;
*) echo "usage: $0 build|demo|test|bench" >&2; exit 2 ;;
esac

missing_of() {
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			printf ' %s' "$p"
	done
}
# shellcheck disable=SC2086 # the lists are meant to split
missing=$(missing_of $want $cross)
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing Debian packages:$missing" >&2
	echo "run as root (make installs them with apt-get), or: apt-get install$missing" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# a package of another architecture needs that architecture known to dpkg
for p in $missing; do
	case $p in *:*) arch=${p#*:} ;; *) continue ;; esac
	dpkg --print-foreign-architectures | grep -qx "$arch" || dpkg --add-architecture "$arch"
done
# one architecture's index can fail while a mirror syncs: what counts is what gets installed
apt-get update -qq ||
	echo "install-deps: apt-get update failed (above); installing from the indexes that loaded" >&2
# The lab runs rtpengine and stund itself, inside a namespace: their Debian services must not
# start on the host when installed (rtpengine's would also add iptables rules there).
if command -v systemctl >/dev/null 2>&1; then
	for svc in rtpengine-daemon stun; do
		case $missing in *rtpengine-daemon* | *stun-server*) systemctl mask --quiet "$svc.service" 2>/dev/null || true ;; esac
	done
fi
# shellcheck disable=SC2086
native=$(missing_of $want)
# shellcheck disable=SC2086
[ -z "$native" ] || apt-get install -y -qq --no-install-recommends $native >/dev/null || true
if [ -n "$cross" ]; then
	# named again now that gcc is surely there; never remove a package for these (gcc-multilib
	# would go for the s390x compiler): fail instead
	cross=$(cross_set)
	# shellcheck disable=SC2086
	foreign=$(missing_of $cross)
	# shellcheck disable=SC2086
	[ -z "$foreign" ] ||
		apt-get install -y -qq --no-install-recommends --no-remove $foreign >/dev/null || true
fi

# shellcheck disable=SC2086
missing=$(missing_of $want $cross)
if [ -n "$missing" ]; then
	echo "install-deps: could not install:$missing" >&2
	exit 1
fi
