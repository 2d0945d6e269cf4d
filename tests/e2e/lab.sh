# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# sipalg end-to-end lab: network namespaces modelling a home router with NAT, two
# LAN phones, a SIP provider and a phone on the internet. Sourced by the tests.
#
# PACKAGES: kamailio sip-tester nftables conntrack iproute2 procps python3 openssl rtpengine-daemon stun-server
# (the Debian packages the lab uses; the project's installer reads this line.
# tcpdump is handy for debugging a run but no test needs it.)
#
#   phone1 192.168.1.10 ─┐                              ┌─ provider 203.0.113.10 (kamailio)
#   phone2 192.168.1.11 ─┼─ lansw ─ lan0 ROUTER wan0 ─ wansw ─┤
#                        │  (br0)  .1.1     203.0.113.1 (br0) ├─ far      203.0.113.20
#                                                               └─ far2     203.0.113.21
#
# Every namespace is named "$LAB_ID-<role>" (LAB_ID defaults to salab<pid>), so runs
# never collide; lab_up installs traps that call lab_down on EXIT, INT and TERM.
# Nothing here touches the host's own namespace: links are created inside the
# namespaces and every nft/sysctl runs under ip netns exec.
#
# The WAN hosts have no default route: private addresses are not routed on the
# internet, so anything they send to 192.168.x.x fails at once (counted by rtp.py).
#
# Usage:
#   LAB_E2E=/path/to/tests/e2e   (defaults to the directory of $0)
#   . "$LAB_E2E/lab.sh"
#   lab_up                        start everything, kamailio included
#   in_ns ROLE cmd...             run cmd in a lab namespace (phone1 phone2 router
#                                 provider far far2 lansw wansw)
#   lab_ns ROLE                   print that namespace's real name
#   lab_register ROLE USER        REGISTER USER from ROLE's phone with the provider
#   lab_sipp NAME ROLE SCENARIO [sipp args...]
#                                 run tests/e2e/sipp/SCENARIO.xml in ROLE against the
#                                 provider, foreground; returns sipp's exit status;
#                                 output, messages and errors in $LAB_DIR/NAME.*
#   lab_sipp_bg NAME ROLE SCENARIO [sipp args...]    the same in the background
#   lab_wait NAME [SECONDS]       wait for a lab_sipp_bg job; returns its status
#   lab_wait_udp ROLE PORT [SECONDS]   wait until a socket listens on UDP PORT
#   lab_wait_file FILE [SECONDS]  wait until FILE exists
#   rtp_counter_start ROLE PORT   count UDP packets arriving at ROLE on PORT (nft)
#   rtp_counter_read ROLE PORT    print that count
#   provider_log                  print the path of kamailio's log
#   provider_req METHOD [N]       print the Nth (default 1st) METHOD request that
#                                 reached the provider, as received (no CRs)
#   provider_req_from METHOD [N]  the source IP:PORT that request came from
#   provider_reply CODE [N]       the same as provider_req for the Nth reply with
#                                 status CODE that the provider received
#   provider_sent_req METHOD [N]  the Nth METHOD request the provider forwarded,
#   provider_sent_reply CODE [N]  and the Nth CODE reply it relayed, as sent
#   lab_down                      remove everything (idempotent)
#   lab_trap                      (re)install the EXIT/INT/TERM traps (lab_up does)
#   lab_gc                        remove namespaces of lab runs killed outright
#   lab_ip ROLE                   the address ROLE's SIP phone uses
#   lab_conntrack_forgets IP S    wait until the router has no UDP flow of IP:5060
#
# sipp scenarios (tests/e2e/sipp/, keys given with -key, see each file):
#   register    -s USER -key expires S                   expects 200
#   uac-call    -s CALLEE -key me CALLER -key rtp_port P -key rtp_stats FILE
#               -key rtp_count N -d HOLD_MS              INVITE..200..ACK, RTP, BYE
#   uas-answer  -key rtp_port P -key rtp_stats FILE -key rtp_count N
#                                                        180, 200, ACK, RTP, BYE..200
# Each side takes c= and m= from the SDP it received and, after the ACK, runs
# rtp.py: N PCMU packets 20 ms apart from its own announced port to that address,
# counting what comes back on the same socket; one statistics line goes to FILE:
#   sent=N errors=E received=R sources=IP:PORT/COUNT,... first_error=...
#
# Behind another NAT (LAB_CGN=1 before lab_up): a carrier-grade NAT namespace "cgn" sits
# between the router and the internet. It owns the public address 203.0.113.1 on wansw and
# masquerades the router's WAN, 100.64.0.2/24 (RFC 6598; its side 100.64.0.1), with UDP
# conntrack timeouts of LAB_CGN_UDP_TIMEOUT seconds (default 10), so that it forgets an idle
# phone soon. LAB_PROVIDER_NAT=1 gives the provider far-end NAT handling: kamailio with
# nathelper (fix_nated_register/contact, rport; its own NAT pings off) and rtpengine relaying
# the media (userspace, ng on 127.0.0.1:2223), and a STUN server (stund) on 203.0.113.30:3478.
#
# Addresses for tests: LAB_PHONE1_IP LAB_PHONE2_IP LAB_LAN_GW LAB_WAN_IP
# LAB_PROVIDER_IP LAB_FAR_IP LAB_FAR2_IP. Logs and temporary files live in $LAB_DIR; set
# LAB_KEEP=1 to keep it after lab_down.

LAB_E2E=${LAB_E2E:-$(cd "$(dirname "$0")" && pwd)}
LAB_ID=${LAB_ID:-salab$$}
LAB_ROLES="lansw wansw router phone1 phone2 provider far far2"
LAB_PHONE1_IP=192.168.1.10
LAB_PHONE2_IP=192.168.1.11
LAB_LAN_GW=192.168.1.1
LAB_WAN_IP=203.0.113.1
LAB_PROVIDER_IP=203.0.113.10
LAB_FAR_IP=203.0.113.20
LAB_FAR2_IP=203.0.113.21
LAB_CGN_WAN_IP=100.64.0.2
LAB_CGN_INSIDE_IP=100.64.0.1
LAB_STUN_IP=203.0.113.30
LAB_STUN_ALT_IP=203.0.113.31
[ -z "${LAB_CGN:-}" ] || LAB_ROLES="$LAB_ROLES cgn"
LAB_DIR=
LAB_SIPP_TIMEOUT=${LAB_SIPP_TIMEOUT:-20}

lab_log() {
	printf '[lab] %s\n' "$*" >&2
}

lab_ns() {
	printf '%s-%s\n' "$LAB_ID" "$1"
}

in_ns() {
	_in_ns_name=$(lab_ns "$1")
	shift
	ip netns exec "$_in_ns_name" "$@"
}

# Kill every process left in a namespace (ours by construction), then delete it.
lab_ns_del() {
	_nd_name=$1
	ip netns list 2>/dev/null | grep -q "^$_nd_name\\( \\|\$\\)" || return 0
	for _nd_sig in TERM KILL; do
		_nd_pids=$(ip netns pids "$_nd_name" 2>/dev/null)
		[ -n "$_nd_pids" ] || break
		# shellcheck disable=SC2086 # one pid per word
		kill -s "$_nd_sig" $_nd_pids 2>/dev/null || true
		_nd_try=0
		while [ $_nd_try -lt 20 ] && [ -n "$(ip netns pids "$_nd_name" 2>/dev/null)" ]; do
			sleep 0.1
			_nd_try=$((_nd_try + 1))
		done
	done
	ip netns del "$_nd_name" 2>/dev/null || true
}

# Remove namespaces that an earlier lab run (salab<pid>-*) left behind when it was
# killed outright: only those whose pid no longer runs, or that carry our own id.
lab_gc() {
	for _gc_ns in $(ip netns list 2>/dev/null | sed -n 's/^\(salab[0-9][0-9]*-[a-z0-9]*\).*/\1/p'); do
		_gc_pid=${_gc_ns#salab}
		_gc_pid=${_gc_pid%%-*}
		if [ "salab$_gc_pid" = "$LAB_ID" ] || ! kill -0 "$_gc_pid" 2>/dev/null; then
			lab_ns_del "$_gc_ns"
		fi
	done
}

lab_down() {
	for _dn_role in $LAB_ROLES; do
		lab_ns_del "$(lab_ns "$_dn_role")"
	done
	if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ]; then
		if [ -n "${LAB_KEEP:-}" ]; then
			lab_log "logs kept in $LAB_DIR"
		else
			rm -rf "$LAB_DIR"
		fi
	fi
	LAB_DIR=
}

lab_trap() {
	trap 'lab_down' EXIT
	trap 'lab_down; trap - EXIT; exit 130' INT
	trap 'lab_down; trap - EXIT; exit 143' TERM
}

# lab_link SWITCH PORT ROLE IFNAME ADDR/LEN: a veth from SWITCH's bridge to ROLE.
lab_link() {
	ip -n "$(lab_ns "$1")" link add name "$2" type veth peer name "$4" netns "$(lab_ns "$3")" &&
		ip -n "$(lab_ns "$1")" link set "$2" master br0 up &&
		ip -n "$(lab_ns "$3")" addr add "$5" dev "$4" &&
		ip -n "$(lab_ns "$3")" link set "$4" up
}

lab_up() {
	lab_trap
	lab_gc
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sipalg-e2e.XXXXXX") || return 1
	# sipalgd runs as nobody after start-up and rereads its config file here on reload,
	# as it reads /etc/config/sipalg on a router.
	chmod 755 "$LAB_DIR"
	mkdir -p "$LAB_DIR/kamailio-run"

	for _up_role in $LAB_ROLES; do
		ip netns add "$(lab_ns "$_up_role")" || { lab_log "cannot create namespace $_up_role"; return 1; }
		in_ns "$_up_role" ip link set lo up
		# No IPv6 chatter (DAD, router solicitations) on the lab links.
		in_ns "$_up_role" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	for _up_sw in lansw wansw; do
		ip -n "$(lab_ns "$_up_sw")" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
			ip -n "$(lab_ns "$_up_sw")" link set br0 up || return 1
	done

	if ! { lab_link lansw p1 phone1 eth0 "$LAB_PHONE1_IP/24" &&
		lab_link lansw p2 phone2 eth0 "$LAB_PHONE2_IP/24" &&
		lab_link lansw pr router lan0 "$LAB_LAN_GW/24" &&
		lab_wan_up &&
		lab_link wansw pp provider eth0 "$LAB_PROVIDER_IP/24" &&
		lab_link wansw pf far eth0 "$LAB_FAR_IP/24" &&
		lab_link wansw pg far2 eth0 "$LAB_FAR2_IP/24" &&
		ip -n "$(lab_ns phone1)" route add default via "$LAB_LAN_GW" &&
		ip -n "$(lab_ns phone2)" route add default via "$LAB_LAN_GW"; }; then
		lab_log "cannot create links"
		return 1
	fi

	lab_router_up || return 1
	lab_provider_up || return 1
	lab_log "up: namespaces $LAB_ID-{$(echo "$LAB_ROLES" | tr ' ' ',')}, logs in $LAB_DIR"
}

# The router's WAN: on the internet's switch, or behind the carrier's NAT (LAB_CGN).
lab_wan_up() {
	if [ -z "${LAB_CGN:-}" ]; then
		lab_link wansw pr router wan0 "$LAB_WAN_IP/24"
		return
	fi
	lab_link wansw pr cgn eth0 "$LAB_WAN_IP/24" &&
		ip -n "$(lab_ns router)" link add name wan0 type veth peer name in0 netns "$(lab_ns cgn)" &&
		ip -n "$(lab_ns router)" addr add "$LAB_CGN_WAN_IP/24" dev wan0 &&
		ip -n "$(lab_ns router)" link set wan0 up &&
		ip -n "$(lab_ns cgn)" addr add "$LAB_CGN_INSIDE_IP/24" dev in0 &&
		ip -n "$(lab_ns cgn)" link set in0 up &&
		ip -n "$(lab_ns router)" route add default via "$LAB_CGN_INSIDE_IP" &&
		in_ns cgn sysctl -qw net.ipv4.ip_forward=1 &&
		in_ns cgn nft -f - <<EOF &&
table ip labcgn {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "in0" oifname "eth0" accept
	}
	chain srcnat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade
	}
}
EOF
		in_ns cgn sysctl -qw net.netfilter.nf_conntrack_udp_timeout="${LAB_CGN_UDP_TIMEOUT:-10}" \
			net.netfilter.nf_conntrack_udp_timeout_stream="${LAB_CGN_UDP_TIMEOUT:-10}"
}

# The home router: forwarding, an fw4-like firewall and masquerade on wan0.
lab_router_up() {
	in_ns router sysctl -qw net.ipv4.ip_forward=1 || return 1
	in_ns router nft -f "$LAB_E2E/router-fw.nft" || return 1
	# The conntrack sysctls of a namespace exist once conntrack is in use there,
	# which the ct rules above have done.
	in_ns router sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5 \
		net.netfilter.nf_conntrack_udp_timeout_stream=10 || return 1
	# Never the kernel's SIP helper: no ct helper rules here, and no automatic
	# assignment where the kernel still has the switch.
	if in_ns router test -e /proc/sys/net/netfilter/nf_conntrack_helper; then
		in_ns router sysctl -qw net.netfilter.nf_conntrack_helper=0 || return 1
	fi
}

lab_provider_up() {
	_pu_defs=
	if [ -n "${LAB_PROVIDER_NAT:-}" ]; then
		_pu_defs="-A WITH_NAT"
		in_ns provider rtpengine --foreground --log-stderr --table=-1 --interface="$LAB_PROVIDER_IP" \
			--listen-ng=127.0.0.1:2223 --port-min=30000 --port-max=30099 --pidfile="$LAB_DIR/rtpengine.pid" \
			</dev/null >"$LAB_DIR/rtpengine.log" 2>&1 &
		ip -n "$(lab_ns provider)" addr add "$LAB_STUN_IP/24" dev eth0 &&
			ip -n "$(lab_ns provider)" addr add "$LAB_STUN_ALT_IP/24" dev eth0 || return 1
		in_ns provider stund -v -h "$LAB_STUN_IP" -a "$LAB_STUN_ALT_IP" </dev/null >"$LAB_DIR/stund.log" 2>&1 &
		if ! { lab_wait_udp provider 2223 10 && lab_wait_udp provider 3478 10; }; then
			lab_log "rtpengine or stund did not start:"
			tail -n 5 "$LAB_DIR/rtpengine.log" "$LAB_DIR/stund.log" >&2
			return 1
		fi
	fi
	# shellcheck disable=SC2086 # the defines are words
	in_ns provider kamailio -f "$LAB_E2E/kamailio.cfg" $_pu_defs -P "$LAB_DIR/kamailio.pid" \
		-Y "$LAB_DIR/kamailio-run" -w "$LAB_DIR" -DD -E -n 1 -m 32 -M 8 \
		</dev/null >"$LAB_DIR/provider.log" 2>&1 &
	lab_wait_udp provider 5060 10 || {
		lab_log "kamailio did not start:"
		tail -n 20 "$LAB_DIR/provider.log" >&2
		return 1
	}
}

# lab_wait_udp ROLE PORT [SECONDS], lab_wait_tcp ROLE PORT [SECONDS]: until ROLE listens there
lab_wait_udp() { lab_wait_listen u "$@"; }
lab_wait_tcp() { lab_wait_listen t "$@"; }
lab_wait_listen() { # u|t ROLE PORT [SECONDS]
	_wu_end=$(($(date +%s) + ${4:-10}))
	while ! in_ns "$2" ss -Hl"$1"n "sport = :$3" 2>/dev/null | grep -q .; do
		[ "$(date +%s)" -lt "$_wu_end" ] || return 1
		sleep 0.1
	done
}

# lab_wait_file FILE [SECONDS]
lab_wait_file() {
	_wf_end=$(($(date +%s) + ${2:-10}))
	while [ ! -e "$1" ]; do
		[ "$(date +%s)" -lt "$_wf_end" ] || return 1
		sleep 0.1
	done
}

# The address a role's phone uses.
# lab_conntrack_forgets IP SECONDS: waits until the router has no UDP flow of IP on port 5060.
lab_conntrack_forgets() {
	_cf_i=0
	while [ $_cf_i -lt $(($2 * 2)) ]; do
		in_ns router conntrack -L -p udp -s "$1" 2>/dev/null | grep -q 'sport=5060' || return 0
		sleep 0.5
		_cf_i=$((_cf_i + 1))
	done
	return 1
}

lab_ip() {
	case $1 in
	phone1) echo "$LAB_PHONE1_IP" ;;
	phone2) echo "$LAB_PHONE2_IP" ;;
	far) echo "$LAB_FAR_IP" ;;
	far2) echo "$LAB_FAR2_IP" ;;
	provider) echo "$LAB_PROVIDER_IP" ;;
	router) echo "$LAB_WAN_IP" ;;
	*) return 1 ;;
	esac
}

# lab_sipp_run NAME ROLE SCENARIO [sipp args...]: sipp with the lab's options.
lab_sipp_run() {
	_sr_name=$1 _sr_role=$2 _sr_scen=$3
	shift 3
	_sr_ip=$(lab_ip "$_sr_role") || return 2
	in_ns "$_sr_role" sipp -sf "${LAB_SIPP_DIR:-$LAB_E2E/sipp}/$_sr_scen.xml" \
		-i "$_sr_ip" -p 5060 -m 1 -nostdin \
		-timeout "$LAB_SIPP_TIMEOUT" -timeout_error \
		-trace_msg -message_file "$LAB_DIR/$_sr_name.msg" \
		-trace_err -error_file "$LAB_DIR/$_sr_name.err" \
		-trace_logs -log_file "$LAB_DIR/$_sr_name.log" \
		-key rtp_py "$LAB_E2E/rtp.py" \
		"$@" "$LAB_PROVIDER_IP:5060" \
		</dev/null >"$LAB_DIR/$_sr_name.out" 2>&1
}

# Run in the background and waited for, so that a signal's trap runs at once.
lab_sipp() {
	lab_sipp_run "$@" &
	wait $!
}

lab_sipp_bg() {
	lab_sipp_run "$@" &
	echo $! >"$LAB_DIR/$1.pid"
}

# lab_wait NAME [SECONDS]: wait for a background sipp, return its status
# (124 after the timeout, when it is killed).
lab_wait() {
	_lw_pid=$(cat "$LAB_DIR/$1.pid") || return 2
	_lw_end=$(($(date +%s) + ${2:-30}))
	while kill -0 "$_lw_pid" 2>/dev/null; do
		if [ "$(date +%s)" -ge "$_lw_end" ]; then
			kill "$_lw_pid" 2>/dev/null || true
			wait "$_lw_pid" 2>/dev/null || true
			return 124
		fi
		sleep 0.1
	done
	wait "$_lw_pid"
}

# lab_register ROLE USER [EXPIRES]
lab_register() {
	lab_sipp "register-$1-$2" "$1" register -s "$2" -key expires "${3:-300}"
}

rtp_counter_start() {
	_rc_name=rtp_$2
	if in_ns "$1" nft list counter inet labcount "$_rc_name" >/dev/null 2>&1; then
		in_ns "$1" nft reset counter inet labcount "$_rc_name" >/dev/null
		return
	fi
	in_ns "$1" nft -f - <<EOF
table inet labcount {
	chain input {
		type filter hook input priority raw; policy accept;
	}
}
add counter inet labcount $_rc_name
add rule inet labcount input udp dport $2 counter name $_rc_name
EOF
}

rtp_counter_read() {
	in_ns "$1" nft list counter inet labcount "rtp_$2" 2>/dev/null |
		sed -n 's/.*packets \([0-9][0-9]*\).*/\1/p'
}

provider_log() {
	echo "$LAB_DIR/provider.log"
}

# provider_msg KIND FIRST-WORD N: the Nth logged message of that kind.
provider_msg() {
	tr -d '\r' <"$LAB_DIR/provider.log" | awk -v kind="SIPALG-LAB-$1" -v what="$2" -v n="$3" '
		index($0, kind " " what " ") { inside = 1; seen++; next }
		/SIPALG-LAB-END$/ {
			if (inside && seen == n) { sub(/SIPALG-LAB-END$/, ""); if ($0 != "") print; exit }
			inside = 0; next
		}
		inside && seen == n { print }
	'
}

provider_req() {
	provider_msg REQ "$1" "${2:-1}"
}

# provider_req_from METHOD [N]: the source IP:PORT the Nth METHOD request came from.
provider_req_from() {
	tr -d '\r' <"$LAB_DIR/provider.log" |
		sed -n "s/.*SIPALG-LAB-REQ $1 [^ ]* from \([0-9.:]*\)\$/\1/p" | sed -n "${2:-1}p"
}

provider_reply() {
	provider_msg REPLY "$1" "${2:-1}"
}

# What the provider forwarded: its Nth METHOD request / CODE reply as sent.
# (Replies kamailio makes itself statelessly, like the registrar's 200, are not
# logged; replies it relays are.)
provider_sent_req() {
	provider_msg SENTREQ "$1" "${2:-1}"
}

provider_sent_reply() {
	provider_msg SENTREPLY "$1" "${2:-1}"
}
