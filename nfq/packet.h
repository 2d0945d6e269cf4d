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

/* The length the packet would have with a new payload of payload_len bytes, or 0 when that
 * does not fit (room bytes at data, or 65535). */
size_t packet_rewritten_len(const uint8_t *data, size_t room, const struct udp_packet *u, size_t payload_len);

/* Replaces in place the UDP payload of the packet at data, decoded as u: room bytes are
 * writable at data. Lengths and checksums follow, and bytes after the UDP datagram are
 * dropped. Returns the new length, or 0 when it does not fit (room, or 65535 bytes). */
size_t packet_rewrite_in_place(uint8_t *data, size_t room, const struct udp_packet *u,
			       const char *payload, size_t payload_len);

/* Writes into out (cap bytes) the packet, already decoded as u, with its UDP payload
 * replaced; lengths and checksums follow, and bytes after the UDP datagram are dropped.
 * Returns the new length, or 0 when it does not fit. */
size_t packet_rewrite(const uint8_t *data, size_t len, const struct udp_packet *u,
		      const char *payload, size_t payload_len, uint8_t *out, size_t cap);

#endif
