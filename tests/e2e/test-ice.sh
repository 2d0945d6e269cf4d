#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sipalg end-to-end: ICE offers and answers through sipalgd (issue 12, item 5), with a python
# user agent on each side (iceua.py) that does ICE's STUN connectivity checks (RFC 8445) on
# the candidates the SDP it received announces, then RTP and RTCP.
# - phone1 offers host candidates only: the far end receives the router's mapping as default
#   destination and as a server-reflexive candidate (no ICE mismatch); its checks to that
#   candidate reach phone1 through the pinholes and are answered; phone1's checks reach it
#   from that same address; RTP and RTCP both ways.
# - The far end offers through the provider and phone1 answers (host candidates only): the
#   same, then the far end (controlling) re-offers naming in a=remote-candidates the
#   candidates it selected, which reach phone1 as its own addresses.
# - phone1 learns its mapping from a STUN server and offers it (srflx): its SDP reaches the
#   far end as it wrote it, sipalgd opens nothing for it, and the checks and media go through
#   the router's plain NAT.
#
# Usage: sh tests/e2e/test-ice.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

PUB=203.0.113.1
COUNT=100

# field FILE NAME: a key=value line of iceua.py's statistics
field() { sed -n "s/^$2=//p" "$1" 2>/dev/null; }
is() { [ "$(field "$1" "$2")" = "$3" ]; }
sdp_has() { grep -qxF "sdp: $2" "$1"; }

# ua NAME ROLE MODE ARGS...: iceua.py in ROLE's namespace, in the background; stats in NAME.stats
ua() {
	_ua_name=$1 _ua_role=$2
	shift 2
	in_ns "$_ua_role" python3 "$LAB_E2E/iceua.py" "$@" --stats "$LAB_DIR/$_ua_name.stats" \
		>"$LAB_DIR/$_ua_name.log" 2>&1 &
}
stats_done() { [ -f "$LAB_DIR/$1.stats" ]; }
# phone_srflx_only FILE: the SDP received holds the phone's two srflx candidates, none of sipalg
phone_srflx_only() { [ "$(grep -c 'typ srflx' "$1")" -eq 2 ] && ! grep -q 'candidate:sipalg' "$1"; }
# no_pinhole IP PORT: no DNAT element of sipalgd leads to IP:PORT
no_pinhole() { ! { alg_map dnat_any; alg_map dnat_peer; } | grep -q "$1 \. $2\b"; }

# media_ok NAME: both components checked, answered, RTP and RTCP all arrived
media_ok() {
	check "$1: its checks on both components were answered, from where they went" is "$LAB_DIR/$1.stats" checks_ok 2
	check "$1: it answered the other side's checks (both components)" \
		[ "$(field "$LAB_DIR/$1.stats" requests_answered)" -ge 2 ]
	check "$1: $COUNT of $COUNT RTP packets arrived" is "$LAB_DIR/$1.stats" rtp_received $COUNT
	check "$1: 5 of 5 RTCP packets arrived" is "$LAB_DIR/$1.stats" rtcp_received 5
}

scenario_phone_offers() {
	echo "--- phone1 offers ICE with host candidates only; the far end answers"
	ua offer-far far uas --user 2001 --rtp-port 6000 --count $COUNT
	lab_wait_udp far 5060 5
	ua offer-phone phone1 uac --user 1001 --to "$LAB_FAR_IP:5060" --ruri "sip:2001@$LAB_FAR_IP" \
		--rtp-port 4000 --count $COUNT
	check "the call completes (BYE answered)" lab_until 40 stats_done offer-phone
	lab_until 5 stats_done offer-far
	far=$LAB_DIR/offer-far.stats phone=$LAB_DIR/offer-phone.stats
	sed -n 's/^sdp: /     | /p' "$far"
	check "the far end sees a default destination that is one of the candidates" is "$far" default_is_candidate 1
	port=$(sed -n 's/^sdp: m=audio \([0-9]*\) .*/\1/p' "$far")
	rtcp=$(sed -n 's/^sdp: a=rtcp:\([0-9]*\).*/\1/p' "$far")
	check "the router's mapping is a server-reflexive candidate of component 1" \
		sdp_has "$far" "a=candidate:sipalg 1 UDP 1694498815 $PUB $port typ srflx raddr $LAB_PHONE1_IP rport 4000"
	check "and of component 2 (RTCP)" \
		sdp_has "$far" "a=candidate:sipalg 2 UDP 1694498814 $PUB $rtcp typ srflx raddr $LAB_PHONE1_IP rport 4001"
	check "phone1's host candidates are kept" \
		sdp_has "$far" "a=candidate:1 1 UDP 2130706431 $LAB_PHONE1_IP 4000 typ host"
	check "the far end's checks to that candidate reached phone1 (from the far end)" \
		is "$phone" request_from "$LAB_FAR_IP:6000"
	check "phone1's checks reached the far end from that candidate" is "$far" request_from "$PUB:$port"
	check "phone1 learns the candidate as its mapping (XOR-MAPPED-ADDRESS)" is "$phone" mapped "$PUB:$port"
	media_ok offer-phone
	media_ok offer-far
	check "sipalgd opened the call's media" grep -q "^media-open call=$(field "$phone" call_id) " "$LAB_DIR/sipalgd.log"
	check "and closed it at the BYE" lab_until 3 no_pinhole "$LAB_PHONE1_IP" 4000
}

scenario_phone_answers() {
	echo "--- the far end offers ICE through the provider; phone1 answers; the far end re-offers"
	check "phone1 registers as 1001" lab_register phone1 1001 300
	ua answer-phone phone1 uas --user 1001 --rtp-port 4010 --count $COUNT
	lab_wait_udp phone1 5060 5
	ua answer-far far uac --user 2001 --to "$LAB_PROVIDER_IP:5060" --ruri "sip:1001@$LAB_PROVIDER_IP" \
		--rtp-port 6010 --count $COUNT --reoffer
	check "the call completes (BYE answered)" lab_until 40 stats_done answer-far
	lab_until 5 stats_done answer-phone
	far=$LAB_DIR/answer-far.stats phone=$LAB_DIR/answer-phone.stats
	check "the far end sees a default destination that is one of the candidates" is "$far" default_is_candidate 1
	port=$(sed -n 's/^sdp: m=audio \([0-9]*\) .*/\1/p' "$far")
	check "the router's mapping is a server-reflexive candidate" \
		sdp_has "$far" "a=candidate:sipalg 1 UDP 1694498815 $PUB $port typ srflx raddr $LAB_PHONE1_IP rport 4010"
	check "the far end's checks reached phone1" is "$phone" request_from "$LAB_FAR_IP:6010"
	media_ok answer-phone
	media_ok answer-far
	check "the re-offer is answered (200)" is "$far" reinvite 200
	check "its a=remote-candidates reach phone1 naming phone1's own address and ports" \
		is "$phone" remote_candidates "1,$LAB_PHONE1_IP,4010,2,$LAB_PHONE1_IP,4011"
}

scenario_phone_traverses() {
	echo "--- phone1 learns its mapping with STUN and offers it (srflx): sipalgd leaves it alone"
	ua stun-far far uas --user 2001 --rtp-port 6020 --count $COUNT --stun-port 3478 --wait-for-check
	lab_wait_udp far 3478 5
	ua stun-phone phone1 uac --user 1001 --to "$LAB_FAR_IP:5060" --ruri "sip:2001@$LAB_FAR_IP" \
		--rtp-port 4020 --count $COUNT --stun "$LAB_FAR_IP:3478"
	check "the call completes (BYE answered)" lab_until 40 stats_done stun-phone
	lab_until 5 stats_done stun-far
	far=$LAB_DIR/stun-far.stats phone=$LAB_DIR/stun-phone.stats
	sed -n 's/^sdp: /     | /p' "$far"
	check "the SDP arrives as phone1 wrote it (its origin line still private)" \
		sdp_has "$far" "o=- 4242 2 IN IP4 $LAB_PHONE1_IP"
	check "with phone1's own server-reflexive candidate, no other" \
		phone_srflx_only "$far"
	check "the far end sees a default destination that is one of the candidates" is "$far" default_is_candidate 1
	check "sipalgd opened nothing for the call" \
		not grep -q "^media-open call=$(field "$phone" call_id) " "$LAB_DIR/sipalgd.log"
	media_ok stun-phone
	media_ok stun-far
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-ice; exit 1; }
alg_start --log-level debug || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-ice; exit 1; }
scenario_phone_offers
scenario_phone_answers
scenario_phone_traverses
alg_stop
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-ice${E2E_NAME:+-$E2E_NAME}"
