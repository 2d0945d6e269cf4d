#!/bin/sh
# make demo: a sample call through the translation core. The LAN phone 192.168.1.101 calls
# 2001 on the internet; the router's public address is 203.0.113.5. Shows the INVITE and the
# 200 OK as they are on each side of the router, and the bindings and pinholes they call for.
set -eu
bin=${1:-build/sipalg-rewrite}
golden=$(dirname "$0")/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
width=${COLUMNS:-200}
[ "$width" -ge 120 ] 2>/dev/null || width=200

show() { # title, case, the side each column is on
	title=$1
	case=$golden/$2
	# shellcheck disable=SC2046 # args holds the options, split on purpose
	"$bin" $(cat "$case/args") "$case/in.sip" >"$tmp/out" 2>"$tmp/actions"
	tr -d '\r' <"$case/in.sip" >"$tmp/before"
	tr -d '\r' <"$tmp/out" >"$tmp/after"
	printf '\n=== %s\n' "$title"
	printf '%-*s   %s\n' $((width / 2 - 2)) "$3" "$4"
	diff --side-by-side --width="$width" --expand-tabs "$tmp/before" "$tmp/after" || true
	printf -- '--- what the router must do for it:\n'
	sed 's/^/    /' "$tmp/actions"
}

echo "sipalg demo: the translation core on one call (lines marked | were rewritten)"
show "INVITE from the LAN phone (direction out)" zoiper-invite-stun-off \
	"as the phone sent it (LAN side)" "as the provider receives it (WAN side)"
show "200 OK from the far phone (direction in)" invite-200-in \
	"as it arrives from the provider (WAN side)" "as the phone receives it (LAN side)"
show "BYE from the LAN phone (direction out)" bye-out \
	"as the phone sent it (LAN side)" "as the provider receives it (WAN side)"

cat <<'TXT'

=== the pinholes of this call
  RTP   198.51.100.20:40000 -> 203.0.113.5:8000 -> 192.168.1.101:8000   (far end's media, from its SDP)
  RTCP  198.51.100.20:40001 -> 203.0.113.5:8001 -> 192.168.1.101:8001
  out   192.168.1.101:8000 leaves as 203.0.113.5:8000 (symmetric RTP: the port written in the SDP)
  closed by the BYE above (media-close). The daemon that installs them is issue 3's work.
TXT
