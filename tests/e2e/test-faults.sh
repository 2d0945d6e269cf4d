#!/bin/sh
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: faults. The daemon under valgrind through a whole call; a call on ports
# whose earlier call's last packets are still in conntrack. Each scenario asserts what users see: SIP
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
	call phone1 1001 far 2001 16000 20000 vg 2000
	check "the outbound call completes under valgrind" call_done vg
	rtp_both vg phone1 16000 far 20000
	check "phone1's conntrack flow to the provider is forgotten" lab_conntrack_forgets "$LAB_PHONE1_IP" 20
	call far 2001 phone1 1001 20000 16000 vgin 2000
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

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-faults; exit 1; }
cp "$SIPALG_TOP/openwrt/files/sipalg.config" "$LAB_DIR/test.config"
scenario_valgrind
alg_start --config "$LAB_DIR/test.config" || { not_ok "sipalgd starts"; finish e2e-faults; exit 1; }
scenario_stale_flows
alg_stop
echo "     took $(($(date +%s) - start)) s"
finish "e2e-faults${E2E_NAME:+-$E2E_NAME}"
