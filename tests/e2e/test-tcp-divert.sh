#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2119,SC2120 # fw_start's options are optional
# SIP over TCP: the kernel plumbing that sipalgd's transparent proxy relies on, in the lab
# router with `sipalg-firewall start` and the input side of OpenWrt's fw4 (fw4-input.nft):
# - nothing listening on 127.0.0.1:15060: a phone's SIP/TCP connection to the provider goes
#   through as before, untranslated, at the first attempt (tproxy ends its rule: fail-open);
# - a connection forwarded while nothing listened stays forwarded once something does;
# - a socket of the router bound to a public port that a forwarded flow to the same server
#   holds: masquerade moves it to another port (what the daemon must know of its own ports);
# - a transparent relay listening there (tcpdivert.py, as sipalgd would run: an unprivileged
#   user with CAP_NET_ADMIN only): the connection lands in it with the provider's address as
#   its local address, and the relay forwards it over its own connection (a REGISTER gets its
#   200); the relay connects to a phone from the provider's address (return path); a WAN
#   connection to a public port in the set tcp_sig_ports lands in it too, through fw4's input
#   policy; a port not in the set, and the listener itself, stay closed;
# - without each rule (the socket rule, the ip rule, fw4's accept) the matching check fails;
#   a second start keeps the set's elements, and fw4 reloading with the --save file included
#   puts fw4's accept back;
# - the relay killed mid-connection, idle and holding unread data: what reaches the phone and
#   what its socket sees; new connections go straight through;
# - an INPUT policy of iptables that drops (no fw4): the marked traffic gets in;
# - after `sipalg-firewall stop` nothing is left, and TCP goes straight through.
#
# Usage: sh tests/e2e/test-tcp-divert.sh   (as root; LAB_KEEP=1 keeps the logs)
set -u
LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

FW=$SIPALG_TOP/router-scripts/sipalg-firewall
TD=$LAB_E2E/tcpdivert.py
MARK=0x10000000
PUBLIC_PORT=30000 # a public port that sipalgd would have bound for phone1 (in tcp_sig_ports)
UAS_PORT=5070     # phone1's own SIP/TCP listener (its Contact)
# The relay runs as nobody: a python3 that nobody can run (not one under root's home).
PY_NOBODY=python3
[ -x /usr/bin/python3 ] && PY_NOBODY=/usr/bin/python3

lab_up >/dev/null || { not_ok "lab_up"; finish e2e-tcp-divert; exit 1; }
in_ns router nft -f "$LAB_E2E/fw4-input.nft"

# As sipalgd runs in the router: nobody, CAP_NET_ADMIN only (enough for IP_TRANSPARENT).
as_daemon() {
	ip netns exec "$(lab_ns router)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin "$@"
}
# td ROLE ARGS...: tcpdivert.py in ROLE's namespace (daemon: in the router, as sipalgd runs);
# its output in $out.
td() {
	_td_role=$1
	shift
	if [ "$_td_role" = daemon ]; then
		out=$(as_daemon "$PY_NOBODY" "$TD" "$@" 2>&1)
	else
		out=$(in_ns "$_td_role" python3 "$TD" "$@" 2>&1)
	fi
	echo "     $_td_role: $out"
	case $out in status=200*) return 0 ;; *) return 1 ;; esac
}
field() { printf '%s\n' "$out" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
relay_start() {
	: >"$LAB_DIR/relay.log"
	chown nobody "$LAB_DIR/relay.log"
	(exec ip netns exec "$(lab_ns router)" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=-all,+net_admin \
		"$PY_NOBODY" "$TD" relay --listen 127.0.0.1:15060 --log "$LAB_DIR/relay.log" \
		--map "$LAB_WAN_IP:$PUBLIC_PORT=$LAB_PHONE1_IP:$UAS_PORT" >>"$LAB_DIR/relay.err" 2>&1) &
	RELAY_PID=$!
	lab_until 5 grep -qs '^listening' "$LAB_DIR/relay.log"
}
relay_kill() {
	kill -KILL "$RELAY_PID" 2>/dev/null
	wait "$RELAY_PID" 2>/dev/null
	RELAY_PID=
}
fw_start() { in_ns router "$FW" start --wan wan0 --lan lan0 "$@" >"$LAB_DIR/fw.out" 2>&1; }
# like TEXT PATTERN: TEXT matches the shell pattern.
# shellcheck disable=SC2254 # the pattern is a pattern
like() { case $1 in $2) return 0 ;; esac; return 1; }
# seen_from N ADDR: kamailio received its Nth REGISTER from ADDR.
seen_from() { [ "$(reg_from "$1")" = "$2" ]; }
# seen_moved N IP PORT: ... from IP, but another port than PORT.
seen_moved() { _sm=$(reg_from "$1") && [ "${_sm%:*}" = "$2" ] && [ "${_sm#*:}" != "$3" ]; }
# both_work: phone1 through the relay, and the relay to phone1 from the provider's address.
both_work() {
	td phone1 register "$LAB_PROVIDER_IP" && td daemon tconnect --src "$LAB_PROVIDER_IP:5060" --dst "$LAB_PHONE1_IP:$UAS_PORT"
}
# held NAME: a register --hold got its 200 and waits.
held() { lab_wait_file "$LAB_DIR/$1.ready" 5 && grep -q '^status=200' "$LAB_DIR/$1.out"; }
# rule_counter WORD: the packets counted by the prerouting rule containing WORD.
rule_counter() {
	in_ns router nft list chain inet sipalg_divert prerouting | grep -F -- "$1" |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}
fw4_accepts() { in_ns router nft list chain inet fw4 input | grep -c "meta mark & $MARK == $MARK counter packets [0-9]* bytes [0-9]* accept comment \"sipalg-firewall"; }
nth_conn() { in_ns router conntrack -L -p tcp --orig-src "$1" --orig-port-src "$2" 2>/dev/null; }
reg_from() { provider_req_from REGISTER "$1"; }
nregs() { tr -d '\r' <"$LAB_DIR/provider.log" | grep -c "SIPALG-LAB-REQ REGISTER"; }

echo "--- the lab: kamailio on TCP too, no diversion"
check "kamailio listens on TCP 5060" sh -c "ip netns exec $(lab_ns provider) ss -Hltn 'sport = :5060' | grep -q ."
check "phone1's REGISTER over TCP gets its 200 without sipalg" td phone1 register "$LAB_PROVIDER_IP"

echo "--- sipalg-firewall start, nothing listening on 127.0.0.1:15060"
check "sipalg-firewall start" fw_start
sed 's/^/     /' "$LAB_DIR/fw.out"
in_ns router nft list table inet sipalg_divert | sed 's/^/     /'
check "the prerouting chain: the socket rule, then tproxy for SYNs from the LAN and to @tcp_sig_ports" \
	sh -c "ip netns exec $(lab_ns router) nft list chain inet sipalg_divert prerouting | tr -s '\t ' ' ' | grep -A3 'policy accept' | tr '\n' '|' |
		grep -q 'iifname \"lan0\" ip protocol tcp socket transparent 1 meta mark set meta mark | $MARK counter .* accept| iifname \"lan0\" tcp dport 5060 tcp flags syn / fin,syn,rst,ack fib daddr oifname \"wan0\" tproxy ip to 127.0.0.1:15060 meta mark set meta mark | $MARK counter .* accept| iifname \"wan0\" tcp dport @tcp_sig_ports tcp flags syn / fin,syn,rst,ack fib daddr type local tproxy ip to 127.0.0.1:15060 meta mark set meta mark | $MARK counter .* accept|'"
echo "     $(in_ns router ip -4 rule list fwmark $MARK/$MARK); $(in_ns router ip -4 route show table 5060)"
check "ip rule: fwmark $MARK/$MARK lookup 5060, pref 100" \
	[ "$(in_ns router ip -4 rule list pref 100 fwmark $MARK/$MARK lookup 5060 | wc -l)" = 1 ]
check "table 5060: local 0.0.0.0/0 dev lo" [ "$(in_ns router ip -4 route show table 5060)" = "local default dev lo scope host " ]
check "fw4's input chain accepts the mark, once" [ "$(fw4_accepts)" = 1 ]
check "as its first rule" sh -c "ip netns exec $(lab_ns router) nft list chain inet fw4 input | sed -n 4p | grep -q 'meta mark & $MARK'"

n=$(nregs)
check "fail-open: phone1's REGISTER over TCP still gets its 200" td phone1 register "$LAB_PROVIDER_IP"
port=$(field local | cut -d: -f2)
check "at the first attempt: in $(field ms) ms, under the 1 s of a SYN retransmission" [ "$(field ms)" -lt 1000 ]
check "untranslated: forwarded and masqueraded (kamailio saw $(reg_from $((n + 1))))" seen_from $((n + 1)) "$LAB_WAN_IP:$port"
check "conntrack: a forwarded flow, its reply to the router's public address" \
	sh -c "ip netns exec $(lab_ns router) conntrack -L -p tcp --orig-src $LAB_PHONE1_IP --orig-port-src $port 2>/dev/null | grep -q 'src=$LAB_PROVIDER_IP dst=$LAB_WAN_IP sport=5060 dport=$port'"
check "tproxy ended its rule: the rule's counter (after the mark) is 0" [ "$(rule_counter 'tcp dport 5060')" = 0 ]

echo "--- the router's own connection on a public port that a forwarded flow already holds"
rm -f "$LAB_DIR/hold0".*
in_ns phone1 python3 "$TD" register "$LAB_PROVIDER_IP" --hold "$LAB_DIR/hold0" >"$LAB_DIR/hold0.out" 2>&1 &
hold=$!
lab_wait_file "$LAB_DIR/hold0.ready" 5
held=$(sed -n 's/.*local=[0-9.]*:\([0-9]*\).*/\1/p' "$LAB_DIR/hold0.out")
n=$(nregs)
check "a socket of the router bound to $LAB_WAN_IP:$held (phone1's masqueraded port) connects to the provider" \
	td daemon register "$LAB_PROVIDER_IP" --bind "$LAB_WAN_IP:$held"
seen=$(reg_from $((n + 1)))
check "its local address says $LAB_WAN_IP:$held, but masquerade moved it: kamailio saw $seen" \
	seen_moved $((n + 1)) "$LAB_WAN_IP" "$held"
touch "$LAB_DIR/hold0.go"
wait "$hold"

echo "--- a transparent relay on 127.0.0.1:15060 (nobody, CAP_NET_ADMIN)"
rm -f "$LAB_DIR/hold3".*
in_ns phone1 python3 "$TD" register "$LAB_PROVIDER_IP" --hold "$LAB_DIR/hold3" >"$LAB_DIR/hold3.out" 2>&1 &
hold=$!
check "phone1 holds a connection made while nothing listened (forwarded)" held hold3
held=$(sed -n 's/.*local=[0-9.]*:\([0-9]*\).*/\1/p' "$LAB_DIR/hold3.out")
check "the relay listens (IP_TRANSPARENT with CAP_NET_ADMIN alone)" relay_start
n=$(nregs)
touch "$LAB_DIR/hold3.go"
wait "$hold"
echo "     phone1's socket: $(sed -n 's/^after //p' "$LAB_DIR/hold3.out")"
check "that connection stays forwarded: its next REGISTER gets kamailio's 200" \
	like "$(sed -n 's/^after //p' "$LAB_DIR/hold3.out")" '*reply=200 send=ok'
check "(kamailio saw it from $LAB_WAN_IP:$held)" \
	seen_from $((n + 1)) "$LAB_WAN_IP:$held"
check "the relay saw nothing of it" not grep -q "peer=$LAB_PHONE1_IP:$held " "$LAB_DIR/relay.log"
in_ns phone1 python3 "$TD" uas --port "$UAS_PORT" --log "$LAB_DIR/uas.log" &
UAS_PID=$!
lab_until 5 grep -qs '^listening' "$LAB_DIR/uas.log"
n=$(nregs)
check "phone1's REGISTER over TCP gets its 200 through the relay" td phone1 register "$LAB_PROVIDER_IP"
port=$(field local | cut -d: -f2)
sed 's/^/     relay: /' "$LAB_DIR/relay.log"
check "the relay accepted it; its local address (getsockname) is the provider's $LAB_PROVIDER_IP:5060" \
	grep -qx "accept peer=$LAB_PHONE1_IP:$port local=$LAB_PROVIDER_IP:5060" "$LAB_DIR/relay.log"
up=$(sed -n "s/^upstream local=\($LAB_WAN_IP:[0-9]*\) peer=$LAB_PROVIDER_IP:5060\$/\1/p" "$LAB_DIR/relay.log" | tail -n 1)
check "kamailio got it over the relay's own connection from $up" seen_from $((n + 1)) "${up:-none}"
check "conntrack: phone1's connection ends at the router, no NAT (reply to $LAB_PHONE1_IP)" \
	sh -c "ip netns exec $(lab_ns router) conntrack -L -p tcp --orig-src $LAB_PHONE1_IP --orig-port-src $port 2>/dev/null | grep -q 'src=$LAB_PROVIDER_IP dst=$LAB_PHONE1_IP sport=5060 dport=$port'"
check "conntrack: the relay's own connection keeps its port through masquerade" \
	sh -c "ip netns exec $(lab_ns router) conntrack -L -p tcp --orig-src $LAB_WAN_IP --orig-port-src ${up#*:} 2>/dev/null | grep -q 'dst=$LAB_WAN_IP sport=5060 dport=${up#*:} '"
check "the tproxy rule counted 1 SYN" [ "$(rule_counter 'tcp dport 5060')" = 1 ]
check "the socket rule counted the rest of the phone's segments" [ "$(rule_counter 'socket transparent')" -ge 3 ]

echo "--- return path: the relay connects to phone1 from the provider's address"
check "OPTIONS from $LAB_PROVIDER_IP:5060 (transparent bind) to phone1:$UAS_PORT gets its 200" \
	td daemon tconnect --src "$LAB_PROVIDER_IP:5060" --dst "$LAB_PHONE1_IP:$UAS_PORT"
check "phone1 saw it come from the provider's address" \
	grep -qx "request OPTIONS from $LAB_PROVIDER_IP:5060 to $LAB_PHONE1_IP:$UAS_PORT" "$LAB_DIR/uas.log"

echo "--- from the WAN to a public port in tcp_sig_ports"
in_ns router nft add element inet sipalg_divert tcp_sig_ports "{ $PUBLIC_PORT timeout 300s }"
check "far's REGISTER to $LAB_WAN_IP:$PUBLIC_PORT reaches phone1's listener through the relay, 200" \
	td far register "$LAB_WAN_IP" --port "$PUBLIC_PORT"
check "the relay accepted it with the router's public address as local address" \
	grep -q "^accept peer=$LAB_FAR_IP:[0-9]* local=$LAB_WAN_IP:$PUBLIC_PORT\$" "$LAB_DIR/relay.log"
check "and phone1 saw it come from far's own address (the relay's transparent bind)" \
	grep -q "^request REGISTER from $LAB_FAR_IP:[0-9]* to $LAB_PHONE1_IP:$UAS_PORT\$" "$LAB_DIR/uas.log"
check "fw4's input chain let it in by the mark (its counter moved)" \
	sh -c "ip netns exec $(lab_ns router) nft list chain inet fw4 input | grep 'sipalg-firewall' | grep -qv 'packets 0 '"
check "a public port not in the set stays closed (fw4 rejects it)" not td far register "$LAB_WAN_IP" --port $((PUBLIC_PORT + 2)) --timeout 3
check "so does the listener, from the WAN ($LAB_WAN_IP:15060)" not td far register "$LAB_WAN_IP" --port 15060 --timeout 3
check "and from the LAN ($LAB_LAN_GW:15060)" not td phone1 register "$LAB_LAN_GW" --port 15060 --timeout 3

echo "--- each rule is needed: without it, its check fails"
# What reaches the provider: SYNs to 5060, and anything from a private address.
in_ns provider nft -f - <<NFT
table inet seen {
	counter syn {}
	counter private {}
	chain input {
		type filter hook prerouting priority raw; policy accept;
		tcp dport 5060 tcp flags syn / fin,syn,rst,ack counter name syn
		ip saddr 192.168.0.0/16 counter name private
	}
}
NFT
seen_reset() { in_ns provider nft reset counters table inet seen >/dev/null; }
seen() { in_ns provider nft list counter inet seen "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }
seen_reset
in_ns router nft delete rule inet sipalg_divert prerouting handle \
	"$(in_ns router nft -a list chain inet sipalg_divert prerouting | sed -n 's/.*socket transparent.*# handle \([0-9]*\)$/\1/p')"
check "without the socket rule, the phone's connection through the relay fails" \
	not td phone1 register "$LAB_PROVIDER_IP" --timeout 3
check "and so does the relay's connection to phone1 from the provider's address" \
	not td daemon tconnect --src "$LAB_PROVIDER_IP:5060" --dst "$LAB_PHONE1_IP:$UAS_PORT" --timeout 3
demux=$(in_ns router sysctl -n net.ipv4.tcp_early_demux)
check "phone1's segments after the SYN were not forwarded either (tcp_early_demux $demux: the kernel drops them)" \
	[ "$demux/$(seen private)" = 1/0 ]
fw_start
check "with it back (sipalg-firewall start again), both work" both_work
check "a second start left the set's element ($PUBLIC_PORT) in place" \
	sh -c "ip netns exec $(lab_ns router) nft list set inet sipalg_divert tcp_sig_ports | grep -q 'elements = { $PUBLIC_PORT '"
in_ns router ip -4 rule del pref 100 fwmark $MARK/$MARK lookup 5060
seen_reset
check "without the ip rule, the diverted SYN is not delivered and the connection fails" \
	not td phone1 register "$LAB_PROVIDER_IP" --timeout 3
check "nor is it forwarded: no SYN reached the provider ($(seen syn))" [ "$(seen syn)" = 0 ]
fw_start
in_ns router nft delete rule inet fw4 input handle \
	"$(in_ns router nft -a list chain inet fw4 input | sed -n 's/.*sipalg-firewall.*# handle \([0-9]*\)$/\1/p')"
check "without fw4's accept, the WAN connection to the public port is rejected" \
	not td far register "$LAB_WAN_IP" --port "$PUBLIC_PORT" --timeout 3
echo "--- the fw4 rule comes back with fw4 reload (fw4 includes the --save file)"
check "sipalg-firewall start --save" fw_start --save "$LAB_DIR/divert.nft"
in_ns router nft -f - <<NFT
include "$LAB_E2E/fw4-input.nft"
include "$LAB_DIR/divert*.nft"
NFT
check "after fw4's table is made anew with the file included: fw4 accepts the mark, once" [ "$(fw4_accepts)" = 1 ]
check "the WAN connection to the public port works again" td far register "$LAB_WAN_IP" --port "$PUBLIC_PORT"
check "and the set kept its element" \
	sh -c "ip netns exec $(lab_ns router) nft list set inet sipalg_divert tcp_sig_ports | grep -q 'elements = { $PUBLIC_PORT '"

echo "--- the relay killed mid-connection"
# What reaches phone1 from the provider's address: FINs and RSTs, counted in its namespace.
in_ns phone1 nft -f - <<NFT
table inet tcpflags {
	counter fin {}
	counter rst {}
	chain input {
		type filter hook input priority raw; policy accept;
		ip saddr $LAB_PROVIDER_IP tcp sport 5060 tcp flags & fin == fin counter name fin
		ip saddr $LAB_PROVIDER_IP tcp sport 5060 tcp flags & rst == rst counter name rst
	}
}
NFT
flags_reset() { in_ns phone1 nft reset counters table inet tcpflags >/dev/null; }
flags() { # flags NAME: packets counted
	in_ns phone1 nft list counter inet tcpflags "$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}
rm -f "$LAB_DIR/hold1".*
in_ns phone1 python3 "$TD" register "$LAB_PROVIDER_IP" --hold "$LAB_DIR/hold1" >"$LAB_DIR/hold1.out" 2>&1 &
hold=$!
check "phone1 registers through the relay and keeps the connection open" held hold1
flags_reset
relay_kill
sleep 0.5
check "SIGKILL of the idle relay: phone1 gets a FIN ($(flags fin)), no RST ($(flags rst))" \
	[ "$(flags fin)/$(flags rst)" = 1/0 ]
touch "$LAB_DIR/hold1.go"
wait "$hold"
after=$(sed -n 's/^after //p' "$LAB_DIR/hold1.out")
echo "     phone1's socket: $after"
check "its socket reads EOF" like "$after" 'recv=eof *'
rst_then_epipe() { [ "$(flags rst)" = 1 ] && like "$after" '* send=error-Broken-pipe'; }
check "a REGISTER it sends then is answered with a RST ($(flags rst)); its next send fails (EPIPE)" rst_then_epipe
n=$(nregs)
check "a new connection then goes straight through (200, masqueraded)" td phone1 register "$LAB_PROVIDER_IP"
check "(kamailio saw it from $LAB_WAN_IP:$(field local | cut -d: -f2))" \
	seen_from $((n + 1)) "$LAB_WAN_IP:$(field local | cut -d: -f2)"

check "the relay again" relay_start
rm -f "$LAB_DIR/hold2".*
in_ns phone1 python3 "$TD" register "$LAB_PROVIDER_IP" --hold "$LAB_DIR/hold2" >"$LAB_DIR/hold2.out" 2>&1 &
hold=$!
check "phone1 registers through the relay again and keeps the connection open" held hold2
kill -STOP "$RELAY_PID"
touch "$LAB_DIR/hold2.go"
# phone1 reads for 3 s (nothing comes), sends a REGISTER that the stopped relay never reads,
# then waits for a reply: the relay is killed meanwhile, its socket holding unread data.
sleep 4
flags_reset
relay_kill
wait "$hold"
after=$(sed -n 's/^after //p' "$LAB_DIR/hold2.out")
echo "     phone1's socket: $after"
check "SIGKILL of a relay holding unread data: phone1 gets a RST ($(flags rst)), no FIN ($(flags fin))" \
	[ "$(flags fin)/$(flags rst)" = 0/1 ]
check "its socket is reset (ECONNRESET)" like "$after" '*reply=reset*'
check "a new connection then goes straight through" td phone1 register "$LAB_PROVIDER_IP"

echo "--- a router whose iptables INPUT policy drops (no fw4)"
in_ns router nft delete table inet fw4
in_ns router iptables -w -P INPUT DROP
in_ns router iptables -w -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
in_ns router iptables -w -A INPUT -i lan0 -j ACCEPT
relay_start
check "sipalg-firewall start (iptables backend here: no nft queue)" fw_start
check "its INPUT jump accepts the mark" \
	sh -c "ip netns exec $(lab_ns router) iptables -S | tr '\n' '|' | grep -q -- '-A INPUT -j SIPALG_INPUT|.*-A SIPALG_INPUT -m mark --mark $MARK/$MARK -j ACCEPT'"
check "far's connection to the public port reaches phone1 through the relay" td far register "$LAB_WAN_IP" --port "$PUBLIC_PORT"
check "phone1's through the relay too" td phone1 register "$LAB_PROVIDER_IP"

echo "--- sipalg-firewall stop"
check "sipalg-firewall stop" in_ns router "$FW" stop
check "no table sipalg_divert" not in_ns router nft list table inet sipalg_divert
check "no ip rule for the mark" [ -z "$(in_ns router ip -4 rule list fwmark $MARK/$MARK)" ]
check "no route in table 5060" [ -z "$(in_ns router ip -4 route show table 5060 2>/dev/null)" ]
check "no SIPALG chain in iptables, the host's own INPUT rules and policy kept" \
	sh -c "! ip netns exec $(lab_ns router) iptables -S | grep -q SIPALG && ip netns exec $(lab_ns router) iptables -S | grep -q -- '-P INPUT DROP'"
check "no tproxy, socket or sipalg left in the ruleset" not sh -c "ip netns exec $(lab_ns router) nft list ruleset | grep -qi 'tproxy\|socket\|sipalg'"
n=$(nregs)
check "with the relay still listening, phone1's REGISTER over TCP goes straight through" td phone1 register "$LAB_PROVIDER_IP"
port=$(field local | cut -d: -f2)
check "(kamailio saw it from $LAB_WAN_IP:$port)" seen_from $((n + 1)) "$LAB_WAN_IP:$port"
check "and the relay saw nothing of it" not grep -q "peer=$LAB_PHONE1_IP:$port " "$LAB_DIR/relay.log"
check "a second stop is fine" in_ns router "$FW" stop
relay_kill
kill "$UAS_PID" 2>/dev/null
wait "$UAS_PID" 2>/dev/null
finish e2e-tcp-divert
