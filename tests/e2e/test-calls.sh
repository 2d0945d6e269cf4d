#!/bin/sh
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: real calls through the lab router with sipalgd running.
# Each scenario asserts what arrived where: the SIP at the provider, the RTP counted in the
# phones' own namespaces, the pinholes in the router's nftables table.
#
# Usage: sh tests/e2e/test-calls.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

RTP_COUNT=100
PUB=203.0.113.1

# No private address in a message, Call-ID aside (an opaque identifier that must arrive as
# it was sent, RFC 3261 8.1.1.4).
no_private() { ! printf '%s\n' "$1" | grep -vi '^\(call-id\|i\):' | grep -q '192\.168\.'; }

# call CALLER_ROLE CALLER_USER CALLEE_ROLE CALLEE_USER CALLER_PORT CALLEE_PORT NAME [HOLD_MS]
# Places a call with RTP both ways; results in $LAB_DIR/NAME-*.rtp, counters started.
call() {
	rtp_counter_start "$1" "$5"
	rtp_counter_start "$3" "$6"
	lab_sipp_bg "$7-uas" "$3" uas-answer -key rtp_port "$6" \
		-key rtp_stats "$LAB_DIR/$7-callee.rtp" -key rtp_count $RTP_COUNT
	lab_wait_udp "$3" 5060 5 || not_ok "$7: callee listens"
	lab_sipp_bg "$7-uac" "$1" uac-call -s "$4" -key me "$2" -key rtp_port "$5" \
		-key rtp_stats "$LAB_DIR/$7-caller.rtp" -key rtp_count $RTP_COUNT -d "${8:-2500}"
}

# call_done NAME: waits for both ends; 0 when both completed the call.
call_done() {
	lab_wait "$1-uac" 20
	_cd_uac=$?
	lab_wait "$1-uas" 20
	_cd_uas=$?
	lab_wait_file "$LAB_DIR/$1-caller.rtp" 10
	lab_wait_file "$LAB_DIR/$1-callee.rtp" 10
	[ $_cd_uac -eq 0 ] && [ $_cd_uas -eq 0 ]
}

# arrived ROLE PORT: RTP packets counted arriving in ROLE's namespace on PORT; enough means
# at least 90% of what the other side sent.
arrived() { rtp_counter_read "$1" "$2"; }
enough() { [ "${1:-0}" -ge $((RTP_COUNT * 9 / 10)) ]; }

# Media pinholes in the router's maps (signaling bindings are the ones to port 5060).
media_pinholes() { { alg_map dnat_any; alg_map dnat_peer; } | grep -cv '\. 5060 *$'; }
no_dialogs() { alg_status --json | grep -q '"dialogs":\[\]'; }

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-calls; exit 1; }
# shellcheck disable=SC2119 # no extra options
alg_start || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-calls; exit 1; }

echo "--- outbound call, phone1 to far via the provider, media direct"
check "phone1 registers as 1001 through the ALG" lab_register phone1 1001
check "far registers as 2001" lab_register far 2001
reg=$(provider_req REGISTER 1)
check "the REGISTER reached the provider with no private address" no_private "$reg"

call phone1 1001 far 2001 16000 20000 out
sleep 1
status=$(alg_status)
printf '%s\n' "$status" | sed 's/^/     | /'
check "during the call the status view shows its pinholes toward phone1" \
	sh -c 'printf "%s\n" "$1" | grep -q "rtp  0: $2:16000 -> 192.168.1.10:16000 from 203.0.113.20"' _ "$status" "$PUB"
json=$(alg_status --json)
check "the JSON status names the dialog's pinholes" \
	sh -c 'printf "%s" "$1" | grep -q "\"private\":\"192.168.1.10:16000\",\"public_port\":16000,\"from\":\"203.0.113.20\""' _ "$json"
check "the call completes (INVITE, 200, ACK, RTP, BYE, 200)" call_done out

invite=$(provider_req INVITE 1)
check "the INVITE reached the provider with no private address" no_private "$invite"
check "its Contact names the public address" \
	sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:5060>"' _ "$invite" "$PUB"
check "its SDP names the public address and phone1's port" \
	sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 $2" && printf "%s\n" "$1" | grep -q "^m=audio 16000 "' _ "$invite" "$PUB"
at_phone1=$(arrived phone1 16000)
at_far=$(arrived far 20000)
far_from=$(stat_field "$LAB_DIR/out-callee.rtp" sources)
echo "     RTP arrived: phone1 $at_phone1, far $at_far (of $RTP_COUNT each); far heard phone1 from $far_from"
check "far's RTP reached phone1 ($at_phone1 packets)" enough "$at_phone1"
check "phone1's RTP reached far ($at_far packets)" enough "$at_far"
check "phone1's RTP left from the public port its SDP announced (symmetric: $far_from)" \
	[ "${far_from%%/*}" = "$PUB:16000" ]
check "after the BYE no media pinhole is left in nftables" [ "$(media_pinholes)" -eq 0 ]
check "after the BYE the status view lists no dialog" no_dialogs

alg_stop
echo "     took $(($(date +%s) - start)) s"
finish e2e-calls
