#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: faults. The daemon under valgrind through a whole call; a call on ports
# whose earlier call's last packets are still in conntrack; the queue overflowing while the
# daemon hangs; the kernel refusing the daemon's nftables batches; a
# burst of hostile SIP from the WAN during a call. Each scenario asserts what users see: SIP
# passes (untranslated when it cannot be translated truthfully), calls keep their audio, the
# daemon comes back, leaks nothing and does not grow.
# (The daemon killed mid-call and the WAN address changing are in test-calls.sh.)
#
# Usage: sh tests/e2e/test-faults.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

PUB=$LAB_WAN_IP
ROUTER_SHIPPED=$SIPALGD

no_private() { ! printf '%s\n' "$1" | grep -vi '^\(call-id\|i\):' | grep -q '192\.168\.'; }
# counter NAME: one of the daemon's counters (status --json)
counter() { alg_status --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
answers() { alg_status >/dev/null 2>&1; }
rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$ALG_PID/status"; }
# the kernel's view of queue 0: "held dropped user_dropped" (nfnetlink_queue's proc file)
queue_state() { in_ns router awk '$1 == 0 { print $3, $6, $7 }' /proc/net/netfilter/nfnetlink_queue; }
queue_empty() { [ "$(queue_state | cut -d' ' -f1)" = 0 ]; }
# the Nth (default: last) REGISTER the provider received
last_register() { provider_req REGISTER "$(grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)")"; }

# sip_sink ROLE PORT SECONDS FILE: counts the datagrams arriving on PORT for SECONDS, and
# how many of them name a private address (untranslated) or the public one.
sip_sink() {
	in_ns "$1" python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("0.0.0.0", int(sys.argv[1])))
end = time.monotonic() + float(sys.argv[2])
n = private = public = 0
while True:
    left = end - time.monotonic()
    if left <= 0:
        break
    s.settimeout(left)
    try:
        data = s.recv(65535)
    except socket.timeout:
        break
    n += 1
    private += b"192.168." in data
    public += sys.argv[4].encode() in data
open(sys.argv[3], "w").write("received=%d private=%d public=%d\n" % (n, private, public))' \
		"$2" "$3" "$4.tmp" "$PUB" && mv "$4.tmp" "$4"
}

# sip_flood ROLE SPORT DEST COUNT: COUNT OPTIONS requests from a LAN phone's SPORT to DEST:5060
sip_flood() {
	in_ns "$1" python3 -c 'import socket, sys
ip, sport, dest, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((ip, sport))
for i in range(count):
    s.sendto(("OPTIONS sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP %s:%d;branch=z9hG4bKflood%d\r\n"
              "From: <sip:flood@%s:%d>;tag=%d\r\nTo: <sip:%s>\r\nCall-ID: flood%d@%s\r\n"
              "CSeq: 1 OPTIONS\r\nContact: <sip:flood@%s:%d>\r\nContent-Length: 0\r\n\r\n"
              % (dest, ip, sport, i, ip, sport, i, dest, i, ip, ip, sport)).encode(), (dest, 5060))' \
		"$(lab_ip "$1")" "$2" "$3" "$4"
}

# ---------------------------------------------------------------------------------------
# 1. valgrind memcheck through registrations, a call each way and a clean stop

# valgrind_field NAME: the byte count of a LEAK SUMMARY line; 0 when valgrind found every
# block freed; empty when the log holds neither (then the check fails).
valgrind_field() {
	if grep -q 'All heap blocks were freed' "$LAB_DIR/valgrind.log"; then
		echo 0
	else
		sed -n "s/.*$1: \([0-9,]*\) bytes.*/\1/p" "$LAB_DIR/valgrind.log" | tr -d , | tail -n 1
	fi
}
both_zero() { [ "${1:-x}" = 0 ] && [ "${2:-x}" = 0 ]; }

scenario_valgrind() {
	echo "--- sipalgd under valgrind memcheck: register, a call each way with RTP, SIGTERM"
	cat >"$LAB_DIR/sipalgd-valgrind" <<EOF
#!/bin/sh
exec valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
	--log-file="$LAB_DIR/valgrind.log" "$ROUTER_SHIPPED" "\$@"
EOF
	chmod +x "$LAB_DIR/sipalgd-valgrind"
	SIPALGD=$LAB_DIR/sipalgd-valgrind
	# valgrind takes seconds to start: alg_start waits 5 s, then we wait longer
	alg_start --config "$LAB_DIR/test.config" || lab_until 20 alg_status >/dev/null
	SIPALGD=$ROUTER_SHIPPED
	check "sipalgd answers under valgrind" answers
	check "phone1 registers as 1001" lab_register phone1 1001
	check "far registers as 2001" lab_register far 2001
	check "the REGISTER reached the provider translated" no_private "$(last_register)"
	# 3 s before the BYE: under valgrind the ACK, and with it far's RTP, starts late
	call phone1 1001 far 2001 16000 20000 vg 3000
	check "the outbound call completes under valgrind" call_done vg
	rtp_both vg phone1 16000 far 20000
	check "phone1's conntrack flow to the provider is forgotten" lab_conntrack_forgets "$LAB_PHONE1_IP" 20
	call far 2001 phone1 1001 20000 16000 vgin 3000
	check "the incoming call reaches phone1 and completes under valgrind" call_done vgin
	rtp_both vgin far 20000 phone1 16000

	kill -s TERM "$ALG_PID"
	wait "$ALG_PID"
	rc=$?
	ALG_PID=
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$LAB_DIR/valgrind.log" | tr -d , | tail -n 1)
	definite=$(valgrind_field 'definitely lost')
	indirect=$(valgrind_field 'indirectly lost')
	echo "     valgrind: exit $rc, errors ${errors:-?}, definitely lost ${definite:-?} bytes, indirectly lost ${indirect:-?} bytes"
	sed -n '/HEAP SUMMARY/,$p' "$LAB_DIR/valgrind.log" | sed 's/^==[0-9]*== */     | /' | head -n 30
	check "sipalgd exits 0 on SIGTERM under valgrind (valgrind's error exit is 99; got $rc)" [ "$rc" -eq 0 ]
	check "valgrind reports 0 errors (${errors:-no summary})" [ "${errors:-x}" = 0 ]
	check "valgrind reports 0 bytes definitely and 0 indirectly lost" both_zero "$definite" "$indirect"
}

# ---------------------------------------------------------------------------------------
# The last packets of a call, after its BYE closed its pinholes, leave flows the NAT made
# without them: far's to the router itself, phone1's masqueraded to another port. A next call
# on the same ports keeps those flows alive with its own media, unless the daemon clears them.

# udp_once ROLE SPORT IP PORT: one RTP-sized datagram from ROLE's SPORT
udp_once() {
	in_ns "$1" python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.sendto(b"\x80" + bytes(171), (sys.argv[2], int(sys.argv[3])))' "$2" "$3" "$4"
}

scenario_stale_flows() {
	echo "--- a call on the ports whose last packets, after the earlier call's BYE, are still in conntrack"
	# as the BYE left them: the earlier flows forgotten, then a last packet each way
	in_ns router conntrack -D -p udp --orig-port-src 16000 >/dev/null 2>&1
	in_ns router conntrack -D -p udp --orig-port-dst 16000 >/dev/null 2>&1
	udp_once far 20000 "$PUB" 16000
	udp_once phone1 16000 "$LAB_FAR_IP" 20000
	in_ns router conntrack -L -p udp 2>/dev/null | grep 'port=16000 ' | sed 's/^/     | /'
	RTP_COUNT=100
	call phone1 1001 far 2001 16000 20000 stale
	check "the call completes" call_done stale
	rtp_both stale phone1 16000 far 20000
	from=$(stat_field "$LAB_DIR/stale-callee.rtp" sources)
	check "phone1's RTP left from the port its SDP announced ($from)" [ "${from%%/*}" = "$PUB:16000" ]
}

# ---------------------------------------------------------------------------------------
# 2. the daemon hangs with a call up: the kernel holds what the queue takes, the rest of the
#    SIP passes unmodified (fail-open), media is not affected; after SIGCONT it catches up.
#    sipalgd sets the queue's length to 4096 packets (nfq/queue.c): the kernel holds at most
#    that (fewer when the daemon's 2 MiB netlink socket buffer fills first).
QUEUE_MAXLEN=4096
FLOOD=8000

scenario_queue_overflow() {
	echo "--- sipalgd stopped (SIGSTOP) during a call while $FLOOD SIP requests arrive"
	RTP_COUNT=200
	call phone1 1001 far 2001 16000 20000 stop 5500
	sleep 1
	sip_sink far2 5060 2.5 "$LAB_DIR/flood.sink" &
	sink=$!
	lab_wait_udp far2 5060 5 || not_ok "far2 listens"
	kill -s STOP "$ALG_PID"
	sip_flood phone2 5062 "$LAB_FAR2_IP" $FLOOD
	sleep 0.5
	held=$(queue_state)
	wait $sink
	kill -s CONT "$ALG_PID"
	got=$(stat_field "$LAB_DIR/flood.sink" received)
	private=$(stat_field "$LAB_DIR/flood.sink" private)
	public=$(stat_field "$LAB_DIR/flood.sink" public)
	echo "     kernel queue while stopped (held, dropped, user_dropped): $held"
	echo "     at far2 while stopped: $got of $FLOOD arrived, $private naming phone2's private address, $public the public one"
	check "with the daemon stopped, SIP beyond what the kernel holds for it passes instead of being dropped ($got of $FLOOD)" \
		[ "${got:-0}" -ge $((FLOOD - QUEUE_MAXLEN)) ]
	check "it passes unmodified: every one names the private address, none the public one" \
		sh -c '[ "$1" -gt 0 ] && [ "$1" -eq "$2" ] && [ "$3" -eq 0 ]' _ "${got:-0}" "${private:-0}" "${public:-1}"
	check "the kernel dropped none of it (queue_dropped 0)" [ "$(echo "$held" | cut -d' ' -f2)" = 0 ]
	check "the call up meanwhile completes" call_done stop
	rtp_both stop phone1 16000 far 20000
	check "after SIGCONT the daemon works through what the kernel held" lab_until 10 queue_empty
	check "and answers" answers
	check "phone2 registers as 1002" lab_register phone2 1002
	check "its new REGISTER is translated" no_private "$(last_register)"
}

# ---------------------------------------------------------------------------------------
# 3. the kernel refuses the daemon's nftables batches: messages pass untranslated (their SDP
#    must not announce a pinhole that is not there) and are counted; then it recovers.

# Our table as another program might leave it: the maps' names, wrong types.
break_table() {
	in_ns router nft -f - <<EOF
delete table ip sipalg
table ip sipalg {
	map snat_map { type inet_service : inet_service; flags timeout; }
	map dnat_any { type ipv4_addr : inet_service; flags timeout; }
	map dnat_peer { type inet_service : inet_service; flags timeout; }
}
EOF
}
table_is_ours() {
	in_ns router nft list map ip sipalg snat_map 2>/dev/null |
		grep -q 'type ipv4_addr \. inet_service : ipv4_addr \. inet_service'
}

scenario_nft_refused() {
	echo "--- the kernel refuses sipalgd's nftables changes (its maps replaced by ones of other types)"
	errs0=$(counter nftables_errors)
	n=$(grep -c 'SIPALG-LAB-REQ INVITE' "$(provider_log)")
	check "the table is replaced by one with the same maps of other types" break_table
	RTP_COUNT=50
	call phone1 1001 far 2001 16000 20000 refused 1500
	call_done refused # media cannot work: phone1 announced its private address
	invite=$(provider_req INVITE $((n + 1)))
	errs=$(counter nftables_errors)
	printf '%s\n' "$invite" | grep '^c=\|^m=\|^Contact:' | sed 's/^/     | /'
	check "phone1's INVITE reaches the provider" [ -n "$invite" ]
	check "untranslated: its SDP keeps phone1's private address" \
		sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 192.168.1.10$"' _ "$invite"
	check "it announces neither the public address nor a public port (no pinhole that does not exist)" \
		sh -c '! printf "%s\n" "$1" | grep -qF -e "IN IP4 $2" -e "@$2:"' _ "$invite" "$PUB"
	check "the refusals are counted (nftables_errors $errs0 -> $errs)" [ "${errs:-0}" -gt "$errs0" ]
	check "and logged, with the kernel's reason" \
		grep -q 'nftables refused a change (.*); the message passes untranslated' "$LAB_DIR/sipalgd.log"
	check "sipalgd still runs" kill -0 "$ALG_PID"
	check "and it replaced the table it could not use by its own" lab_until 5 table_is_ours
	check "phone1 registers again" lab_register phone1 1001
	RTP_COUNT=100
	call phone1 1001 far 2001 16000 20000 mended
	check "a new call completes" call_done mended
	check "its INVITE is translated" no_private "$(provider_req INVITE $((n + 2)))"
	rtp_both mended phone1 16000 far 20000
}

# ---------------------------------------------------------------------------------------
# 4. a burst of hostile SIP from the WAN during a call

# hostile ROLE TARGET COUNT NAME [hostile.py options]: hostile.py in ROLE, its line in NAME.out
hostile() {
	_h_role=$1 _h_to=$2 _h_n=$3 _h_name=$4
	shift 4
	in_ns "$_h_role" python3 "$LAB_E2E/hostile.py" --to "$_h_to" --count "$_h_n" \
		--src-ip "$(lab_ip "$_h_role")" --lan-ip "$LAB_PHONE2_IP" "$@" >"$LAB_DIR/$_h_name.out" 2>&1
}
BURST=10000
# Paced, so that the daemon sees them all (4 s; unpaced, most pass by through the full queue)
BURST_RATE=2500

scenario_hostile_burst() {
	echo "--- $BURST hostile messages from the WAN during a call"
	check "phone2 registers as 1002" lab_register phone2 1002
	p2=$(alg_status --json | sed -n 's/.*"private":"192\.168\.1\.11:5060","public_port":\([0-9]*\),"registered":true.*/\1/p')
	echo "     phone2's public binding: $PUB:$p2 (from the registrar only)"
	RTP_COUNT=350
	call phone1 1001 far 2001 16000 20000 burst 8000
	sleep 1
	# The first messages of each kind touch the daemon's buffers once: the baseline follows.
	# Unpaced as well, so that batches fill the queue's 16 receive slots (pages of them are
	# touched as packets land there).
	hostile provider "$PUB:$p2" 700 warmup --bind-port 5999 --seed 1 --rate $BURST_RATE
	hostile provider "$PUB:$p2" 700 warmup --bind-port 5999 --seed 4
	lab_until 10 queue_empty
	rss0=$(rss_kb)
	seen0=$(counter packets) unch0=$(counter unchanged) mal0=$(counter malformed)
	t0=$(date +%s)
	# spoofing the registrar's address, to phone2's binding (these reach the daemon), and
	# from a stranger to the router's SIP port (these must not reach anything)
	hostile provider "$PUB:$p2" $BURST burst --bind-port 5999 --seed 2 --rate $BURST_RATE &
	hb=$!
	hostile far2 "$PUB:5060" 2000 stranger --bind-port 5060 --seed 3
	wait $hb
	lab_until 20 queue_empty
	sleep 1
	rss1=$(rss_kb)
	seen=$(($(counter packets) - seen0)) unch=$(($(counter unchanged) - unch0)) mal=$(($(counter malformed) - mal0))
	echo "     sent: $(cat "$LAB_DIR/burst.out"); stranger: $(cat "$LAB_DIR/stranger.out")"
	echo "     took $(($(date +%s) - t0)) s; kernel queue (held, dropped, user_dropped): $(queue_state)"
	echo "     sipalgd counted $seen packets, $unch passed unchanged, $mal malformed; $(alg_status --json | grep -o '"call_id"' | wc -l) dialogs open"
	alg_status | sed -n '/^counters/,/^signaling/p' | sed 's/^/     | /'
	echo "     sipalgd VmRSS: $rss0 kB before, $rss1 kB after"
	check "the call up meanwhile completes" call_done burst
	rtp_both burst phone1 16000 far 20000
	check "sipalgd still runs and answers" answers
	check "its counters show the burst ($seen of $BURST packets seen)" [ "$seen" -ge $((BURST * 9 / 10)) ]
	check "and that it passed them unchanged ($unch)" [ "$unch" -ge $((BURST / 2)) ]
	check "its memory is back to within 256 kB of the baseline ($rss0 -> $rss1 kB)" \
		[ "${rss1:-999999}" -le $((${rss0:-0} + 256)) ]
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-faults; exit 1; }
cp "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" "$LAB_DIR/test.config"
scenario_valgrind
alg_start --config "$LAB_DIR/test.config" || { not_ok "sipalgd starts"; finish e2e-faults; exit 1; }
scenario_stale_flows
scenario_queue_overflow
scenario_nft_refused
scenario_hostile_burst
alg_stop
echo "     took $(($(date +%s) - start)) s"
finish "e2e-faults${E2E_NAME:+-$E2E_NAME}"
