/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stun.h: the STUN Binding transaction of RFC 5389, as bytes: the request a client sends and
 * the mapped address read from the answer. Pure: the caller brings the transaction ID and
 * does the I/O (nfq/stun_client.c). */
#ifndef SIPALG_STUN_H
#define SIPALG_STUN_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define STUN_HEADER_LEN 20
#define STUN_TXID_LEN 12
#define STUN_DEFAULT_PORT 3478
#define STUN_MAGIC_COOKIE 0x2112a442u

enum stun_answer {
	STUN_MAPPED,      /* a Binding success response of ours: *mapped is where we were seen */
	STUN_ERROR,       /* a Binding error response of ours */
	STUN_NOT_OURS,    /* a well-formed STUN message, but not an answer to this transaction */
	STUN_MALFORMED,   /* not STUN, cut short, or a success response without an IPv4 address */
};

/* Writes a Binding Request without attributes (20 bytes) into out; returns its length, 0
 * when cap is too small. */
size_t stun_binding_request(const uint8_t txid[STUN_TXID_LEN], uint8_t *out, size_t cap);

/* Reads an answer to the request with this txid. The address is XOR-MAPPED-ADDRESS, else the
 * classic MAPPED-ADDRESS (RFC 3489 servers); IPv6 mappings are not ours to use. */
enum stun_answer stun_binding_answer(const uint8_t *msg, size_t len, const uint8_t txid[STUN_TXID_LEN],
				     struct alg_endpoint *mapped);

#endif
