/* SPDX-License-Identifier: GPL-2.0-or-later */
/* outer_nat.c: the public address's source, decided and said in words. */
#include "outer_nat.h"

#include <stdio.h>

#include "addr.h"

struct outer_nat outer_nat_decide(uint32_t wan_ip, uint32_t external, uint32_t stun_ip)
{
	struct outer_nat o = { wan_ip, wan_ip, PUBLIC_WAN, 0 };

	if (external) {
		o.public_ip = external;
		o.source = PUBLIC_SET;
		o.behind = 1;
	} else if (addr_behind_nat(wan_ip)) {
		o.behind = 1;
		o.source = stun_ip ? PUBLIC_STUN : PUBLIC_UNKNOWN;
		if (stun_ip)
			o.public_ip = stun_ip;
	}
	return o;
}

const char *outer_nat_source_name(enum public_source s)
{
	static const char *const names[] = { "wan", "external_address", "stun", "unknown" };

	return names[s];
}

size_t outer_nat_describe(const struct outer_nat *o, char *buf, size_t cap)
{
	char wan[ADDR_STR_MAX], pub[ADDR_STR_MAX];
	int n = 0;

	addr_format(o->wan_ip, wan);
	addr_format(o->public_ip, pub);
	switch (o->source) {
	case PUBLIC_WAN:
		n = snprintf(buf, cap, "public address %s: the WAN address", pub);
		break;
	case PUBLIC_SET:
		n = snprintf(buf, cap, "public address %s: external_address (WAN address %s)", pub, wan);
		break;
	case PUBLIC_STUN:
		n = snprintf(buf, cap, "behind another NAT (WAN address %s is private): public address %s, "
			     "learned by STUN", wan, pub);
		break;
	case PUBLIC_UNKNOWN:
		n = snprintf(buf, cap, "behind another NAT (WAN address %s is private): public address "
			     "unknown (set external_address or stun_server); addresses pass as the phones "
			     "wrote them, with their bindings and pinholes", wan);
		break;
	}
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}
