#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC2016 # the sh -c snippets expand their own arguments
# sipalg end-to-end: registrations that end, and a transfer (issue 12, items 2 and 4).
# - A phone unregisters (Expires: 0): its binding is gone as soon as the registrar's 200 has
#   passed, in the status view and in nftables.
# - A phone back from a reboot registers from another source port: its old binding goes,
#   one binding is left, and the 200 gives back only the contact this REGISTER carried.
# - A LAN phone transfers a call (REFER in the dialog): Refer-To and Referred-By reach the
#   provider and the far end with the public address; the Call-ID inside Replaces arrives
#   as the phone wrote it.
# - A LAN phone is transferred (transferee) to another LAN phone (the target), named as the
#   WAN side knows it: Refer-To arrives with the target's private address.
#
# Usage: sh tests/e2e/test-register.sh   (as root; LAB_KEEP=1 keeps the logs; SIPALGD=path)
set -u

LAB_E2E=$(cd "$(dirname "$0")" && pwd)
. "$LAB_E2E/lab.sh"
. "$LAB_E2E/check.sh"
. "$LAB_E2E/alg.sh"

PUB=203.0.113.1

# bindings IP: the signaling bindings of IP in the status view, one "port registered" a line.
bindings() {
	alg_status --json | tr '{' '\n' |
		sed -n "s/^\"private\":\"$1:\([0-9]*\)\",\"public_port\":[0-9]*,\"registered\":\([a-z]*\).*/\1 \2/p"
}
no_binding() { ! bindings "$1" | grep -q "^$2 "; }
registered() { bindings "$1" | grep -qx "$2 true"; }
# the router's nftables maps hold no element toward IP:PORT
not_in_nft() { ! { alg_map snat_map; alg_map dnat_any; } | grep -q "$1 \. $2\b"; }
in_nft() { ! not_in_nft "$@"; }

# public_port IP PORT: the public port of IP:PORT's signaling binding
public_port() {
	alg_status --json | tr '{' '\n' | sed -n "s/^\"private\":\"$1:$2\",\"public_port\":\([0-9]*\).*/\1/p"
}

# No private address in a message outside its Call-ID and the Call-ID inside Replaces.
no_private() {
	! printf '%s\n' "$1" | grep -vi '^\(call-id\|i\):' | sed 's/Replaces=[^>]*//' | grep -q '192\.168\.'
}

# the Contact lines of the 200 a sipp run received
received_contacts() {
	tr -d '\r' <"$LAB_DIR/$1.msg" | sed -n '/^SIP\/2.0 200 /,/^$/p' | grep -i '^contact:'
}

# the top Via of the 200 a sipp run received
received_via() {
	tr -d '\r' <"$LAB_DIR/$1.msg" | sed -n '/^SIP\/2.0 200 /,/^$/p' | grep -i '^via:' | head -n 1
}

scenario_unregister() {
	echo "--- phone1 registers, then unregisters (Expires: 0)"
	check "phone1 registers as 1001" lab_register phone1 1001 300
	via=$(received_via register-phone1-1001)
	echo "     phone1 received: $via"
	check "the 200's top Via names phone1 itself, as without NAT (sent-by and rport=5060)" \
		sh -c 'printf "%s\n" "$1" | grep -q "192\.168\.1\.10:5060;.*rport=5060" &&
			! printf "%s\n" "$1" | grep -q "203\.0\.113\."' _ "$via"
	alg_status | sed -n '/^signaling/,/^dialogs/p' | sed 's/^/     | /'
	check "the status view lists phone1's binding as registered" registered "$LAB_PHONE1_IP" 5060
	check "nftables holds it" in_nft "$LAB_PHONE1_IP" 5060
	check "phone1 unregisters (REGISTER with Expires: 0, 200)" lab_register phone1 1001 0
	alg_status | sed -n '/^signaling/,/^dialogs/p' | sed 's/^/     | /'
	check "right after the 200 the status view lists no binding of phone1" \
		no_binding "$LAB_PHONE1_IP" 5060
	check "and nftables holds none for it" lab_until 3 not_in_nft "$LAB_PHONE1_IP" 5060
	unreg=$(provider_req REGISTER 2)
	check "the unregister reached the provider with the public contact" \
		sh -c 'printf "%s\n" "$1" | grep -qi "^contact: <sip:1001@$2:5060>"' _ "$unreg" "$PUB"
}

scenario_reboot() {
	echo "--- phone2 registers, reboots, registers again from another source port"
	check "phone2 registers as 1002 from port 5060" lab_register phone2 1002 300
	check "its binding is registered" registered "$LAB_PHONE2_IP" 5060
	# not 5060: phone1's flow may still hold that public port in conntrack (TABLE_PORT_COOLDOWN)
	old=$(public_port "$LAB_PHONE2_IP" 5060)
	check "on another public port than phone1 had just before ($old)" [ "${old:-5060}" != 5060 ]
	check "after the reboot phone2 registers as 1002 from port 5070" \
		lab_sipp reboot-phone2 phone2 register -s 1002 -key expires 300 -p 5070
	alg_status | sed -n '/^signaling/,/^dialogs/p' | sed 's/^/     | /'
	check "the status view lists one binding of phone2" [ "$(bindings "$LAB_PHONE2_IP" | wc -l)" -eq 1 ]
	check "it is the new port's, registered" registered "$LAB_PHONE2_IP" 5070
	check "the old port's binding is gone" no_binding "$LAB_PHONE2_IP" 5060
	check "and gone from nftables" lab_until 3 not_in_nft "$LAB_PHONE2_IP" 5060
	contacts=$(received_contacts reboot-phone2)
	printf '%s\n' "$contacts" | sed 's/^/     phone2 got: /'
	check "the 200 gave phone2 back its new contact" \
		sh -c 'printf "%s\n" "$1" | grep -q "@192.168.1.11:5070>"' _ "$contacts"
	check "and left the old one as the registrar holds it (public), not made private" \
		sh -c 'printf "%s\n" "$1" | grep -q "@$2:$3>" && ! printf "%s\n" "$1" | grep -q "@192.168.1.11:5060>"' \
		_ "$contacts" "$PUB" "$old"
}

scenario_transfer() {
	echo "--- phone1 calls far, then transfers the call to itself (REFER in the dialog)"
	check "far registers as 2001" lab_register far 2001
	lab_sipp_bg xfer-uas far uas-refer
	lab_wait_udp far 5060 5 || not_ok "far listens"
	lab_sipp_bg xfer-uac phone1 uac-refer -s 2001 -key me 1001 -key refer_to 1001@192.168.1.10:5060 \
		-key replaces_call 4711-refer
	lab_wait xfer-uac 20
	uac=$?
	lab_wait xfer-uas 20
	uas=$?
	check "the call and its transfer complete (INVITE, 200, ACK, REFER, 202, BYE, 200)" [ "$uac$uas" = 00 ]
	refer=$(provider_req REFER 1)
	printf '%s\n' "$refer" | grep -i '^refer-to:\|^referred-by:' | sed 's/^/     provider got: /'
	check "the REFER reached the provider" [ -n "$refer" ]
	check "its Refer-To names the public address, its Replaces the Call-ID as written" \
		sh -c 'printf "%s\n" "$1" | grep -qiF "refer-to: <sip:1001@$2:5060?Replaces=4711-refer%40192.168.1.10%3Bto-tag%3D7001%3Bfrom-tag%3D7002>"' \
		_ "$refer" "$PUB"
	check "its Referred-By names the public address" \
		sh -c 'printf "%s\n" "$1" | grep -qiF "referred-by: <sip:1001@$2:5060>"' _ "$refer" "$PUB"
	check "it carries no other private address" no_private "$refer"
	far_refer=$(tr -d '\r' <"$LAB_DIR/xfer-uas.msg" | grep -i '^refer-to:\|^referred-by:')
	printf '%s\n' "$far_refer" | sed 's/^/     far got: /'
	check "far received the translated Refer-To and Referred-By" \
		sh -c 'printf "%s\n" "$1" | grep -qiF "refer-to: <sip:1001@$2:5060?" && printf "%s\n" "$1" | grep -qiF "referred-by: <sip:1001@$2:5060>"' \
		_ "$far_refer" "$PUB"
}

scenario_transferee() {
	echo "--- far calls phone1, then transfers phone1 to phone2 (as far knows phone2)"
	check "phone1 registers as 1001" lab_register phone1 1001 300
	p2=$(public_port "$LAB_PHONE2_IP" 5070)
	check "phone2 is reachable on the public port $p2" [ -n "$p2" ]
	lab_sipp_bg xferin-uas phone1 uas-refer
	lab_wait_udp phone1 5060 5 || not_ok "phone1 listens"
	lab_sipp_bg xferin-uac far uac-refer -s 1001 -key me 2001 -key refer_to "1002@$PUB:$p2" \
		-key replaces_call 4712-refer
	lab_wait xferin-uac 20
	uac=$?
	lab_wait xferin-uas 20
	uas=$?
	check "the call and its transfer complete (INVITE, 200, ACK, REFER, 202, BYE, 200)" [ "$uac$uas" = 00 ]
	got=$(tr -d '\r' <"$LAB_DIR/xferin-uas.msg" | grep -i '^refer-to:\|^referred-by:')
	printf '%s\n' "$got" | sed 's/^/     phone1 got: /'
	check "phone1 got Refer-To naming phone2's own address, Replaces as far wrote it" \
		sh -c 'printf "%s\n" "$1" | grep -qiF "refer-to: <sip:1002@192.168.1.11:5070?Replaces=4712-refer%40$2%3Bto-tag%3D7001%3Bfrom-tag%3D7002>"' \
		_ "$got" "$LAB_FAR_IP"
	check "and far's Referred-By as far wrote it" \
		sh -c 'printf "%s\n" "$1" | grep -qiF "referred-by: <sip:2001@$2:5060>"' _ "$got" "$LAB_FAR_IP"
	check "no binding was made for anything far named" [ "$(alg_status --json | grep -o '"private"' | wc -l)" -eq 2 ]
}

if [ "$(id -u)" -ne 0 ]; then
	echo "test-register: needs root (network namespaces)"
	exit 1
fi
lab_up || { echo "test-register: lab did not come up"; exit 1; }
# shellcheck disable=SC2119 # the daemon's default options
if ! alg_start; then
	not_ok "sipalgd starts"
	finish "${E2E_NAME:-e2e-register}"
	exit 1
fi
scenario_unregister
scenario_reboot
scenario_transfer
scenario_transferee
check "sipalgd is still running" kill -0 "$ALG_PID"
alg_stop
finish "${E2E_NAME:-e2e-register}"
