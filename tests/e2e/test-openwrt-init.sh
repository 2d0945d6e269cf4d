#!/bin/sh
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# The OpenWrt init script, as far as it runs outside OpenWrt: its start and stop for real in
# the lab router (with a shim for OpenWrt's shell functions), then the very command procd
# would start, run as procd would: an unprivileged user with the capabilities file's set.
# What needs a real router is listed in the README.
#
# Usage: sh tests/e2e/test-openwrt-init.sh   (as root, after make)
set -u
LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

INIT=$SIPALG_TOP/openwrt/files/sipalg.init
lab_up >/dev/null || { not_ok "lab_up"; finish e2e-openwrt-init; exit 1; }
SHIM_DIR=$LAB_DIR/openwrt
mkdir -p "$SHIM_DIR"

# init ACTION...: runs the init script's functions in the router, with the shim, the tree's
# programs and the lab's devices.
init() {
	in_ns router env SHIM_DIR="$SHIM_DIR" SHIM_NET_wan=wan0 SHIM_NET_lan=lan0 sh -c '
		. "$1"; . "$2"
		PROG=$3/build/sipalgd FIREWALL=$3/router-scripts/sipalg-firewall
		CONFIG=$SHIM_DIR/sipalg.uci RUNDIR=$SHIM_DIR/run DIVERT=$SHIM_DIR/run/divert.nft
		NETWORK_SH=$4
		shift 4
		"$@"' _ "$LAB_E2E/openwrt-shim.sh" "$INIT" "$SIPALG_TOP" "$LAB_E2E/openwrt-shim.sh" "$@"
}

echo "--- as installed: disabled"
cp "$SIPALG_TOP/openwrt/files/sipalg.config" "$SHIM_DIR/sipalg.uci"
check "start_service with enabled '0' succeeds" init start_service
check "and asks procd for no daemon" not test -s "$SHIM_DIR/command"
check "and diverts nothing" not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -q 'queue num\|NFQUEUE'"

echo "--- a bad value"
sed -e "s/option enabled '0'/option enabled '1'/" -e "s/option queue '0'/option queue 'first'/" \
	"$SIPALG_TOP/openwrt/files/sipalg.config" >"$SHIM_DIR/sipalg.uci"
check "start_service refuses it" not init start_service
check "the log names the option and the value" grep -q "not started: .*option queue 'first'" "$SHIM_DIR/log"
check "nothing was diverted" not sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q SIPALG"

echo "--- switched on: uci set sipalg.main.enabled=1, and every other option changed"
# An extra WAN address stands for the public address of a router behind another NAT.
in_ns router ip addr add 203.0.113.3/24 dev wan0
sed -e "s/option enabled '0'/option enabled '1'/" -e "s/list sip_port '5060'/list sip_port '5060'\n\tlist sip_port '5080'/" \
	-e "s/option media_ports '16384-32767'/option media_ports '30000-30009'/" \
	-e "s/option external_address ''/option external_address '203.0.113.3'/" \
	-e "s/option log_level 'info'/option log_level 'debug'/" \
	"$SIPALG_TOP/openwrt/files/sipalg.config" >"$SHIM_DIR/sipalg.uci"
# As fw4 does for a zone with helper 'sip': the kernel's helper assigned to SIP flows. Only
# while start_service runs, and no SIP crosses the router meanwhile.
in_ns router nft -f - <<'NFT'
table inet labhelper {
	ct helper sip { type "sip" protocol udp; }
	chain prerouting { type filter hook prerouting priority filter; udp dport 5060 ct helper set "sip"; }
}
NFT
check "start_service succeeds" init start_service
check "with the kernel's SIP helper active, it warns and names the fw4 option" \
	grep -q "kernel's SIP helper is active too; set firewall.@zone\[<wan zone>\].auto_helper='0'" "$SHIM_DIR/log"
in_ns router nft delete table inet labhelper
echo "     procd command: $(tr '\n' ' ' <"$SHIM_DIR/command")"
check "procd is asked for sipalgd on the networks' devices" \
	grep -qx -- "--wan" "$SHIM_DIR/command"
check "the devices are wan0 and lan0" sh -c 'tr "\n" " " <"$1" | grep -q -- "--wan wan0 --lan lan0 --queue 0"' _ "$SHIM_DIR/command"
check "as user sipalg with the capabilities file and reload by SIGHUP" \
	sh -c 'grep -qx "user sipalg" "$1" && grep -q "^capabilities " "$1" && grep -qx "reload_signal HUP" "$1" && grep -qx "respawn 3600 5 5" "$1"' _ "$SHIM_DIR/params"
check "service_triggers succeeds" init service_triggers
check "reloads follow changes to /etc/config/sipalg and the WAN interface" \
	sh -c 'grep -qx "reload_trigger sipalg" "$1" && grep -q "^interface_trigger interface.\* wan " "$1"' _ "$SHIM_DIR/triggers"
check "SIP on both ports (sip_port 5060 and 5080) is diverted into the queue" \
	sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q 'multiport --dports 5060,5080 .*NFQUEUE'"

caps=$(tr -d ' \n\t' <"$SIPALG_TOP/openwrt/files/capabilities.json")
check "the capabilities file grants CAP_NET_ADMIN and nothing else" \
	[ "$(echo "$caps" | grep -o 'CAP_[A-Z_]*' | sort -u)" = CAP_NET_ADMIN ]
# procd's start of the instance, as that user with that capability
chown nobody "$SHIM_DIR/run" && chmod o+rx "$LAB_DIR" "$SHIM_DIR" && chmod o+r "$SHIM_DIR/sipalg.uci"
# shellcheck disable=SC2046 # one argument per line, none with spaces
set -- $(cat "$SHIM_DIR/command")
(exec ip netns exec "$(lab_ns router)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
	"$@" --foreground >>"$LAB_DIR/sipalgd.log" 2>&1) &
ALG_PID=$!
ctl_answers() { in_ns router "$SIPALG_TOP/build/sipalgctl" --socket "$SHIM_DIR/run/sipalgd.sock" status >/dev/null 2>&1; }
check "the daemon answers, running as nobody with CAP_NET_ADMIN" lab_until 5 ctl_answers
check "it runs as nobody" [ "$(ps -o user= -p "$ALG_PID")" = nobody ]
check "phone1 registers through it" lab_register phone1 1001
check "its REGISTER names the external_address" \
	has_line "$(provider_req REGISTER 1)" "contact: <sip:1001@203.0.113.3:5060>"
check "phone2 registers too" lab_register phone2 1002
check "port 5060 being phone1's, phone2 gets the first port of media_ports" \
	has_line "$(provider_req REGISTER 2)" "contact: <sip:1002@203.0.113.3:30000>"
check "log_level 'debug' logs the bindings too" grep -q '^signaling 192.168.1.11:5060 -> 203.0.113.3:30000' "$LAB_DIR/sipalgd.log"
kill -TERM "$ALG_PID"
wait "$ALG_PID"

echo "--- service sipalg stop"
check "stop_service succeeds" init stop_service
check "the diversion is gone" not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -qi 'sipalg\|NFQUEUE'"
finish e2e-openwrt-init
