#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: a restart costs no call and no registration (issue 12, item 1). sipalgd
# keeps its table in its state file; killed mid-call (SIGKILL, as a crash before procd's
# respawn) and started again, or restarted by the OpenWrt init script (as on a queue change
# or a package upgrade), it restores the call and the registration: the call keeps two-way
# audio (RTP counted where it lands), its BYE closes the restored pinholes, and after the
# router's conntrack forgot the phone, an incoming call still reaches it without it
# registering again. The call in progress is phone2's; the phone called afterwards is phone1,
# which sends nothing after the restart (any message of a phone through the new daemon would
# bind its port again, state file or not, and prove nothing). A corrupt state file: the daemon starts with nothing restored and says
# why.
#
# Usage: sh tests/e2e/test-restart.sh   (as root, after make; LAB_KEEP=1 keeps the logs)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"
. "$LAB_E2E/calls.sh"

PUB=203.0.113.1
# The long calls: 400 packets each way (8 s), BYE after 9 s: the restart falls in the middle.
LONG=400
SHORT=100

registers() { grep -c 'SIPALG-LAB-REQ REGISTER' "$(provider_log)"; }
no_media_pinholes() { [ "$(media_pinholes)" -eq 0 ]; }
# state_has FILE PATTERN: the state file holds a line matching PATTERN.
state_has() { grep -q "$2" "$1" 2>/dev/null; }
# The registrations of both phones and phone2's call's RTP pinhole, in the status view of
# socket $1.
status_of() { in_ns router "$SIPALG_TOP/build/sipalgctl" --socket "$1" status; }
restored_view() {
	_rv=$(status_of "$1")
	printf '%s\n' "$_rv" | grep -q "192.168.1.10:5060 *-> $PUB:5060 .*registered" &&
		printf '%s\n' "$_rv" | grep -q "192.168.1.11:5060 *-> $PUB:[0-9]* .*registered" &&
		printf '%s\n' "$_rv" | grep -q "rtp  0: $PUB:16000 -> 192.168.1.11:16000 from 203.0.113.20"
}
# The signaling binding in the kernel: the public port 5060 leads to phone1, from its
# registrar (inbound_calls 'registrar').
signaling_installed() { alg_map dnat_peer | grep -q "203\.0\.113\.10 \. 5060 .*: 192\.168\.1\.10 \. 5060"; }

# incoming_after_forget NAME: far calls phone1 once the router forgot phone1's flow.
incoming_after_forget() {
	check "the router's conntrack forgets phone1's signaling flow (UDP timeout 5 s)" \
		lab_conntrack_forgets "$LAB_PHONE1_IP" 20
	RTP_COUNT=$SHORT
	call far 2001 phone1 1001 20000 16000 "$1"
	check "an incoming call from far reaches phone1 and completes" call_done "$1"
	rtp_both "$1" far 20000 phone1 16000
}

scenario_killed() {
	echo "--- sipalgd killed (SIGKILL) mid-call, then started again (procd's respawn)"
	check "phone1 registers as 1001 through the ALG" lab_register phone1 1001
	check "phone2 registers as 1002" lab_register phone2 1002
	check "far registers as 2001" lab_register far 2001
	regs=$(registers)
	RTP_COUNT=$LONG
	call phone2 1002 far 2001 16000 20000 kill 9000
	check "phone2's call is up: its pinhole in the status view" lab_until 5 pinhole_for 192.168.1.11:16000
	check "within a second the state file holds the call and the registrations" \
		lab_until 3 sh -c 'grep -q "^dialog 0 1 1 " "$1" && grep -q "^binding sig 192.168.1.10:5060 5060 203.0.113.10 1 " "$1"' _ "$(alg_state)"
	sed 's/^/     | /' "$(alg_state)"
	alg_kill KILL
	check "sipalgd starts again" alg_start --config "$LAB_DIR/test.config"
	grep '^restored' "$LAB_DIR/sipalgd.log" | sed 's/^/     /'
	check "it logs what it restored" \
		grep -q "^restored 2 registrations and 1 call from $(alg_state) (2 signaling bindings, 2 media pinholes; 0 records had expired)" "$LAB_DIR/sipalgd.log"
	status_of "$(alg_socket)" | sed 's/^/     | /'
	check "the status view shows both registrations and the call's pinholes again" restored_view "$(alg_socket)"
	check "nftables has both pinholes again" sh -c '[ "$1" -eq 2 ]' _ "$(media_pinholes)"
	check "and the signaling binding: public port 5060 leads to phone1, from its registrar" signaling_installed
	check "the call completes; its BYE passed the restarted daemon" call_done kill
	rtp_both kill phone2 16000 far 20000
	check "the BYE closed the restored pinholes" lab_until 5 no_media_pinholes
	check "the status view lists no dialog" lab_until 3 no_dialogs
	incoming_after_forget in-killed
	check "no phone registered again ($(registers) REGISTERs at the provider, $regs before the kill)" \
		[ "$(registers)" -eq "$regs" ]
}

scenario_corrupt() {
	echo "--- a corrupt state file: the daemon starts with nothing restored and says why"
	alg_kill TERM
	check "at SIGTERM the daemon wrote its state file (phone1's registration in it)" \
		state_has "$(alg_state)" "^binding sig 192.168.1.10:5060 5060 "
	head -c 100 "$(alg_state)" >"$LAB_DIR/cut" && cp "$LAB_DIR/cut" "$(alg_state)"
	check "sipalgd starts with a truncated file" alg_start --config "$LAB_DIR/test.config"
	grep 'state file .* refused' "$LAB_DIR/sipalgd.log" | tail -n 1 | sed 's/^/     /'
	check "it says why it restored nothing" \
		grep -q "^state file $(alg_state) refused: line [0-9]*: .*; starting with nothing restored (the file is kept as $(alg_state).bad)" "$LAB_DIR/sipalgd.log"
	check "the refused file is kept aside as state.bad" [ -s "$(alg_state).bad" ]
	check "nothing was restored: no registration in the status view" \
		not sh -c 'ip netns exec "$1" "$2" --socket "$3" status | grep -q " registered,"' _ "$(lab_ns router)" \
		"$SIPALG_TOP/build/sipalgctl" "$(alg_socket)"
	check "phone1 registers again" lab_register phone1 1001
	alg_kill TERM
	sed 's/^sipalg-state [0-9]*$/sipalg-state 9/' "$(alg_state)" >"$LAB_DIR/future" && cp "$LAB_DIR/future" "$(alg_state)"
	check "sipalgd starts with a file of a future version" alg_start --config "$LAB_DIR/test.config"
	check "it refuses it, naming the version" \
		grep -q "^state file $(alg_state) refused: line 1: version 9, this sipalgd reads versions 1 to 2; starting with nothing restored" "$LAB_DIR/sipalgd.log"
	check "and runs: phone1 registers through it" lab_register phone1 1001
	alg_stop
}

# The OpenWrt init script's restart, with the shim of test-openwrt-init.sh for OpenWrt's shell
# functions and procd (which restarts the daemon: SIGTERM, then the new command line).
init() { openwrt_init "$SHIM_DIR/no-ujail" "$@"; }
daemon_pid() { cat "$SHIM_DIR/procd/pid" 2>/dev/null; }
shim_answers() { status_of "$SHIM_DIR/run/sipalgd.sock" >/dev/null 2>&1; }

scenario_init_restart() {
	echo "--- service sipalg restart (OpenWrt init script) mid-call"
	SHIM_DIR=$LAB_DIR/openwrt
	mkdir -p "$SHIM_DIR"
	chmod o+rx "$LAB_DIR" "$SHIM_DIR"
	sed -e "s/option enabled '0'/option enabled '1'/" "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" \
		>"$SHIM_DIR/sipalg.uci" && chmod 600 "$SHIM_DIR/sipalg.uci"
	check "service sipalg start" init start
	check "the daemon answers" lab_until 5 shim_answers
	check "procd is asked for the state file in the daemon's run folder" \
		sh -c 'tr "\n" " " <"$1" | grep -q -- "--state-file $2/run/state"' _ "$SHIM_DIR/procd/command" "$SHIM_DIR"
	check "phone1 registers through it" lab_register phone1 1001
	check "phone2 too" lab_register phone2 1002
	regs=$(registers)
	RTP_COUNT=$LONG
	call phone2 1002 far 2001 16000 20000 irestart 9000
	check "phone2's call is up" lab_until 5 sh -c 'ip netns exec "$1" "$2" --socket "$3" status | grep -q "rtp  0: .* -> 192.168.1.11:16000 from"' _ \
		"$(lab_ns router)" "$SIPALG_TOP/build/sipalgctl" "$SHIM_DIR/run/sipalgd.sock"
	check "the state file (written as the daemon's user, nobody) holds the call" \
		lab_until 3 state_has "$SHIM_DIR/run/state" "^dialog 0 1 1 "
	pid=$(daemon_pid)
	check "service sipalg restart" init restart
	check "a new daemon runs" sh -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$(daemon_pid)" "$pid"
	check "and answers" lab_until 5 shim_answers
	grep '^restored' "$SHIM_DIR/daemon.log" | sed 's/^/     /'
	check "it restored the registrations and the call" \
		grep -q "^restored 2 registrations and 1 call from $SHIM_DIR/run/state " "$SHIM_DIR/daemon.log"
	check "the status view shows them" restored_view "$SHIM_DIR/run/sipalgd.sock"
	check "the call completes" call_done irestart
	rtp_both irestart phone2 16000 far 20000
	check "the BYE closed the restored pinholes" lab_until 5 no_media_pinholes
	incoming_after_forget in-restart
	check "no phone registered again ($(registers) REGISTERs at the provider, $regs before the restart)" \
		[ "$(registers)" -eq "$regs" ]
	check "service sipalg stop" init stop
	check "the daemon wrote its state at the stop (for the next start)" \
		state_has "$SHIM_DIR/run/state" "^binding sig 192.168.1.10:5060 5060 "
}

start=$(date +%s)
lab_up || { not_ok "lab_up"; finish e2e-restart; exit 1; }
# A short media timeout, as test-calls.sh uses: a restored call whose media stopped ends soon.
sed "s/option media_timeout '60'/option media_timeout '5'/" "$SIPALG_TOP/openwrt/sipalg/files/sipalg.config" \
	>"$LAB_DIR/test.config"
alg_start --config "$LAB_DIR/test.config" || { not_ok "sipalgd starts"; cat "$LAB_DIR/sipalgd.log"; finish e2e-restart; exit 1; }
check "the first start finds no state file and says so" \
	grep -q "^no state file $(alg_state): nothing to restore" "$LAB_DIR/sipalgd.log"

scenario_killed
scenario_corrupt
scenario_init_restart

alg_ran_clean
echo "     took $(($(date +%s) - start)) s"
finish "e2e-restart${E2E_NAME:+-$E2E_NAME}"
