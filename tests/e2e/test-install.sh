#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install, and the installed systemd unit's command lines run in the lab's router, with
# the daemon as an unprivileged user holding CAP_NET_ADMIN only, as the unit asks.
#
# Usage: sh tests/e2e/test-install.sh   (as root, after make)
set -u
LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

dest=$(mktemp -d)
chmod 755 "$dest" # the daemon runs as nobody and must reach its files
cleanup_dest() { rm -rf "$dest"; }

echo "--- make install DESTDIR=... PREFIX=/usr"
make -s -C "$SIPALG_TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null
tree=$(cd "$dest" && find . -type f -exec stat -c '%a %n' {} + | sort)
printf '%s\n' "$tree" | sed 's/^/     /'
expected="644 ./etc/sipalg/sipalg.conf
644 ./lib/systemd/system/sipalgd.service
755 ./usr/bin/sipalg-rewrite
755 ./usr/bin/sipalgctl
755 ./usr/sbin/sipalgd
755 ./usr/share/sipalg/sipalg-firewall"
check "the installed tree is the expected one" [ "$tree" = "$expected" ]
unit=$dest/lib/systemd/system/sipalgd.service
check "the unit names the installed paths" grep -q '^ExecStart=/usr/sbin/sipalgd ' "$unit"
check "the unit leaves no placeholder" not grep -q @ "$unit"
echo "# edited" >>"$dest/etc/sipalg/sipalg.conf"
make -s -C "$SIPALG_TOP" install DESTDIR="$dest" PREFIX=/usr >/dev/null
check "a second install keeps an edited configuration" grep -q '^# edited' "$dest/etc/sipalg/sipalg.conf"

echo "--- the unit's command lines in the lab router"
lab_up >/dev/null || { not_ok "lab_up"; cleanup_dest; finish e2e-install; exit 1; }
# The unit's lines, with the installed tree under $dest and the lab's interfaces.
unit_line() { sed -n "s|^$1=||p" "$unit" | sed -e 's|^+||' -e "s|/usr/|$dest/usr/|g"; }
export SIPALG_WAN=wan0 SIPALG_LAN=lan0 SIPALG_CONFIG="$dest/etc/sipalg/sipalg.conf"
run=$LAB_DIR/run # what RuntimeDirectory= gives the unit
mkdir -p "$run" && chown nobody "$run" && chmod o+x "$LAB_DIR"
pre=$(unit_line ExecStartPre)
start=$(unit_line ExecStart | sed "s|/run/sipalg/|$run/|")
post=$(unit_line ExecStopPost)
check "ExecStartPre diverts SIP into the queue" in_ns router sh -c "$pre"
check "and new SIP/TCP connections to 127.0.0.1:15060 (the config's tcp_port, with tproxy)" \
	sh -c "ip netns exec $(lab_ns router) nft list chain inet sipalg_divert prerouting | grep -q 'tcp dport 5060 .* tproxy ip to 127.0.0.1:15060 '"
# ExecStart as the unit runs it: no root, CAP_NET_ADMIN only.
(exec ip netns exec "$(lab_ns router)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
	sh -c "exec $start" >>"$LAB_DIR/sipalgd.log" 2>&1) &
ALG_PID=$!
i=0
until in_ns router "$dest/usr/bin/sipalgctl" --socket "$run/sipalgd.sock" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 50 ] || ! kill -0 $ALG_PID 2>/dev/null; then break; fi
	sleep 0.1
done
user=$(ps -o user= -p "$ALG_PID" 2>/dev/null)
check "ExecStart runs sipalgd as '$user', not root" [ "$user" = nobody ]
check "it answers on its control socket" \
	in_ns router "$dest/usr/bin/sipalgctl" --socket "$run/sipalgd.sock" status
check "phone1 registers through it" lab_register phone1 1001
check "the REGISTER reached the provider translated" \
	has_line "$(provider_req REGISTER 1)" "contact: <sip:1001@203.0.113.1:5060>"
kill -TERM $ALG_PID
wait $ALG_PID
check "on stop the daemon removed its table" not in_ns router nft list table ip sipalg
check "ExecStopPost removes the diversion" in_ns router sh -c "$post"
check "nothing of sipalg is left in the router's firewall" \
	not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -qi sipalg"
check "nor in its policy routing" not sh -c "ip -n $(lab_ns router) -4 rule | grep -q fwmark"
cleanup_dest
finish e2e-install
