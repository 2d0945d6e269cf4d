# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Calls through the lab with RTP both ways, and what the ALG holds for them. Sourced after
# lab.sh and alg.sh; RTP_COUNT is the packets each side sends (20 ms apart).
: "${RTP_COUNT:=100}"

# call CALLER_ROLE CALLER_USER CALLEE_ROLE CALLEE_USER CALLER_PORT CALLEE_PORT NAME [HOLD_MS
#      [CALLER_TRANSPORT CALLEE_TRANSPORT]]
# Places a call with RTP both ways; results in $LAB_DIR/NAME-*.rtp, counters started. The
# transports are sipp's -t (u1 by default; t1, tn: SIP over TCP, see sipp_tcp_scenarios).
call() {
	rtp_counter_start "$1" "$5"
	rtp_counter_start "$3" "$6"
	lab_sipp_bg "$7-uas" "$3" uas-answer -t "${10:-u1}" -max_socket 100 -key rtp_port "$6" \
		-key rtp_stats "$LAB_DIR/$7-callee.rtp" -key rtp_count "$RTP_COUNT"
	case ${10:-u1} in
	u*) lab_wait_udp "$3" 5060 5 ;;
	*) lab_wait_tcp "$3" 5060 5 ;;
	esac || not_ok "$7: callee listens"
	lab_sipp_bg "$7-uac" "$1" uac-call -t "${9:-u1}" -max_socket 100 -s "$4" -key me "$2" -key rtp_port "$5" \
		-key rtp_stats "$LAB_DIR/$7-caller.rtp" -key rtp_count "$RTP_COUNT" -d "${8:-2500}"
}

# sipp_tcp_scenarios: the lab's sipp scenarios for SIP over TCP, in $LAB_DIR/sipp-tcp, used
# from then on. Every Contact says transport=tcp, so that requests to it come over TCP too
# (a phone's sipp listens on TCP only then), naming the port the phone listens on (sipp's
# [local_port] over TCP is its connection's ephemeral port).
sipp_tcp_scenarios() {
	LAB_SIPP_DIR=$LAB_DIR/sipp-tcp
	mkdir -p "$LAB_SIPP_DIR"
	for f in "$LAB_E2E"/sipp/*.xml; do
		sed -e '/^ *Contact: /s/\[local_port\]/5060/' \
			-e 's/^\( *Contact: <sip:[^>]*\)>/\1;transport=[transport]>/' "$f" >"$LAB_SIPP_DIR/${f##*/}"
	done
	cp "$LAB_E2E"/sipp/*.dtd "$LAB_SIPP_DIR/" 2>/dev/null || true
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
