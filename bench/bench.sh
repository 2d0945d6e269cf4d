#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2154 # the figures are named after their set-up and assigned by eval
# sipalg benchmarks: plain NAT, the kernel's SIP helper and sipalgd on the same lab router and
# the same traffic, in one run. Prints a table and writes bench/results.json.
#
# Usage: sh bench/bench.sh BUILD_DIR [all|soak|memory]   (as root; make bench builds and runs it)
#   all (default) every figure, and the soak too when BENCH_SOAK=1 (make bench SOAK=1);
#   soak or memory: that step alone (make soak), its figures merged into the JSON's others
#   BENCH_JSON=path   where the JSON goes (default bench/results.json)
#   SOAK_SECONDS=S    length of the soak (default 600), SOAK_PHONES, SOAK_RATE (5000, 2000)
#   BENCH_SECONDS=S   length of each throughput run (default 2)
#   BENCH_CPS_WINDOW=S  the window of each calls-per-second step (default 3)
#   BENCH_ONLY=threads  only the figures of sipalgd's threads and system calls (a quick look);
#   BENCH_ONLY=syscalls only the system calls (also of an older build: BUILD_DIR its build)
#   BENCH_ONLY=udp      only UDP throughput (64 calls, new calls), sipalgd paced at the
#                       helper's rate, and UDP latency with the NFQUEUE floor (a quick look)
#
# Set-ups (the router of tests/e2e/lab.sh: fw4-like forward policy, masquerade on wan0):
#   plain   nothing more
#   kernel  nf_conntrack_sip/nf_nat_sip: an nft `ct helper` object of type "sip" assigned in a
#           prerouting chain at priority filter to udp dport 5060; module parameters as the
#           kernel has them (read and recorded, never written)
#   sipalg  router-scripts/sipalg-firewall and build/sipalgd, as tests/e2e/alg.sh starts them
#   nfqnull (latency only) the same diversion to a program that accepts every packet
#           unchanged (bench/nfq_null.c, sipalgd's own queue code): NFQUEUE's round trip
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
#   New calls, LAN->WAN: every INVITE a new Call-ID and RTP port, so that each opens
#     pinholes (sipalgd's nftables commit before the verdict); 1 s runs, sipalgd sized for
#     100,000 registrations and 50,000 calls.
#   Paced: sipalgd alone, LAN->WAN and WAN->LAN at the rate the kernel helper delivered at
#     saturation in the same run: what share passed untranslated there.
#   Threads: sipalgd alone with queues 1 and with queues 2 (option queues), LAN->WAN from 4
#     LAN addresses at once (NFQUEUE balances flows by address: one sender would be one
#     queue's); and the system calls sipalgd makes per message (strace -c), paced and unpaced.
# Each figure is measured for the three set-ups one after the other, then the next figure;
# throughput and latency in three such rounds (best and median round kept).
set -u

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
BUILD=$(cd "${1:-$TOP/build}" && pwd)
STEP=${2:-all}
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
for f in "$SIPALGD" "$SIPLOAD" "$BUILD/bench/core" "$BUILD/bench/core-plain" "$BUILD/bench/nfq_null" "$BUILD/sipalgctl"; do
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
# core_sizes: the core's figures over the golden corpus (bench/core.c), and the sizes of a
# binding and a dialog.
core_sizes() {
	"$BUILD/bench/core" "$TOP/tests/golden" >"$B/core.out" || die "core benchmark"
	SIZEOF_BINDING=$(kv "$B/core.out" sizeof_binding)
	SIZEOF_DIALOG=$(kv "$B/core.out" sizeof_dialog)
}

core_bench() {
	say "core: ns and heap allocations per message (golden corpus)"
	core_sizes
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
	nfqnull)
		alg_divert || die "sipalg-firewall start"
		(exec ip netns exec "$(lab_ns router)" "$BUILD/bench/nfq_null" 0 >"$B/nfq_null.out" 2>&1) &
		NULL_PID=$!
		lab_until_ready "$B/nfq_null.out" || die "nfq_null did not start: $(cat "$B/nfq_null.out")"
		;;
	sipalg)
		: >"$LAB_DIR/sipalgd.log"
		rm -f "$(alg_state)" # each set-up starts empty: no registrations of a run before
		# The default settings, but for the per-host limits: here one address (phone1) stands
		# for up to 10,000 phones, which the defaults rightly refuse from a single host.
		# Sized for the 10,000 phones of the memory figures: each registered and in a call.
		# setup sipalg 100k: sized for 100,000 registrations and 50,000 calls, with every
		# port above 1023 for the bindings.
		n=40000 calls=10000 ports=16384-32767
		[ "${2:-}" = 100k ] && n=200000 calls=50000 ports=1024-65535
		sed -e "s/option max_registrations_per_host '16'/option max_registrations_per_host '$n'/" \
			-e "s/option max_bindings '4096'/option max_bindings '$n'/" \
			-e "s/option max_calls '256'/option max_calls '$calls'/" \
			-e "s/option max_pinholes_per_host '64'/option max_pinholes_per_host '$n'/" \
			-e "s/option max_pinholes '1024'/option max_pinholes '$n'/" \
			-e "s/option max_new_pinholes_per_second '20'/option max_new_pinholes_per_second '100000'/" \
			-e "s/option media_ports '16384-32767'/option media_ports '$ports'/" \
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
	nfqnull)
		kill "$NULL_PID" 2>/dev/null
		wait "$NULL_PID" 2>/dev/null
		in_ns router "$SIPALG_TOP/router-scripts/sipalg-firewall" stop
		;;
	esac
}

# ---- SIP load through the router ------------------------------------------------------------
# flow DIR RATE NAME: one run of sipload (RATE 0: as fast as it goes) for SECONDS_RUN (or 2 s
# when paced; 1 s for new calls); the receiver's and the sender's lines in $B/NAME.recv and
# $B/NAME.send. DIR out, in, tcp, or new (out with a new call in every INVITE).
flow() {
	fl_transport=udp fl_calls=$CALLS fl_secs=$SECONDS_RUN
	if [ "$1" = new ]; then
		fl_calls=1000000 fl_secs=1
		shift
		set -- out "$@"
	fi
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
	fl_rate=$2 fl_name=$3
	shift 3
	[ "$fl_rate" = 0 ] || fl_secs=2
	in_ns "$rx_role" "$SIPLOAD" recv --transport $fl_transport --at "$rx_at" --seconds $((fl_secs + 15)) --quiet-ms 700 "$@" \
		>"$B/$fl_name.recv" 2>&1 &
	fl_rx=$!
	lab_until_ready "$B/$fl_name.recv" || die "$fl_name: receiver did not start: $(cat "$B/$fl_name.recv")"
	sleep 0.3 # the REGISTER that primes WAN->LAN goes through first
	if [ "$fl_rate" = 0 ]; then
		in_ns "$tx_role" "$SIPLOAD" send --transport $fl_transport --from "$tx_from" --to "$tx_to" \
			--calls $fl_calls --seconds "$fl_secs" >"$B/$fl_name.send" 2>&1 &
	else
		in_ns "$tx_role" "$SIPLOAD" send --transport $fl_transport --from "$tx_from" --to "$tx_to" \
			--calls $fl_calls --seconds "$fl_secs" --rate "$fl_rate" >"$B/$fl_name.send" 2>&1 &
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
	[ "$1" = plain ] || [ "$1" = nfqnull ] && return 0
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
			# new calls: sized for them (50,000 calls, every port above 1023)
			if [ "$1" = new ] && [ "$s" = sipalg ]; then setup sipalg 100k; else setup "$s"; fi
			say "throughput $1 ($s, round $rep): as fast as it goes"
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

# paced DIR: sipalgd alone at the rate the kernel helper delivered at saturation (throughput
# DIR first), three rounds; the median round by the share passed untranslated.
paced() {
	eval "pc_rate=\$TPUT_${1}_kernel"
	for rep in 1 2 3; do
		setup sipalg
		say "paced $1 (sipalg, round $rep): $pc_rate/s, the kernel helper's saturation, for 2s"
		n=paced-$1-$rep
		flow "$1" "$pc_rate" "$n"
		teardown sipalg
		sent=$(kv "$B/$n.send" sent)
		got=$(kv "$B/$n.recv" translated)
		rcvd=$(kv "$B/$n.recv" received)
		echo "$(calc "100 * (${rcvd:-0} - ${got:-0}) / ${sent:-1}") $(calc "100 * (${sent:-0} - ${rcvd:-0}) / ${sent:-1}") $(kv "$B/$n.send" rate) $got" \
			>"$B/$n.fig"
	done
	# shellcheck disable=SC2046 # one line per round: untranslated % first
	set -- "$1" $(for r in 1 2 3; do cat "$B/paced-$1-$r.fig"; done | sort -n | sed -n 2p)
	eval "PACED_RATE_$1=$pc_rate PACED_UNXL_$1=$2 PACED_LOST_$1=$3 PACED_OFFERED_$1=$4 PACED_DELIVERED_$1=$5"
}

# Latency: three rounds too; each set-up's median round.
# shellcheck disable=SC2034 # p50 and p99 are read through eval
latency() { # DIR
	lat_setups=$SETUPS
	[ "$1" = tcp ] || lat_setups="plain nfqnull kernel sipalg" # the floor: UDP only (no relay)
	for rep in 1 2 3; do
		for s in $lat_setups; do
			setup "$s"
			say "latency $1 ($s, round $rep): 1000 msg/s for 2s"
			flow "$1" 1000 "lat-$1-$s-$rep"
			teardown "$s"
			must_translate "$s" "lat-$1-$s-$rep"
		done
	done
	for s in $lat_setups; do
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
		[ "$(kv "$B/lat-out-nfqnull-1.recv" translated)" = 0 ] ||
			die "the NFQUEUE floor (nfq_null) set-up rewrote SIP: is a SIP helper active in the lab router?"
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

# alg_held: what sipalgd's table holds, "signaling registered pinholes dialogs" (the status's
# "held", which comes before its listings: those may overflow the reply).
alg_held() {
	alg_status --json 2>/dev/null |
		sed -n 's/.*"held":{"signaling":\([0-9]*\),"registered":\([0-9]*\),"pinholes":\([0-9]*\),"dialogs":\([0-9]*\)}.*/\1 \2 \3 \4/p'
}

# held_into PREFIX: alg_held into PREFIX_SIG, PREFIX_REG, PREFIX_PIN, PREFIX_DLG.
held_into() {
	# shellcheck disable=SC2046 # four numbers
	set -- "$1" $(alg_held)
	[ $# -eq 5 ] || die "memory: no held counts in sipalgd's status"
	eval "$1_SIG=$2 $1_REG=$3 $1_PIN=$4 $1_DLG=$5"
}

# fill IP FIRST COUNT NAME: COUNT phones on ports FIRST.. of IP in phone1 register with far and
# place a call each.
fill() {
	in_ns phone1 "$SIPLOAD" fill --from "$1" --to "$LAB_FAR_IP:5060" --first-port "$2" --count "$3" \
		>"$B/fill-$4.out" 2>&1 || die "fill $4"
}

memory() {
	setup sipalg
	sleep 1
	RSS_IDLE=$(rss_kib)
	RSS_IDLE_ANON=$(rss_kib RssAnon)
	RSS_IDLE_FILE=$(rss_kib RssFile)
	in_ns far "$SIPLOAD" answer --at "$LAB_FAR_IP:5060" --seconds 900 >"$B/answer.out" 2>&1 &
	ans=$!
	lab_until_ready "$B/answer.out" || die "memory: the answering registrar did not start"
	say "memory: 1,000 phones register and place a call each"
	fill "$LAB_PHONE1_IP" 10000 1000 1000
	RSS_1K=$(rss_kib)
	held_into H1K
	FILLOK_1K=$(kv "$B/fill-1000.out" answered)
	say "memory: 9,000 more (10,000 in all)"
	fill "$LAB_PHONE1_IP" 11000 9000 10000
	RSS_10K=$(rss_kib)
	RSS_10K_ANON=$(rss_kib RssAnon)
	_t0=$(date +%s%N)
	held_into H10K
	STATUS_MS_10K=$((($(date +%s%N) - _t0) / 1000000))
	FILLOK_10K=$(calc "$FILLOK_1K + $(kv "$B/fill-10000.out" answered)")
	FILL_SECONDS=$(kv "$B/fill-10000.out" seconds)
	teardown sipalg
	if [ "$H1K_REG" -lt 1000 ] || [ "$H1K_DLG" -lt 1000 ]; then
		die "memory: sipalgd holds $H1K_REG registrations and $H1K_DLG dialogs after 1,000 phones"
	fi
	BYTES_PER_DIALOG=$(int "(($RSS_1K - $RSS_IDLE) * 1024 / 1000)")
	memory_capacity
	kill "$ans" 2>/dev/null
	wait "$ans" 2>/dev/null
	strip -o "$B/sipalgd.stripped" "$SIPALGD"
	STRIPPED=$(wc -c <"$B/sipalgd.stripped")
}

# sipalgd configured for 100,000 registrations and 50,000 calls (max_bindings 200000, max_calls
# 50000, media_ports over every port above 1023), filled by phones that register and call, 10,000
# from each of three LAN addresses, as far as one public address's ports go: each signaling
# binding and each pinhole holds a public port of its own.
memory_capacity() {
	setup sipalg 100k
	sleep 1
	CAP_RSS_IDLE=$(rss_kib)
	CAP_PHONES=0
	for a in "$LAB_PHONE1_IP" 192.168.1.100 192.168.1.101; do
		[ "$a" = "$LAB_PHONE1_IP" ] || in_ns phone1 ip addr add "$a/24" dev eth0 || die "address $a in phone1"
		say "memory: 10,000 phones from $a (sipalgd configured for 100,000 registrations and 50,000 calls)"
		fill "$a" 10000 10000 "cap-$a"
		CAP_PHONES=$((CAP_PHONES + 10000))
	done
	CAP_RSS=$(rss_kib)
	CAP_RSS_ANON=$(rss_kib RssAnon)
	held_into CAP
	CAP_UNCHANGED_WHY=$(alg_status --json | sed -n 's/.*"unchanged_by_reason":{\([^}]*\)}.*/\1/p')
	teardown sipalg
	for a in 192.168.1.100 192.168.1.101; do in_ns phone1 ip addr del "$a/24" dev eth0; done
}

memory_report() {
	echo "sipalgd memory: RSS idle $RSS_IDLE KiB ($RSS_IDLE_ANON anonymous, $RSS_IDLE_FILE binary and libraries); 1,000 phones: $RSS_1K KiB ($H1K_REG registrations, $H1K_DLG dialogs held)"
	echo "  10,000 phones each registered and in a call (max_bindings 40000, max_calls 10000): $RSS_10K KiB ($RSS_10K_ANON anonymous), target < 16384; held $H10K_REG registrations, $H10K_DLG dialogs, $H10K_PIN pinholes (status took $STATUS_MS_10K ms)"
	echo "  bytes per registration+dialog (RSS growth / 1,000): $BYTES_PER_DIALOG; in the table: dialog $SIZEOF_DIALOG + 2 bindings x $SIZEOF_BINDING"
	echo "  configured for 100,000 registrations + 50,000 calls (max_bindings 200000, max_calls 50000, media_ports 1024-65535): idle $CAP_RSS_IDLE KiB;"
	echo "    after $CAP_PHONES phones: $CAP_RSS KiB ($CAP_RSS_ANON anonymous), target < 98304; held $CAP_REG registrations, $CAP_DLG dialogs, $CAP_PIN pinholes ($((CAP_SIG + CAP_PIN)) public ports: one address's ports; beyond them: ${CAP_UNCHANGED_WHY:-nothing refused})"
	echo "  stripped sipalgd: $STRIPPED bytes (dynamically linked: libosip2, libnetfilter_queue, libnftnl, libmnl, libnetfilter_conntrack)"
}

memory_json() {
	printf '{"commit": "%s", "date": "%s", "rss_idle_kib": %s, "rss_idle_anon_kib": %s, "rss_idle_file_kib": %s, "rss_1000_kib": %s, "rss_10000_kib": %s, "rss_10000_anon_kib": %s, ' \
		"$COMMIT" "$DATE" "$RSS_IDLE" "$RSS_IDLE_ANON" "$RSS_IDLE_FILE" "$RSS_1K" "$RSS_10K" "$RSS_10K_ANON"
	printf '"held_1000": {"registrations": %s, "dialogs": %s, "pinholes": %s}, "held_10000": {"registrations": %s, "dialogs": %s, "pinholes": %s, "calls_answered": %s, "fill_seconds": %s, "status_ms": %s}, ' \
		"$H1K_REG" "$H1K_DLG" "$H1K_PIN" "$H10K_REG" "$H10K_DLG" "$H10K_PIN" "$FILLOK_10K" "$FILL_SECONDS" "$STATUS_MS_10K"
	printf '"capacity": {"max_bindings": 40000, "max_calls": 10000}, "bytes_per_registration_and_dialog": %s, "table_bytes": {"dialog": %s, "binding": %s}, ' \
		"$BYTES_PER_DIALOG" "$SIZEOF_DIALOG" "$SIZEOF_BINDING"
	printf '"configured_100000_50000": {"max_bindings": 200000, "max_calls": 50000, "media_ports": "1024-65535", "phones": %s, "rss_idle_kib": %s, "rss_kib": %s, "rss_anon_kib": %s, "held": {"signaling": %s, "registrations": %s, "dialogs": %s, "pinholes": %s}, "unchanged_by_reason": {%s}, "bound_by": "one public address: each signaling binding and pinhole holds a public port of its own"}, ' \
		"$CAP_PHONES" "$CAP_RSS_IDLE" "$CAP_RSS" "$CAP_RSS_ANON" "$CAP_SIG" "$CAP_REG" "$CAP_DLG" "$CAP_PIN" "$CAP_UNCHANGED_WHY"
	printf '"stripped_sipalgd_bytes": %s}\n' "$STRIPPED"
}

# ---- soak: hours of a router's life in minutes ----------------------------------------------
# SOAK_PHONES phones on ports of phone1 (each its own socket) register with far and call it
# (`sipload soak` against `sipload answer`) at SOAK_RATE messages per second for SOAK_SECONDS;
# every 10 s a sample of sipalgd: VmRSS, RssAnon, open descriptors, what its table holds
# (sipalgctl status --json "held") and its counters. Flat or growing: RSS's least-squares slope
# over the samples after the warm-up (the first quarter, at most 60 s).
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_PHONES=${SOAK_PHONES:-5000}
SOAK_RATE=${SOAK_RATE:-2000}

# soak_sample T: one line of $B/soak.samples: T, VmRSS, RssAnon, descriptors, signaling
# bindings, registered, pinholes, dialogs, packets, translated, unchanged, errors,
# nftables errors, and how long the status took (ms).
# open_fds: the daemon's open descriptors, the fewest of three looks 0.1 s apart (a conntrack
# scan or a state file write holds one for a moment; a leaked one stays).
open_fds() {
	for _of in 1 2 3; do
		find "/proc/$ALG_PID/fd" -mindepth 1 -maxdepth 1 | wc -l
		sleep 0.1
	done | sort -n | head -n 1
}

soak_sample() {
	_ss_t0=$(date +%s%N)
	_ss_json=$(alg_status --json 2>/dev/null)
	_ss_ms=$((($(date +%s%N) - _ss_t0) / 1000000))
	_ss_held=$(printf '%s' "$_ss_json" | sed -n 's/.*"held":{"signaling":\([0-9]*\),"registered":\([0-9]*\),"pinholes":\([0-9]*\),"dialogs":\([0-9]*\)}.*/\1 \2 \3 \4/p')
	_ss_count=$(printf '%s' "$_ss_json" | sed -n 's/.*"counters":{\([^}]*\)}.*/\1/p' | tr ',' '\n' |
		awk -F: '{ gsub(/"/, "", $1); v[$1] = $2 } END { print v["packets"], v["translated"], v["unchanged"], v["errors"], v["nftables_errors"] }')
	echo "$1 $(rss_kib) $(rss_kib RssAnon) $(open_fds) ${_ss_held:-- - - -} ${_ss_count:-- - - - -} $_ss_ms" \
		>>"$B/soak.samples"
	awk '{ printf "bench: soak %4ss: RSS %6s KiB (anon %6s), fds %3s, held %5s signaling (%5s registered), %5s pinholes, %5s dialogs\n", $1, $2, $3, $4, $5, $6, $7, $8 }' \
		"$B/soak.samples" | tail -n 1 >&2
}

soak() {
	setup sipalg
	sleep 1
	: >"$B/soak.samples"
	soak_sample 0
	in_ns far "$SIPLOAD" answer --at "$LAB_FAR_IP:5060" --seconds $((SOAK_SECONDS + 60)) >"$B/soak-answer.out" 2>&1 &
	ans=$!
	lab_until_ready "$B/soak-answer.out" || die "soak: the answering side did not start"
	say "soak: $SOAK_PHONES phones, $SOAK_RATE messages/s for ${SOAK_SECONDS}s; a sample every 10 s"
	in_ns phone1 "$SIPLOAD" soak --from "$LAB_PHONE1_IP" --to "$LAB_FAR_IP:5060" --first-port 10000 \
		--count "$SOAK_PHONES" --rate "$SOAK_RATE" --seconds "$SOAK_SECONDS" >"$B/soak.out" 2>&1 &
	load=$!
	t0=$(date +%s)
	k=1
	while kill -0 "$load" 2>/dev/null; do
		due=$((t0 + 10 * k))
		while [ "$(date +%s)" -lt "$due" ] && kill -0 "$load" 2>/dev/null; do sleep 0.5; done
		kill -0 "$load" 2>/dev/null || break
		soak_sample $((10 * k))
		k=$((k + 1))
	done
	wait "$load" || die "soak: sipload failed: $(tail -n 3 "$B/soak.out")"
	ls -l "/proc/$ALG_PID/fd" >"$B/soak-fds.txt" 2>&1
	SOAK_UNCHANGED_WHY=$(alg_status --json | sed -n 's/.*"unchanged_by_reason":{\([^}]*\)}.*/\1/p')
	kill "$ans" 2>/dev/null
	wait "$ans" 2>/dev/null
	kill -0 "$ALG_PID" 2>/dev/null || die "soak: sipalgd is gone (see $LAB_DIR/sipalgd.log)"
	teardown sipalg
	grep -q '^seconds=' "$B/soak.out" || die "soak: sipload printed no counts: $(tail -n 3 "$B/soak.out")"
	soak_figures
}

# The figures of the samples: start (after the warm-up), end and max; RSS's and the
# descriptors' slopes per minute over the steady part; the verdict.
soak_figures() {
	warm=$((SOAK_SECONDS / 4))
	[ "$warm" -le 60 ] || warm=60
	awk -v warm="$warm" '
	function slope(col,   i, n, sx, sy, sxx, sxy) {
		for (i = 1; i <= N; i++) if (T[i] >= warm) { n++; sx += T[i]; sy += V[i, col]; sxx += T[i] * T[i]; sxy += T[i] * V[i, col] }
		return n > 1 && n * sxx != sx * sx ? (n * sxy - sx * sy) / (n * sxx - sx * sx) * 60 : 0
	}
	{ N++; T[N] = $1; for (c = 2; c <= NF; c++) V[N, c] = $c }
	END {
		for (i = 1; i <= N; i++) if (T[i] >= warm) { s = i; break }
		for (c = 2; c <= 8; c++) { m = 0; for (i = s; i <= N; i++) if (V[i, c] > m) m = V[i, c]; MAX[c] = m }
		rs = slope(2); as = slope(3); fs = slope(4)
		span = T[N] - T[s]
		# flat: what the steady part gained at its slope stays within 1% of RSS, and no
		# descriptor was gained:
		grow = rs * span / 60
		# descriptors: the fewest in the last third against the fewest in the first third
		# of the steady part (a sample may catch one held for a moment)
		third = int((N - s + 1) / 3); if (third < 1) third = 1
		f0 = V[s, 4]; for (i = s; i < s + third; i++) if (V[i, 4] < f0) f0 = V[i, 4]
		f1 = V[N, 4]; for (i = N - third + 1; i <= N; i++) if (V[i, 4] < f1) f1 = V[i, 4]
		verdict = (grow <= 0.01 * V[N, 2] && f1 <= f0) ? "flat" : "growing"
		printf "SOAK_IDLE_RSS=%s SOAK_START_T=%s SOAK_RSS_START=%s SOAK_RSS_END=%s SOAK_RSS_MAX=%s ", V[1, 2], T[s], V[s, 2], V[N, 2], MAX[2]
		printf "SOAK_ANON_START=%s SOAK_ANON_END=%s SOAK_ANON_MAX=%s ", V[s, 3], V[N, 3], MAX[3]
		printf "SOAK_FDS_IDLE=%s SOAK_FDS_START=%s SOAK_FDS_END=%s SOAK_FDS_MAX=%s ", V[1, 4], V[s, 4], V[N, 4], MAX[4]
		printf "SOAK_REG_END=%s SOAK_REG_MAX=%s SOAK_PIN_END=%s SOAK_PIN_MAX=%s SOAK_DLG_END=%s SOAK_DLG_MAX=%s ", V[N, 6], MAX[6], V[N, 7], MAX[7], V[N, 8], MAX[8]
		printf "SOAK_PACKETS=%s SOAK_UNCHANGED=%s SOAK_ALG_ERRORS=%s SOAK_NFT_ERRORS=%s ", V[N, 9], V[N, 11], V[N, 12], V[N, 13]
		ms = 0; for (i = 1; i <= N; i++) if (V[i, 14] > ms) ms = V[i, 14]
		printf "SOAK_STATUS_MS_MAX=%s SOAK_RSS_SLOPE=%.1f SOAK_ANON_SLOPE=%.1f SOAK_FDS_SLOPE=%.2f SOAK_VERDICT=%s SOAK_SAMPLES=%s\n", ms, rs, as, fs, verdict, N
	}' "$B/soak.samples" >"$B/soak.figures"
	# shellcheck source=/dev/null
	. "$B/soak.figures"
	for v in seconds sent received rate registered in_call registers unregisters calls answered cancelled busy \
		reinvites ended timeouts failed stray; do
		eval "SOAK_LOAD_$v=\$(kv \"\$B/soak.out\" $v)"
	done
	SOAK_ERRORS=$((SOAK_LOAD_timeouts + SOAK_LOAD_failed + SOAK_ALG_ERRORS + SOAK_NFT_ERRORS))
}

soak_report() {
	echo "soak: $SOAK_PHONES phones, ${SOAK_LOAD_seconds}s at $SOAK_LOAD_rate messages/s (target $SOAK_RATE), through sipalgd in the lab; a sample every 10 s:"
	awk 'BEGIN { printf "  %5s %8s %8s %4s %9s %10s %8s %7s %9s %9s\n", "s", "RSS KiB", "anon KiB", "fds", "signaling", "registered", "pinholes", "dialogs", "packets", "unchanged" }
		{ printf "  %5s %8s %8s %4s %9s %10s %8s %7s %9s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $11 }' "$B/soak.samples"
	echo "  RSS KiB: idle $SOAK_IDLE_RSS, at ${SOAK_START_T}s $SOAK_RSS_START, end $SOAK_RSS_END, max $SOAK_RSS_MAX; slope after ${SOAK_START_T}s $SOAK_RSS_SLOPE KiB/min (anon $SOAK_ANON_SLOPE)"
	echo "  open descriptors: idle $SOAK_FDS_IDLE, at ${SOAK_START_T}s $SOAK_FDS_START, end $SOAK_FDS_END, max $SOAK_FDS_MAX"
	echo "  held at the end (max): $SOAK_REG_END registrations ($SOAK_REG_MAX), $SOAK_DLG_END dialogs ($SOAK_DLG_MAX), $SOAK_PIN_END pinholes ($SOAK_PIN_MAX)"
	echo "  messages: $SOAK_LOAD_sent sent, $SOAK_LOAD_received received by the phones; calls $SOAK_LOAD_calls ($SOAK_LOAD_answered answered, $SOAK_LOAD_reinvites media moves, $SOAK_LOAD_ended ended by BYE, $SOAK_LOAD_cancelled cancelled, $SOAK_LOAD_busy busy); registrations $SOAK_LOAD_registers, unregistrations $SOAK_LOAD_unregisters"
	echo "  errors: $SOAK_ERRORS (transactions timed out $SOAK_LOAD_timeouts, failed $SOAK_LOAD_failed, answers matching none $SOAK_LOAD_stray; sipalgd errors $SOAK_ALG_ERRORS, nftables $SOAK_NFT_ERRORS); sipalgd packets $SOAK_PACKETS, passed unchanged $SOAK_UNCHANGED (${SOAK_UNCHANGED_WHY:-none}); slowest status ${SOAK_STATUS_MS_MAX} ms"
	echo "  verdict: $SOAK_VERDICT (RSS $SOAK_RSS_SLOPE KiB/min, descriptors $SOAK_FDS_SLOPE/min)"
}

soak_json() {
	printf '{"commit": "%s", "date": "%s", "phones": %s, "rate_target": %s, "seconds": %s, "rate_measured": %s, ' \
		"$COMMIT" "$DATE" "$SOAK_PHONES" "$SOAK_RATE" "$SOAK_LOAD_seconds" "$SOAK_LOAD_rate"
	printf '"rss_kib": {"idle": %s, "start": %s, "end": %s, "max": %s, "start_at_s": %s, "slope_kib_per_min": %s}, ' \
		"$SOAK_IDLE_RSS" "$SOAK_RSS_START" "$SOAK_RSS_END" "$SOAK_RSS_MAX" "$SOAK_START_T" "$SOAK_RSS_SLOPE"
	printf '"rss_anon_kib": {"start": %s, "end": %s, "max": %s, "slope_kib_per_min": %s}, ' \
		"$SOAK_ANON_START" "$SOAK_ANON_END" "$SOAK_ANON_MAX" "$SOAK_ANON_SLOPE"
	printf '"fds": {"idle": %s, "start": %s, "end": %s, "max": %s, "slope_per_min": %s}, ' \
		"$SOAK_FDS_IDLE" "$SOAK_FDS_START" "$SOAK_FDS_END" "$SOAK_FDS_MAX" "$SOAK_FDS_SLOPE"
	printf '"held": {"registrations": {"end": %s, "max": %s}, "calls": {"end": %s, "max": %s}, "pinholes": {"end": %s, "max": %s}}, ' \
		"$SOAK_REG_END" "$SOAK_REG_MAX" "$SOAK_DLG_END" "$SOAK_DLG_MAX" "$SOAK_PIN_END" "$SOAK_PIN_MAX"
	printf '"messages": {"sent": %s, "received": %s, "sipalgd_packets": %s, "passed_unchanged": %s, "unchanged_by_reason": {%s}}, ' \
		"$SOAK_LOAD_sent" "$SOAK_LOAD_received" "$SOAK_PACKETS" "$SOAK_UNCHANGED" "$SOAK_UNCHANGED_WHY"
	printf '"calls": {"started": %s, "answered": %s, "media_moves": %s, "ended": %s, "cancelled": %s, "busy": %s}, "registrations": %s, "unregistrations": %s, ' \
		"$SOAK_LOAD_calls" "$SOAK_LOAD_answered" "$SOAK_LOAD_reinvites" "$SOAK_LOAD_ended" "$SOAK_LOAD_cancelled" \
		"$SOAK_LOAD_busy" "$SOAK_LOAD_registers" "$SOAK_LOAD_unregisters"
	printf '"errors": {"total": %s, "timeouts": %s, "failed": %s, "stray_answers": %s, "sipalgd": %s, "nftables": %s}, "status_ms_max": %s, "verdict": "%s", ' \
		"$SOAK_ERRORS" "$SOAK_LOAD_timeouts" "$SOAK_LOAD_failed" "$SOAK_LOAD_stray" "$SOAK_ALG_ERRORS" "$SOAK_NFT_ERRORS" "$SOAK_STATUS_MS_MAX" "$SOAK_VERDICT"
	printf '"samples": {"columns": ["s", "rss_kib", "rss_anon_kib", "fds", "signaling", "registered", "pinholes", "dialogs", "packets", "translated", "unchanged", "errors", "nftables_errors", "status_ms"], "rows": [%s]}}\n' \
		"$(awk '{ printf "%s[%s", (NR > 1 ? ", " : ""), $1; for (c = 2; c <= NF; c++) printf ", %s", ($c == "-" ? "null" : $c); printf "]" }' "$B/soak.samples")"
}

# json_merge KEY FILE: the JSON value in FILE becomes KEY of $JSON (one line a key).
json_merge() {
	python3 - "$JSON" "$1" "$2" <<'PY' || die "could not merge $2 into $JSON"
import json, sys
path, key, value = sys.argv[1:4]
try:
    with open(path) as f:
        doc = json.load(f)
except (OSError, ValueError):
    doc = {}
with open(value) as f:
    doc[key] = json.load(f)
with open(path, "w") as f:
    f.write("{\n" + ",\n".join("  %s: %s" % (json.dumps(k), json.dumps(v)) for k, v in doc.items()) + "\n}\n")
PY
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
# The added latencies (minus plain NAT's) of the UDP directions and the floor's split.
added_latency() { # DIR...
	for d in "$@"; do
		for s in kernel sipalg nfqnull; do
			[ "$d" = tcp ] && [ $s = nfqnull ] && continue
			eval "ADD50_${d}_$s=\$(calc \"\$P50_${d}_$s - \$P50_${d}_plain\")"
			eval "ADD99_${d}_$s=\$(calc \"\$P99_${d}_$s - \$P99_${d}_plain\")"
		done
		[ "$d" = tcp ] && continue
		eval "OWN50_$d=\$(calc \"\$P50_${d}_sipalg - \$P50_${d}_nfqnull\")"
		eval "OWN99_$d=\$(calc \"\$P99_${d}_sipalg - \$P99_${d}_nfqnull\")"
	done
}

row() { printf '%-44s %12s %12s %12s %9s %9s\n' "$@"; }
dir_name() { case $1 in out) dn="LAN->WAN" ;; in) dn="WAN->LAN" ;; new) dn="new calls LAN->WAN" ;; tcp) dn="SIP/TCP LAN->WAN" ;; esac; }

# The rows of one direction's throughput.
throughput_rows() { # DIR
	dir_name "$1"
	eval "a=\$TPUT_${1}_plain b=\$TPUT_${1}_kernel c=\$TPUT_${1}_sipalg"
	row "INVITE+SDP delivered/s, $dn, saturation" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
	eval "a=\$LOSS_${1}_plain b=\$LOSS_${1}_kernel c=\$LOSS_${1}_sipalg"
	row "  lost or not translated, %" "$a" "$b" "$c" "" ""
	eval "a=\$OFFERED_${1}_plain b=\$OFFERED_${1}_kernel c=\$OFFERED_${1}_sipalg"
	row "  offered/s ($([ "$1" = tcp ] && echo write || echo sendmmsg))" "$a" "$b" "$c" "" ""
	eval "c=\$UNXL_${1}_sipalg"
	row "  passed untranslated (queue full, bypass)" "" "" "$c" "" ""
}

# sipalgd paced at the helper's saturation rate.
paced_rows() {
	for d in out in; do
		dir_name $d
		eval "r=\$PACED_RATE_$d u=\$PACED_UNXL_$d l=\$PACED_LOST_$d o=\$PACED_OFFERED_$d"
		row "sipalgd $dn paced at the helper's $r/s" "" "" "$o" "" ""
		row "  passed untranslated, % of offered" "" "" "$u" "" ""
		row "  lost, % of offered" "" "" "$l" "" ""
	done
}

# The latency rows of one direction; with the NFQUEUE floor for UDP.
latency_rows() { # DIR
	dir_name "$1"
	eval "a=\$P50_${1}_plain b=\$P50_${1}_kernel c=\$P50_${1}_sipalg"
	row "latency p50 us at 1000/s, $dn" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
	eval "a=\$P99_${1}_plain b=\$P99_${1}_kernel c=\$P99_${1}_sipalg"
	row "latency p99 us at 1000/s, $dn" "$a" "$b" "$c" "$(ratio "$c" "$b")" "$(ratio "$c" "$a")"
	eval "b=\$ADD50_${1}_kernel c=\$ADD50_${1}_sipalg"
	row "  added vs plain, p50 us" "0" "$b" "$c" "" ""
	eval "b=\$ADD99_${1}_kernel c=\$ADD99_${1}_sipalg"
	row "  added vs plain, p99 us" "0" "$b" "$c" "" ""
	[ "$1" = tcp ] && return 0
	eval "a=\$ADD50_${1}_nfqnull b=\$ADD99_${1}_nfqnull c=\$OWN50_$1 e=\$OWN99_$1"
	row "  of which NFQUEUE alone (nfq_null), p50 p99" "" "" "$a $b" "" ""
	row "  of which sipalgd's own, p50 p99" "" "" "$c $e" "" ""
}

if [ "${BENCH_ONLY:-}" = udp ]; then
	throughput out
	throughput in
	throughput new
	paced out
	paced in
	latency out
	latency in
	added_latency out in
	{
		row "figure" plain kernel sipalg "s/kernel" "s/plain"
		for d in out in new; do throughput_rows $d; done
		paced_rows
		for d in out in; do latency_rows $d; done
	} | tee "$B/udp-table.txt"
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
COMMIT=$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# One step alone: its figures printed, and merged into the JSON's others.
case $STEP in
all) ;;
soak)
	soak
	soak_report | tee "$B/soak-table.txt"
	soak_json >"$B/soak.json"
	json_merge soak "$B/soak.json"
	say "results in $JSON (soak)"
	exit 0
	;;
memory)
	core_sizes
	memory
	memory_report | tee "$B/memory-table.txt"
	memory_json >"$B/memory.json"
	json_merge memory "$B/memory.json"
	say "results in $JSON (memory)"
	exit 0
	;;
*) die "no step '$STEP' (all, soak, memory)" ;;
esac

core_bench
throughput out
throughput in
throughput new
paced out
paced in
throughput tcp
latency out
latency in
latency tcp
cps
memory
threads
syscalls
[ "${BENCH_SOAK:-0}" = 1 ] && soak
ELAPSED=$(($(date +%s) - T0))

# ---- report ---------------------------------------------------------------------------------
CPU=$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1)
NPROC=$(nproc)
KERNEL=$(uname -r)
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
added_latency out in tcp
{
	echo
	echo "sipalg benchmarks: $NPROC x $CPU, Linux $KERNEL, commit $COMMIT, $DATE"
	row "figure" plain kernel sipalg "s/kernel" "s/plain"
	for d in out in new tcp; do throughput_rows $d; done
	paced_rows
	for d in out in tcp; do latency_rows $d; done
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
	memory_report
	echo "scale (core alone, table sized as sipalgd sizes it, filled through the core with REGISTER, INVITE and their 200s):"
	echo "  10,000 phones registered and in a call: held $SCALE_10k_held_signaling signaling bindings, $SCALE_10k_held_pinholes pinholes, $SCALE_10k_held_calls calls; RSS $SCALE_10k_rss_kib KiB ($SCALE_10k_rss_kib_before_fill before the fill; table $SCALE_10k_table_bytes bytes allocated)"
	echo "  configured for 100,000 registrations and 50,000 calls (capacity $SCALE_100k_capacity_bindings bindings, $SCALE_100k_capacity_dialogs dialogs, $SCALE_100k_table_bytes bytes): held $SCALE_100k_fill_registrations registrations and $SCALE_100k_fill_calls calls (one public address's ports); RSS $SCALE_100k_rss_kib KiB"
	echo "  instructions/message (callgrind, golden corpus): $SCALE_IR_10 at 10 registrations, $SCALE_IR_100K at the fill above: ${SCALE_IR_RATIO}x"
	[ "${BENCH_SOAK:-0}" = 1 ] && soak_report
	echo "  measured in ${ELAPSED}s"
} | tee "$B/table.txt"

j() { printf '%s' "${1:-null}"; }
json_dir() { case $1 in out) echo lan_to_wan ;; in) echo wan_to_lan ;; new) echo new_calls_lan_to_wan ;; tcp) echo tcp_lan_to_wan ;; esac; }
{
	printf '{\n  "machine": {"nproc": %s, "cpu": "%s", "kernel": "%s"},\n' "$NPROC" "$CPU" "$KERNEL"
	printf '  "commit": "%s", "date": "%s", "seconds": %s,\n' "$COMMIT" "$DATE" "$ELAPSED"
	printf '  "kernel_helper": {"assignment": "nft ct helper type sip, prerouting priority filter, udp dport 5060 and tcp dport 5060", "module_parameters_untouched": {%s}},\n' "$HELPER_PARAMS"
	printf '  "throughput": {\n'
	for d in out in new tcp; do
		printf '    "%s": {' "$(json_dir $d)"
		for s in $SETUPS; do
			eval "printf '\"%s\": {\"delivered_per_s\": %s, \"offered_per_s\": %s, \"loss_percent\": %s, \"passed_untranslated\": %s}, ' \
				$s \"\$(j \$TPUT_${d}_$s)\" \"\$(j \$OFFERED_${d}_$s)\" \"\$(j \$LOSS_${d}_$s)\" \"\$(j \$UNXL_${d}_$s)\""
		done
		eval "printf '\"ratio_sipalg_kernel\": %s, \"ratio_sipalg_plain\": %s}' \
			\"\$(ratio \$TPUT_${d}_sipalg \$TPUT_${d}_kernel)\" \"\$(ratio \$TPUT_${d}_sipalg \$TPUT_${d}_plain)\""
		[ $d = tcp ] && printf '\n' || printf ',\n'
	done
	printf '  },\n  "paced_at_kernel_saturation": {\n'
	for d in out in; do
		eval "printf '    \"%s\": {\"rate_per_s\": %s, \"offered_per_s\": %s, \"delivered\": %s, \"passed_untranslated_percent\": %s, \"lost_percent\": %s}' \
			$(json_dir $d) \"\$(j \$PACED_RATE_$d)\" \"\$(j \$PACED_OFFERED_$d)\" \"\$(j \$PACED_DELIVERED_$d)\" \"\$(j \$PACED_UNXL_$d)\" \"\$(j \$PACED_LOST_$d)\""
		[ $d = in ] && printf '\n' || printf ',\n'
	done
	printf '  },\n  "latency_us_at_1000_per_s": {\n'
	for d in out in tcp; do
		printf '    "%s": {' "$(json_dir $d)"
		for s in $SETUPS nfqnull; do
			[ $d = tcp ] && [ "$s" = nfqnull ] && continue
			eval "printf '\"%s\": {\"p50\": %s, \"p99\": %s}, ' $s \"\$(j \$P50_${d}_$s)\" \"\$(j \$P99_${d}_$s)\""
		done
		[ $d = tcp ] || eval "printf '\"added_nfqueue_alone\": {\"p50\": %s, \"p99\": %s}, \"added_sipalgd_own\": {\"p50\": %s, \"p99\": %s}, ' \
			\"\$ADD50_${d}_nfqnull\" \"\$ADD99_${d}_nfqnull\" \"\$OWN50_$d\" \"\$OWN99_$d\""

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
	printf '  "memory": %s\n' "$(memory_json)"
	printf '  ,"scale": {"phones_10000": {"signaling": %s, "pinholes": %s, "calls": %s, "core_rss_kib": %s, "core_rss_before_kib": %s, "table_bytes": %s}, "configured_100000_50000": {"capacity": {"bindings": %s, "dialogs": %s}, "table_bytes": %s, "held": {"registrations": %s, "calls": %s, "signaling": %s, "pinholes": %s}, "core_rss_kib": %s}, "instructions_per_msg": {"at_10": %s, "at_fill": %s, "ratio": %s}}\n' \
		"$SCALE_10k_held_signaling" "$SCALE_10k_held_pinholes" "$SCALE_10k_held_calls" "$SCALE_10k_rss_kib" "$SCALE_10k_rss_kib_before_fill" "$SCALE_10k_table_bytes" \
		"$SCALE_100k_capacity_bindings" "$SCALE_100k_capacity_dialogs" "$SCALE_100k_table_bytes" "$SCALE_100k_fill_registrations" "$SCALE_100k_fill_calls" \
		"$SCALE_100k_held_signaling" "$SCALE_100k_held_pinholes" "$SCALE_100k_rss_kib" "$SCALE_IR_10" "$SCALE_IR_100K" "$SCALE_IR_RATIO"
	printf '  ,"threads": {"lan_to_wan_4_hosts": {"queues_1": {"translated_per_s": %s, "passed_untranslated": %s, "packets_per_recvmmsg": %s, "packets_per_sendmsg": %s}, "queues_2": {"translated_per_s": %s, "passed_untranslated": %s, "packets_per_recvmmsg": %s, "packets_per_sendmsg": %s}, "ratio_2_1": %s}, "syscalls_per_message": {"paced_2000_per_s": %s, "unpaced": %s}}\n' \
		"$(j "$THR_1")" "$(j "$THR_UNXL_1")" "$(j "$THR_PER_READ_1")" "$(j "$THR_PER_SEND_1")" "$(j "$THR_2")" "$(j "$THR_UNXL_2")" \
		"$(j "$THR_PER_READ_2")" "$(j "$THR_PER_SEND_2")" "$THR_RATIO" "$(j "$SYS_2000")" "$(j "$SYS_0")"
	printf '}\n'
} >"$B/results.json"
python3 -m json.tool "$B/results.json" >/dev/null 2>&1 || die "$B/results.json is not valid JSON"
# The soak of this run, or the last one recorded (make soak merges its own).
if [ "${BENCH_SOAK:-0}" = 1 ]; then
	soak_json >"$B/soak.json"
else
	python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1])).get("soak")))' "$JSON" \
		>"$B/soak.json" 2>/dev/null || echo null >"$B/soak.json"
fi
cp "$B/results.json" "$JSON"
grep -qx null "$B/soak.json" || json_merge soak "$B/soak.json"
say "results in $JSON"
