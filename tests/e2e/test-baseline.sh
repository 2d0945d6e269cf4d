#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# sipalg e2e baseline: the lab with NO ALG, only the home router's firewall and NAT.
#
# phone1 (behind the NAT) registers as 1001 and far (on the internet) as 2001 with
# the provider; phone1 calls 2001 through the provider; far answers; both send RTP
# for about 2 s to the address the other side's SDP announced.
#
# It proves the lab works (registrations and the call complete through the
# provider, phone1's RTP reaches far through the NAT) and shows the failure an ALG
# fixes: the INVITE reaches the provider with 192.168.1.10 in Contact and in SDP
# c=, and far's RTP never reaches phone1.
#
# Usage: sh tests/e2e/test-baseline.sh   (as root; LAB_KEEP=1 keeps the logs)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"

. "$LAB_E2E/check.sh"
RTP_COUNT=100     # packets each side sends, 20 ms apart
PHONE1_RTP=16000  # the port phone1 announces
FAR_RTP=20000     # the port far announces

has_private() { # has_private TEXT: TEXT names phone1's private address
	printf '%s\n' "$1" | grep -q '192\.168\.1\.10\([^0-9]\|$\)'
}

has_private_phone2() { printf '%s\n' "$1" | grep -q 'sip:1002@192\.168\.1\.11'; }

from_router() { # from_router "IP:PORT/N,...": every source is the router's public address
	[ -n "$1" ] && [ "$1" != "-" ] || return 1
	for _fr in $(echo "$1" | tr ',' ' '); do
		[ "${_fr%%:*}" = "$LAB_WAN_IP" ] || return 1
	done
}

start=$(date +%s)
if ! lab_up; then
	not_ok "lab_up"
	finish e2e-baseline
	exit 1
fi

# Registrations, through the NAT for phone1.
check "phone1 registers as 1001 (200 OK through the NAT)" lab_register phone1 1001
check "far registers as 2001" lab_register far 2001
src=$(provider_req_from REGISTER 1)
check "phone1's REGISTER reached the provider from the router's address ($src)" \
	[ "${src%:*}" = "$LAB_WAN_IP" ]

# The call.
rtp_counter_start phone1 $PHONE1_RTP
rtp_counter_start far $FAR_RTP
lab_sipp_bg far-uas far uas-answer -key rtp_port $FAR_RTP \
	-key rtp_stats "$LAB_DIR/far.rtp" -key rtp_count $RTP_COUNT
if ! lab_wait_udp far 5060 5; then
	not_ok "far's sipp listens on 5060"
fi
lab_sipp phone1-uac phone1 uac-call -s 2001 -key me 1001 -key rtp_port $PHONE1_RTP \
	-key rtp_stats "$LAB_DIR/phone1.rtp" -key rtp_count $RTP_COUNT -d 2500
uac=$?
lab_wait far-uas 15
uas=$?
check "phone1's call completed: INVITE, 200 OK, ACK, BYE, 200 (sipp status $uac)" [ "$uac" -eq 0 ]
check "far received the INVITE through the provider and answered (sipp status $uas)" [ "$uas" -eq 0 ]

invite=$(provider_req INVITE 1)
check "the provider received phone1's INVITE" [ -n "$invite" ]
src=$(provider_req_from INVITE 1)
check "the INVITE came from the router's public address ($src)" [ "${src%:*}" = "$LAB_WAN_IP" ]
contact=$(printf '%s\n' "$invite" | grep -i '^\(contact\|m\):' | head -n 1)
cline=$(printf '%s\n' "$invite" | grep '^c=' | head -n 1)
mline=$(printf '%s\n' "$invite" | grep '^m=audio' | head -n 1)
echo "     at the provider: $contact | $cline | $mline"
check "without an ALG the INVITE's Contact carries the private 192.168.1.10" \
	has_private "$contact"
check "without an ALG the INVITE's SDP c= carries the private 192.168.1.10" \
	[ "$cline" = "c=IN IP4 192.168.1.10" ]
check "the SDP announces phone1's own RTP port $PHONE1_RTP" [ "$mline" = "m=audio $PHONE1_RTP RTP/AVP 0" ]

# Media: both rtp.py runs end on their own (count x 20 ms + 1 s linger).
lab_wait_file "$LAB_DIR/phone1.rtp" 10
lab_wait_file "$LAB_DIR/far.rtp" 10
echo "     phone1 rtp.py: $(cat "$LAB_DIR/phone1.rtp" 2>/dev/null)"
echo "     far    rtp.py: $(cat "$LAB_DIR/far.rtp" 2>/dev/null)"
at_far=$(rtp_counter_read far $FAR_RTP)
at_phone1=$(rtp_counter_read phone1 $PHONE1_RTP)
p1_sent=$(stat_field "$LAB_DIR/phone1.rtp" sent)
far_sent=$(stat_field "$LAB_DIR/far.rtp" sent)
far_errors=$(stat_field "$LAB_DIR/far.rtp" errors)
far_from=$(stat_field "$LAB_DIR/far.rtp" sources)
echo "     RTP counted arriving: at far:$FAR_RTP ${at_far:-?} of ${p1_sent:-?} sent by phone1;" \
	"at phone1:$PHONE1_RTP ${at_phone1:-?} of $RTP_COUNT far tried (${far_sent:-?} sent, ${far_errors:-?} failed)"
check "phone1 sent its RTP from the port it announced to far's announced address" \
	[ "${p1_sent:-0}" -eq $RTP_COUNT ]
check "phone1's RTP reached far directly through the NAT (${at_far:-?} packets)" \
	[ "${at_far:-0}" -ge $((RTP_COUNT * 9 / 10)) ]
check "far saw phone1's RTP come from the router's address ($far_from)" \
	from_router "$far_from"
check "without an ALG far's RTP to the private address never reaches phone1 (${at_phone1:-?} packets)" \
	[ "${at_phone1:-1}" -eq 0 ]

# Incoming: phone2 registers, the router forgets the flow, far calls it.
check "phone2 registers as 1002" lab_register phone2 1002
check "the router's conntrack forgets phone2's signaling flow" lab_conntrack_forgets "$LAB_PHONE2_IP" 20
lab_sipp_bg in-uas phone2 uas-answer -key rtp_port 16000 -key rtp_stats "$LAB_DIR/in-callee.rtp" \
	-key rtp_count $RTP_COUNT
lab_wait_udp phone2 5060 5 || not_ok "phone2's sipp listens on 5060"
lab_sipp in-uac far uac-call -s 1002 -key me 2001 -key rtp_port $FAR_RTP \
	-key rtp_stats "$LAB_DIR/in-caller.rtp" -key rtp_count $RTP_COUNT -d 1000
uac=$?
sent=$(provider_sent_req INVITE 2)
echo "     the provider forwarded the INVITE as: $(printf '%s\n' "$sent" | head -n 1)"
check "without an ALG the provider sends the incoming INVITE to the private contact" \
	has_private_phone2 "$(printf '%s\n' "$sent" | head -n 1)"
check "without an ALG the incoming call fails (sipp status $uac)" [ "$uac" -ne 0 ]
lab_wait in-uas 1
uas=$?
check "and phone2 never rang (sipp status $uas)" [ "$uas" -ne 0 ]

# The router used no SIP helper.
helpers=$(in_ns router conntrack -L 2>/dev/null | grep -c 'helper=')
check "no conntrack entry in the router has a helper" [ "$helpers" -eq 0 ]

echo "     took $(($(date +%s) - start)) s"
finish e2e-baseline
