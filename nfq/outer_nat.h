/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outer_nat.h: which address the ALG writes, and whether another NAT sits in front of the
 * router (a carrier-grade NAT, or the provider's modem). Pure: the daemon brings the WAN
 * address, the setting and what STUN learned. */
#ifndef SIPALG_OUTER_NAT_H
#define SIPALG_OUTER_NAT_H

#include <stddef.h>
#include <stdint.h>

enum public_source {
	PUBLIC_WAN,     /* the WAN interface's address, itself public */
	PUBLIC_SET,     /* external_address (--public) */
	PUBLIC_STUN,    /* learned from stun_server */
	PUBLIC_UNKNOWN, /* behind another NAT and none known: addresses are left as written */
};

struct outer_nat {
	uint32_t wan_ip;    /* the WAN interface's address: where the NAT bindings are */
	uint32_t public_ip; /* what the ALG writes; the WAN address when unknown (nothing written) */
	enum public_source source;
	int behind;         /* another NAT is in front: its mappings need keep-alives */
};

/* The WAN address is private (RFC 1918) or shared (RFC 6598) and external_address is not
 * set: STUN's answer (0: none) is the public address, else it is unknown. With external_address
 * set the owner says another NAT is in front. */
struct outer_nat outer_nat_decide(uint32_t wan_ip, uint32_t external, uint32_t stun_ip);

/* The source's name, for status: "wan", "external_address", "stun", "unknown". */
const char *outer_nat_source_name(enum public_source s);

/* One line saying where the public address comes from (for the log and status). */
size_t outer_nat_describe(const struct outer_nat *o, char *buf, size_t cap);

#endif
