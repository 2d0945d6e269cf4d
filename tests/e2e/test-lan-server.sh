#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg with a SIP server on the LAN (issue 14): a second kamailio, the office PBX, at
# 192.168.1.2 on the lab's LAN, to which the router's owner forwards UDP 5060 (a DNAT rule of
# their own, not sipalg's). far, on the internet, registers with it through the router's
# public address; phone1 registers with it directly on the LAN. Calls both ways, with RTP
# counted where it lands; then the same without the lan_server setting, to show that the
# checks can fail; a LAN host that is not a named server still names only itself; bad
# settings refused, naming the option.
#
# Usage: sh tests/e2e/test-lan-server.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

LAB_ROLES="$LAB_ROLES pbx" # created, and removed by lab_down, with the others
RTP_COUNT=100
PUB=$LAB_WAN_IP
PBX_IP=192.168.1.2
CRAFT="$LAB_E2E/sipcraft.py"

# The PBX: the lab's kamailio configuration on the LAN address, its own logs and run dir.
pbx_up() {
	lab_link lansw px pbx eth0 "$PBX_IP/24" &&
		ip -n "$(lab_ns pbx)" route add default via "$LAB_LAN_GW" || return 1
	sed -e "s/^listen=udp:.*/listen=udp:$PBX_IP:5060/" -e "s/^listen=tcp:.*/listen=tcp:$PBX_IP:5060/" \
		-e "s/^alias=.*/alias=\"$PBX_IP\"/" "$LAB_E2E/kamailio.cfg" >"$LAB_DIR/pbx.cfg"
	mkdir -p "$LAB_DIR/pbx-run"
	in_ns pbx kamailio -f "$LAB_DIR/pbx.cfg" -P "$LAB_DIR/pbx.pid" -Y "$LAB_DIR/pbx-run" -w "$LAB_DIR" \
		-DD -E -n 1 -m 32 -M 8 </dev/null >"$LAB_DIR/pbx.log" 2>&1 &
	lab_wait_udp pbx 5060 10 || { tail -n 20 "$LAB_DIR/pbx.log" >&2; return 1; }
}

# The owner's port forward: the internet's SIP to the router goes to the PBX.
forward_up() {
	in_ns router nft -f - <<EOF
table ip ownerfwd {
	chain dstnat {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan0" udp dport 5060 dnat to $PBX_IP:5060
	}
}
EOF
}

# sipp_to NAME ROLE TARGET SCENARIO [sipp args...]: lab_sipp_run toward TARGET (IP:PORT)
# instead of the provider, in the background.
sipp_to() {
	_st_name=$1 _st_role=$2 _st_target=$3 _st_scen=$4
	shift 4
	in_ns "$_st_role" sipp -sf "$LAB_E2E/sipp/$_st_scen.xml" \
		-i "$(lab_ip "$_st_role")" -p 5060 -m 1 -nostdin \
		-timeout "$LAB_SIPP_TIMEOUT" -timeout_error \
		-trace_msg -message_file "$LAB_DIR/$_st_name.msg" \
		-trace_err -error_file "$LAB_DIR/$_st_name.err" \
		-key rtp_py "$LAB_E2E/rtp.py" \
		"$@" "$_st_target" </dev/null >"$LAB_DIR/$_st_name.out" 2>&1 &
	echo $! >"$LAB_DIR/$_st_name.pid"
}

register_to() { # register_to ROLE USER TARGET [sipp args...]
	_rt_role=$1 _rt_user=$2 _rt_target=$3
	shift 3
	sipp_to "register-$_rt_role-$_rt_user" "$_rt_role" "$_rt_target" register -s "$_rt_user" \
		-key expires 300 "$@"
	lab_wait "register-$_rt_role-$_rt_user" 20
}

# call_to CALLER_ROLE CALLER_USER TARGET CALLEE_ROLE CALLEE_USER CALLER_PORT CALLEE_PORT NAME
# (UAC_ARGS: more sipp options for the caller, such as -rsa, the outbound proxy)
UAC_ARGS=
call_to() {
	rtp_counter_start "$1" "$6"
	rtp_counter_start "$4" "$7"
	sipp_to "$8-uas" "$4" "$PBX_IP:5060" uas-answer -key rtp_port "$7" \
		-key rtp_stats "$LAB_DIR/$8-callee.rtp" -key rtp_count "$RTP_COUNT"
	lab_wait_udp "$4" 5060 5 || not_ok "$8: callee listens"
	# shellcheck disable=SC2086 # UAC_ARGS: options, split on purpose
	sipp_to "$8-uac" "$1" "$3" uac-call $UAC_ARGS -s "$5" -key me "$2" -key rtp_port "$6" \
		-key rtp_stats "$LAB_DIR/$8-caller.rtp" -key rtp_count "$RTP_COUNT" -d 2500
}

no_pinhole_30004() { ! alg_status | grep -q -- "-> $LAB_PHONE1_IP:30004 from"; }
counted() { alg_status | grep -q "unchanged: $1: [1-9]"; }
count_of() { alg_status | sed -n "s/^  unchanged: $1: //p"; }

# The calls both ways; $1: "with" or "without" the setting (what is expected differs).
calls() {
	echo "--- far (internet) calls phone1 (LAN) through the PBX, $1 lan_server"
	call_to far 2001 "$PUB:5060" phone1 1001 20000 16000 "in-$1"
	sleep 1.5
	status=$(alg_status)
	json=$(alg_status --json)
	call_done "in-$1"
	done_in=$?
	in_heard=$(arrived phone1 16000)
	out_heard=$(arrived far 20000)
	echo "     in-$1: RTP arrived at phone1:16000 $in_heard, at far:20000 $out_heard (of $RTP_COUNT each)"
	if [ "$1" = without ]; then
		check "without lan_server far's audio does not reach phone1 ($in_heard packets): the check can fail" \
			[ "${in_heard:-0}" -lt $((RTP_COUNT / 10)) ]
		check "the PBX's 200 was counted as naming another LAN host's address" \
			counted "names another LAN host's address"
		return
	fi
	check "the call completes (INVITE through the forward, 200, ACK, RTP, BYE)" [ $done_in -eq 0 ]
	check "far's RTP reached phone1 ($in_heard packets)" enough "$in_heard"
	check "phone1's RTP reached far ($out_heard packets)" enough "$out_heard"
	printf '%s\n' "$status" | sed -n '/^LAN SIP servers/,$p' | sed 's/^/     | /'
	check "during the call the status view lists the PBX with its call" \
		sh -c 'printf "%s\n" "$1" | grep -q "^  $2: 1 call$"' _ "$status" "$PBX_IP"
	check "and a pinhole toward phone1, narrowed to far" \
		sh -c 'printf "%s\n" "$1" | grep -q "rtp  0: $2:[0-9]* -> 192.168.1.10:16000 from $3"' _ "$status" "$PUB" "$LAB_FAR_IP"
	check "the JSON status names the PBX and the call it carries" \
		sh -c 'printf "%s" "$1" | grep -q "\"lan_servers\":\[{\"address\":\"$2\",\"calls\":\[\"[^\"]"' _ "$json" "$PBX_IP"
	far_from=$(stat_field "$LAB_DIR/in-$1-caller.rtp" sources)
	check "phone1's RTP reached far from the public address ($far_from)" \
		[ "${far_from%%:*}" = "$PUB" ]
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]

	echo "--- phone1 (LAN) calls far (internet) through the PBX"
	call_to phone1 1001 "$PBX_IP:5060" far 2001 16000 20000 out
	check "the call completes (INVITE out through the PBX, 200 back, BYE)" call_done out
	rtp_both out phone1 16000 far 20000
	invite=$(tr -d '\r' <"$LAB_DIR/out-uas.msg" | sed -n '/^INVITE /,/^m=/p' | head -n 40)
	check "the INVITE reached far with the public address in Contact and SDP" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:" && printf "%s\n" "$1" | grep -q "^c=IN IP4 $2$"' _ "$invite" "$PUB"
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# The PBX as phone1's outbound proxy (sipp -rsa: the request names the provider, goes to the
# PBX, which record-routes and relays it): registration and calls both ways with far, both
# registered with the provider on the internet.
outbound_proxy() {
	echo "--- the PBX as phone1's outbound proxy (record-route) toward the provider"
	check "phone1 registers as 1101 with the provider through the PBX" \
		register_to phone1 1101 "$LAB_PROVIDER_IP:5060" -rsa "$PBX_IP:5060"
	reg=$(provider_req REGISTER 1)
	check "the REGISTER reached the provider with the public address in Contact" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1101@$2:[0-9]*>"' _ "$reg" "$PUB"
	check "far registers as 2101 with the provider" lab_register far 2101
	UAC_ARGS="-rsa $PBX_IP:5060"
	call_to phone1 1101 "$LAB_PROVIDER_IP:5060" far 2101 16000 20000 oproxy-out
	UAC_ARGS=
	check "phone1's call out through the PBX and the provider completes" call_done oproxy-out
	rtp_both oproxy-out phone1 16000 far 20000
	invite=$(provider_req INVITE 1)
	check "the INVITE reached the provider with the PBX's Record-Route and phone1's SDP public" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^record-route: <sip:$2;lr" && printf "%s\n" "$1" | grep -q "^c=IN IP4 $2$"' _ "$invite" "$PUB"
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
	call_to far 2101 "$LAB_PROVIDER_IP:5060" phone1 1101 20000 16000 oproxy-in
	check "far's call to phone1 through the provider completes" call_done oproxy-in
	rtp_both oproxy-in far 20000 phone1 16000
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

# Media packets the router forwards (UDP other than SIP), counted from here on.
forwarded_start() {
	in_ns router nft -f - <<EOF
table inet labloop
delete table inet labloop
table inet labloop {
	counter media { }
	chain forward {
		type filter hook forward priority filter - 1; policy accept;
		udp sport != 5060 udp dport != 5060 counter name media
	}
}
EOF
}
forwarded() { in_ns router nft list counter inet labloop media | sed -n 's/.*packets \([0-9]*\).*/\1/p'; }

# A call that loops back into the LAN (issue 14, item 3): phone1 calls phone2 through the
# provider on the internet; $1: "direct" (direct_lan_media 1) or "hairpin" (0), $2: phone2's
# account.
looped_call() {
	echo "--- phone1 calls phone2 through the provider: media $1"
	forwarded_start
	call_to phone1 1101 "$LAB_PROVIDER_IP:5060" phone2 "$2" 16000 16000 "loop-$1"
	check "the call between the two LAN phones completes" call_done "loop-$1"
	rtp_both "loop-$1" phone1 16000 phone2 16000
	n=$(forwarded)
	if [ "$1" = direct ]; then
		check "no media packet crossed the router ($n forwarded)" [ "${n:-1}" -eq 0 ]
		from=$(stat_field "$LAB_DIR/loop-$1-callee.rtp" sources)
		check "phone2 heard phone1 from its LAN address ($from)" [ "${from%%/*}" = "$LAB_PHONE1_IP:16000" ]
	else
		check "with direct_lan_media 0 the media hairpinned through the router ($n forwarded): the check can fail" \
			[ "${n:-0}" -ge "$RTP_COUNT" ]
	fi
	check "after the BYE no media pinhole is left" [ "$(media_pinholes)" -eq 0 ]
}

unnamed_host() {
	echo "--- phone2, not a named server, sends SIP naming phone1: it passes unchanged"
	before=$(count_of "names another LAN host's address")
	in_ns phone2 python3 "$CRAFT" invite "$LAB_FAR2_IP" --sdp-ip "$LAB_PHONE1_IP" --rtp-port 30004 \
		--call-id unnamed-sdp
	sleep 0.5
	after=$(count_of "names another LAN host's address")
	check "counted: names another LAN host's address (${before:-0} -> ${after:-0})" \
		[ "${after:-0}" -gt "${before:-0}" ]
	check "phone1 got no pinhole for it" no_pinhole_30004
}

bad_config() {
	echo "--- bad lan_server settings are refused, naming the option and the value"
	out=$(in_ns router "$SIPALGD" --wan wan0 --lan lan0 --foreground --control "$LAB_DIR/bad.sock" \
		--lan-server 192.168.1 2>&1)
	check "--lan-server '192.168.1' (malformed) refused: $out" \
		sh -c 'printf "%s\n" "$1" | grep -q "^sipalgd: --lan-server .192.168.1.: expected the IPv4 address of a SIP server on the LAN"' _ "$out"
	out=$(in_ns router "$SIPALGD" --wan wan0 --lan lan0 --foreground --control "$LAB_DIR/bad.sock" \
		--lan-server 10.9.9.9 2>&1)
	check "--lan-server '10.9.9.9' (outside the LAN) refused at start: $out" \
		sh -c 'printf "%s\n" "$1" | grep -q -- "--lan-server .10.9.9.9.: not inside the LAN networks of lan0 (192.168.1.0/24)"' _ "$out"
	sed "s/^\t#list lan_server .*/\tlist lan_server '203.0.113.9'/" \
		"$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" >"$LAB_DIR/bad.config"
	out=$(in_ns router "$SIPALGD" --wan wan0 --lan lan0 --foreground --control "$LAB_DIR/bad.sock" \
		--config "$LAB_DIR/bad.config" 2>&1)
	check "list lan_server '203.0.113.9' in the file refused at start: $out" \
		sh -c 'printf "%s\n" "$1" | grep -q "option lan_server .203.0.113.9.: not inside the LAN networks"' _ "$out"
	check "no daemon was left running from these" [ ! -S "$LAB_DIR/bad.sock" ]
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-lan-server; exit 1; }
pbx_up || { not_ok "the PBX (kamailio on $PBX_IP) starts"; finish e2e-lan-server; exit 1; }
forward_up || { not_ok "the owner's port forward"; finish e2e-lan-server; exit 1; }
bad_config

sed "s/^\t#list lan_server .*/\tlist lan_server '$PBX_IP'/" "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" \
	>"$LAB_DIR/with.config"
cp "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" "$LAB_DIR/without.config"
sed "s/option direct_lan_media '1'/option direct_lan_media '0'/" "$LAB_DIR/with.config" >"$LAB_DIR/hairpin.config"
alg_start --config "$LAB_DIR/with.config" || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-lan-server; exit 1; }
check "the start-up log names the LAN server" grep -q "^LAN SIP servers: $PBX_IP " "$LAB_DIR/sipalgd.log"
check "phone1 registers as 1001 with the PBX on the LAN" register_to phone1 1001 "$PBX_IP:5060"
check "far registers as 2001 with the PBX through the router's public address" register_to far 2001 "$PUB:5060"
reg=$(tr -d '\r' <"$LAB_DIR/pbx.log" | sed -n '/SIPALG-LAB-REQ REGISTER .* from 203.0.113.20/{p;q}')
check "far's REGISTER reached the PBX with its own address in the Request-URI ($reg)" \
	sh -c 'printf "%s\n" "$1" | grep -q "REGISTER sip:$2 "' _ "$reg" "$PBX_IP"
calls with
outbound_proxy
check "phone2 registers as 1002 with the provider" lab_register phone2 1002
looped_call direct 1002
unnamed_host

alg_kill TERM
alg_start --config "$LAB_DIR/without.config" || not_ok "sipalgd restarts without lan_server"
calls without
echo "--- phone1's call out through the PBX as outbound proxy, without lan_server"
UAC_ARGS="-rsa $PBX_IP:5060"
call_to phone1 1101 "$LAB_PROVIDER_IP:5060" far 2101 16000 20000 oproxy-without
UAC_ARGS=
call_done oproxy-without
heard=$(arrived phone1 16000)
check "without lan_server far's audio does not reach phone1 ($heard packets): the check can fail" \
	[ "${heard:-0}" -lt $((RTP_COUNT / 10)) ]

alg_kill TERM
alg_start --config "$LAB_DIR/hairpin.config" || not_ok "sipalgd restarts with direct_lan_media 0"
# The restarted daemon knows none of the earlier flows that conntrack still holds (phone1's
# on public port 16384, kept alive by the provider): a known gap (README), not this test's.
in_ns router conntrack -F >/dev/null 2>&1
# (a new account: the provider still holds 1002's contacts of the first daemon's ports)
check "phone2 registers as 1003 with the provider" lab_register phone2 1003
looped_call hairpin 1003
alg_stop
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish e2e-lan-server
