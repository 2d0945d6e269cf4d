/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.h: the IPv4/UDP packets the daemon reads and rewrites. */
#ifndef SIPALG_PACKET_H
#define SIPALG_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct udp_packet {
	struct alg_endpoint src, dst;
	const char *payload;
	size_t payload_len;
};

enum packet_kind {
	PACKET_UDP,      /* an unfragmented IPv4 UDP datagram */
	PACKET_OTHER,    /* not IPv4 UDP: accepted untouched */
	PACKET_FRAGMENT, /* a fragment: accepted untouched (SIP split across fragments is not read) */
	PACKET_MALFORMED,
};

enum packet_kind packet_decode(const uint8_t *data, size_t len, struct udp_packet *u);

/* Writes into out (cap bytes) the packet, already decoded as u, with its UDP payload
 * replaced; lengths and checksums follow, and bytes after the UDP datagram are dropped.
 * Returns the new length, or 0 when it does not fit. */
size_t packet_rewrite(const uint8_t *data, size_t len, const struct udp_packet *u,
		      const char *payload, size_t payload_len, uint8_t *out, size_t cap);

#endif
