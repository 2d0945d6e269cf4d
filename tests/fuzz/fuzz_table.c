/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_table: sequences of messages through the core and the binding table, as the daemon
 * runs them (translate, admit, apply, expire), with small limits so that every limit is hit.
 * After each step the table must be whole: public ports and private endpoints unique, media
 * bindings in live calls, limits kept, and what it reported matching what it holds (the
 * daemon mirrors those reports into nftables). At the end, far in the future, it is empty.
 *
 * Input: messages separated by "\n%%\n"; each starts with one control byte: bit 0 the
 * direction (1: from the WAN), bit 1 a sender other than phone 192.168.1.101, bits 2-7 the
 * seconds since the previous message; when that number is odd, the firewall refuses the
 * message's new bindings (table_undo). */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>

#include "fuzz_common.h"
#include "table.h"

static struct alg_table table;
static uint8_t mirrored[TABLE_MAX_BINDINGS]; /* what the reports say is there */

static void on_change(void *ctx, size_t i, const struct table_binding *b, enum table_change c)
{
	(void)ctx;
	if (b != &table.bind[i])
		abort(); /* the slot reported is not the binding's */
	if (c == TABLE_ADDED && mirrored[i])
		abort(); /* added twice without a removal */
	if (c != TABLE_ADDED && !mirrored[i])
		abort(); /* updated or removed, never added */
	mirrored[i] = c != TABLE_REMOVED;
}

static void check_whole(void)
{
	uint32_t media = 0, signaling = 0;

	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++) {
		const struct table_binding *b = &table.bind[i];

		if (mirrored[i] != (b->in_use != 0) || (b->in_use && i >= table.bind_top))
			abort();
		if (!b->in_use)
			continue;
		for (size_t k = i + 1; k < table.bind_top; k++) {
			const struct table_binding *o = &table.bind[k];

			if (o->in_use && (o->pub_port == b->pub_port ||
					  (o->priv.ip == b->priv.ip && o->priv.port == b->priv.port)))
				abort();
		}
		signaling += b->kind == ALG_PORT_SIGNALING;
		if (b->kind == ALG_PORT_MEDIA) {
			media++;
			if (b->dialog < 0 || (size_t)b->dialog >= table.dialog_top ||
			    !table.dialog[b->dialog].in_use || !table.dialog[b->dialog].from_lan)
				abort(); /* a pinhole outside a call a LAN phone is in */
		}
	}
	if (media > table.cfg.max_pinholes)
		abort();
	if (table.n_bound[ALG_PORT_MEDIA] != media || table.n_bound[ALG_PORT_SIGNALING] != signaling)
		abort(); /* the kept counts drifted from the table */
	for (size_t i = 0; i < table.reg_top; i++) {
		size_t k = 0;

		if (!table.reg[i].aor)
			continue;
		while (k < table.bind_top && !(table.bind[k].in_use && table.bind[k].kind == ALG_PORT_SIGNALING &&
					       endpoint_eq(table.bind[k].priv, table.reg[i].priv)))
			k++;
		if (k == table.bind_top)
			abort(); /* a registration outlived its binding */
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct table_config tcfg = {
		.media_port_min = 20000, .media_port_max = 20063, .signaling_idle = 300, .dialog_idle = 3600,
		.register_grace = 30, .media_timeout = 60, .inbound_calls = INBOUND_REGISTRAR,
		.max_registrations_per_host = 4, .max_calls = 8, .max_pinholes_per_call = 6,
		.max_pinholes_per_host = 10, .max_pinholes = 16, .max_new_pinholes_per_second = 12,
	};
	const char *p = (const char *)data, *end = p + size;
	int64_t now = 1000;
	size_t cap = size + 1024;
	char *out = malloc(cap);

	memset(mirrored, 0, sizeof(mirrored));
	table_init(&table, &tcfg, on_change, NULL);
	table_set_self_ip(&table, 0xcb007105);
	while (p < end) {
		const char *sep = memmem(p, (size_t)(end - p), "\n%%\n", 4), *e = sep ? sep : end;
		uint8_t ctl = (uint8_t)*p++;
		int in = ctl & 1;
		struct alg_endpoint phone = { ctl & 2 ? 0xc0a80166 : 0xc0a80165, 5060 };
		struct alg_endpoint far = { 0xc633640a, 5060 };
		/* 192.168.1.101 is a named LAN server (lan_server): its messages may name any LAN
		 * host, and no other host's binding takes the forwarded port 5060. */
		struct alg_config cfg = { .lan = fuzz_lan, .n_lan = 2, .public_ip = 0xcb007105,
					  .max_message_size = 8192, .max_headers = 64,
					  .lan_servers = fuzz_server, .n_lan_servers = 1,
					  .server_ports = fuzz_server_port, .n_server_ports = 1,
					  .direct_lan_media = 1 };
		struct alg_packet pkt = { p, (size_t)(e - p), in ? ALG_IN : ALG_OUT, in ? far : phone,
					  in ? phone : far };
		struct alg_result res;
		struct table_txn txn;

		if (e < p)
			break;
		now += ctl >> 2;
		table_translate(&txn, &table, &cfg, &pkt, now, out, cap, &res);
		/* The firewall refuses some messages' bindings (control bit 1 of the delay). */
		if ((ctl >> 2) & 1)
			table_undo(&txn);
		else
			table_commit(&txn);
		table_expire(&table, now);
		check_whole();
		p = sep ? sep + 4 : end;
	}
	table_expire(&table, now + 10 * 86400);
	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++)
		if (table.bind[i].in_use || mirrored[i])
			abort(); /* everything ends */
	free(out);
	return 0;
}
