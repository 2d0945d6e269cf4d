#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: SIP over TCP through sipalgd's relay (nfq/tcp_relay.c), with
# sipalg-firewall diverting it (tproxy). Each check asserts what arrived where: the SIP at the
# provider (kamailio on TCP) or at a crafted peer (siptcp.py), RTP counted in the namespace
# where it lands.
#
# Usage: sh tests/e2e/test-tcp.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

RTP_COUNT=100
PUB=203.0.113.1

no_private() { [ -n "$1" ] && ! printf '%s\n' "$1" | grep -vi '^\(call-id\|i\):' | grep -q '192\.168\.'; }
# No call left in the status view, and no element toward the RTP ports of this test in the
# daemon's maps.
no_pinholes() {
	no_dialogs && ! { alg_map dnat_any; alg_map dnat_peer; } | grep -q '\. \(160[01][0-9]\|2000[0-9]\) *$'
}
sig_port() { in_ns router nft list set inet sipalg_divert tcp_sig_ports | grep -q "[{ ]$1 timeout"; }
# reg_public LOG: the crafted server got phone2's REGISTER with the public Contact.
reg_public() { grep -q "^Contact: <sip:1003@$PUB:[0-9]*;transport=tcp>" "$1"; }
# reg_and LOG command...: reg_public LOG, and the command succeeds (a translation both ways).
reg_and() { reg_public "$1" && shift && "$@"; }
rss_kb() { sed -n 's/^VmRSS:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$ALG_PID/status"; }
relay_json() { alg_status --json | grep -q "$1"; }
# closed_within "closed after N s..." MIN MAX
closed_within() {
	_cw_n=${1#closed after }
	_cw_n=${_cw_n%% *}
	case $_cw_n in "" | *[!0-9]*) return 1 ;; esac
	[ "$_cw_n" -ge "$2" ] && [ "$_cw_n" -le "$3" ]
}
relay_lists() { alg_status | grep -q "$1"; }
tcp_counter() { alg_status --json | sed -n "s/.*\"tcp_$1\":\([0-9]*\).*/\1/p"; }

scenario_register_and_call_out() {
	echo "--- phone1 registers over TCP and calls far (UDP) through the provider"
	check "phone1 registers as 1001 over TCP" lab_sipp register-phone1 phone1 register -t tn -max_socket 100 -s 1001 -key expires 300
	check "far registers as 2001 (UDP)" lab_register far 2001
	reg=$(provider_req REGISTER 1)
	check "the REGISTER reached the provider over TCP" sh -c 'printf "%s\n" "$1" | grep -qi "^via: SIP/2.0/TCP "' _ "$reg"
	check "it carries no private address outside Call-ID" no_private "$reg"
	check "its Contact names the public address" sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:5060;transport=TCP>"' _ "$reg" "$PUB"
	check "it came from the router's address" sh -c 'case $1 in 203.0.113.1:*) true ;; *) false ;; esac' _ "$(provider_req_from REGISTER 1)"
	check "the relay translated it (tcp translated >= 2: REGISTER and its 200)" sh -c '[ "${1:-0}" -ge 2 ]' _ "$(tcp_counter translated)"
	check "the public signaling port is in the diversion's set" sig_port 5060
	call phone1 1001 far 2001 16000 20000 out 2500 t1 u1
	sleep 1
	status=$(alg_status)
	printf '%s\n' "$status" | sed -n '/^SIP over TCP/,$p' | sed 's/^/     | /'
	check "during the call the status view lists the TCP connection" \
		sh -c 'printf "%s\n" "$1" | grep -q "^  tcp 192.168.1.10:[0-9]* *-> 203.0.113.10:5060 .* translated"' _ "$status"
	check "and the call's pinhole toward phone1" sh -c 'printf "%s\n" "$1" | grep -q "rtp  0: $2:16000 -> 192.168.1.10:16000"' _ "$status" "$PUB"
	check "the call over TCP completes (INVITE, 200, ACK, RTP, BYE, 200)" call_done out
	invite=$(provider_req INVITE 1)
	check "the INVITE reached the provider with no private address" no_private "$invite"
	check "its SDP names the public address" sh -c 'printf "%s\n" "$1" | grep -q "^c=IN IP4 $2"' _ "$invite" "$PUB"
	rtp_both out phone1 16000 far 20000
	check "after the BYE no media pinhole is left" lab_until 5 no_pinholes
}

scenario_call_in() {
	echo "--- far calls phone1: the provider opens a new TCP connection to phone1's Contact"
	check "first the router's conntrack forgets phone1's UDP flows (as a phone idle for minutes)" \
		lab_until 30 sh -c '! ip netns exec "$1" conntrack -L -p udp -s 192.168.1.10 2>/dev/null | grep -q .' \
		_ "$(lab_ns router)"
	call far 2001 phone1 1001 20000 16000 in 2500 u1 tn
	check "far's call reaches phone1 over TCP and completes" call_done in
	rtp_both in far 20000 phone1 16000
	check "the provider's connection was relayed inbound (tcp inbound >= 1)" sh -c '[ "${1:-0}" -ge 1 ]' _ "$(tcp_counter inbound)"
	check "the provider sent the INVITE to phone1's public Contact over TCP" \
		sh -c 'grep -A1 "SENTREQ INVITE to $2:5060" "$1" | grep -q "^INVITE sip:1001@$2:5060;transport=TCP"' \
		_ "$(provider_log)" "$PUB"
	check "after the BYE no media pinhole is left" lab_until 5 no_pinholes
}

scenario_hold_and_cancel() {
	hold_and_move t1
	cancel_and_busy t1
}

scenario_set_refilled() {
	echo "--- the diversion re-created empty (as after 'service firewall stop; start')"
	in_ns router nft delete table inet sipalg_divert
	alg_divert
	check "sipalgd refills tcp_sig_ports with phone1's public port (it looks every 5 s)" lab_until 12 sig_port 5060
	call far 2001 phone1 1001 20000 16000 refill 2500 u1 tn
	check "and far's call reaches phone1 over a new TCP connection again" call_done refill
	rtp_both refill far 20000 phone1 16000
}

# msg_field LOG N FIELD: a field of the Nth logged message's line.
msg_line() { grep '^=== MSG' "$1" | sed -n "${2}p"; }
intact() { # every logged message's Content-Length equals its body's length
	[ -s "$1" ] && ! grep '^=== MSG' "$1" | grep -v ' cl=\([0-9]*\) body=\1$' | grep -q .
}

scenario_crafted() {
	echo "--- crafted SIP/TCP (siptcp.py): growing and shrinking messages, three in one segment,"
	echo "    one byte per segment, the server's INVITE over the phone's own connection"
	# its INVITE comes 7 s after the REGISTER's 200: past the router's UDP conntrack timeout
	# for such a flow (5 s here), and within this test's tcp_idle_timeout (10 s)
	in_ns far python3 "$LAB_E2E/siptcp.py" server --port 5060 --me 203.0.113.20 --rtp-port 20002 \
		--invite-after 7 --log "$LAB_DIR/crafted-server.log" &
	echo $! >"$LAB_DIR/crafted-server.pid"
	sleep 0.5
	rtp_counter_start phone2 16010
	rtp_counter_start far 20002
	in_ns phone2 python3 "$LAB_E2E/siptcp.py" phone --server 203.0.113.20:5060 --user 1003 --rtp-port 16010 \
		--hold 4 --log "$LAB_DIR/crafted-phone.log" >"$LAB_DIR/crafted-phone.out" 2>&1 &
	phone_pid=$!
	lab_until 30 grep -q '^ready' "$LAB_DIR/crafted-phone.out"
	# far sends where the phone's answer told it: its SDP as it reached the server
	answer=$(sed -n '/^SIP\/2.0 200 OK/,/^=== END/p' "$LAB_DIR/crafted-server.log" | sed -n '/^CSeq: 1 INVITE/,/^=== END/p')
	media="$(printf '%s\n' "$answer" | sed -n 's/^c=IN IP4 //p' | head -n 1):$(printf '%s\n' "$answer" | sed -n 's/^m=audio \([0-9]*\) .*/\1/p' | head -n 1)"
	echo "     the phone's answer, as it reached the server, names $media for its media"
	in_ns far python3 "$LAB_E2E/rtp.py" --port 20002 --to "$media" --count "$RTP_COUNT" \
		--stats "$LAB_DIR/crafted-far.rtp" &
	in_ns phone2 python3 "$LAB_E2E/rtp.py" --port 16010 --to 203.0.113.20:20002 --count "$RTP_COUNT" \
		--stats "$LAB_DIR/crafted-phone.rtp" &
	wait "$phone_pid"
	check "the crafted phone's dialogue completed" grep -q '^done' "$LAB_DIR/crafted-phone.out"
	sleep 1
	srv=$LAB_DIR/crafted-server.log
	ph=$LAB_DIR/crafted-phone.log
	check "the REGISTER reached the server with the public Contact" reg_public "$srv"
	check "the server's INVITE to that Contact, over the phone's own connection 7 s later, arrived with the private address" \
		reg_and "$srv" grep -q '^invite-uri=sip:1003@192.168.1.11:5060;transport=tcp' "$LAB_DIR/crafted-phone.out"
	check "every message reached the server intact (Content-Length = body)" intact "$srv"
	check "every message reached the phone intact (Content-Length = body)" intact "$ph"
	check "no private address reached the server outside Call-ID" \
		sh -c '! grep -v "^Call-ID:" "$1" | grep -q "192\.168\."' _ "$srv"
	check "a message that grew: the 200 to REGISTER, sent with the public Contact, arrived with the private one" \
		reg_and "$srv" sh -c 'grep -A12 "^SIP/2.0 200 OK" "$1" | grep -q "^CSeq: 1 REGISTER" &&
			grep -A12 "^SIP/2.0 200 OK" "$1" | grep -q "^Contact: <sip:1003@192.168.1.11:5060;transport=tcp>"' _ "$ph"
	check "a message that shrank: the phone's 200 with SDP arrived with the public address" \
		sh -c 'grep -A30 "^SIP/2.0 200 OK" "$1" | grep -q "^c=IN IP4 $2"' _ "$srv" "$PUB"
	n_opt=$(grep -A1 '^OPTIONS ' "$srv" | grep -c "^Via: SIP/2.0/TCP $PUB:")
	check "three requests in one segment arrived as three messages, each translated ($n_opt)" [ "$n_opt" -eq 3 ]
	check "a CRLFCRLF keep-alive passed as one (tcp keepalives $(tcp_counter keepalives))" \
		sh -c '[ "${1:-0}" -ge 1 ]' _ "$(tcp_counter keepalives)"
	check "a 60 KiB MESSAGE arrived whole (len > 60000) and translated (public Contact)" \
		sh -c 'grep -A12 "^=== MSG .* cl=60000 body=60000" "$1" | grep -q "^Contact: <sip:1003@$2:"' _ "$srv" "$PUB"
	check "the INVITE sent one byte per segment arrived whole and translated" \
		sh -c 'grep -A20 "^INVITE sip:2001@" "$1" | grep -q "^c=IN IP4 $2"' _ "$srv" "$PUB"
	a=$(arrived phone2 16010)
	b=$(arrived far 20002)
	echo "     RTP of the call over the phone's own connection: at phone2 $a, at far $b (of $RTP_COUNT each)"
	check "far's RTP reached phone2 ($a)" enough "$a"
	check "phone2's RTP reached far ($b)" enough "$b"
	check "after the BYEs no media pinhole is left" lab_until 5 no_pinholes
}

scenario_passthrough() {
	echo "--- a connection that does not start as SIP is relayed as it is, for the rest of its life"
	srv=$LAB_DIR/crafted-server.log
	in_ns phone2 python3 "$LAB_E2E/siptcp.py" raw --server 203.0.113.20:5060 --log "$LAB_DIR/raw.log"
	check "the bytes that are not SIP reached the server unchanged" grep -q '^HELLO this is not SIP$' "$srv"
	check "the REGISTER after them on that connection passed untranslated (private Contact)" \
		grep -q '^Contact: <sip:1005@192.168.1.11:5060;transport=tcp>' "$srv"
	check "and the server's reply came back (200)" grep -q '^CSeq: 1 REGISTER' "$LAB_DIR/raw.log"
	check "counted as passthrough ($(tcp_counter passthrough))" sh -c '[ "${1:-0}" -ge 1 ]' _ "$(tcp_counter passthrough)"
	check "and logged once, with the reason" sh -c '[ "$(grep -c "relayed unchanged from now on: " "$1")" -eq 1 ]' \
		_ "$LAB_DIR/sipalgd.log"
}

# reload_limit N: max_registrations_per_host N in the config file, and the daemon reloads it.
reload_limit() {
	_rl_n=$(grep -c '^reloaded ' "$LAB_DIR/sipalgd.log")
	sed -i "s/option max_registrations_per_host '[0-9]*'/option max_registrations_per_host '$1'/" "$LAB_DIR/test.config"
	kill -s HUP "$ALG_PID"
	lab_until 5 sh -c '[ "$(grep -c "^reloaded " "$1")" -gt "$2" ]' _ "$LAB_DIR/sipalgd.log" "$_rl_n"
}
# via_ports LOG: the ports of the serial OPTIONS' Vias in a log, sorted.
via_ports() { sed -n 's/^Via: SIP\/2.0\/TCP [0-9.]*:\([0-9]*\);branch=z9hG4bK-serial.*/\1/p' "$1" | sort -n | tr '\n' ' '; }
sig_bindings_of() { alg_status | sed -n '/^signaling bindings/,/^dialogs/p' | grep -c "^  $1:"; }

scenario_many_connections() {
	echo "--- a phone that opens a connection per request: its Vias bind nothing over TCP"
	check "max_registrations_per_host 2, reloaded" reload_limit 2
	srv=$LAB_DIR/crafted-server.log
	out=$(in_ns phone2 python3 "$LAB_E2E/siptcp.py" serial --server 203.0.113.20:5060 -n 6 --log "$LAB_DIR/serial.log")
	check "phone2's 6 connections one after the other, an OPTIONS on each: 6 replies ($out)" [ "$out" = "ok=6 reset=0" ]
	n=$(grep -c "^Via: SIP/2.0/TCP $PUB:[0-9]*;branch=z9hG4bK-serial" "$srv")
	check "each reached the server translated: its Via names the public address ($n of 6)" [ "$n" -eq 6 ]
	p2=$(alg_status --json | sed -n 's/.*"private":"192.168.1.11:5060","public_port":\([0-9]*\).*/\1/p')
	n=$(grep -c "^Contact: <sip:1004@$PUB:${p2:-none};transport=tcp>" "$srv")
	check "and its Contact the public address and the public port of phone2's binding ($p2; $n of 6)" [ "$n" -eq 6 ]
	n=$(grep -c '^Via: SIP/2.0/TCP 192.168.1.11:[0-9]*;branch=z9hG4bK-serial' "$LAB_DIR/serial.log")
	check "each reply came back with phone2's private address in its Via ($n of 6)" [ "$n" -eq 6 ]
	check "with the port phone2 wrote, as the server saw it (the connection's: $(via_ports "$srv"))" \
		[ "$(via_ports "$srv")" = "$(via_ports "$LAB_DIR/serial.log")" ]
	alg_status | sed -n '/^signaling bindings/,/^dialogs/p' | sed 's/^/     | /'
	check "the status view holds one signaling binding of phone2 (its Contact's), not one per connection" \
		[ "$(sig_bindings_of 192.168.1.11)" -eq 1 ]
	check "nothing passed untranslated for the limit (tcp unchanged (limit max_registrations_per_host))" \
		not relay_lists "tcp unchanged (limit max_registrations_per_host)"
	check "max_registrations_per_host 16 again" reload_limit 16
}

# tls_server NS IP PORT: siptcp.py's server speaking SIP over TLS; tls_server_stop ends it.
tls_server() {
	in_ns "$1" sh -c 'echo $$ >"$1"; exec python3 "$2"/siptcp.py server --port "$3" --me "$4" \
		--tls-cert "$5"/tls.crt --tls-key "$5"/tls.key --log "$5"/tls-server.log' \
		_ "$LAB_DIR/tls-server.pid" "$LAB_E2E" "$3" "$2" "$LAB_DIR" &
	sleep 0.5
}
tls_server_stop() {
	_tls_pid=$(cat "$LAB_DIR/tls-server.pid")
	kill "$_tls_pid" 2>/dev/null
	lab_until 5 not kill -0 "$_tls_pid" 2>/dev/null
}

scenario_tls() {
	echo "--- SIP over TLS: on 5061 counted and forwarded untouched; on 5060 relayed as it is"
	openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=sipalg-lab -days 1 \
		-keyout "$LAB_DIR/tls.key" -out "$LAB_DIR/tls.crt" >/dev/null 2>&1
	tls0=$(tcp_counter tls_connections)
	tls_server far 203.0.113.20 5061
	check "phone2 registers over TLS to 5061 (200)" \
		in_ns phone2 python3 "$LAB_E2E/siptcp.py" tls-phone --server 203.0.113.20:5061 --log "$LAB_DIR/tls-phone.log"
	check "the REGISTER arrived as the phone wrote it: nobody on the path can read TLS (private Contact)" \
		grep -q '^Contact: <sips:1006@192.168.1.11:[0-9]*>' "$LAB_DIR/tls-server.log"
	tls1=$(tcp_counter tls_connections)
	check "counted in status: tls_connections $tls0 -> $tls1" [ "$((tls1 - tls0))" -eq 1 ]
	check "the relay did not see it (tcp accepted is still $accepted0)" [ "$(tcp_counter accepted)" -eq "$accepted0" ]
	check "the status text says it" relay_lists "tcp tls_connections *$tls1 (port 5061: forwarded untouched)"
	tls_server_stop
	tls_server far2 203.0.113.21 5060
	check "TLS to 5060: diverted to the relay, which passes it as it is (200)" \
		in_ns phone2 python3 "$LAB_E2E/siptcp.py" tls-phone --server 203.0.113.21:5060 --user 1007 \
		--log "$LAB_DIR/tls-phone.log"
	check "its REGISTER arrived untouched too (private Contact)" \
		grep -q '^Contact: <sips:1007@192.168.1.11:[0-9]*>' "$LAB_DIR/tls-server.log"
	check "counted as TLS by the relay (tcp tls $(tcp_counter tls))" [ "$(tcp_counter tls)" -eq 1 ]
	tls_server_stop
}

scenario_limits() {
	echo "--- limits: the registrar only, connections per host, idle connections (slowloris)"
	out=$(in_ns far2 python3 "$LAB_E2E/siptcp.py" many --server "$PUB:5060" -n 1)
	check "a stranger's connection to phone1's public port is reset ($out)" [ "$out" = "ok=0 reset=1" ]
	check "counted: not the phone's registrar" relay_lists "tcp refused (not the phone.s registrar (inbound_calls)): 1"
	out=$(in_ns phone2 python3 "$LAB_E2E/siptcp.py" many --server 203.0.113.20:5060 -n 6)
	check "phone2's 6 connections at once: 4 relayed, 2 reset (tcp_max_connections_per_host 4: $out)" \
		[ "$out" = "ok=4 reset=2" ]
	check "counted: limit tcp_max_connections_per_host" relay_lists "tcp refused (limit tcp_max_connections_per_host): 2"
	out=$(in_ns phone2 python3 "$LAB_E2E/siptcp.py" many --server 203.0.113.21:5060 -n 1)
	check "a connection to a server that refuses it: the phone's is reset as without the ALG ($out)" \
		[ "$out" = "ok=0 reset=1" ]
	check "counted: connect failed" relay_lists "tcp refused (connect failed): 1"
	# a server that never reads: the relay stops reading the phone, its memory stays bounded
	in_ns far2 python3 "$LAB_E2E/siptcp.py" sink --port 5060 --seconds 20 &
	sink_pid=$!
	sleep 0.5
	rss0=$(rss_kb)
	out=$(in_ns phone2 python3 "$LAB_E2E/siptcp.py" flood --server 203.0.113.21:5060 --seconds 2 --hold 1)
	rss1=$(rss_kb)
	bp=$(tcp_counter backpressure)
	echo "     a phone flooding a server that does not read: $out bytes taken before its sends blocked;"
	echo "     sipalgd VmRSS $rss0 kB before, $rss1 kB with the flood held; backpressure counted $bp"
	check "the relay stopped reading the phone (backpressure $bp)" sh -c '[ "${1:-0}" -ge 1 ]' _ "$bp"
	if [ -z "${E2E_NAME:-}" ]; then
		check "sipalgd's memory grew by less than 512 kB ($rss0 -> $rss1 kB)" [ $((rss1 - rss0)) -lt 512 ]
	else # the sanitizer's quarantine and shadow memory make VmRSS say nothing here
		echo "     (VmRSS not judged with the $E2E_NAME build)"
	fi
	kill "$sink_pid" 2>/dev/null
	wait "$sink_pid" 2>/dev/null
	out=$(in_ns phone2 python3 "$LAB_E2E/siptcp.py" half --server 203.0.113.20:5060 --wait 30)
	check "half a message and then nothing: the relay closes it after tcp_idle_timeout 10 s ($out)" \
		closed_within "$out" 9 17
	check "counted: idle_closed $(tcp_counter idle_closed)" sh -c '[ "${1:-0}" -ge 1 ]' _ "$(tcp_counter idle_closed)"
	check "no connection left in the status view" relay_json '"tcp_connections":\[\]'
	kill "$(cat "$LAB_DIR/crafted-server.pid")" 2>/dev/null
}

scenario_clean_stop() {
	echo "--- SIGTERM with a connection open: every connection closed, everything freed"
	in_ns phone1 python3 "$LAB_E2E/tcpdivert.py" register 203.0.113.10 --user 1001 --hold "$LAB_DIR/term" \
		>"$LAB_DIR/term.out" 2>&1 &
	term_pid=$!
	lab_until 10 test -e "$LAB_DIR/term.ready"
	check "a connection is open through the relay" relay_lists "^  tcp 192.168.1.10:[0-9]* *-> 203.0.113.10:5060"
	kill -s TERM "$ALG_PID"
	wait "$ALG_PID"
	rc=$?
	ALG_PID=
	check "sipalgd exits 0 on SIGTERM (a sanitizer's leak report would make it fail; got $rc)" [ "$rc" -eq 0 ]
	check "and left nothing in tcp_sig_ports (no relay listens)" not sig_port 5060
	touch "$LAB_DIR/term.go"
	wait "$term_pid"
	echo "     the open connection after the stop: $(grep '^after' "$LAB_DIR/term.out")"
	check "sipalgd starts again" alg_start --config "$LAB_DIR/test.config"
}

scenario_daemon_killed() {
	echo "--- the daemon killed mid-connection, then restarted"
	in_ns phone1 python3 "$LAB_E2E/tcpdivert.py" register 203.0.113.10 --user 1001 --hold "$LAB_DIR/hold" \
		>"$LAB_DIR/hold.out" 2>&1 &
	hold_pid=$!
	lab_until 10 test -e "$LAB_DIR/hold.ready"
	check "a connection is open through the relay" relay_lists "^  tcp 192.168.1.10:[0-9]* *-> 203.0.113.10:5060"
	alg_kill KILL
	touch "$LAB_DIR/hold.go"
	wait "$hold_pid"
	echo "     the open connection after the kill: $(grep '^after' "$LAB_DIR/hold.out")"
	before=$(grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)")
	check "with the daemon dead, a new connection goes straight through (200)" \
		in_ns phone1 python3 "$LAB_E2E/tcpdivert.py" register 203.0.113.10 --user 1001
	n=$(grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)")
	check "and reaches the provider untranslated (private Contact: nothing relays it)" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@192.168.1.10"' _ "$(provider_req REGISTER "$n")"
	[ "$n" -gt "$before" ] || not_ok "a REGISTER arrived"
	check "sipalgd restarts" alg_start --config "$LAB_DIR/test.config"
	check "the restarted daemon relays new connections (200)" \
		in_ns phone1 python3 "$LAB_E2E/tcpdivert.py" register 203.0.113.10 --user 1001
	n=$(grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)")
	check "translated again (public Contact)" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:"' _ "$(provider_req REGISTER "$n")" "$PUB"
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-tcp; exit 1; }
sipp_tcp_scenarios
# Short limits, to see them work within the test.
sed -e "s/option media_timeout '60'/option media_timeout '5'/" \
	-e "s/option tcp_max_connections_per_host '16'/option tcp_max_connections_per_host '4'/" \
	-e "s/option tcp_idle_timeout '7440'/option tcp_idle_timeout '10'/" \
	"$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" >"$LAB_DIR/test.config"
alg_start --config "$LAB_DIR/test.config" || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-tcp; exit 1; }

scenario_register_and_call_out
scenario_call_in
scenario_hold_and_cancel
scenario_set_refilled
scenario_crafted
scenario_passthrough
scenario_many_connections
accepted0=$(tcp_counter accepted)
scenario_tls
scenario_limits
scenario_clean_stop
scenario_daemon_killed

alg_stop
check "it logs registrations and calls over TCP as over UDP, saying tcp" sh -c \
	'grep -q "^registered 192.168.1.10:5060 -> 203.0.113.1:5060 expires=300 (tcp)\$" "$1" &&
	grep -q "^answered call=.* (tcp)\$" "$1" && grep -q "^media-close call=.* reason=BYE (tcp)\$" "$1"' \
	_ "$LAB_DIR/sipalgd.log"
n_missing=$(grep -c 'tcp_sig_ports not there' "$LAB_DIR/sipalgd.log")
check "it noticed the set gone at most once per time it was gone ($n_missing)" [ "$n_missing" -le 1 ]
check "it logs the relay's settings" grep -q '^SIP over TCP: relay on 127.0.0.1:15060, connections 256 in all, 4 per host, idle 10s' "$LAB_DIR/sipalgd.log"
check "sipalg-firewall stop leaves no diversion table" not in_ns router nft list table inet sipalg_divert
check "the kernel answered every nftables commit" sh -c '! grep "no answer from the kernel" "$1"' _ "$LAB_DIR/sipalgd.log"
alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-tcp${E2E_NAME:+-$E2E_NAME}"
