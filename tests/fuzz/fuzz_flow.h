/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_flow.h: message flows through the core and the binding table, as the daemon runs them,
 * for the harnesses that check the table (fuzz_table, fuzz_state). A flow is messages
 * separated by "\n%%\n"; each starts with one control byte: bit 0 the direction (1: from the
 * WAN), bit 1 a sender other than phone 192.168.1.101, bits 2-7 the seconds since the previous
 * message; when that number is odd, the firewall refuses the message's new bindings
 * (table_undo); bit 6 (16 of those seconds) sends it over TCP. */
#ifndef SIPALG_FUZZ_FLOW_H
#define SIPALG_FUZZ_FLOW_H

#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "table.h"

/* Small limits, so that every limit is hit. */
static const struct table_config fuzz_table_config = {
	.media_port_min = 20000, .media_port_max = 20063, .signaling_idle = 300, .dialog_idle = 3600,
	.register_grace = 30, .media_timeout = 60, .inbound_calls = INBOUND_REGISTRAR,
	.max_registrations_per_host = 4, .max_calls = 8, .max_pinholes_per_call = 6,
	.max_pinholes_per_host = 10, .max_pinholes = 16, .max_new_pinholes_per_second = 12,
};

struct fuzz_flow {
	const char *p, *end;
	int64_t now;
	char *out;
	size_t cap;
};

/* Runs the next message of f through t with the core's settings cfg (lan, public address,
 * limits; its NAT view is the table's). Returns its control byte, or -1 at the end. */
static inline int fuzz_flow_step(struct fuzz_flow *f, struct alg_table *t, const struct alg_config *cfg)
{
	const char *sep, *e;
	uint8_t ctl;
	int in;

	if (f->p >= f->end)
		return -1;
	sep = memmem(f->p, (size_t)(f->end - f->p), "\n%%\n", 4);
	e = sep ? sep : f->end;
	ctl = (uint8_t)*f->p++;
	if (e < f->p)
		return -1;
	in = ctl & 1;
	{
		struct alg_endpoint phone = { ctl & 2 ? 0xc0a80166 : 0xc0a80165, 5060 };
		struct alg_endpoint far = { 0xc633640a, 5060 };
		struct alg_packet pkt = { f->p, (size_t)(e - f->p), in ? ALG_IN : ALG_OUT, in ? far : phone,
					  in ? phone : far, ctl & 0x40 ? ALG_TCP : ALG_UDP };
		struct alg_result res;
		struct table_txn txn;

		f->now += ctl >> 2;
		table_translate(&txn, t, cfg, &pkt, f->now, f->out, f->cap, &res);
		if ((ctl >> 2) & 1)
			table_undo(&txn);
		else
			table_commit(&txn);
	}
	f->p = sep ? sep + 4 : f->end;
	return ctl;
}

#endif
