#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the seed corpus of one fuzz harness into a folder: the golden corpus, the RFC 4475
# torture set when present, whole call flows and TCP streams, config files, packets (run.sh
# fuzzes from it; tests/cross/replay.sh replays it on a big-endian CPU).
# Usage: seed.sh HARNESS_NAME CORPUS_DIR
set -eu
name=$1
corpus=$2
here=$(dirname "$0")
top=$here/../..
torture=${SIPALG_CORPUS:-$top/../shared/corpus/rfc4475}
mkdir -p "$corpus"
case $name in
fuzz_config)
	# the daemon's config file: as shipped, fully set, and hand-made edge cases
	cp "$top/openwrt/sipalg/files/sipalg.config" "$corpus/shipped"
	cp "$top/tests/config/full.config" "$corpus/full"
	cp "$here"/seeds/fuzz_config/* "$corpus/"
	;;
fuzz_stun)
	# RFC 5769's IPv4 success response (XOR-MAPPED-ADDRESS, SOFTWARE, integrity, fingerprint)
	# and a classic MAPPED-ADDRESS answer
	printf '\001\001\000\074\041\022\244\102\267\347\247\001\274\064\326\206\372\207\337\256'\
'\200\042\000\013test vector \000\040\000\010\000\001\241\107\341\022\246\103' >"$corpus/rfc5769"
	printf '\000\010\000\024\053\221\365\231\375\236\220\303\214\164\211\371\052\371\272\123\360\153\347\327'\
'\200\050\000\004\300\175\114\226' >>"$corpus/rfc5769"
	printf '\001\001\000\014\041\022\244\102abcdefghijkl\000\001\000\010\000\001\234\100\306\063\144\001' \
		>"$corpus/mapped-address"
	# requests, errors, IPv6, both address kinds, bad cookies and lengths (enough seeds for
	# the big-endian replay without what native fuzzing grew)
	cp "$here"/seeds/fuzz_stun/* "$corpus/"
	;;
fuzz_packet)
	# the golden messages in IPv4/UDP packets, and the odd packets around them
	sh "$here/packets.sh" "$top" "$corpus"
	;;
fuzz_stream)
	# TCP streams after 5 control bytes (see fuzz_stream.c): each golden and RFC 4475
	# message alone, then whole connections of golden messages back to back, with or
	# without keep-alives between, under the 64 KiB limit and under a 1,536-byte one
	for f in "$top"/tests/golden/*/in.sip "$torture"/*.dat; do
		[ -f "$f" ] || continue
		case $f in
		*.dat) seed=torture-$(basename "$f") ;;
		*) seed=golden-$(basename "$(dirname "$f")") ;;
		esac
		{ printf '\000\001\002\003\004'; cat "$f"; } >"$corpus/$seed"
	done
	stream() {
		for f in "$top"/tests/golden/*/in.sip; do
			case $f in */truncated-in/*) continue ;; esac
			cat "$f"
			case $1 in
			ping) printf '\r\n\r\n' ;;
			pong) printf '\r\n' ;;
			esac
		done
	}
	{ printf '\000\021\042\063\104'; stream none; } >"$corpus/stream-64k"
	{ printf '\060\021\042\063\104'; stream ping; } >"$corpus/stream-1536-pings"
	{ printf '\000\377\377\377\377'; stream pong; } >"$corpus/stream-64k-pongs"
	;;
*)
	for f in "$top"/tests/golden/*/in.sip; do
		if [ "$name" = fuzz_sdp ]; then
			# seed the SDP harness with bodies only
			sed '1,/^\r*$/d' "$f" >"$corpus/golden-$(basename "$(dirname "$f")")"
		else
			cp "$f" "$corpus/golden-$(basename "$(dirname "$f")")"
		fi
	done
	if [ "$name" = fuzz_fastpath ]; then
		# header and SDP forms at the edges of the fast path's grammar
		cp "$here"/seeds/fuzz_fastpath/* "$corpus/"
	fi
	if [ "$name" = fuzz_state ]; then
		# state files as table_save writes them (the rest: messages, as fuzz_table takes them)
		cp "$here"/seeds/fuzz_state/* "$corpus/"
	fi
	if [ "$name" = fuzz_table ] || [ "$name" = fuzz_state ]; then
		# whole call flows: a control byte per message (see fuzz_table.c), then the message
		flow() {
			out=$1
			shift
			for step in "$@"; do
				printf '%s' "${step%%:*}"
				cat "$top/tests/golden/${step#*:}/in.sip"
				printf '\n%%%%\n'
			done >"$out"
		}
		# control bytes: "(" out from phone1 plus 10 s, ")" in to phone1, "*" out from phone2
		# (fuzz_state: bit 7 set, an expiry pass before the save)
		flow "$corpus/flow-call" "(:zoiper-invite-stun-off" "):invite-200-in" "(:reinvite-hold-out" \
			"(:bye-out"
		flow "$corpus/flow-register" "*:register-out" "+:register-200-in" "+:invite-in-to-phone" \
			"*:invite-200-answer-out"
		flow "$corpus/flow-cancel" "(:zoiper-invite-stun-off" "(:cancel-out" "):busy-486-in"
		flow "$corpus/flow-unregister" "*:register-out" "+:register-200-in" "*:register-multi-out" \
			"+:register-multi-200-in" "*:unregister-out" "+:unregister-200-in"
		flow "$corpus/flow-transfer" "(:zoiper-invite-stun-off" "):invite-200-in" "(:refer-out" \
			"+:refer-in" "(:bye-out"
	fi
	if [ -d "$torture" ]; then
		cp "$torture"/*.dat "$corpus/" 2>/dev/null || true
	else
		echo "$name: RFC 4475 corpus not found at $torture; seeding with the golden corpus only"
	fi
	;;
esac
