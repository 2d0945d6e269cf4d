# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Calls through the lab with RTP both ways, and what the ALG holds for them. Sourced after
# lab.sh and alg.sh; RTP_COUNT is the packets each side sends (20 ms apart).
: "${RTP_COUNT:=100}"

# call CALLER_ROLE CALLER_USER CALLEE_ROLE CALLEE_USER CALLER_PORT CALLEE_PORT NAME [HOLD_MS]
# Places a call with RTP both ways; results in $LAB_DIR/NAME-*.rtp, counters started.
call() {
	rtp_counter_start "$1" "$5"
	rtp_counter_start "$3" "$6"
	lab_sipp_bg "$7-uas" "$3" uas-answer -key rtp_port "$6" \
		-key rtp_stats "$LAB_DIR/$7-callee.rtp" -key rtp_count "$RTP_COUNT"
	lab_wait_udp "$3" 5060 5 || not_ok "$7: callee listens"
	lab_sipp_bg "$7-uac" "$1" uac-call -s "$4" -key me "$2" -key rtp_port "$5" \
		-key rtp_stats "$LAB_DIR/$7-caller.rtp" -key rtp_count "$RTP_COUNT" -d "${8:-2500}"
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

# rtp_both NAME CALLER_ROLE CALLER_PORT CALLEE_ROLE CALLEE_PORT: both ends heard the other.
rtp_both() {
	_rb_a=$(arrived "$2" "$3")
	_rb_b=$(arrived "$4" "$5")
	echo "     $1: RTP arrived at $2:$3 $_rb_a, at $4:$5 $_rb_b (of $RTP_COUNT each)"
	check "$1: $4's RTP reached $2 ($_rb_a packets)" enough "$_rb_a"
	check "$1: $2's RTP reached $4 ($_rb_b packets)" enough "$_rb_b"
}

# Media pinholes in the router's maps (signaling bindings are the ones to port 5060).
media_pinholes() { { alg_map dnat_any; alg_map dnat_peer; } | grep -cv '\. 5060 *$'; }
no_dialogs() { alg_status --json | grep -q '"dialogs":\[\]'; }

# pinhole_for PRIV_IP:PORT: the status view lists a media pinhole toward it.
pinhole_for() { alg_status | grep -q "rtp  0: .* -> $1 from"; }
