#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # the figures are named after their set-up and assigned by eval
# sipalg benchmarks: plain NAT, the kernel's SIP helper and sipalgd on the same lab router and
# the same traffic, in one run. Prints a table and writes bench/results.json.
#
# Usage: sh bench/bench.sh BUILD_DIR   (as root; make bench builds and runs it)
#   BENCH_JSON=path   where the JSON goes (default bench/results.json)
#   BENCH_SECONDS=S   length of each throughput run (default 2)
#   BENCH_CPS_WINDOW=S  the window of each calls-per-second step (default 3)
#   BENCH_ONLY=threads  only the figures of sipalgd's threads and system calls (a quick look);
#   BENCH_ONLY=syscalls only the system calls (also of an older build: BUILD_DIR its build)
#
# Set-ups (the router of tests/e2e/lab.sh: fw4-like forward policy, masquerade on wan0):
#   plain   nothing more
#   kernel  nf_conntrack_sip/nf_nat_sip: an nft `ct helper` object of type "sip" assigned in a
#           prerouting chain at priority filter to udp dport 5060; module parameters as the
#           kernel has them (read and recorded, never written)
#   sipalg  router-scripts/sipalg-firewall and build/sipalgd, as tests/e2e/alg.sh starts them
# Traffic: bench/sipload (sendmmsg) between phone1 192.168.1.10:5060 and far 203.0.113.20:5060.
#   LAN->WAN: INVITE with SDP from phone1 to far; translated = no 192.168.x left outside the
#     Call-ID when it reaches far.
#   WAN->LAN: phone1 first sends a REGISTER to far (so that conntrack, and sipalgd's binding,
#     exist: the path a registered phone has in all three set-ups), then far sends INVITEs with
#     SDP to the router's public address 203.0.113.1:5060; translated = the Request-URI names
#     192.168.1.10 when it reaches phone1.
#   SIP/TCP, LAN->WAN: the same INVITEs on one TCP connection from phone1 to far:5060
#     (unpaced: written back to back, so messages straddle segments; paced: one segment
#     each), framed by Content-Length at far; the kernel helper is assigned on TCP 5060 too.
#   The INVITEs cycle through 64 Call-IDs (64 live dialogs, each its own RTP port).
#   Threads: sipalgd alone with queues 1 and with queues 2 (option queues), LAN->WAN from 4
#     LAN addresses at once (NFQUEUE balances flows by address: one sender would be one
#     queue's); and the system calls sipalgd makes per message (strace -c), paced and unpaced.
# Each figure is measured for the three set-ups one after the other, then the next figure;
# throughput and latency in three such rounds (best and median round kept).
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
LAB_E2E=$TOP/tests/e2e
SIPALG_TOP=$TOP
SIPALGD=$BUILD/sipalgd
SIPALG_CONFIG=$TOP/openwrt/sipalg/files/sipalg.config
SIPLOAD=$BUILD/bench/sipload
JSON=${BENCH_JSON:-$BENCH_DIR/results.json}
SECONDS_RUN=${BENCH_SECONDS:-2}
CPS_WINDOW=${BENCH_CPS_WINDOW:-3}
CPS_RATES="25 50 75 100 150 200 300 400 600"
SETUPS="plain kernel sipalg"
CALLS=64
export SIPALG_TOP SIPALGD

# shellcheck source=../tests/e2e/lab.sh
. "$LAB_E2E/lab.sh"
# shellcheck source=../tests/e2e/alg.sh
. "$LAB_E2E/alg.sh"

die() {
	echo "bench: FAILED: $*" >&2
	# shellcheck disable=SC2034 # read by lab_down: the logs stay for a look
	LAB_KEEP=1
	exit 1
}

say() { printf 'bench: %s\n' "$*" >&2; }

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
for f in "$SIPALGD" "$SIPLOAD" "$BUILD/bench/core" "$BUILD/bench/core-plain" "$BUILD/sipalgctl"; do
	[ -x "$f" ] || die "$f is missing (make bench builds it)"
done

# kv FILE KEY: a value from the last key=value line of FILE.
kv() { tail -n 1 "$1" 2>/dev/null | sed -n "s/^\(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p"; }

# calc EXPR: floating-point arithmetic (awk), printed with up to 3 decimals.
calc() { awk "BEGIN { v = $1; if (v == int(v)) printf \"%d\", v; else printf \"%.3f\", v }"; }

# int EXPR: the same, rounded to an integer.
int() { awk "BEGIN { printf \"%.0f\", $1 }"; }

# ratio A B: A/B to 2 decimals, or null when B is 0 or missing.
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b + 0 == 0) print "null"; else printf "%.2f", a / b }'; }

# ---- the translation core alone -------------------------------------------------------------
core_bench() {
	say "core: ns and heap allocations per message (golden corpus)"
	"$BUILD/bench/core" "$TOP/tests/golden" >"$B/core.out" || die "core benchmark"
	# Instructions: callgrind over two round counts; the difference leaves out start-up.
	for r in 10 30; do
		valgrind --tool=callgrind --toggle-collect=bench_round --callgrind-out-file="$B/cg.$r" \
			"$BUILD/bench/core-plain" "$TOP/tests/golden" --rounds $r >/dev/null 2>&1 ||
			die "callgrind run"
	done
	ir10=$(sed -n 's/^totals: *//p' "$B/cg.10")
	ir30=$(sed -n 's/^totals: *//p' "$B/cg.30")
	core_msgs=$(kv "$B/core.out" messages)
	CORE_IR=$(int "($ir30 - $ir10) / (20 * $core_msgs)")
	CORE_NS=$(kv "$B/core.out" ns_mean)
	CORE_ALLOCS=$(kv "$B/core.out" allocs_mean)
	CORE_ZERO=$(kv "$B/core.out" zero_alloc_cases)
	invite=$(grep '^case=zoiper-invite-stun-off ' "$B/core.out")
	CORE_INVITE_NS=$(echo "$invite" | sed -n 's/.* ns=\([0-9]*\).*/\1/p')
	CORE_INVITE_ALLOCS=$(echo "$invite" | sed -n 's/.* allocs=\([0-9.]*\).*/\1/p')
	SIZEOF_BINDING=$(kv "$B/core.out" sizeof_binding)
	SIZEOF_DIALOG=$(kv "$B/core.out" sizeof_dialog)
	SIZEOF_TABLE=$(kv "$B/core.out" sizeof_table)
	MAX_BINDINGS=$(kv "$B/core.out" max_bindings)
	MAX_DIALOGS=$(kv "$B/core.out" max_dialogs)
	scale_bench
}

# fv FILE KEY: a value from the fill line of a core --fill run.
fv() { sed -n "s/^\(.* \)\{0,1\}$2=\([^ ]*\).*/\2/p" "$1" | head -n 1; }

# Scale, in the core alone, with a table sized as sipalgd sizes it (max_bindings REGS + 2
# CALLS, max_calls CALLS) and filled through the core with real REGISTERs, INVITEs and their
# 200s: capacity held and RSS (load-independent), and callgrind's instructions per golden
# message at 10 registrations against the largest fill.
scale_bench() {
	say "core: capacity, memory and cost per message at 10,000 and 100,000 phones"
	"$BUILD/bench/core-plain" "$TOP/tests/golden" --fill 10000 10000 >"$B/fill-10k.out" 2>&1 || die "core --fill 10000"
	"$BUILD/bench/core-plain" "$TOP/tests/golden" --fill 100000 50000 >"$B/fill-100k.out" 2>&1 || die "core --fill 100000"
	for f in "10 5" "100000 50000"; do
		n=$(echo "$f" | tr ' ' _)
		for r in 10 30; do
			# shellcheck disable=SC2086 # two numbers
			valgrind --tool=callgrind --toggle-collect=bench_round --callgrind-out-file="$B/cg.$n.$r" \
				"$BUILD/bench/core-plain" "$TOP/tests/golden" --rounds $r --fill $f >/dev/null 2>&1 ||
				die "callgrind run (fill $f)"
		done
		eval "IR_$n=\$(int \"(\$(sed -n 's/^totals: *//p' \"\$B/cg.$n.30\") - \$(sed -n 's/^totals: *//p' \"\$B/cg.$n.10\")) / (20 * \$core_msgs)\")"
	done
	SCALE_IR_10=$IR_10_5
	SCALE_IR_100K=$IR_100000_50000
	SCALE_IR_RATIO=$(ratio "$SCALE_IR_100K" "$SCALE_IR_10")
	for k in 10k 100k; do
		for v in fill_registrations fill_calls held_signaling held_pinholes held_calls rss_kib rss_kib_before_fill \
			table_bytes capacity_bindings capacity_dialogs; do
			eval "SCALE_${k}_$v=\$(fv \"\$B/fill-$k.out\" $v)"
		done
	done
}

# ---- router set-ups -------------------------------------------------------------------------
setup() {
	in_ns router conntrack -F >/dev/null 2>&1
	case $1 in
	plain) ;;
	kernel)
		in_ns router nft -f - <<'EOF' || die "kernel helper: nft ct helper rules refused"
table inet sipbench_helper {
	ct helper sip5060 {
		type "sip" protocol udp
		l3proto ip
	}
	ct helper sip5060tcp {
		type "sip" protocol tcp
		l3proto ip
	}
	chain prerouting {
		type filter hook prerouting priority filter; policy accept;
		udp dport 5060 ct helper set "sip5060"
		tcp dport 5060 ct helper set "sip5060tcp"
	}
}
EOF
		;;
	sipalg)
		: >"$LAB_DIR/sipalgd.log"
		# The default settings, but for the per-host limits: here one address (phone1) stands
		# for up to 10,000 phones, which the defaults rightly refuse from a single host.
		# Sized for the 10,000 phones of the memory figures: each registered and in a call.
		sed -e "s/option max_registrations_per_host '16'/option max_registrations_per_host '40000'/" \
			-e "s/option max_bindings '4096'/option max_bindings '40000'/" \
			-e "s/option max_calls '256'/option max_calls '10000'/" \
			-e "s/option max_pinholes_per_host '64'/option max_pinholes_per_host '40000'/" \
			-e "s/option max_pinholes '1024'/option max_pinholes '40000'/" \
			-e "s/option max_new_pinholes_per_second '20'/option max_new_pinholes_per_second '100000'/" \
			"$SIPALG_CONFIG" >"$LAB_DIR/bench.config"
		alg_start --config "$LAB_DIR/bench.config" ||
			{ tail -n 20 "$LAB_DIR/sipalgd.log" >&2; die "sipalgd did not start"; }
		;;
	esac
}

teardown() {
	case $1 in
	kernel) in_ns router nft delete table inet sipbench_helper ;;
	sipalg) alg_stop ;;
	esac
}

# ---- SIP load through the router ------------------------------------------------------------
# flow DIR RATE NAME: one run of sipload (RATE 0: as fast as it goes) for SECONDS_RUN (or 2 s
# when paced); the receiver's and the sender's lines in $B/NAME.recv and $B/NAME.send.
flow() {
	fl_transport=udp
	if [ "$1" = out ] || [ "$1" = tcp ]; then
		[ "$1" = tcp ] && fl_transport=tcp
		rx_role=far rx_at=$LAB_FAR_IP:5060
		set -- "$@" --forbid 192.168.
		tx_role=phone1 tx_from=$LAB_PHONE1_IP:5060 tx_to=$LAB_FAR_IP:5060
	else
		rx_role=phone1 rx_at=$LAB_PHONE1_IP:5060
		set -- "$@" --need "$LAB_PHONE1_IP" --prime "$LAB_FAR_IP:5060"
		tx_role=far tx_from=$LAB_FAR_IP:5060 tx_to=$LAB_WAN_IP:5060
	fi
	fl_rate=$2 fl_name=$3 fl_secs=$SECONDS_RUN
	shift 3
	[ "$fl_rate" = 0 ] || fl_secs=2
	in_ns "$rx_role" "$SIPLOAD" recv --transport $fl_transport --at "$rx_at" --seconds $((fl_secs + 15)) --quiet-ms 700 "$@" \
		>"$B/$fl_name.recv" 2>&1 &
	fl_rx=$!
	lab_until_ready "$B/$fl_name.recv" || die "$fl_name: receiver did not start: $(cat "$B/$fl_name.recv")"
	sleep 0.3 # the REGISTER that primes WAN->LAN goes through first
	if [ "$fl_rate" = 0 ]; then
		in_ns "$tx_role" "$SIPLOAD" send --transport $fl_transport --from "$tx_from" --to "$tx_to" \
			--calls $CALLS --seconds "$fl_secs" >"$B/$fl_name.send" 2>&1 &
	else
		in_ns "$tx_role" "$SIPLOAD" send --transport $fl_transport --from "$tx_from" --to "$tx_to" \
			--calls $CALLS --seconds "$fl_secs" --rate "$fl_rate" >"$B/$fl_name.send" 2>&1 &
	fi
	wait $! || die "$fl_name: sender failed: $(cat "$B/$fl_name.send")"
	wait $fl_rx || die "$fl_name: receiver failed: $(cat "$B/$fl_name.recv")"
}

lab_until_ready() {
	_ur=0
	while ! grep -q '^ready$' "$1" 2>/dev/null; do
		_ur=$((_ur + 1))
		[ $_ur -lt 50 ] || return 1
		sleep 0.1
	done
}

# delivered SETUP NAME: messages that arrived as the set-up should deliver them: translated
# for the ALGs, all of them for plain NAT (which translates nothing).
delivered() {
	if [ "$1" = plain ]; then kv "$B/$2.recv" received; else kv "$B/$2.recv" translated; fi
}

# The kernel helper and sipalgd must really have translated, or the comparison means nothing.
must_translate() { # SETUP NAME
	[ "$1" = plain ] && return 0
	_mt_sent=$(kv "$B/$2.send" sent)
	_mt_ok=$(kv "$B/$2.recv" translated)
	[ "$(calc "${_mt_ok:-0} >= 0.99 * ${_mt_sent:-1}")" = 1 ] ||
		die "$2: $1 translated ${_mt_ok:-0} of ${_mt_sent:-0} messages at 1000/s (private address not rewritten at the far end)"
}

# Three rounds of the three set-ups, one after the other: a neighbour's burst on a shared
# machine then hits one round, not one set-up. Throughput keeps each set-up's best round.
throughput() { # DIR
	for rep in 1 2 3; do
		for s in $SETUPS; do
			setup "$s"
			say "throughput $1 ($s, round $rep): as fast as it goes for ${SECONDS_RUN}s"
			n=tput-$1-$s-$rep
			flow "$1" 0 "$n"
			teardown "$s"
			sent=$(kv "$B/$n.send" sent)
			got=$(delivered "$s" "$n")
			span=$(kv "$B/$n.recv" span)
			rate=$(awk -v g="${got:-0}" -v t="${span:-0}" 'BEGIN { printf "%.0f", (t > 0 ? g / t : 0) }')
			eval "best=\${TPUT_${1}_$s:-0}"
			[ "$rate" -gt "$best" ] || continue
			loss=$(awk -v g="${got:-0}" -v n="${sent:-0}" 'BEGIN { printf "%.1f", (n > 0 ? 100 * (1 - g / n) : 100) }')
			bypassed=$(($(kv "$B/$n.recv" received) - $(kv "$B/$n.recv" translated)))
			[ "$s" = plain ] && bypassed=0
			offered=$(kv "$B/$n.send" rate)
			eval "TPUT_${1}_$s=$rate LOSS_${1}_$s=$loss UNXL_${1}_$s=$bypassed OFFERED_${1}_$s=$offered"
		done
	done
}

# median A B C
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

# Latency: three rounds too; each set-up's median round.
# shellcheck disable=SC2034 # p50 and p99 are read through eval
latency() { # DIR
	for rep in 1 2 3; do
		for s in $SETUPS; do
			setup "$s"
			say "latency $1 ($s, round $rep): 1000 msg/s for 2s"
			flow "$1" 1000 "lat-$1-$s-$rep"
			teardown "$s"
			must_translate "$s" "lat-$1-$s-$rep"
		done
	done
	for s in $SETUPS; do
		# shellcheck disable=SC2046 # one figure per round, one argument each
		p50=$(median $(for r in 1 2 3; do kv "$B/lat-$1-$s-$r.recv" p50_us; done))
		# shellcheck disable=SC2046
		p99=$(median $(for r in 1 2 3; do kv "$B/lat-$1-$s-$r.recv" p99_us; done))
		eval "P50_${1}_$s=\$p50 P99_${1}_$s=\$p99"
	done
	if [ "$1" = out ]; then
		# plain NAT translates nothing: check that it really passed the private address
		[ "$(kv "$B/lat-out-plain-1.recv" translated)" = 0 ] ||
			die "plain NAT set-up rewrote SIP: is a SIP helper active in the lab router?"
	fi
}

# ---- threads: queues 1 against queues 2 -------------------------------------------------------
THREAD_HOSTS="$LAB_PHONE1_IP 192.168.1.21 192.168.1.22 192.168.1.23"

# flow_hosts NAME [sipload send options]: an unpaced run from every address of THREAD_HOSTS at
# once to far, counted at far.
flow_hosts() {
	fh_name=$1
	shift
	in_ns far "$SIPLOAD" recv --at "$LAB_FAR_IP:5060" --seconds $((SECONDS_RUN + 15)) --quiet-ms 700 \
		--forbid 192.168. >"$B/$fh_name.recv" 2>&1 &
	fh_rx=$!
	lab_until_ready "$B/$fh_name.recv" || die "$fh_name: receiver did not start: $(cat "$B/$fh_name.recv")"
	fh_pids=
	for h in $THREAD_HOSTS; do
		in_ns phone1 "$SIPLOAD" send --from "$h:5060" --to "$LAB_FAR_IP:5060" --calls $CALLS \
			--seconds "$SECONDS_RUN" "$@" >"$B/$fh_name.send.$h" 2>&1 &
		fh_pids="$fh_pids $!"
	done
	for p in $fh_pids; do wait "$p" || die "$fh_name: a sender failed"; done
	wait $fh_rx || die "$fh_name: receiver failed: $(cat "$B/$fh_name.recv")"
}

# The queue threads' own count of their system calls, from the log of a stopped sipalgd:
# packets, recvmmsg, sendmsg and poll summed over the queues.
queue_syscalls() {
	sed -n 's/^queue [0-9]*: \([0-9]*\) packets; system calls: \([0-9]*\) recvmmsg, \([0-9]*\) sendmsg, \([0-9]*\) poll$/\1 \2 \3 \4/p' \
		"$LAB_DIR/sipalgd.log" | awk '{ p += $1; r += $2; s += $3; q += $4 } END { printf "%d %d %d %d", p, r, s, q }'
}

threads() {
	for h in $THREAD_HOSTS; do
		[ "$h" = "$LAB_PHONE1_IP" ] || ip -n "$(lab_ns phone1)" addr add "$h/24" dev eth0 2>/dev/null
	done
	for rep in 1 2; do
		for q in 1 2; do
			SIPALG_QUEUES=$q setup sipalg
			say "threads (queues $q, round $rep): 4 LAN hosts as fast as they go for ${SECONDS_RUN}s"
			n=thr-$q-$rep
			flow_hosts "$n"
			teardown sipalg
			got=$(kv "$B/$n.recv" translated)
			span=$(kv "$B/$n.recv" span)
			rate=$(awk -v g="${got:-0}" -v t="${span:-0}" 'BEGIN { printf "%.0f", (t > 0 ? g / t : 0) }')
			# shellcheck disable=SC2046 # four numbers
			set -- $(queue_syscalls)
			eval "best=\${THR_$q:-0}"
			[ "$rate" -gt "$best" ] || continue
			eval "THR_$q=$rate THR_UNXL_$q=$(($(kv "$B/$n.recv" received) - ${got:-0}))"
			eval "THR_PER_READ_$q=$(calc "$1 / ($2 > 0 ? $2 : 1)") THR_PER_SEND_$q=$(calc "$1 / ($3 > 0 ? $3 : 1)")"
		done
	done
	THR_RATIO=$(ratio "$THR_2" "$THR_1")
}

# System calls of sipalgd per packet it was given, all of them (strace -c -f on the running
# daemon, which slows it: the batches are then fuller than without): paced at 2,000/s, and
# unpaced, from one LAN host (queues 1).
syscalls() {
	for pace in 2000 0; do
		setup sipalg
		say "system calls per message (strace -c, $([ $pace = 0 ] && echo unpaced || echo "$pace/s"))"
		strace -c -f -o "$B/strace-$pace.txt" -p "$ALG_PID" 2>/dev/null &
		st=$!
		sleep 1
		flow out "$pace" "sys-$pace"
		kill -INT "$st" 2>/dev/null
		wait "$st" 2>/dev/null
		teardown sipalg
		calls=$(awk '$NF == "total" { print $4 }' "$B/strace-$pace.txt")
		msgs=$(sed -n 's/^stopping: \([0-9]*\) packets.*/\1/p' "$LAB_DIR/sipalgd.log")
		eval "SYS_$pace=$(calc "${calls:-0} / (${msgs:-0} > 0 ? ${msgs:-1} : 1)")"
	done
}

# ---- calls per second: sipp caller -> kamailio -> sipp callee -------------------------------
cps() {
	say "calls per second: registering far as 2001 and starting the callee"
	lab_register far 2001 3600 || die "far could not register with kamailio"
	# exec all the way down, so that $! is sipp itself
	(exec ip netns exec "$(lab_ns far)" sipp -sf "$BENCH_DIR/sipp/uas.xml" -i "$LAB_FAR_IP" -p 5060 \
		-nostdin >"$B/uas.out" 2>&1) &
	uas=$!
	lab_wait_udp far 5060 5 || die "sipp callee does not listen: $(cat "$B/uas.out")"
	for s in $SETUPS; do
		setup "$s"
		best=0
		invites_before=$(grep -c 'SIPALG-LAB-REQ INVITE' "$(provider_log)")
		for r in $CPS_RATES; do
			n=$((r * CPS_WINDOW))
			in_ns phone1 sipp -sf "$BENCH_DIR/sipp/uac.xml" -s 2001 -i "$LAB_PHONE1_IP" -p 5060 \
				-r "$r" -m "$n" -l "$n" -recv_timeout 3000 -timeout $((CPS_WINDOW + 20)) -nostdin \
				-trace_stat -stf "$B/cps-$s-$r.csv" "$LAB_PROVIDER_IP:5060" \
				>"$B/cps-$s-$r.out" 2>&1 &
			if wait $!; then
				best=$r
				say "cps ($s): $r calls/s for ${CPS_WINDOW}s: all $n completed"
			else
				say "cps ($s): $r calls/s for ${CPS_WINDOW}s: calls failed"
				break
			fi
		done
		teardown "$s"
		[ "$best" -gt 0 ] || die "cps ($s): not even ${CPS_RATES%% *} calls/s completed (see $B/cps-$s-*.out)"
		if [ "$s" != plain ]; then
			inv=$(provider_req INVITE $((invites_before + 1)))
			if printf '%s\n' "$inv" | grep -vi '^\(call-id\|i\):' | grep -q '192\.168\.'; then
				die "cps ($s): the INVITE reached kamailio with a private address (not translated)"
			fi
		fi
		eval "CPS_$s=$best"
	done
	kill "$uas" 2>/dev/null
	wait "$uas" 2>/dev/null
}

# ---- memory ---------------------------------------------------------------------------------
# rss_kib [FIELD]: a field of the daemon's /proc status in KiB: VmRSS (default), RssAnon
# (its own heap and data) or RssFile (the pages of its binary and shared libraries).
rss_kib() { awk -v k="${1:-VmRSS}:" '$1 == k { print $2 }' "/proc/$ALG_PID/status"; }

memory() {
	setup sipalg
	sleep 1
	RSS_IDLE=$(rss_kib)
	RSS_IDLE_ANON=$(rss_kib RssAnon)
	RSS_IDLE_FILE=$(rss_kib RssFile)
	in_ns far "$SIPLOAD" answer --at "$LAB_FAR_IP:5060" --seconds 300 >"$B/answer.out" 2>&1 &
	ans=$!
	lab_until_ready "$B/answer.out" || die "memory: the answering registrar did not start"
	say "memory: 1,000 phones register and place a call each"
	in_ns phone1 "$SIPLOAD" fill --from "$LAB_PHONE1_IP" --to "$LAB_FAR_IP:5060" --first-port 10000 \
		--count 1000 >"$B/fill-1000.out" 2>&1 || die "fill 1000"
	alg_status >"$B/status-1000.txt" || die "status after 1000"
	RSS_1K=$(rss_kib)
	REG_1K=$(grep -c ' registered,' "$B/status-1000.txt")
	DLG_1K=$(grep -c '^  call ' "$B/status-1000.txt")
	FILLOK_1K=$(kv "$B/fill-1000.out" answered)
	say "memory: 9,000 more (10,000 in all)"
	in_ns phone1 "$SIPLOAD" fill --from "$LAB_PHONE1_IP" --to "$LAB_FAR_IP:5060" --first-port 11000 \
		--count 9000 >"$B/fill-10000.out" 2>&1 || die "fill 10000"
	alg_status >"$B/status-10000.txt" || die "status after 10000"
	RSS_10K=$(rss_kib)
	REG_10K=$(grep -c ' registered,' "$B/status-10000.txt")
	DLG_10K=$(grep -c '^  call ' "$B/status-10000.txt")
	FILLOK_10K=$(calc "$FILLOK_1K + $(kv "$B/fill-10000.out" answered)")
	FILL_SECONDS=$(kv "$B/fill-10000.out" seconds)
	kill "$ans" 2>/dev/null
	wait "$ans" 2>/dev/null
	teardown sipalg
	if [ "$REG_1K" -lt 1000 ] || [ "$DLG_1K" -lt 1000 ]; then
		die "memory: sipalgd holds $REG_1K registrations and $DLG_1K dialogs after 1,000 phones"
	fi
	BYTES_PER_DIALOG=$(int "(($RSS_1K - $RSS_IDLE) * 1024 / 1000)")
	strip -o "$B/sipalgd.stripped" "$SIPALGD"
	STRIPPED=$(wc -c <"$B/sipalgd.stripped")
}

# ---- run ------------------------------------------------------------------------------------
lab_up || die "the lab did not come up"
B=$LAB_DIR/bench
mkdir -p "$B"
T0=$(date +%s)
for p in ports sip_direct_media sip_direct_signalling sip_external_media sip_timeout; do
	v=$(cat "/sys/module/nf_conntrack_sip/parameters/$p" 2>/dev/null || echo '?')
	HELPER_PARAMS="${HELPER_PARAMS:+$HELPER_PARAMS, }\"$p\": \"$v\""
done

if [ "${BENCH_ONLY:-}" = syscalls ]; then
	syscalls
	echo "system calls per message (strace -c -f, every call of $SIPALGD): $SYS_2000 at 2000/s, $SYS_0 unpaced"
	exit 0
fi
if [ "${BENCH_ONLY:-}" = threads ]; then
	threads
	syscalls
	row() { printf '%-44s %12s %12s %9s\n' "$@"; }
	row "sipalgd alone, LAN->WAN from 4 hosts" "queues 1" "queues 2" "2/1"
	row "INVITE+SDP translated/s, saturation" "$THR_1" "$THR_2" "$THR_RATIO"
	row "  passed untranslated (queue full, bypass)" "$THR_UNXL_1" "$THR_UNXL_2" ""
	row "  packets per recvmmsg, per sendmsg" "$THR_PER_READ_1, $THR_PER_SEND_1" "$THR_PER_READ_2, $THR_PER_SEND_2" ""
	echo "system calls per message (strace -c -f, every call of sipalgd): $SYS_2000 at 2000/s, $SYS_0 unpaced"
	exit 0
fi
core_bench
throughput out
throughput in
throughput tcp
latency out
latency in
latency tcp
cps
memory
threads
syscalls
ELAPSED=$(($(date +%s) - T0))

# ---- report ---------------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
NPROC=$(nproc)
KERNEL=$(uname -r)
COMMIT=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
for d in out in tcp; do
	for s in kernel sipalg; do
		eval "ADD50_${d}_$s=\$(calc \"\$P50_${d}_$s - \$P50_${d}_plain\")"
		eval "ADD99_${d}_$s=\$(calc \"\$P99_${d}_$s - \$P99_${d}_plain\")"
	done
done

row() { printf '%-44s %12s %12s %12s %9s %9s\n' "$@"; }
dir_name() { case $1 in out) dn="LAN->WAN" ;; in) dn="WAN->LAN" ;; tcp) dn="SIP/TCP LAN->WAN" ;; esac; }
{
	echo
	echo "sipalg benchmarks: $NPROC x $CPU, Linux $KERNEL, commit $COMMIT, $DATE"
	row "figure" plain kernel sipalg "s/kernel" "s/plain"
	for d in out in tcp; do
		dir_name $d
		eval "a=\$TPUT_${d}_plain b=\$TPUT_${d}_kernel c=\$TPUT_${d}_sipalg"
		row "INVITE+SDP delivered/s, $dn, saturation" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
		eval "a=\$LOSS_${d}_plain b=\$LOSS_${d}_kernel c=\$LOSS_${d}_sipalg"
		row "  lost or not translated, %" "$a" "$b" "$c" "" ""
		eval "a=\$OFFERED_${d}_plain b=\$OFFERED_${d}_kernel c=\$OFFERED_${d}_sipalg"
		row "  offered/s ($([ $d = tcp ] && echo write || echo sendmmsg))" "$a" "$b" "$c" "" ""
		eval "c=\$UNXL_${d}_sipalg"
		row "  passed untranslated (queue full, bypass)" "" "" "$c" "" ""
	done
	for d in out in tcp; do
		dir_name $d
		eval "a=\$P50_${d}_plain b=\$P50_${d}_kernel c=\$P50_${d}_sipalg"
		row "latency p50 us at 1000/s, $dn" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
		eval "a=\$P99_${d}_plain b=\$P99_${d}_kernel c=\$P99_${d}_sipalg"
		row "latency p99 us at 1000/s, $dn" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
		eval "b=\$ADD50_${d}_kernel c=\$ADD50_${d}_sipalg"
		row "  added vs plain, p50 us" "0" "$b" "$c" "" ""
		eval "b=\$ADD99_${d}_kernel c=\$ADD99_${d}_sipalg"
		row "  added vs plain, p99 us" "0" "$b" "$c" "" ""
	done
	row "calls/s end to end, 0 failed in ${CPS_WINDOW}s" "$CPS_plain" "$CPS_kernel" "$CPS_sipalg" \
		"$(ratio "$CPS_sipalg" "$CPS_kernel")" "$(ratio "$CPS_sipalg" "$CPS_plain")"
	echo
	echo "sipalgd's threads (option queues), LAN->WAN from 4 LAN hosts at once, saturation:"
	echo "  queues 1: $THR_1 translated/s ($THR_UNXL_1 passed untranslated; $THR_PER_READ_1 packets per recvmmsg, $THR_PER_SEND_1 per sendmsg)"
	echo "  queues 2: $THR_2 translated/s ($THR_UNXL_2 passed untranslated; $THR_PER_READ_2 packets per recvmmsg, $THR_PER_SEND_2 per sendmsg): ${THR_RATIO}x"
	echo "  system calls per message, all of sipalgd's (strace -c -f): $SYS_2000 at 2000/s, $SYS_0 unpaced"
	echo
	echo "core (alg/ alone, $(kv "$B/core.out" messages) golden messages, translate + table):"
	echo "  ns/message mean $CORE_NS (INVITE with SDP: $CORE_INVITE_NS); instructions/message $CORE_IR (callgrind)"
	echo "  heap allocations/message mean $CORE_ALLOCS (INVITE with SDP: $CORE_INVITE_ALLOCS); $CORE_ZERO of $(kv "$B/core.out" messages) messages with none"
	echo "sipalgd memory: RSS idle $RSS_IDLE KiB ($RSS_IDLE_ANON anonymous, $RSS_IDLE_FILE binary and libraries); 1,000 phones: $RSS_1K KiB ($REG_1K registrations, $DLG_1K dialogs held)"
	echo "  10,000 phones: $RSS_10K KiB, held $REG_10K registrations and $DLG_10K dialogs (capacity $MAX_BINDINGS bindings, $MAX_DIALOGS dialogs)"
	echo "  bytes per registration+dialog (RSS growth / 1,000): $BYTES_PER_DIALOG; in the table: dialog $SIZEOF_DIALOG + 2 bindings x $SIZEOF_BINDING"
	echo "scale (core alone, table sized as sipalgd sizes it, filled through the core with REGISTER, INVITE and their 200s):"
	echo "  10,000 phones registered and in a call: held $SCALE_10k_held_signaling signaling bindings, $SCALE_10k_held_pinholes pinholes, $SCALE_10k_held_calls calls; RSS $SCALE_10k_rss_kib KiB ($SCALE_10k_rss_kib_before_fill before the fill; table $SCALE_10k_table_bytes bytes allocated)"
	echo "  configured for 100,000 registrations and 50,000 calls (capacity $SCALE_100k_capacity_bindings bindings, $SCALE_100k_capacity_dialogs dialogs, $SCALE_100k_table_bytes bytes): held $SCALE_100k_fill_registrations registrations and $SCALE_100k_fill_calls calls (one public address's ports); RSS $SCALE_100k_rss_kib KiB"
	echo "  instructions/message (callgrind, golden corpus): $SCALE_IR_10 at 10 registrations, $SCALE_IR_100K at the fill above: ${SCALE_IR_RATIO}x"
	echo "  stripped sipalgd: $STRIPPED bytes (dynamically linked: libosip2, libnetfilter_queue, libnftnl, libmnl, libnetfilter_conntrack)"
	echo "  measured in ${ELAPSED}s"
} | tee "$B/table.txt"

j() { printf '%s' "${1:-null}"; }
json_dir() { case $1 in out) echo lan_to_wan ;; in) echo wan_to_lan ;; tcp) echo tcp_lan_to_wan ;; esac; }
{
	printf '{\n  "machine": {"nproc": %s, "cpu": "%s", "kernel": "%s"},\n' "$NPROC" "$CPU" "$KERNEL"
	printf '  "commit": "%s", "date": "%s", "seconds": %s,\n' "$COMMIT" "$DATE" "$ELAPSED"
	printf '  "kernel_helper": {"assignment": "nft ct helper type sip, prerouting priority filter, udp dport 5060 and tcp dport 5060", "module_parameters_untouched": {%s}},\n' "$HELPER_PARAMS"
	printf '  "throughput": {\n'
	for d in out in tcp; do
		printf '    "%s": {' "$(json_dir $d)"
		for s in $SETUPS; do
			eval "printf '\"%s\": {\"delivered_per_s\": %s, \"offered_per_s\": %s, \"loss_percent\": %s, \"passed_untranslated\": %s}, ' \
				$s \"\$(j \$TPUT_${d}_$s)\" \"\$(j \$OFFERED_${d}_$s)\" \"\$(j \$LOSS_${d}_$s)\" \"\$(j \$UNXL_${d}_$s)\""
		done
		eval "printf '\"ratio_sipalg_kernel\": %s, \"ratio_sipalg_plain\": %s}' \
			\"\$(ratio \$TPUT_${d}_sipalg \$TPUT_${d}_kernel)\" \"\$(ratio \$TPUT_${d}_sipalg \$TPUT_${d}_plain)\""
		[ $d = tcp ] && printf '\n' || printf ',\n'
	done
	printf '  },\n  "latency_us_at_1000_per_s": {\n'
	for d in out in tcp; do
		printf '    "%s": {' "$(json_dir $d)"
		for s in $SETUPS; do
			eval "printf '\"%s\": {\"p50\": %s, \"p99\": %s}, ' $s \"\$(j \$P50_${d}_$s)\" \"\$(j \$P99_${d}_$s)\""
		done
		eval "printf '\"added_p50\": {\"kernel\": %s, \"sipalg\": %s}, \"added_p99\": {\"kernel\": %s, \"sipalg\": %s}, ' \
			\"\$ADD50_${d}_kernel\" \"\$ADD50_${d}_sipalg\" \"\$ADD99_${d}_kernel\" \"\$ADD99_${d}_sipalg\""
		eval "printf '\"ratio_p99_sipalg_kernel\": %s, \"ratio_p99_sipalg_plain\": %s}' \
			\"\$(ratio \$P99_${d}_sipalg \$P99_${d}_kernel)\" \"\$(ratio \$P99_${d}_sipalg \$P99_${d}_plain)\""
		[ $d = tcp ] && printf '\n' || printf ',\n'
	done
	printf '  },\n'
	printf '  "calls_per_s": {"window_s": %s, "plain": %s, "kernel": %s, "sipalg": %s, "ratio_sipalg_kernel": %s, "ratio_sipalg_plain": %s},\n' \
		"$CPS_WINDOW" "$CPS_plain" "$CPS_kernel" "$CPS_sipalg" "$(ratio "$CPS_sipalg" "$CPS_kernel")" "$(ratio "$CPS_sipalg" "$CPS_plain")"
	printf '  "core": {"messages": %s, "ns_per_msg": %s, "instructions_per_msg": %s, "allocs_per_msg": %s, "invite_sdp_ns": %s, "invite_sdp_allocs": %s, "messages_without_allocs": %s},\n' \
		"$(kv "$B/core.out" messages)" "$CORE_NS" "$CORE_IR" "$CORE_ALLOCS" "$CORE_INVITE_NS" "$CORE_INVITE_ALLOCS" "$CORE_ZERO"
	printf '  "memory": {"rss_idle_kib": %s, "rss_idle_anon_kib": %s, "rss_idle_file_kib": %s, "rss_1000_kib": %s, "rss_10000_kib": %s, "held_1000": {"registrations": %s, "dialogs": %s}, "held_10000": {"registrations": %s, "dialogs": %s, "calls_answered": %s, "fill_seconds": %s}, "capacity": {"bindings": %s, "dialogs": %s}, "bytes_per_registration_and_dialog": %s, "table_bytes": {"dialog": %s, "binding": %s, "whole_table": %s}, "stripped_sipalgd_bytes": %s}\n' \
		"$RSS_IDLE" "$RSS_IDLE_ANON" "$RSS_IDLE_FILE" "$RSS_1K" "$RSS_10K" "$REG_1K" "$DLG_1K" "$REG_10K" "$DLG_10K" "$FILLOK_10K" "$FILL_SECONDS" \
		"$MAX_BINDINGS" "$MAX_DIALOGS" "$BYTES_PER_DIALOG" "$SIZEOF_DIALOG" "$SIZEOF_BINDING" "$SIZEOF_TABLE" "$STRIPPED"
	printf '  ,"scale": {"phones_10000": {"signaling": %s, "pinholes": %s, "calls": %s, "core_rss_kib": %s, "core_rss_before_kib": %s, "table_bytes": %s}, "configured_100000_50000": {"capacity": {"bindings": %s, "dialogs": %s}, "table_bytes": %s, "held": {"registrations": %s, "calls": %s, "signaling": %s, "pinholes": %s}, "core_rss_kib": %s}, "instructions_per_msg": {"at_10": %s, "at_fill": %s, "ratio": %s}}\n' \
		"$SCALE_10k_held_signaling" "$SCALE_10k_held_pinholes" "$SCALE_10k_held_calls" "$SCALE_10k_rss_kib" "$SCALE_10k_rss_kib_before_fill" "$SCALE_10k_table_bytes" \
		"$SCALE_100k_capacity_bindings" "$SCALE_100k_capacity_dialogs" "$SCALE_100k_table_bytes" "$SCALE_100k_fill_registrations" "$SCALE_100k_fill_calls" \
		"$SCALE_100k_held_signaling" "$SCALE_100k_held_pinholes" "$SCALE_100k_rss_kib" "$SCALE_IR_10" "$SCALE_IR_100K" "$SCALE_IR_RATIO"
	printf '  ,"threads": {"lan_to_wan_4_hosts": {"queues_1": {"translated_per_s": %s, "passed_untranslated": %s, "packets_per_recvmmsg": %s, "packets_per_sendmsg": %s}, "queues_2": {"translated_per_s": %s, "passed_untranslated": %s, "packets_per_recvmmsg": %s, "packets_per_sendmsg": %s}, "ratio_2_1": %s}, "syscalls_per_message": {"paced_2000_per_s": %s, "unpaced": %s}}\n' \
		"$(j "$THR_1")" "$(j "$THR_UNXL_1")" "$(j "$THR_PER_READ_1")" "$(j "$THR_PER_SEND_1")" "$(j "$THR_2")" "$(j "$THR_UNXL_2")" \
		"$(j "$THR_PER_READ_2")" "$(j "$THR_PER_SEND_2")" "$THR_RATIO" "$(j "$SYS_2000")" "$(j "$SYS_0")"
	printf '}\n'
} >"$JSON"
python3 -m json.tool "$JSON" >/dev/null 2>&1 || die "$JSON is not valid JSON"
say "results in $JSON"
