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

# Media pinholes in the router's maps: the elements toward neither port 5060 nor a signaling
# binding the status view lists (over TCP a phone's Via may name its connection's port).
media_pinholes() {
	alg_status --json 2>/dev/null | python3 -c 'import json, sys
for b in json.load(sys.stdin)["signaling"]: print(b["private"].replace(":", " . "))' \
		>"$LAB_DIR/signaling.list" 2>/dev/null
	echo '* . 5060' >>"$LAB_DIR/signaling.list" # what the daemon no longer lists when it is gone
	{ alg_map dnat_any; alg_map dnat_peer; } | sed -e 's/.* : //' -e 's/ *$//' -e 's/[0-9.]* \. 5060$/* . 5060/' |
		grep -cvxF -f "$LAB_DIR/signaling.list"
}
no_dialogs() { alg_status --json | grep -q '"dialogs":\[\]'; }

# pinhole_for PRIV_IP:PORT: the status view lists a media pinhole toward it.
pinhole_for() { alg_status | grep -q "rtp  0: .* -> $1 from"; }

both_zero() { [ "$1" -eq 0 ] && [ "$2" -eq 0 ]; }

# hold_and_move TRANSPORT: phone1 (on sipp transport TRANSPORT) calls far, holds, resumes by
# re-INVITE and moves its media to another port.
hold_and_move() {
	echo "--- hold and resume by re-INVITE; the resume moves phone1's media to another port (sipp -t $1)"
	rtp_counter_start phone1 16000
	rtp_counter_start phone1 16002
	rtp_counter_start far 20000
	lab_sipp_bg reinv-uas far uas-reinvite -key rtp_port 20000 \
		-key rtp_stats "$LAB_DIR/reinv-callee.rtp" -key rtp_count "$RTP_COUNT"
	lab_wait_udp far 5060 5 || not_ok "reinv: far listens"
	lab_sipp_bg reinv-uac phone1 uac-reinvite -t "$1" -max_socket 100 -s 2001 -key me 1001 -key rtp_port 16000 \
		-key rtp_port2 16002 -key rtp_stats "$LAB_DIR/reinv-caller.rtp" -key rtp_count "$RTP_COUNT"
	sleep 2.5 # on hold since t0 + 1 s
	check "on hold, phone1's pinhole stays open" pinhole_for "$LAB_PHONE1_IP:16000"
	lab_wait reinv-uac 30
	uac=$?
	lab_wait reinv-uas 30
	uas=$?
	check "the call with hold, resume and a port change completes" both_zero $uac $uas
	lab_wait_file "$LAB_DIR/reinv-callee.rtp.2" 10
	before=$(arrived phone1 16000)
	after=$(arrived phone1 16002)
	at_far=$(arrived far 20000)
	moved_from=$(stat_field "$LAB_DIR/reinv-callee.rtp.2" sources)
	echo "     RTP at phone1: $before on 16000 before the move, $after on 16002 after; at far: $at_far of $((RTP_COUNT * 2))"
	check "far's RTP reached phone1 before the move ($before packets)" enough "$before"
	check "far's RTP reached phone1 on its new port after the move ($after packets)" enough "$after"
	check "phone1's RTP reached far in both phases ($at_far packets)" [ "${at_far:-0}" -ge $((RTP_COUNT * 18 / 10)) ]
	check "after the move phone1's RTP left from the new public port ($moved_from)" \
		[ "${moved_from%%/*}" = "$LAB_WAN_IP:16002" ]
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# cancel_and_busy TRANSPORT: phone1's call cancelled while ringing, then one answered 486.
cancel_and_busy() {
	echo "--- a call cancelled while ringing, and a call answered 486 Busy (sipp -t $1)"
	lab_sipp_bg cancel-uas far uas-ring
	lab_wait_udp far 5060 5 || not_ok "cancel: far listens"
	lab_sipp_bg cancel-uac phone1 uac-cancel -t "$1" -max_socket 100 -s 2001 -key me 1001 -key rtp_port 16000
	# it rings for 3 s before the CANCEL
	check "while it rings, phone1's pinhole is open (early media)" \
		lab_until 2 pinhole_for "$LAB_PHONE1_IP:16000"
	lab_wait cancel-uac 20
	uac=$?
	lab_wait cancel-uas 20
	uas=$?
	check "the INVITE, CANCEL, 487 and ACK complete" both_zero $uac $uas
	check "after the CANCEL no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]

	lab_sipp_bg busy-uas far uas-busy
	lab_wait_udp far 5060 5 || not_ok "busy: far listens"
	lab_sipp busy-uac phone1 uac-busy -t "$1" -max_socket 100 -s 2001 -key me 1001 -key rtp_port 16000
	uac=$?
	lab_wait busy-uas 20
	uas=$?
	check "the INVITE, 486 and ACK complete" both_zero $uac $uas
	check "after the 486 no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
	check "and the status view lists no dialog" no_dialogs
}
