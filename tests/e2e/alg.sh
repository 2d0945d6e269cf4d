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

# alg_start [sipalgd options]: divert SIP to queue 0 and start the daemon.
alg_start() {
	in_ns router "$SIPALG_TOP/router-scripts/sipalg-firewall" start --wan wan0 --lan lan0 >/dev/null ||
		return 1
	mkdir -p "$LAB_DIR/run" && chown nobody "$LAB_DIR/run" || return 1
	# exec all the way down, so that $! is the daemon itself
	(exec ip netns exec "$(lab_ns router)" "$SIPALGD" --wan wan0 --lan lan0 --foreground \
		--control "$(alg_socket)" --state-file "$(alg_state)" "$@" >>"$LAB_DIR/sipalgd.log" 2>&1) &
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
