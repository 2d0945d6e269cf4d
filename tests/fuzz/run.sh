#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs each fuzz harness for a bounded time, seeded with the golden corpus, the RFC 4475
# torture set when present, and every saved regression (the daemon's config and packet harnesses
# with config files and packets instead; the stream harness with them as TCP streams). Any
# finding fails the run.
# Usage: run.sh BUILD_DIR SECONDS HARNESS...
set -eu
build=$1
seconds=$2
shift 2
here=$(dirname "$0")
top=$here/../..
torture=${SIPALG_CORPUS:-$top/../shared/corpus/rfc4475}

for harness in "$@"; do
	name=$(basename "$harness")
	corpus=$build/fuzz/corpus-$name
	mkdir -p "$corpus"
	case $name in
	fuzz_config)
		# the daemon's config file: as shipped, fully set, and hand-made edge cases
		cp "$top/openwrt/sipalg/files/sipalg.config" "$corpus/shipped"
		cp "$top/tests/config/full.config" "$corpus/full"
		cp "$here"/seeds/fuzz_config/* "$corpus/"
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
		if [ "$name" = fuzz_table ]; then
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
	# Saved findings replay first, every time.
	if [ -d "$here/regressions/$name" ] && [ -n "$(ls "$here/regressions/$name")" ]; then
		"$harness" "$here"/regressions/"$name"/* >"$build/fuzz/$name-regressions.log" 2>&1 || {
			cat "$build/fuzz/$name-regressions.log"
			echo "$name: a saved regression fails again"
			if [ -n "${RESULTS:-}" ]; then echo "$name 0 1" >>"$RESULTS"; fi
			exit 1
		}
	fi
	log=$build/fuzz/$name.log
	if ! "$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$build/fuzz/$name-" "$corpus" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "$name: FAILED; the input is in $build/fuzz/ (save it under tests/fuzz/regressions/$name/)"
		if [ -n "${RESULTS:-}" ]; then echo "$name 0 1" >>"$RESULTS"; fi
		exit 1
	fi
	echo "fuzz $name: $(grep -Eo '#[0-9]+' "$log" | tail -n 1 | tr -d '#') runs in ${seconds}s, no finding"
	if [ -n "${RESULTS:-}" ]; then echo "$name 1 0" >>"$RESULTS"; fi
done
