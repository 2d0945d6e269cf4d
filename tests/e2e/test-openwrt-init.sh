#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# The OpenWrt init script, as far as it runs outside OpenWrt: start, reload, restart and stop
# for real in the lab router, with a shim for OpenWrt's shell functions and for procd (its
# instance updates, signals and user/capability handling, as read in procd's source: see
# openwrt-shim.sh), which starts the daemon the way procd would: with ujail present and without.
# What needs a real router is listed in the README.
#
# Usage: sh tests/e2e/test-openwrt-init.sh   (as root, after make)
set -u
LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

SHIPPED=$SIPALG_TOP/openwrt/sipalg/files/sipalg.config
lab_up >/dev/null || { not_ok "lab_up"; finish e2e-openwrt-init; exit 1; }
# fw4's input side (lan accepted, wan rejected), as the table inet fw4 that fw4 makes.
in_ns router nft -f "$LAB_E2E/fw4-input.nft"
SHIM_DIR=$LAB_DIR/openwrt
mkdir -p "$SHIM_DIR"
# The daemon runs as nobody here (no user sipalg on this host) and reads the config as nobody.
chmod o+rx "$LAB_DIR" "$SHIM_DIR"
UJAIL_NONE=$SHIM_DIR/no-ujail
UJAIL=$UJAIL_NONE

# init ACTION...: runs the init script's functions in the router, with the shim, the tree's
# programs and the lab's devices; ujail is there if $UJAIL exists.
init() { openwrt_init "$UJAIL" "$@"; }
# config SED-ARGS...: the shipped config, edited by sed, as /etc/config/sipalg; a new file,
# root's only as the package installs it (0600).
config() {
	sed -e "" "$@" "$SHIPPED" >"$SHIM_DIR/sipalg.uci.new" && chmod 600 "$SHIM_DIR/sipalg.uci.new" &&
		mv "$SHIM_DIR/sipalg.uci.new" "$SHIM_DIR/sipalg.uci"
}
PROCD=$SHIM_DIR/procd
daemon_pid() { cat "$PROCD/pid" 2>/dev/null; }
daemon_alive() { [ -n "$(daemon_pid)" ] && kill -0 "$(daemon_pid)" 2>/dev/null; }
ctl_answers() { in_ns router "$SIPALG_TOP/build/sipalgctl" --socket "$SHIM_DIR/run/sipalgd.sock" status >/dev/null 2>&1; }
reloads() { grep -c "reloaded $SHIM_DIR/state/config" "$SHIM_DIR/daemon.log"; }
nft_router() { in_ns router nft "$@" 2>/dev/null; }
# SIP over TCP: the tproxy rule for PORTS ("5060" or "{ 5060, 5080 }"), fw4's accept, the ip rule.
tcp_diverted() {
	nft_router list chain inet sipalg_divert prerouting |
		grep -qF "tcp dport $1 tcp flags syn / fin,syn,rst,ack fib daddr oifname \"wan0\" tproxy ip to 127.0.0.1:15060"
}
fw4_accepts() { nft_router list chain inet fw4 input | grep -c 'meta mark & 0x10000000 == 0x10000000 .*"sipalg-firewall'; }
ip_rule() { in_ns router ip -4 rule list fwmark 0x10000000/0x10000000 lookup 5060; }
routing_gone() { [ -z "$(ip_rule)" ] && [ -z "$(in_ns router ip -4 route show table 5060 2>/dev/null)" ]; }
fw4_reload() {
	in_ns router sh -c '. "$1"; shim_fw4_reload "$2" "$3" "$4"' _ "$LAB_E2E/openwrt-shim.sh" \
		"$LAB_E2E/fw4-input.nft" "$SIPALG_TOP/openwrt/sipalg/files/fw4-include.nft" "$SHIM_DIR/state"
}
# tcp_register: phone1's REGISTER over TCP to the provider gets its 200.
# An account of its own: phone1's account from a new port would replace its UDP registration
# (the ALG takes that for a phone that rebooted), which the reload checks below rely on.
tcp_register() {
	in_ns phone1 python3 "$LAB_E2E/tcpdivert.py" register "$LAB_PROVIDER_IP" --user 1003 | grep -q '^status=200 '
}
# sig_port PORT: the set tcp_sig_ports holds PORT (sipalgd keeps its phones' public ports there).
sig_port() { nft_router list set inet sipalg_divert tcp_sig_ports | tr -d '\n' | grep -q "[{ ,]$1 timeout"; }
cleanup_daemon() { daemon_alive && kill -KILL "$(daemon_pid)"; }

echo "--- as installed: disabled"
config
check "service sipalg start" init start
check "procd is asked for no daemon" not test -s "$PROCD/command"
check "and nothing is diverted" not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -q 'queue num\|NFQUEUE'"

echo "--- a bad value"
ON="s/option enabled '0'/option enabled '1'/"
config -e "$ON" -e "s/option queue '0'/option queue 'first'/"
check "start_service refuses it" not init start_service
init start
check "the log names the option and the value" grep -q "not started: .*option queue 'first'" "$SHIM_DIR/log"
check "no daemon is started" not test -s "$PROCD/command"
check "nothing was diverted" not sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q SIPALG"

echo "--- switched on (uci set sipalg.main.enabled=1), every other option changed, no ujail"
# An extra WAN address stands for the public address of a router behind another NAT.
in_ns router ip addr add 203.0.113.3/24 dev wan0
config -e "$ON" -e "s/list sip_port '5060'/list sip_port '5060'\n\tlist sip_port '5080'/" \
	-e "s/option media_ports '16384-32767'/option media_ports '30000-30009'/" \
	-e "s/option external_address ''/option external_address '203.0.113.3'/" \
	-e "s/option log_level 'info'/option log_level 'debug'/"
# As fw4 does for a zone with helper 'sip': the kernel's helper assigned to SIP flows. Only
# while start_service runs, and no SIP crosses the router meanwhile.
in_ns router nft -f - <<'NFT'
table inet labhelper {
	ct helper sip { type "sip" protocol udp; }
	chain prerouting { type filter hook prerouting priority filter; udp dport 5060 ct helper set "sip"; }
}
NFT
check "service sipalg start" init start
check "with the kernel's SIP helper active, it warns and names the fw4 option" \
	grep -q "kernel's SIP helper is active too; set firewall.@zone\[<wan zone>\].auto_helper='0'" "$SHIM_DIR/log"
in_ns router nft delete table inet labhelper
echo "     procd command: $(tr '\n' ' ' <"$PROCD/command")"
check "procd is asked for sipalgd on the networks' devices, wan0 and lan0" \
	sh -c 'tr "\n" " " <"$1" | grep -q -- "--wan wan0 --lan lan0 --queue 0 "' _ "$PROCD/command"
check "without ujail: as root, the daemon switching to the user itself (--user)" \
	sh -c 'tr "\n" " " <"$1" | grep -q -- " --user nobody $"' _ "$PROCD/command"
check "and no user, jail or reload_signal for procd (without ujail procd would setuid and lose CAP_NET_ADMIN)" \
	not grep -q "^user \|^jail\|^capabilities \|^reload_signal " "$PROCD/params"
check "respawn 3600 5 5" grep -qx "respawn 3600 5 5" "$PROCD/params"
check "reloads follow changes to /etc/config/sipalg and the WAN interface" \
	sh -c 'grep -qx "reload_trigger sipalg" "$1" && grep -q "^interface_trigger interface.\* wan " "$1"' _ "$SHIM_DIR/triggers"
check "SIP on both ports (sip_port 5060 and 5080) is diverted into the queue" \
	sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q 'multiport --dports 5060,5080 .*NFQUEUE'"
check "the daemon answers" lab_until 5 ctl_answers
check "it runs as nobody" [ "$(ps -o user= -p "$(daemon_pid)")" = nobody ]
check "with CAP_NET_ADMIN alone" grep -qx "CapEff:	0000000000001000" "/proc/$(daemon_pid)/status"
check "phone1 registers through it" lab_register phone1 1001
check "its REGISTER names the external_address" \
	has_line "$(provider_req REGISTER 1)" "contact: <sip:1001@203.0.113.3:5060>"
check "phone2 registers too" lab_register phone2 1002
check "port 5060 being phone1's, phone2 gets the first port of media_ports" \
	has_line "$(provider_req REGISTER 2)" "contact: <sip:1002@203.0.113.3:30000>"
check "log_level 'debug' logs the bindings too" grep -q '^signaling 192.168.1.11:5060 -> 203.0.113.3:30000' "$SHIM_DIR/daemon.log"

echo "--- SIP over TCP (option tcp '1', the default)"
check "new TCP connections to both ports go to 127.0.0.1:15060 (tproxy)" tcp_diverted "{ 5060, 5080 }"
check "fw4's input chain accepts them (one rule, by the mark)" [ "$(fw4_accepts)" = 1 ]
check "ip rule: fwmark 0x10000000/0x10000000 lookup 5060" [ -n "$(ip_rule)" ]
check "phone1's REGISTER over TCP gets its 200 (through sipalgd's relay)" tcp_register
check "sipalgd put phone2's public port in the set tcp_sig_ports" lab_until 10 sig_port 30000
check "fw4 reload (its table anew, the package's ruleset-post file included)" fw4_reload
check "fw4's input chain accepts them again, once" [ "$(fw4_accepts)" = 1 ]
check "the diversion is still there, and the set tcp_sig_ports kept sipalgd's element" sig_port 30000

echo "--- service sipalg reload"
pid=$(daemon_pid)
n=$(reloads)
config -e "$ON" -e "s/list sip_port '5060'/list sip_port '5060'\n\tlist sip_port '5080'/" \
	-e "s/option media_ports '16384-32767'/option media_ports '30000-30009'/" \
	-e "s/option external_address ''/option external_address '203.0.113.3'/" \
	-e "s/option inbound_calls 'registrar'/option inbound_calls 'anyone'/"
check "after an edit of the config (same devices and queue)" init reload
check "the daemon re-reads it (SIGHUP)" lab_until 5 sh -c '[ "$(grep -c "reloaded $2" "$1")" -gt "$3" ]' _ "$SHIM_DIR/daemon.log" "$SHIM_DIR/state/config" "$n"
check "in place: same process, the registrations kept" \
	sh -c '[ "$1" = "$(cat "$2")" ] && ip netns exec "$3" "$4" --socket "$5" status | grep -q 192.168.1.10:5060' _ \
	"$pid" "$PROCD/pid" "$(lab_ns router)" "$SIPALG_TOP/build/sipalgctl" "$SHIM_DIR/run/sipalgd.sock"
n=$(reloads)
config -e "$ON" -e "s/option max_calls '256'/option max_calls 'many'/"
check "a bad value: reload refuses it" not init reload
check "and logs the option and the value" grep -q "not reloaded, running as it was: .*option max_calls 'many'" "$SHIM_DIR/log"
check "the daemon keeps running, untouched" sh -c '[ "$1" = "$(cat "$2")" ] && kill -0 "$1" && [ "$(grep -c "reloaded" "$3")" -eq "$4" ]' _ \
	"$pid" "$PROCD/pid" "$SHIM_DIR/daemon.log" "$n"
check "SIP is still diverted" sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q 'NFQUEUE'"
config -e "$ON" -e "s/option queue '0'/option queue '3'/"
check "another queue" init reload
check "restarts the daemon on it" sh -c '[ "$1" != "$(cat "$2")" ] && tr "\n" " " <"$3" | grep -q -- "--queue 3 "' _ "$pid" "$PROCD/pid" "$PROCD/command"
check "which answers" lab_until 5 ctl_answers
check "the diversion goes to queue 3" sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q 'NFQUEUE --queue-num 3'"

echo "--- option tcp '0'"
config -e "$ON" -e "s/option tcp '1'/option tcp '0'/"
check "service sipalg reload" init reload
check "no TCP diversion" not tcp_diverted 5060
check "no rule of ours in fw4's input chain" [ "$(fw4_accepts)" = 0 ]
check "no ip rule" [ -z "$(ip_rule)" ]
check "UDP still goes to the queue" sh -c "ip netns exec $(lab_ns router) iptables -S | grep -q 'NFQUEUE'"
check "phone1's REGISTER over TCP gets its 200" tcp_register

echo "--- with ujail (procd-ujail installed): service sipalg restart"
UJAIL=$SHIM_DIR/ujail
printf '#!/bin/sh\n' >"$UJAIL" && chmod +x "$UJAIL"
config -e "$ON"
check "service sipalg restart" init restart
check "SIP over TCP is diverted again (option tcp back to '1')" tcp_diverted 5060
echo "     procd params: $(tr '\n' ';' <"$PROCD/params")"
check "procd gets a jail with the log socket" grep -qx "jail sipalg log" "$PROCD/params"
check "the config copy's directory read-only, the socket's directory writable" \
	sh -c 'grep -qx "jail_mount $2/state" "$1" && grep -qx "jail_mount_rw $2/run" "$1"' _ "$PROCD/params" "$SHIM_DIR"
check "user, capabilities file and no_new_privs, applied by ujail" \
	sh -c 'grep -qx "user nobody" "$1" && grep -q "^capabilities .*/capabilities.json$" "$1" && grep -qx "no_new_privs 1" "$1"' _ "$PROCD/params"
check "no --user on the command line" not grep -qx -- "--user" "$PROCD/command"
caps=$(tr -d ' \n\t' <"$SIPALG_TOP/openwrt/sipalg/files/capabilities.json")
check "the capabilities file grants CAP_NET_ADMIN and nothing else" \
	[ "$(echo "$caps" | grep -o 'CAP_[A-Z_]*' | sort -u)" = CAP_NET_ADMIN ]
check "the daemon answers" lab_until 5 ctl_answers
check "it runs as nobody" [ "$(ps -o user= -p "$(daemon_pid)")" = nobody ]
check "with CAP_NET_ADMIN alone" grep -qx "CapEff:	0000000000001000" "/proc/$(daemon_pid)/status"
check "phone1 registers through it" lab_register phone1 1001
pid=$(daemon_pid)
n=$(reloads)
config -e "$ON" -e "s/option log_level 'info'/option log_level 'debug'/"
check "reload after an edit" init reload
check "the daemon re-reads it, same process" lab_until 5 sh -c '[ "$(grep -c "reloaded $2" "$1")" -gt "$3" ] && [ "$4" = "$(cat "$5")" ]' _ \
	"$SHIM_DIR/daemon.log" "$SHIM_DIR/state/config" "$n" "$pid" "$PROCD/pid"

echo "--- service sipalg stop"
check "service sipalg stop" init stop
check "the daemon is gone" not kill -0 "$pid"
check "the diversion is gone" not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -qi 'sipalg\|NFQUEUE\|tproxy'"
check "and the ip rule and its route" routing_gone
cleanup_daemon
finish e2e-openwrt-init
