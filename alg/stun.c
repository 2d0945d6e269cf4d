/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stun.c: RFC 5389 Binding Request and its answer (sections 6, 7.3.3, 15.1, 15.2). */
#include "stun.h"

#include <string.h>

#define STUN_BINDING_REQUEST 0x0001
#define STUN_BINDING_SUCCESS 0x0101
#define STUN_BINDING_ERROR 0x0111
#define ATTR_MAPPED_ADDRESS 0x0001
#define ATTR_XOR_MAPPED_ADDRESS 0x0020
#define FAMILY_IPV4 0x01

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t stun_binding_request(const uint8_t txid[STUN_TXID_LEN], uint8_t *out, size_t cap)
{
	if (cap < STUN_HEADER_LEN)
		return 0;
	put16(out, STUN_BINDING_REQUEST);
	put16(out + 2, 0);
	put32(out + 4, STUN_MAGIC_COOKIE);
	memcpy(out + 8, txid, STUN_TXID_LEN);
	return STUN_HEADER_LEN;
}

/* An address attribute's value (15.1, 15.2): reserved, family, port, address. */
static int read_address(const uint8_t *v, uint16_t len, int xored, struct alg_endpoint *ep)
{
	struct alg_endpoint e;

	if (len < 8 || v[1] != FAMILY_IPV4)
		return -1;
	e.port = get16(v + 2);
	e.ip = get32(v + 4);
	if (xored) {
		e.port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
		e.ip ^= STUN_MAGIC_COOKIE;
	}
	if (!e.ip || !e.port)
		return -1; /* no endpoint: as if absent */
	*ep = e;
	return 0;
}

enum stun_answer stun_binding_answer(const uint8_t *msg, size_t len, const uint8_t txid[STUN_TXID_LEN],
				     struct alg_endpoint *mapped)
{
	struct alg_endpoint xor_ep = { 0, 0 }, plain_ep = { 0, 0 };
	uint16_t type, body;
	size_t p;

	/* 6: the top two bits zero, the length a multiple of 4 that is the rest of the datagram */
	if (len < STUN_HEADER_LEN || (msg[0] & 0xc0))
		return STUN_MALFORMED;
	type = get16(msg);
	body = get16(msg + 2);
	if ((body & 3) || (size_t)body + STUN_HEADER_LEN != len || get32(msg + 4) != STUN_MAGIC_COOKIE)
		return STUN_MALFORMED;
	if (memcmp(msg + 8, txid, STUN_TXID_LEN) ||
	    (type != STUN_BINDING_SUCCESS && type != STUN_BINDING_ERROR))
		return STUN_NOT_OURS;
	/* 15: attributes are TLVs padded to 4 bytes; unknown ones are skipped */
	for (p = STUN_HEADER_LEN; p + 4 <= len;) {
		uint16_t at = get16(msg + p), alen = get16(msg + p + 2);
		size_t next = p + 4 + (((size_t)alen + 3) & ~(size_t)3);

		if (next > len)
			return STUN_MALFORMED;
		if (at == ATTR_XOR_MAPPED_ADDRESS && !xor_ep.ip)
			read_address(msg + p + 4, alen, 1, &xor_ep);
		else if (at == ATTR_MAPPED_ADDRESS && !plain_ep.ip)
			read_address(msg + p + 4, alen, 0, &plain_ep);
		p = next;
	}
	if (p != len)
		return STUN_MALFORMED;
	if (type == STUN_BINDING_ERROR)
		return STUN_ERROR;
	*mapped = xor_ep.ip ? xor_ep : plain_ep;
	return mapped->ip ? STUN_MAPPED : STUN_MALFORMED;
}
