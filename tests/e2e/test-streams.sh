#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: calls with more than one stream. A video call (audio and video, each
# with RTCP: one port up, and a=rtcp), the video then declined by a re-INVITE (m=video 0), and
# a fax call re-offered as T.38 (m=image udptl), accepted and refused. Each stream's packets are counted where they land, both ways; the
# router's pinholes are read from nftables while the call is up and after it ended.
#
# Usage: sh tests/e2e/test-streams.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

RTP_COUNT=100

# pinhole_to PORT: a DNAT element of the daemon's maps leads to phone1's PORT.
pinhole_to() { { alg_map dnat_any; alg_map dnat_peer; } | grep -qF ": $LAB_PHONE1_IP . $1"; }
no_pinhole_to() { ! pinhole_to "$1"; }
no_audio_pinholes() { no_pinhole_to 16000 && no_pinhole_to 16001; }
all_pinholes_to() {
	for _ap_port in "$@"; do pinhole_to "$_ap_port" || return 1; done
}

# counted NAME ROLE PORT: the packets that arrived at ROLE's PORT are enough (90%).
counted() {
	_ct_n=$(arrived "$2" "$3")
	check "$1: $2:$3 got ${_ct_n:-0} of $RTP_COUNT" enough "$_ct_n"
}

both_zero() { [ "$1" -eq 0 ] && [ "$2" -eq 0 ]; }

# far_answers NAME SCENARIO [keys...]: far waits for the call (its own ports in the keys).
far_answers() {
	_fa_name=$1 _fa_scen=$2
	shift 2
	# the previous callee's socket may still be closing on a loaded machine
	lab_until 10 not lab_wait_udp far 5060 0 || not_ok "$_fa_name: far's port 5060 is free"
	lab_sipp_bg "$_fa_name-uas" far "$_fa_scen" -key rtp_stats "$LAB_DIR/$_fa_name-far" \
		-key rtp_count $RTP_COUNT "$@"
	lab_wait_udp far 5060 5 || not_ok "$_fa_name: far listens"
}

# phone1_calls NAME SCENARIO [keys...]: phone1 calls 2001 (its own ports in the keys).
phone1_calls() {
	_pc_name=$1 _pc_scen=$2
	shift 2
	lab_sipp_bg "$_pc_name-uac" phone1 "$_pc_scen" -s 2001 -key me 1001 \
		-key rtp_stats "$LAB_DIR/$_pc_name-phone1" -key rtp_count $RTP_COUNT "$@"
}

sipp_pair_done() {
	lab_wait "$1-uac" 30
	_pd_uac=$?
	lab_wait "$1-uas" 30
	_pd_uas=$?
	both_zero $_pd_uac $_pd_uas
}

# streams_status: shows the status view's stream lines; the whole view is left in $status.
streams_status() {
	status=$(alg_status)
	printf '%s\n' "$status" | grep -E '^ +(rtp |rtcp) [01]:' | sed 's/^/     | /'
}

# audio_both_ways WHAT: two calls' worth of RTP (before and after WHAT) arrived each way
# between phone1:16000 and far:20000.
audio_both_ways() {
	_ab_n=$(arrived phone1 16000)
	_ab_m=$(arrived far 20000)
	echo "     audio before and after the $1: at phone1 $_ab_n, at far $_ab_m (of $((RTP_COUNT * 2)) each)"
	check "far's audio reached phone1 before and after the $1 ($_ab_n)" [ "${_ab_n:-0}" -ge $((RTP_COUNT * 18 / 10)) ]
	check "phone1's audio reached far before and after the $1 ($_ab_m)" [ "${_ab_m:-0}" -ge $((RTP_COUNT * 18 / 10)) ]
}

scenario_video() {
	echo "--- video call: audio 16000 (RTCP 16001) and video 16010 (a=rtcp:16015) both ways"
	for p in 16000 16001 16010 16015; do rtp_counter_start phone1 $p; done
	for p in 20000 20001 20010 20015; do rtp_counter_start far $p; done
	far_answers video uas-video -key rtp_port 20000 -key video_port 20010 -key video_rtcp 20015
	phone1_calls video uac-video -key rtp_port 16000 -key video_port 16010 -key video_rtcp 16015
	check "while the call is up nftables holds a pinhole to each of phone1's four ports" \
		lab_until 5 all_pinholes_to 16000 16001 16010 16015
	streams_status
	check "the status view lists stream 1 (video) with its RTCP on 16015" \
		sh -c 'printf "%s\n" "$1" | grep -q "rtcp 1: .* -> 192.168.1.10:16015 from"' _ "$status"
	check "the video call completes (INVITE, 200, ACK, four streams each way, BYE)" sipp_pair_done video
	lab_wait_file "$LAB_DIR/video-far.video-rtcp" 10
	for p in 16000 16001 16010 16015; do counted "video" phone1 $p; done
	for p in 20000 20001 20010 20015; do counted "video" far $p; done
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# video_gone_audio_kept: no pinhole to the video's ports, the audio's still there.
video_gone_audio_kept() { no_pinhole_to 16010 && no_pinhole_to 16015 && all_pinholes_to 16000 16001; }

scenario_video_declined() {
	echo "--- video call, then a re-INVITE that declines the video (m=video 0): its pinholes close"
	for p in 16000 16010; do rtp_counter_start phone1 $p; done
	rtp_counter_start far 20000
	far_answers vdecl uas-video-decline -key rtp_port 20000 -key video_port 20010 -key video_rtcp 20015
	phone1_calls vdecl uac-video-decline -key rtp_port 16000 -key video_port 16010 -key video_rtcp 16015
	check "while the video is up nftables holds a pinhole to each of phone1's four ports" \
		lab_until 5 all_pinholes_to 16000 16001 16010 16015
	check "once the re-offer is answered the video's pinholes (16010, 16015) are gone, the audio's kept" \
		lab_until 15 video_gone_audio_kept
	check "the re-offer's answer closed them: the re-INVITE went out, the BYE not yet" \
		sh -c 'grep -q "^CSeq: 2 INVITE" "$1" && ! grep -q "^CSeq: 3 BYE" "$1"' _ "$LAB_DIR/vdecl-uac.msg"
	streams_status
	check "the status view lists the audio stream only" \
		sh -c 'printf "%s\n" "$1" | grep -q "rtp  0: " && ! printf "%s\n" "$1" | grep -q "rtp  1: "' _ "$status"
	check "the call completes on audio" sipp_pair_done vdecl
	lab_wait_file "$LAB_DIR/vdecl-far.audio2" 10
	audio_both_ways "re-offer"
	counted "vdecl video (before the re-offer)" phone1 16010
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

scenario_t38() {
	echo "--- fax: an audio call re-offered as T.38 (m=image udptl) and accepted"
	for p in 16000 16100 16101; do rtp_counter_start phone1 $p; done
	for p in 20000 20100; do rtp_counter_start far $p; done
	far_answers t38 uas-t38 -key rtp_port 20000 -key fax_port 20100
	phone1_calls t38 uac-t38 -key rtp_port 16000 -key fax_port 16100
	check "the audio call's pinholes are open (RTP 16000, RTCP 16001)" lab_until 5 all_pinholes_to 16000 16001
	check "once the T.38 offer is answered nftables holds a pinhole to the fax port 16100" \
		lab_until 10 pinhole_to 16100
	check "and the audio's pinholes (16000, 16001) are gone" lab_until 3 no_audio_pinholes
	check "no RTCP pinhole for udptl (16101)" no_pinhole_to 16101
	check "the fax call completes" sipp_pair_done t38
	lab_wait_file "$LAB_DIR/t38-far.fax" 10
	counted "t38 audio" phone1 16000
	counted "t38 audio" far 20000
	counted "t38 fax (udptl)" phone1 16100
	counted "t38 fax (udptl)" far 20100
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]

	echo "--- fax: the T.38 re-offer refused (488): the call stays on audio"
	for p in 16000 16100; do rtp_counter_start phone1 $p; done
	rtp_counter_start far 20000
	far_answers t38r uas-t38-refuse -key rtp_port 20000
	phone1_calls t38r uac-t38 -key rtp_port 16000 -key fax_port 16100
	check "the far end's 488 reached phone1" lab_until 10 grep -qs "SIP/2.0 488" "$LAB_DIR/t38r-uac.msg"
	check "after the 488 the audio's pinholes are still there (16000, 16001)" all_pinholes_to 16000 16001
	check "and the refused fax port has none (16100)" no_pinhole_to 16100
	check "the call completes on audio" sipp_pair_done t38r
	lab_wait_file "$LAB_DIR/t38r-far.audio2" 10
	audio_both_ways "refusal"
	check "nothing reached the refused fax port ($(arrived phone1 16100))" [ "$(arrived phone1 16100)" -eq 0 ]
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

lab_up || { not_ok "lab_up"; finish e2e-streams; exit 1; }
# shellcheck disable=SC2119 # the defaults
alg_start || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-streams; exit 1; }
check "phone1 registers as 1001" lab_register phone1 1001
check "far registers as 2001" lab_register far 2001
scenario_video
scenario_video_declined
scenario_t38
alg_stop
finish e2e-streams
