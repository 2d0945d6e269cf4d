/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_common.h: the lab configuration and the invariants every harness checks. */
#ifndef SIPALG_FUZZ_COMMON_H
#define SIPALG_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "alg.h"
#include "sip_msg.h"

static const struct alg_net fuzz_lan[] = {
	{ 0xc0a80000, 0xffff0000 }, /* 192.168.0.0/16 */
	{ 0xc0000200, 0xffffff00 }, /* 192.0.2.0/24, the torture messages' addresses */
};
static const struct alg_binding fuzz_map[] = {
	{ { 0xc0a80165, 5060 }, 40001 },
	{ { 0xc0a80165, 8000 }, 40010 },
};

/* A LAN SIP server (lan_server) and the port forwarded to it. */
static const uint32_t fuzz_server[] = { 0xc0a80165 };
static const uint16_t fuzz_server_port[] = { 5060 };

/* Translates msg and aborts on any broken promise of the core. With known_src the message
 * comes from 192.168.1.101 (and may name only that LAN host, unless known_src is 2: then
 * it is a named LAN server and may name any); else from nobody known. */
static inline void fuzz_one(const char *msg, size_t len, enum alg_direction dir, int bound, int known_src)
{
	struct alg_binding_list list = { fuzz_map, 2 };
	struct alg_config cfg = { .lan = fuzz_lan, .n_lan = 2, .public_ip = 0xcb007105 };

	if (known_src == 2) {
		cfg.lan_servers = fuzz_server;
		cfg.n_lan_servers = 1;
		cfg.server_ports = fuzz_server_port;
		cfg.n_server_ports = 1;
	}
	struct alg_endpoint phone = { 0xc0a80165, 5060 }, unknown = { 0, 0 };
	/* the length picks the transport too: over TCP a phone's Via binds nothing */
	struct alg_packet pkt = { msg, len, dir, known_src ? phone : unknown, phone, len & 8 ? ALG_TCP : ALG_UDP };
	struct alg_result res, again;

	if (bound)
		cfg.nat = alg_nat_list(&list);
	size_t cap = len + 1024;
	char *out = malloc(cap), *out2 = malloc(cap + 1024);
	struct sip_msg *m = malloc(sizeof(*m));

	alg_translate(&cfg, &pkt, out, cap, &res);
	if (res.reason != ALG_OK && (res.changed || res.n_actions))
		abort(); /* a message passed unchanged takes no action */
	if (res.changed) {
		if (res.out_len > cap)
			abort();
		/* What the ALG sends is still a SIP message, framed the same way ... */
		if (sip_msg_scan(out, res.out_len, m) != SCAN_OK)
			abort();
		/* ... and it owns no LAN address any more: translating again changes nothing. */
		pkt.msg = out;
		pkt.len = res.out_len;
		if (dir == ALG_OUT) {
			alg_translate(&cfg, &pkt, out2, cap + 1024, &again);
			if (again.changed)
				abort();
		}
	}
	for (size_t i = 0; i < res.n_actions; i++) {
		char line[256];

		alg_action_format(&res.actions[i], msg, cfg.public_ip, line, sizeof(line));
	}
	free(m);
	free(out2);
	free(out);
}

#endif
