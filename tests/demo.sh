#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck source-path=SCRIPTDIR/e2e
# make demo: one call through sipalg in the built-in lab (network namespaces, made here and
# removed at the end). phone1 (192.168.1.10) sits behind the lab router's NAT; far
# (203.0.113.20) is on the internet; the provider (203.0.113.10) is kamailio as a plain
# registrar and proxy. sipalgd runs in the router. TRANSPORT=tcp: phone1 speaks SIP over TCP
# (its connection ends at sipalgd's relay, which opens its own to the provider).
set -u
LAB_E2E=$(cd "$(dirname "$0")/e2e" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
RTP_COUNT=150 # 3 s of audio each way
. "$LAB_E2E/calls.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo needs root: it builds a small network of namespaces on this machine" >&2
	exit 1
fi
width=${COLUMNS:-200}
[ "$width" -ge 120 ] 2>/dev/null || width=200
section() { printf '\n=== %s\n' "$*"; }

# The first message of a kind that a sipp phone sent, from its trace.
sent_by_phone() { # FILE METHOD
	awk -v m="$2" '/message sent/ { inmsg = 1; started = 0; next }
		inmsg && !started && $0 ~ "^" m " " { started = 1 }
		inmsg && started && /^-------/ { exit }
		started { print }' "$1" | tr -d '\r' | sed '/^$/N;/^\n$/D'
}

case ${TRANSPORT:-udp} in
udp) t=u1 ;;
tcp) t=t1 ;; # one connection, from the port the phone listens on (as phones do)
*) echo "TRANSPORT='$TRANSPORT': expected udp or tcp" >&2 && exit 2 ;;
esac
lab_up >/dev/null || exit 1
[ "$t" = u1 ] || sipp_tcp_scenarios
# shellcheck disable=SC2119 # no extra options
alg_start || { cat "$LAB_DIR/sipalgd.log"; exit 1; }
section "1. phone1 (LAN, behind NAT, SIP over ${TRANSPORT:-udp}) and far (internet, UDP) register with the provider"
lab_sipp register-phone1 phone1 register -t "$t" -max_socket 100 -s 1001 -key expires 300 &&
	echo "phone1 registered as 1001"
lab_register far 2001 && echo "far registered as 2001"

section "2. phone1 calls 2001; far answers; both send $((RTP_COUNT / 50)) s of RTP"
call phone1 1001 far 2001 16000 20000 demo 4000 "$t" u1
sleep 1.5
section "3. sipalgctl status, during the call"
alg_status
call_done demo && echo "(call completed: INVITE, 200 OK, ACK, RTP, BYE, 200 OK)"

section "4. the INVITE as phone1 sent it (left) and as the provider received it (right)"
sent_by_phone "$LAB_DIR/demo-uac.msg" INVITE >"$LAB_DIR/invite.sent"
provider_req INVITE 1 >"$LAB_DIR/invite.received"
diff --side-by-side --width="$width" --expand-tabs "$LAB_DIR/invite.sent" "$LAB_DIR/invite.received"

section "5. what each phone heard (RTP counted arriving in its own namespace)"
echo "phone1 got $(arrived phone1 16000) of $RTP_COUNT packets from far; far got $(arrived far 20000) of $RTP_COUNT from phone1"
echo "far heard phone1 from $(stat_field "$LAB_DIR/demo-callee.rtp" sources) (ip:port/packets): the public port its SDP announced"

section "6. after the BYE"
echo "media pinholes left in the router: $(media_pinholes)"
alg_status | sed -n '/^dialogs/,$p'
alg_stop
echo
echo "the lab is removed on exit; make test runs every scenario"
