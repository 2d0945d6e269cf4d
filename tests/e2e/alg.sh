# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Running sipalg in the lab's router: the firewall diversion and the daemon.
# Sourced after lab.sh. SIPALGD may name another build (the sanitizer one).

: "${SIPALG_TOP:=$(cd "$LAB_E2E/../.." && pwd)}"
: "${SIPALGD:=$SIPALG_TOP/build/sipalgd}"

alg_socket() { echo "$LAB_DIR/sipalgd.sock"; }
# The daemon's state file (its registrations and calls for the next start), in a folder of
# the user it runs as, as /var/run/sipalg on a router; never the host's own.
alg_state() { echo "$LAB_DIR/run/state"; }

# alg_divert: sipalg-firewall start, to the queues the daemon reads.
alg_divert() {
	in_ns router "$SIPALG_TOP/router-scripts/sipalg-firewall" start --wan wan0 --lan lan0 \
		${SIPALG_QUEUES:+--queues "$SIPALG_QUEUES"} >/dev/null
}

# alg_start [sipalgd options]: divert SIP to queue 0 (SIPALG_QUEUES: to that many queues from
# 0, balanced, a thread each in the daemon) and start the daemon.
alg_start() {
	alg_divert || return 1
	mkdir -p "$LAB_DIR/run" && chown nobody "$LAB_DIR/run" || return 1
	# exec all the way down, so that $! is the daemon itself
	(exec ip netns exec "$(lab_ns router)" "$SIPALGD" --wan wan0 --lan lan0 --foreground \
		${SIPALG_QUEUES:+--queues "$SIPALG_QUEUES"} --control "$(alg_socket)" --state-file "$(alg_state)" "$@" \
		>>"$LAB_DIR/sipalgd.log" 2>&1) &
	ALG_PID=$!
	# ready when the status socket answers
	_as_i=0
	while [ $_as_i -lt 50 ]; do
		# shellcheck disable=SC2119
		alg_status >/dev/null 2>&1 && return 0
		kill -0 "$ALG_PID" 2>/dev/null || return 1
		sleep 0.1
		_as_i=$((_as_i + 1))
	done
	return 1
}

# alg_kill [SIGNAL]: stop the daemon (TERM: clean exit; KILL: a crash).
alg_kill() {
	[ -n "${ALG_PID:-}" ] || return 0
	kill -s "${1:-TERM}" "$ALG_PID" 2>/dev/null
	wait "$ALG_PID" 2>/dev/null
	ALG_PID=
}

alg_stop() {
	alg_kill TERM
	in_ns router "$SIPALG_TOP/router-scripts/sipalg-firewall" stop
}

# shellcheck disable=SC2120 # options are optional
alg_status() { in_ns router "$SIPALG_TOP/build/sipalgctl" --socket "$(alg_socket)" status "$@"; }

# The elements of one of the daemon's maps, one per line.
alg_map() { in_ns router nft list map ip sipalg "$1" 2>/dev/null | sed "s/[,{}]/\n/g" | grep " expires .* : "; }

# openwrt_init UJAIL ACTION...: runs the OpenWrt init script's functions in the router with the
# shim of OpenWrt's shell and procd (openwrt-shim.sh; its state in $SHIM_DIR), the tree's
# programs and the lab's devices; ujail is there if the file UJAIL exists.
openwrt_init() {
	_ujail=$1
	shift
	# shellcheck disable=SC2016 # the sh -c snippet expands its own arguments
	in_ns router env SHIM_DIR="$SHIM_DIR" SHIM_NET_wan=wan0 SHIM_NET_lan=lan0 SHIM_UJAIL="$_ujail" \
		SHIM_EXTRA_ARGS=--foreground sh -c '
		. "$1"; . "$2"
		PROG=$3/build/sipalgd FIREWALL=$3/router-scripts/sipalg-firewall
		CAPABILITIES=$3/openwrt/sipalg/files/capabilities.json UJAIL=$SHIM_UJAIL RUN_AS=nobody
		CONFIG=$SHIM_DIR/sipalg.uci RUNDIR=$SHIM_DIR/run STATEDIR=$SHIM_DIR/state
		DIVERT=$STATEDIR/divert.nft COMMAND=$STATEDIR/command DAEMON_CONFIG=$STATEDIR/config
		NETWORK_SH=$4
		shift 4
		"$@"' _ "$LAB_E2E/openwrt-shim.sh" "$SIPALG_TOP/openwrt/sipalg/files/sipalg.init" \
		"$SIPALG_TOP" "$LAB_E2E/openwrt-shim.sh" "$@"
}

# alg_ran_clean: the daemon's log holds no sanitizer report (ASan, UBSan, TSan; a leak found
# at exit is one); the first lines of one if it does.
alg_ran_clean() {
	if grep -q 'Sanitizer\|runtime error' "$LAB_DIR/sipalgd.log"; then
		not_ok "sipalgd ($SIPALGD) ran clean: see $LAB_DIR/sipalgd.log"
		grep -m 20 'ERROR\|WARNING\|runtime error\|#[0-9]' "$LAB_DIR/sipalgd.log"
	else
		ok "sipalgd ($SIPALGD) ran clean: no sanitizer report, no leak at exit"
	fi
}
