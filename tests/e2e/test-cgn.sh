#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end behind another NAT (issue 12, item 6): the lab router's WAN is
# 100.64.0.2 behind a carrier-grade NAT namespace (masquerade, UDP conntrack timeout 10 s)
# that owns 203.0.113.1; the provider does far-end NAT handling (kamailio nathelper,
# rtpengine). Asserted: sipalgd says it is behind another NAT; with no public address known it
# writes none (the provider sees what the phone wrote) and calls have two-way audio through
# the provider's relay; keep-alives keep a registered phone reachable after the CGN's timeout
# (and without them it is not), and after sipalgd is killed and started again (the registrar's
# address is in its state file); with a STUN server it learns 203.0.113.1 and writes it.
#
# Usage: sh tests/e2e/test-cgn.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
LAB_CGN=1
LAB_PROVIDER_NAT=1
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

RTP_COUNT=200 # a latching relay loses the first packets before the phone's open the outer NAT
PUB=$LAB_WAN_IP   # the CGN's public address
IDLE=16           # longer than the CGN's UDP timeout (10 s)

# The router's public port of a phone's signaling binding (status JSON).
public_port_of() {
	alg_status --json | sed -n "s/.*\"private\":\"$1:5060\",\"public_port\":\([0-9]*\).*/\1/p"
}

# cgn_maps PORT: the CGN holds a UDP flow from the router's public port PORT to the provider.
cgn_maps() {
	in_ns cgn conntrack -L -p udp -s "$LAB_CGN_WAN_IP" 2>/dev/null | grep -q "sport=$1 dport=5060"
}

# status_has [--json] PATTERN: the status view (or its JSON) matches the grep pattern.
status_has() {
	if [ "$1" = --json ]; then
		shift
		alg_status --json | grep -q "$1"
	else
		alg_status | grep -q "$1"
	fi
}

restart_alg() {
	alg_kill TERM
	rm -f "$(alg_state)"
	alg_start "$@" || { not_ok "sipalgd starts with $*"; cat "$LAB_DIR/sipalgd.log"; return 1; }
}

scenario_detected() {
	echo "--- the router is behind another NAT, no public address known"
	status=$(alg_status)
	printf '%s\n' "$status" | sed -n '1,4p' | sed 's/^/     | /'
	check "status says so: behind another NAT, public address unknown" \
		sh -c 'printf "%s\n" "$1" | grep -q "^behind another NAT (WAN address 100.64.0.2 is private): public address unknown"' _ "$status"
	check "the log says so once, after a start line that says public unknown" sh -c \
		'grep -q "^started: queue 0, wan wan0 (public unknown)" "$1" && [ "$(grep -c "^behind another NAT" "$1")" -eq 1 ]' \
		_ "$LAB_DIR/sipalgd.log"
	check "the JSON status: public_source unknown" status_has --json '"behind_nat":true,"public_source":"unknown"'
}

scenario_outbound_unknown() {
	echo "--- outbound call, public address unknown: the provider's NAT handling does the rest"
	check "phone1 registers as 1001" lab_register phone1 1001
	check "far registers as 2001" lab_register far 2001
	reg=$(provider_req REGISTER 1)
	check "the REGISTER reached the provider as phone1 wrote it (Contact 192.168.1.10, nothing of 100.64)" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@192.168.1.10:5060>" && ! printf "%s\n" "$1" | grep -q "100\.64\."' _ "$reg"
	check "it came from the CGN's public address" [ "$(provider_req_from REGISTER 1)" = "$PUB:5060" ]
	check "the registrar's 2xx registered phone1's binding" \
		status_has --json '"private":"192.168.1.10:5060","public_port":5060,"registered":true'
	call phone1 1001 far 2001 16000 20000 out
	check "the call completes (INVITE, 200, ACK, RTP, BYE, 200)" call_done out
	rtp_both out phone1 16000 far 20000
	invite=$(provider_req INVITE 1)
	check "the INVITE's SDP is as phone1 wrote it (c=IN IP4 192.168.1.10)" \
		sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 192.168.1.10"' _ "$invite"
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# incoming NAME: far calls phone2 (registered) after IDLE seconds of silence.
incoming_after_idle() {
	check "phone2 registers as 1002" lab_register phone2 1002 300
	echo "     idle ${IDLE}s (the CGN's UDP timeout is 10 s)"
	sleep "$IDLE"
	call far 2001 phone2 1002 20000 16000 "$1"
}

scenario_incoming_keepalive() {
	echo "--- incoming call after idle, keep-alives every 3 s"
	incoming_after_idle inka
	p2=$(public_port_of "$LAB_PHONE2_IP")
	check "the CGN still maps phone2's public port ($p2, kept by the keep-alives alone)" cgn_maps "${p2:-none}"
	check "far's call reaches phone2 and completes" call_done inka
	rtp_both inka far 20000 phone2 16000
	sent=$(alg_status --json | sed -n 's/.*"keepalives":\([0-9]*\).*/\1/p')
	check "status counts the keep-alives sent ($sent)" [ "${sent:-0}" -ge 3 ]
}

# keepalive_count_from PORT: count from now on the keep-alives (CRLF CRLF: a UDP length of 12)
# that the CGN forwards from the router's public port PORT to the provider; keepalives_from
# PORT: how many so far.
keepalive_count_from() {
	in_ns cgn nft delete table ip labka 2>/dev/null
	in_ns cgn nft -f - <<EOF
table ip labka {
	chain forward {
		type filter hook forward priority filter - 10; policy accept;
		ip saddr $LAB_CGN_WAN_IP udp sport $1 udp dport 5060 udp length 12 counter
	}
}
EOF
}
keepalives_from() {
	in_ns cgn nft list table ip labka | sed -n "s/.*udp sport $1 .* counter packets \([0-9]*\) .*/\1/p"
}

scenario_restart_keepalive() {
	echo "--- sipalgd killed (SIGKILL) and started again: keep-alives resume from the state file"
	p2=$(public_port_of "$LAB_PHONE2_IP")
	regs=$(provider_log_count REGISTER)
	check "the state file names phone2's registrar (where its keep-alives go)" \
		lab_until 3 grep -q "^binding sig $LAB_PHONE2_IP:5060 ${p2:-none} .* 1 [0-9]* [0-9.]*:5060\$" "$(alg_state)"
	grep "^binding sig $LAB_PHONE2_IP:5060 " "$(alg_state)" | sed 's/^/     | /'
	alg_kill KILL
	check "sipalgd starts again" alg_start --keepalive 3 || return
	check "it restored the registrations" grep -q "^restored 2 registrations " "$LAB_DIR/sipalgd.log"
	keepalive_count_from "${p2:-0}"
	echo "     idle ${IDLE}s (the CGN's UDP timeout is 10 s)"
	sleep "$IDLE"
	n=$(keepalives_from "${p2:-0}")
	check "the CGN forwarded keep-alives from phone2's public port $p2 to the registrar (${n:-0} in ${IDLE}s)" \
		[ "${n:-0}" -ge 4 ]
	check "the CGN still maps phone2's public port ($p2)" cgn_maps "${p2:-none}"
	call far 2001 phone2 1002 20000 16000 inrst
	check "far's call reaches phone2 and completes" call_done inrst
	rtp_both inrst far 20000 phone2 16000
	check "no phone registered again ($(provider_log_count REGISTER) REGISTERs at the provider, $regs before the kill)" \
		[ "$(provider_log_count REGISTER)" -eq "$regs" ]
}

scenario_incoming_no_keepalive() {
	echo "--- the same without keep-alives (keepalive_interval 0): the CGN forgets phone2"
	restart_alg --keepalive 0 || return
	lab_until 20 sh -c '! in_ns cgn conntrack -L -p udp -s "$1" 2>/dev/null | grep -q "sport=5060"' _ "$LAB_CGN_WAN_IP"
	incoming_after_idle inno
	p2=$(public_port_of "$LAB_PHONE2_IP")
	check "phone2 has a public port ($p2)" [ -n "$p2" ]
	check "the CGN no longer maps it" not cgn_maps "${p2:-none}"
	check "far's call does not reach phone2" not call_done inno
	check "phone2 heard nothing" [ "$(arrived phone2 16000)" -eq 0 ]
}

scenario_stun() {
	echo "--- with a STUN server: the public address is learned and written"
	restart_alg --keepalive 3 --stun-server "$LAB_STUN_IP:3478" || return
	check "status: public address 203.0.113.1 learned by STUN" \
		lab_until 15 status_has '^behind another NAT (WAN address 100.64.0.2 is private): public address 203.0.113.1, learned by STUN'
	alg_status | sed -n '2,3p' | sed 's/^/     | /'
	check "the log says it" grep -q '^public address changed: 100.64.0.2 -> 203.0.113.1' "$LAB_DIR/sipalgd.log"
	n=$(($(provider_log_count REGISTER) + 1))
	check "phone1 registers as 1001" lab_register phone1 1001
	reg=$(provider_req REGISTER "$n")
	check "its REGISTER names the learned public address (Contact 203.0.113.1:5060)" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@203.0.113.1:5060>"' _ "$reg"
	call phone1 1001 far 2001 16000 20000 stun
	check "the call completes" call_done stun
	rtp_both stun phone1 16000 far 20000
	invite=$(provider_req INVITE "$(provider_log_count INVITE)")
	check "its SDP names the public address and phone1's port" \
		sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 203.0.113.1" && printf "%s\n" "$1" | grep -q "^m=audio 16000 "' _ "$invite"
}

# How many METHOD requests reached the provider so far.
provider_log_count() { tr -d '\r' <"$(provider_log)" | grep -c "SIPALG-LAB-REQ $1 "; }

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-cgn; exit 1; }
alg_start --keepalive 3 || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-cgn; exit 1; }

scenario_detected
scenario_outbound_unknown
scenario_incoming_keepalive
scenario_restart_keepalive
scenario_incoming_no_keepalive
scenario_stun

alg_stop
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-cgn${E2E_NAME:+-$E2E_NAME}"
