#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
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
. "$LAB_E2E/calls.sh"

RTP_COUNT=100
PUB=203.0.113.1

# No private address in a message, Call-ID aside (an opaque identifier that must arrive as
# it was sent, RFC 3261 8.1.1.4).
no_private() { ! printf '%s\n' "$1" | grep -vi '^\(call-id\|i\):' | grep -q '192\.168\.'; }
# held_as_listed JSON: the status's "held" counts what its listings hold (scripts read them when
# the listings overflow the reply), with a dialog or more.
held_as_listed() {
	printf '%s' "$1" | python3 -c 'import json, sys
s = json.load(sys.stdin)
h = s["held"]
pinholes = sum(len(d["pinholes"]) for d in s["dialogs"])
listed = (len(s["signaling"]), sum(b["registered"] for b in s["signaling"]), pinholes, len(s["dialogs"]))
sys.exit(0 if (h["signaling"], h["registered"], h["pinholes"], h["dialogs"]) == listed and h["dialogs"] >= 1 else 1)'
}

scenario_outbound() {
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
	check "the status's held counts are its listing's (a dialog or more, each pinhole)" held_as_listed "$json"
	check "the call completes (INVITE, 200, ACK, RTP, BYE, 200)" call_done out

	invite=$(provider_req INVITE 1)
	check "the INVITE reached the provider with no private address" no_private "$invite"
	check "its Contact names the public address" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:5060>"' _ "$invite" "$PUB"
	check "its SDP names the public address and phone1's port" \
		sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 $2" && printf "%s\n" "$1" | grep -q "^m=audio 16000 "' _ "$invite" "$PUB"
	rtp_both out phone1 16000 far 20000
	far_from=$(stat_field "$LAB_DIR/out-callee.rtp" sources)
	check "phone1's RTP left from the public port its SDP announced (symmetric: $far_from)" \
		[ "${far_from%%/*}" = "$PUB:16000" ]
	check "after the BYE no media pinhole is left in nftables" [ "$(media_pinholes)" -eq 0 ]
	check "after the BYE the status view lists no dialog" no_dialogs
}

scenario_incoming_after_timeout() {
	echo "--- incoming call to registered phone2, after the router's conntrack forgot it"
	check "phone2 registers as 1002" lab_register phone2 1002 300
	check "the router's conntrack forgets phone2's signaling flow (UDP timeout 5 s)" \
		lab_conntrack_forgets "$LAB_PHONE2_IP" 20
	call far 2001 phone2 1002 20000 16000 in
	check "far's call reaches phone2 through the provider and completes" call_done in
	rtp_both in far 20000 phone2 16000
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

scenario_same_port() {
	echo "--- phone1 and phone2 announce the same RTP port in simultaneous calls"
	check "far2 registers as 2002" lab_register far2 2002
	call phone1 1001 far 2001 16000 20000 same1
	sleep 0.3
	call phone2 1002 far2 2002 16000 20000 same2
	check "phone1's call completes" call_done same1
	check "phone2's call completes" call_done same2
	rtp_both same1 phone1 16000 far 20000
	rtp_both same2 phone2 16000 far2 20000
	m1=$(stat_field "$LAB_DIR/same1-callee.rtp" sources)
	m2=$(stat_field "$LAB_DIR/same2-callee.rtp" sources)
	echo "     far heard phone1 from $m1, far2 heard phone2 from $m2"
	check "the two calls use different public media ports" [ "${m1%%/*}" != "${m2%%/*}" ]
	check "after both BYEs no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

scenario_lan_to_lan() {
	echo "--- phone1 calls phone2 through the provider (both behind the ALG)"
	call phone1 1001 phone2 1002 16000 16000 lan
	check "the call between the two LAN phones completes" call_done lan
	rtp_both lan phone1 16000 phone2 16000
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# The daemon's last start restored one call from its state file, and no media pinhole is
# left within 30 s.
restored_call_closes() {
	grep -q '^restored [0-9]* registrations\{0,1\} and 1 call from ' "$LAB_DIR/sipalgd.log" && pinholes_gone 30
}

scenario_daemon_killed() {
	echo "--- the daemon is killed during a call, then restarted"
	call phone1 1001 far 2001 16000 20000 kill 4000
	sleep 1
	# the daemon writes its state file within a second of a change: the answered call is in it
	lab_until 3 grep -q '^dialog [0-9]* 1 1 ' "$(alg_state)"
	alg_kill KILL
	check "with the daemon dead the call still completes (queue bypass)" call_done kill
	rtp_both kill phone1 16000 far 20000
	check "sipalgd restarts" alg_start --config "$LAB_DIR/test.config"
	# It restores what its state file held (tests/e2e/test-restart.sh); the call's BYE passed
	# while it was down, so the call it restored ends by the media timeout (5 s here).
	check "the restarted daemon restored the call, which ended while it was down, and closes it (media timeout)" \
		restored_call_closes
	check "phone1 registers again" lab_register phone1 1001
	call phone1 1001 far 2001 16000 20000 after
	check "a new call after the restart completes" call_done after
	rtp_both after phone1 16000 far 20000
}

scenario_hold_and_move() { hold_and_move u1; }
scenario_cancel_and_busy() { cancel_and_busy u1; }

# ns_kill ROLE NAME: kills the processes called NAME in ROLE's namespace (only there).
ns_kill() {
	for _nk_pid in $(ip netns pids "$(lab_ns "$1")"); do
		[ "$(cat "/proc/$_nk_pid/comm" 2>/dev/null)" = "$2" ] && kill "$_nk_pid" 2>/dev/null
	done
	return 0
}

# pinholes_gone SECONDS: waits until the maps hold no media pinhole.
no_media_pinholes() { [ "$(media_pinholes)" -eq 0 ]; }
pinholes_gone() { lab_until "$1" no_media_pinholes; }

scenario_media_stops() {
	echo "--- both phones vanish mid-call, no BYE: the media timeout closes the pinholes"
	call phone1 1001 far 2001 16000 20000 silent 60000
	sleep 3.5
	check "the answered call's pinholes are open" [ "$(media_pinholes)" -gt 0 ]
	ns_kill phone1 sipp
	ns_kill far sipp
	t0=$(date +%s)
	check "once media stops, the pinholes close by themselves (media_timeout '5' in the config)" pinholes_gone 40
	echo "     closed $(($(date +%s) - t0)) s after the phones vanished (conntrack UDP timeout 10 s + media_timeout '5')"
	check "and the status view lists no dialog" no_dialogs
}

# stranger_invite ROLE: an INVITE sent from ROLE straight to phone1's public SIP port.
stranger_invite() {
	in_ns "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
msg = ("INVITE sip:1001@%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:5099;branch=z9hG4bKstranger\r\n"
       "From: <sip:scanner@%s>;tag=1\r\nTo: <sip:1001@%s>\r\nCall-ID: stranger\r\n"
       "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n") % (sys.argv[2], sys.argv[1], sys.argv[1], sys.argv[2])
s.sendto(msg.encode(), (sys.argv[2], 5060))' "$(lab_ip "$1")" "$PUB"
}

scenario_bad_config() {
	echo "--- a bad setting stops sipalgd before it changes anything"
	sed "s/option media_timeout '60'/option media_timeout 'soon'/" \
		"$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" >"$LAB_DIR/bad.config"
	out=$(in_ns router "$SIPALGD" --wan wan0 --lan lan0 --config "$LAB_DIR/bad.config" \
		--control "$LAB_DIR/bad.sock" 2>&1)
	rc=$?
	echo "     sipalgd said: $out"
	check "it exits with status 2 (got $rc)" [ $rc -eq 2 ]
	check "its message names the option and the value" \
		sh -c 'printf "%s" "$1" | grep -q "option media_timeout '"'"'soon'"'"'"' _ "$out"
	check "no nftables table was created" sh -c '! "$@" >/dev/null 2>&1' _ in_ns router nft list table ip sipalg
}

scenario_inbound_policy() {
	echo "--- requests to a registered phone: from its registrar only (default), or from anyone"
	check "phone1 registers as 1001" lab_register phone1 1001
	check "its signaling binding takes requests from the registrar only" \
		sh -c 'printf "%s" "$1" | grep -q "\"private\":\"192.168.1.10:5060\",[^}]*\"from\":\"203.0.113.10\""' \
		_ "$(alg_status --json)"
	rtp_counter_start phone1 5060
	stranger_invite far2
	sleep 0.5
	check "a stranger's INVITE to phone1's public SIP port does not reach phone1 ($(arrived phone1 5060) packets)" \
		[ "$(arrived phone1 5060)" -eq 0 ]
	sed "s/option inbound_calls 'registrar'/option inbound_calls 'anyone'/" \
		"$LAB_DIR/test.config" >"$LAB_DIR/anyone.config"
	alg_kill TERM
	check "sipalgd restarts with inbound_calls 'anyone'" alg_start --config "$LAB_DIR/anyone.config"
	check "phone1 registers again" lab_register phone1 1001
	rtp_counter_start phone1 5060
	stranger_invite far2
	sleep 0.5
	check "now the stranger's INVITE reaches phone1 ($(arrived phone1 5060) packets)" \
		[ "$(arrived phone1 5060)" -ge 1 ]

	echo "--- reload (SIGHUP) during a call: back to 'registrar', the call keeps its audio"
	call phone1 1001 far 2001 16000 20000 reload 4000
	sleep 1
	cp "$LAB_DIR/test.config" "$LAB_DIR/anyone.config"
	kill -HUP "$ALG_PID"
	sleep 0.5
	check "after the reload the call's pinhole is still there" pinhole_for "$LAB_PHONE1_IP:16000"
	check "the call completes" call_done reload
	rtp_both reload phone1 16000 far 20000
	check "phone1 registers again" lab_register phone1 1001
	rtp_counter_start phone1 5060
	stranger_invite far2
	sleep 0.5
	check "with 'registrar' reloaded, the stranger's INVITE is kept out again ($(arrived phone1 5060) packets)" \
		[ "$(arrived phone1 5060)" -eq 0 ]
	echo "option media_timeout 'soon'" >>"$LAB_DIR/anyone.config"
	kill -HUP "$ALG_PID"
	sleep 0.5
	check "a reload with a bad value keeps the daemon running" kill -0 "$ALG_PID"
	check "and says so, naming the option" grep -q "option media_timeout 'soon'.*keeping the running settings" \
		"$LAB_DIR/sipalgd.log"
}

# binding_to "IP . PORT": a DNAT element of the daemon's maps leads there.
binding_to() { { alg_map dnat_any; alg_map dnat_peer; } | grep -qF ": $1"; }

scenario_firewall_flushed() {
	echo "--- every table deleted, as OpenWrt's 'service firewall stop' (fw4 flush) does"
	check "phone2 registers as 1002" lab_register phone2 1002
	in_ns router sh -c 'nft list tables | while read -r _ family table; do nft delete table "$family" "$table"; done'
	check "sipalgd rebuilds its table with phone2's registration (it looks every 5 s)" \
		lab_until 15 binding_to "$LAB_PHONE2_IP . 5060"
	# what fw4 does when it starts again: its own rules, then the included diversion
	in_ns router nft -f "$LAB_E2E/router-fw.nft"
	alg_divert
	check "the conntrack forgets phone2's signaling flow" lab_conntrack_forgets "$LAB_PHONE2_IP" 20
	call far 2001 phone2 1002 20000 16000 flushed
	check "an incoming call to phone2 works again" call_done flushed
	rtp_both flushed far 20000 phone2 16000
}

scenario_wan_renumbered() {
	echo "--- the WAN address changes (DHCP renumbering) during a call"
	call phone1 1001 far 2001 16000 20000 midcall 5000
	sleep 2
	in_ns router ip addr del "$PUB/24" dev wan0
	in_ns router ip addr add 203.0.113.2/24 dev wan0
	# Documented outcome: the call keeps the address its SDP announced, which the router no
	# longer has, so its media stops; its signaling still ends it and nothing is left behind.
	check "the call in progress still ends cleanly (BYE answered)" call_done midcall
	check "and leaves no pinhole" pinholes_gone 5
	check "sipalgd still runs" kill -0 "$ALG_PID"
	check "the status view shows the new public address" \
		sh -c 'printf "%s" "$1" | grep -q "\"public\":\"203.0.113.2\""' _ "$(alg_status --json)"
	check "phone1 registers again" lab_register phone1 1001
	n=$(grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)")
	check "its REGISTER arrives from and names the new address" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@203.0.113.2:5060>"' _ "$(provider_req REGISTER "$n")"
	call phone1 1001 far 2001 16000 20000 renum
	check "a call on the new address completes" call_done renum
	rtp_both renum phone1 16000 far 20000
}

# With queues 2 (SIPALG_QUEUES: the ThreadSanitizer run), both queue threads must take
# packets at once: NFQUEUE balances flows by addresses, so INVITEs from 16 LAN addresses at
# once (bench/sipload, paced) spread over both queues (all on one: a chance of 2^-15).
scenario_both_queues() {
	echo "--- 16 LAN hosts at once, over ${SIPALG_QUEUES} queues"
	pids=
	for i in $(seq 40 55); do
		ip -n "$(lab_ns phone1)" addr add "192.168.1.$i/24" dev eth0
		in_ns phone1 "$SIPALG_TOP/build/bench/sipload" send --from "192.168.1.$i:5060" --to "$LAB_FAR_IP:5060" \
			--calls 2 --seconds 2 --rate 100 >/dev/null 2>&1 &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p"; done
	check "sipalgd still runs" kill -0 "$ALG_PID"
}

# queue_packets N: the packets queue N took, from the daemon's last stop line for it.
queue_packets() { sed -n "s/^queue $1: \([0-9]*\) packets;.*/\1/p" "$LAB_DIR/sipalgd.log" | tail -n 1; }

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-calls; exit 1; }
scenario_bad_config
# A short media timeout, to see it work within the test: set in the config file, as on a router.
sed "s/option media_timeout '60'/option media_timeout '5'/" "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" \
	>"$LAB_DIR/test.config"
alg_start --config "$LAB_DIR/test.config" || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-calls; exit 1; }

scenario_outbound
scenario_incoming_after_timeout
scenario_same_port
scenario_lan_to_lan
scenario_hold_and_move
scenario_cancel_and_busy
scenario_daemon_killed
scenario_media_stops
scenario_inbound_policy
scenario_firewall_flushed
scenario_wan_renumbered
if [ "${SIPALG_QUEUES:-1}" -gt 1 ]; then scenario_both_queues; fi

alg_stop
echo "--- the log: one line per notable event"
grep -m 1 '^started:' "$LAB_DIR/sipalgd.log" | sed 's/^/     /'
check "it starts with the effective settings" \
	grep -q '^started: queue 0, wan wan0 (public 203.0.113.1), lan lan0 (1 network), media ports 16384-32767, inbound calls from the registrar, media timeout 5s' "$LAB_DIR/sipalgd.log"
check "it notes registrations" grep -q '^registered 192.168.1.10:5060 -> 203.0.113.1:5060 expires=300' "$LAB_DIR/sipalgd.log"
check "calls set up and torn down" sh -c 'grep -q "^answered call=" "$1" && grep -q "^media-close call=.* reason=BYE" "$1" && grep -q "^media-close call=.* reason=486" "$1"' _ "$LAB_DIR/sipalgd.log"
check "and the WAN address change" grep -q '^public address changed: 203.0.113.1 -> 203.0.113.2' "$LAB_DIR/sipalgd.log"
# The kernel answers every commit at once; a wait that ran out would have let a message pass
# untranslated (a batch's sequence numbers shared with the status view's queries did once).
check "the kernel answered every nftables commit" sh -c '! grep "no answer from the kernel" "$1"' _ "$LAB_DIR/sipalgd.log"
if [ "${SIPALG_QUEUES:-1}" -gt 1 ]; then
	grep '^queue [0-9]*:' "$LAB_DIR/sipalgd.log" | tail -n 2 | sed 's/^/     /'
	check "both queue threads took packets (queue 0: $(queue_packets 0), queue 1: $(queue_packets 1))" \
		sh -c '[ "$1" -gt 0 ] && [ "$2" -gt 0 ]' _ "$(queue_packets 0)" "$(queue_packets 1)"
fi
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-calls${E2E_NAME:+-$E2E_NAME}"
