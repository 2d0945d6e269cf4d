#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Seeds for fuzz_packet: the golden messages in IPv4/UDP packets as the queue hands them over
# (with the flows their cases' args give), and the packets around them that decode must sort
# out: IP options, fragments, bytes after the datagram, bad checksums, truncated headers, not UDP,
# not IPv4. Each file is fuzz_packet's input: a control byte, a 16-bit length, then the packet
# (see fuzz_packet.c).
# Usage: packets.sh TOP_DIR OUT_DIR
set -eu
top=$1
out=$2

# addr A.B.C.D: the address as a number.
addr() {
	old_ifs=$IFS
	IFS=.
	# shellcheck disable=SC2086 # split on the dots
	set -- $1
	IFS=$old_ifs
	echo $(($1 << 24 | $2 << 16 | $3 << 8 | $4))
}

phone=$(addr 192.168.1.101)
server=$(addr 198.51.100.10)

byte() {
	printf '%b' "\\0$(printf '%o' "$1")"
}

be16() {
	byte $(($1 >> 8 & 255))
	byte $(($1 & 255))
}

be32() {
	be16 $(($1 >> 16 & 65535))
	be16 $(($1 & 65535))
}

# ipv4 IHL TOTAL FRAG PROTO SRC DST [CHECKSUM]: an IPv4 header of IHL words (options: NOPs);
# the checksum is computed unless given.
ipv4() {
	ihl=$1 total=$2 frag=$3 proto=$4 src=$5 dst=$6
	opt_words=$(((ihl - 5) * 2))
	sum=$(((0x40 + ihl) * 256 + total + 0x1234 + frag + 64 * 256 + proto + (src >> 16) + (src & 65535) +
		(dst >> 16) + (dst & 65535) + opt_words * 0x0101))
	sum=$(((sum & 65535) + (sum >> 16)))
	sum=$(((sum & 65535) + (sum >> 16)))
	check=${7:-$((~sum & 65535))}
	byte $((0x40 + ihl))
	byte 0
	be16 "$total"
	be16 0x1234
	be16 "$frag"
	byte 64
	byte "$proto"
	be16 "$check"
	be32 "$src"
	be32 "$dst"
	i=0
	while [ $i -lt "$opt_words" ]; do
		be16 0x0101
		i=$((i + 1))
	done
}

# udp SPORT DPORT LENGTH [CHECKSUM]: a UDP header; checksum 0 (none) unless given.
udp() {
	be16 "$1"
	be16 "$2"
	be16 "$3"
	be16 "${4:-0}"
}

# seed NAME CONTROL LENGTH: the control byte and the length, then the packet from stdin.
seed() {
	{
		byte "$2"
		be16 "$3"
		cat
	} >"$out/$1"
}

# sip FILE [SRC DST SPORT DPORT]: FILE in a UDP packet; by default from the phone to the server,
# port 5060 to 5060.
sip() {
	len=$(wc -c <"$1")
	ipv4 5 $((28 + len)) 0 17 "${2:-$phone}" "${3:-$server}"
	udp "${4:-5060}" "${5:-5060}" $((8 + len))
	cat "$1"
}

mkdir -p "$out"
# the golden messages with their flows (case/args: --direction, --src and --dst)
for f in "$top"/tests/golden/*/in.sip; do
	args=$(cat "$(dirname "$f")/args")
	src=$(echo "$args" | sed -n 's/.*--src \([0-9.]*\):\([0-9]*\).*/\1 \2/p')
	dst=$(echo "$args" | sed -n 's/.*--dst \([0-9.]*\):\([0-9]*\).*/\1 \2/p')
	ctl=1
	case $args in *"--direction in"*) ctl=2 ;; esac
	if [ -z "$src" ] || [ -z "$dst" ]; then continue; fi
	sip "$f" "$(addr "${src% *}")" "$(addr "${dst% *}")" "${src#* }" "${dst#* }" |
		seed "golden-$(basename "$(dirname "$f")")" "$ctl" 0
done

msg=$top/tests/golden/zoiper-invite-stun-off/in.sip
len=$(wc -c <"$msg")
# the same message with other payloads: shorter, longer, empty, the largest that fits, one more
for want in 0 200 2000 65507 65508; do
	sip "$msg" | seed "resize-$want" 0 "$want"
done
# an output buffer too small (control bit 2), by one byte and by 32
sip "$msg" | seed tight-1 $((4 + 1)) 0
sip "$msg" | seed tight-32 $((4 + (31 << 3))) 500
# IP options: one word, and the most there can be
{ ipv4 6 $((32 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((8 + len)); cat "$msg"; } | seed options-1 1 0
{ ipv4 15 $((68 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((8 + len)); cat "$msg"; } | seed options-max 1 0
# fragments: the first (more fragments) and a later one
{ ipv4 5 $((28 + len)) 0x2000 17 "$phone" "$server"; udp 5060 5060 $((8 + len + 1000)); cat "$msg"; } |
	seed fragment-first 1 0
{ ipv4 5 $((20 + len)) 0x00b9 17 "$phone" "$server"; cat "$msg"; } | seed fragment-later 1 0
# bytes after the UDP datagram: inside the IP total length, and after it
{ ipv4 5 $((32 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((8 + len)); cat "$msg"; be32 0; } |
	seed surplus-in-ip 1 0
{ ipv4 5 $((28 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((8 + len)); cat "$msg"; be32 0; be16 0; } |
	seed trailer-after-ip 1 0
# checksums: a bad IP header checksum, a bad UDP checksum
{ ipv4 5 $((28 + len)) 0 17 "$phone" "$server" 4660; udp 5060 5060 $((8 + len)) 4660; cat "$msg"; } |
	seed bad-checksums 1 0
# truncated: inside the IP header, inside the UDP header, the payload cut short
sip "$msg" | head -c 10 | seed cut-ip-header 1 0
sip "$msg" | head -c 24 | seed cut-udp-header 1 0
sip "$msg" | head -c 300 | seed cut-payload 1 0
# lengths that lie: UDP shorter than its header, UDP longer than the IP packet, IHL below 5
{ ipv4 5 $((28 + len)) 0 17 "$phone" "$server"; udp 5060 5060 4; cat "$msg"; } | seed udp-length-4 1 0
{ ipv4 5 $((28 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((9 + len)); cat "$msg"; } |
	seed udp-length-over 1 0
{ ipv4 4 $((28 + len)) 0 17 "$phone" "$server"; udp 5060 5060 $((8 + len)); cat "$msg"; } | seed ihl-4 1 0
# not UDP (TCP), not IPv4 (an IPv6 first byte), empty UDP
{ ipv4 5 $((20 + len)) 0 6 "$phone" "$server"; cat "$msg"; } | seed tcp 1 0
{ byte 0x60; sip "$msg" | tail -c +2; } | seed ipv6 1 0
{ ipv4 5 28 0 17 "$phone" "$server"; udp 5060 5060 8; } | seed udp-empty 0 100
