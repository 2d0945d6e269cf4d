#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg's security policy in the lab: what scanners, strangers, a hostile web page on a LAN
# host (NAT Slipstreaming) and a greedy LAN host can make the router do. Each scenario asserts
# what reached the phones, what arrived on the internet, and which pinholes exist.
#
# Usage: sh tests/e2e/test-security.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

RTP_COUNT=100
PUB=203.0.113.1
CRAFT="$LAB_E2E/sipcraft.py"
HEARD= # far2's listener writes here (set after lab_up)

craft() { _cr_role=$1; shift; in_ns "$_cr_role" python3 "$CRAFT" "$@"; }

# Signaling bindings and media pinholes the daemon holds for a private address.
bindings_of() { alg_status | grep -c "^  $1:[0-9]* *-> "; }
pinholes_of() { alg_status | grep -c -- "-> $1:[0-9]* from"; }
no_pinhole_no_call() { [ "$(media_pinholes)" -eq 0 ] && ! alg_status --json | grep -q '"lan_phone":true'; }
# A line of the status view's unchanged-by-reason counters.
counted() { alg_status | grep -q "unchanged: $1: [1-9]"; }
# Messages far2's listener recorded so far, and those still carrying a private address.
heard() { grep -c "${1:-}" "$HEARD" 2>/dev/null || true; }

# config NAME SED-EXPRESSION...: the shipped config with changes, as $LAB_DIR/NAME.config.
config() {
	_cf_out="$LAB_DIR/$1.config"
	shift
	cp "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" "$_cf_out"
	for _cf_e in "$@"; do
		sed -i "$_cf_e" "$_cf_out"
	done
}

# Each scenario starts with an empty table: without its state file the daemon restores none
# of the last scenario's registrations (tests/e2e/test-restart.sh tests that it does).
restart() {
	alg_kill TERM
	rm -f "$(alg_state)"
	alg_start --config "$LAB_DIR/$1.config" || { not_ok "sipalgd starts with $1.config"; return 1; }
}

scenario_privileges() {
	echo "--- the daemon after start-up: an unprivileged user with CAP_NET_ADMIN only"
	st=$(cat "/proc/$ALG_PID/status")
	uid=$(printf '%s\n' "$st" | sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p')
	check "it runs as nobody (uid $uid), not root" [ "$uid" = "$(id -u nobody)" ]
	check "its only capability is CAP_NET_ADMIN" \
		sh -c 'printf "%s\n" "$1" | grep -q "^CapEff:[[:space:]]*0000000000001000$"' _ "$st"
	check "and it cannot gain more (no_new_privs)" sh -c 'printf "%s\n" "$1" | grep -q "^NoNewPrivs:[[:space:]]*1$"' _ "$st"
	mode=$(stat -c %a "$(alg_socket)")
	check "its control socket is for root only (mode $mode), not world-writable" [ "$mode" = 600 ]
}

scenario_scanners() {
	echo "--- scanners on the WAN: SIP to the router's public address"
	check "phone1 registers as 1001" lab_register phone1 1001
	rtp_counter_start phone1 5060
	rtp_counter_start phone1 7070
	craft far2 invite "$PUB" --call-id scan1 --rtp-port 40000
	craft far2 invite "$PUB" --call-id scan2 --junk-prefix
	craft far2 reg200 "$PUB" --contact "$PUB:7070"
	in_ns far2 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (5060, 7070):
    s.sendto(b"OPTIONS sip:100@x SIP/2.0\r\n\r\n", (sys.argv[1], p))' "$PUB"
	sleep 0.5
	check "nothing reached phone1's SIP port ($(arrived phone1 5060) packets)" [ "$(arrived phone1 5060)" -eq 0 ]
	check "nothing reached phone1 on the port a forged 200 named ($(arrived phone1 7070) packets)" \
		[ "$(arrived phone1 7070)" -eq 0 ]
	check "no media pinhole, no call" no_pinhole_no_call
	check "and phone1 holds only the binding its REGISTER made" [ "$(bindings_of "$LAB_PHONE1_IP")" -eq 1 ]
}

scenario_strangers() {
	echo "--- inbound_calls 'anyone': strangers reach phone1, but open nothing and crowd out nothing"
	restart anyone || return
	check "phone1 registers as 1001" lab_register phone1 1001
	rtp_counter_start phone1 5060
	rtp_counter_start phone1 7070
	# from another port than the scanners': their flow, refused while the policy was
	# 'registrar', stays conntrack's (not forwarded) for as long as they keep sending
	craft far2 invite "$PUB" --sport 5070 --call-id stranger --rtp-port 40000
	craft far2 reg200 "$PUB" --contact "$PUB:7070"
	sleep 0.5
	check "the stranger's INVITE reaches phone1, as the policy says ($(arrived phone1 5060) packets)" \
		[ "$(arrived phone1 5060)" -ge 1 ]
	check "but its SDP opened no pinhole" [ "$(media_pinholes)" -eq 0 ]
	check "and the forged 200 to a REGISTER made no binding" [ "$(bindings_of "$LAB_PHONE1_IP")" -eq 1 ]
	craft far2 invite "$PUB" --sport 5070 --call-id flood --calls 1100 --rtp-port 20000 --gap 0.0005
	offered=$(alg_status --json | grep -o '"lan_phone":false' | wc -l)
	check "1100 strangers' INVITEs fill the call table ($offered calls offered from the WAN)" [ "$offered" -ge 1000 ]
	check "phone1 is still registered" [ "$(bindings_of "$LAB_PHONE1_IP")" -eq 1 ]
	check "far registers as 2001" lab_register far 2001
	call phone1 1001 far 2001 16000 20000 crowd
	check "then phone1's own call completes" call_done crowd
	rtp_both crowd phone1 16000 far 20000
}

scenario_slipstreaming() {
	echo "--- NAT Slipstreaming: a web page on phone2 makes it send SIP naming phone1"
	restart limits || return
	craft far2 listen "$HEARD" --seconds 60 &
	lab_wait_udp far2 5060 5 || not_ok "far2 listens"
	before=$(heard)
	craft phone2 invite "$LAB_FAR2_IP" --tcp --me "$LAB_PHONE1_IP" --rtp-port 30000 --call-id slip-tcp
	craft phone2 invite "$LAB_FAR2_IP" --junk-prefix --me "$LAB_PHONE1_IP" --rtp-port 30002 --call-id slip-junk
	craft phone2 invite "$LAB_FAR2_IP" --sdp-ip "$LAB_PHONE1_IP" --rtp-port 30004 --call-id slip-sdp
	craft phone2 invite "$LAB_FAR2_IP" --me "$LAB_PHONE1_IP" --rtp-port 30006 --call-id slip-fragments --pad 4000
	sleep 1
	check "all four reached far2 ($(($(heard) - before)) of 4): passed, not dropped" [ $(($(heard) - before)) -eq 4 ]
	check "the UDP ones untranslated (phone1's private address still in them)" [ "$(heard 'udp .*private=1')" -ge 3 ]
	check "counted: names another LAN host's address" counted "names another LAN host's address"
	check "phone1 has no binding" [ "$(bindings_of "$LAB_PHONE1_IP")" -eq 0 ]
	check "and no pinhole" [ "$(pinholes_of "$LAB_PHONE1_IP")" -eq 0 ]
	for p in 30000 30002 30004 30006 5060; do rtp_counter_start phone1 $p; done
	in_ns far2 python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in (30000, 30002, 30004, 30006, 5060):
    s.sendto(b"x" * 20, (sys.argv[1], p))' "$PUB"
	sleep 0.5
	total=0
	for p in 30000 30002 30004 30006 5060; do total=$((total + $(arrived phone1 $p))); done
	check "far2's packets to every port they named reach nothing on phone1 ($total)" [ "$total" -eq 0 ]
}

scenario_greedy_host() {
	echo "--- a LAN host opening call after call: limits, and the other phones go on"
	# limits.config: 8 pinholes per host, 4 new per second (two calls): whichever second
	# the first burst falls in, it meets the rate limit, and the second the host limit
	before=$(heard)
	craft phone2 invite "$LAB_FAR2_IP" --calls 12 --rtp-port 31000 --call-id greedy-a
	sleep 1.2
	craft phone2 invite "$LAB_FAR2_IP" --calls 12 --rtp-port 32000 --call-id greedy-b
	sleep 1
	n=$(pinholes_of "$LAB_PHONE2_IP")
	check "phone2 got its limit of 8 pinholes, no more ($n, RTP and RTCP)" [ "$n" -eq 8 ]
	check "counted: limit max_new_pinholes_per_second" counted "limit max_new_pinholes_per_second"
	check "counted: limit max_pinholes_per_host" counted "limit max_pinholes_per_host"
	check "the refused INVITEs still reached far2 ($(($(heard) - before)) of 24), untranslated" \
		sh -c '[ $(($2 - $1)) -eq 24 ] && [ "$(grep -c "udp .*private=1" "$3")" -ge 20 ]' _ "$before" "$(heard)" "$HEARD"
	check "phone1 registers as 1001" lab_register phone1 1001
	call phone1 1001 far 2001 16000 20000 greedy
	check "phone1's call completes meanwhile" call_done greedy
	rtp_both greedy phone1 16000 far 20000

	echo "--- a message over max_message_size passes untranslated"
	before=$(heard)
	craft phone2 invite "$LAB_FAR2_IP" --pad 9000 --rtp-port 33000 --call-id huge
	sleep 0.5
	last=$(tail -n 1 "$HEARD")
	check "it reached far2 with its private address ($(($(heard) - before)) message: $last)" \
		sh -c '[ $(($2 - $1)) -eq 1 ] && printf "%s" "$3" | grep -q "len=8[2-9][0-9][0-9] private=1"' _ "$before" "$(heard)" "$last"
	check "counted: message larger than max_message_size" counted "message larger than max_message_size"
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-security; exit 1; }
HEARD="$LAB_DIR/far2-heard"
config default
config anyone "s/option inbound_calls 'registrar'/option inbound_calls 'anyone'/"
config limits "s/option max_pinholes_per_host '64'/option max_pinholes_per_host '8'/" \
	"s/option max_new_pinholes_per_second '20'/option max_new_pinholes_per_second '4'/"
alg_start --config "$LAB_DIR/default.config" ||
	{ not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-security; exit 1; }

scenario_privileges
scenario_scanners
scenario_strangers
scenario_slipstreaming
scenario_greedy_host

alg_stop
check "the capacity and limits are in the start-up log" grep -q '^capacity: 4096 bindings, 1024 dialogs; limits: message 8192 bytes, 64 headers' "$LAB_DIR/sipalgd.log"
check "each limit was logged once, not per message" \
	[ "$(grep -c 'passing SIP unchanged: limit max_pinholes_per_host' "$LAB_DIR/sipalgd.log")" -eq 1 ]
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-security${E2E_NAME:+-$E2E_NAME}"
