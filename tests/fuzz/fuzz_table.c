/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_table: sequences of messages through the core and the binding table, as the daemon
 * runs them (translate, admit, apply, expire), with small limits so that every limit is hit.
 * After each step the table must be whole: public ports and private endpoints unique, media
 * bindings in live calls, limits kept, and what it reported matching what it holds (the
 * daemon mirrors those reports into nftables). At the end, far in the future, it is empty.
 *
 * Input: a message flow (fuzz_flow.h). */
#include "fuzz_flow.h"

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
	/* 192.168.1.101 is a named LAN server (lan_server): its messages may name any LAN host,
	 * and no other host's binding takes the forwarded port 5060. */
	static const struct alg_config cfg = {
		.lan = fuzz_lan, .n_lan = 2, .public_ip = 0xcb007105, .max_message_size = 8192,
		.max_headers = 64, .lan_servers = fuzz_server, .n_lan_servers = 1,
		.server_ports = fuzz_server_port, .n_server_ports = 1, .direct_lan_media = 1,
	};
	struct fuzz_flow f = { (const char *)data, (const char *)data + size, 1000, NULL, size + 1024 };
	int64_t now;

	f.out = malloc(f.cap);
	memset(mirrored, 0, sizeof(mirrored));
	table_init(&table, &fuzz_table_config, on_change, NULL);
	table_set_self_ip(&table, 0xcb007105);
	while (fuzz_flow_step(&f, &table, &cfg) >= 0) {
		table_expire(&table, f.now);
		check_whole();
	}
	now = f.now;
	table_expire(&table, now + 10 * 86400);
	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++)
		if (table.bind[i].in_use || mirrored[i])
			abort(); /* everything ends */
	free(f.out);
	return 0;
}
