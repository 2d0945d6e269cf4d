/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_state: the binding table's state file (alg/table_state.c), which a restarted daemon
 * reads and anyone with its user could have written. Two kinds of input:
 * - text starting "sipalg-state": loaded into an empty table; it is refused (the table left
 *   empty, a reason given) or loads into a table that passes fuzz_table's whole-table checks;
 *   then save(load(x)) is a fixed point: loaded and saved again, the same text;
 * - anything else: a message flow (fuzz_flow.h) through the core and the table, and after
 *   each message the table is saved and loaded into another: whole, no record lost, and a
 *   fixed point from there.
 * The boot id is fixed ("b00t"): a file naming another boot is refused like any bad one. */
#define _GNU_SOURCE /* memmem, in fuzz_flow.h */
#include <stdio.h>

#include "fuzz_flow.h"
#include "table_state.h"

#define BOOT "b00t"

static struct alg_table a, b;
static char *text1, *text2;

/* fuzz_table's check_whole without its mirror and limit parts: a loaded table reports nothing
 * (the daemon installs it whole) and the limits are the running daemon's settings, which a
 * restart keeps for what exists, as a reload does. */
static void check_whole(const struct alg_table *t)
{
	uint32_t media = 0, signaling = 0;

	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++) {
		const struct table_binding *x = &t->bind[i];

		if (x->in_use && i >= t->bind_top)
			abort();
		if (!x->in_use)
			continue;
		for (size_t k = i + 1; k < t->bind_top; k++) {
			const struct table_binding *o = &t->bind[k];

			if (o->in_use && (o->pub_port == x->pub_port ||
					  (o->priv.ip == x->priv.ip && o->priv.port == x->priv.port)))
				abort();
		}
		signaling += x->kind == ALG_PORT_SIGNALING;
		if (x->kind == ALG_PORT_MEDIA) {
			media++;
			if (x->dialog < 0 || (size_t)x->dialog >= t->dialog_top ||
			    !t->dialog[x->dialog].in_use || !t->dialog[x->dialog].from_lan)
				abort(); /* a pinhole outside a call a LAN phone is in */
		}
	}
	for (size_t i = 0; i < TABLE_MAX_DIALOGS; i++)
		if (t->dialog[i].in_use && i >= t->dialog_top)
			abort();
	if (t->n_bound[ALG_PORT_MEDIA] != media || t->n_bound[ALG_PORT_SIGNALING] != signaling)
		abort(); /* the kept counts drifted from the table */
}

static int empty(const struct alg_table *t)
{
	size_t s = 0, d = 0;

	return !table_binding_at(t, &s) && !table_dialog_at(t, &d) && t->n_bound[0] == 0 && t->n_bound[1] == 0;
}

/* The last line of a text: "end DIALOGS BINDINGS". */
static const char *end_line(const char *text, size_t n)
{
	const char *p = text + n - 1;

	while (p > text && p[-1] != '\n')
		p--;
	return p;
}

/* t saved at now and loaded into b: nothing lost (the same records: loading at the time of
 * saving, nothing has expired), and from then on a fixed point: b saved, loaded and saved
 * again gives the same text. (Not t's own text: a call not yet answered comes back with at
 * most Timer C to live.) */
static void round_trip(const struct alg_table *t, int64_t now)
{
	static const struct table_config none = { .inbound_calls = INBOUND_REGISTRAR };
	char err[256];
	size_t n1, n2;

	n1 = table_save(t, text1, TABLE_STATE_MAX, now, BOOT);
	if (n1 == 0)
		abort(); /* a whole table always fits */
	table_init(&b, &none, NULL, NULL);
	if (table_load(&b, text1, n1, now, BOOT, NULL, err, sizeof(err))) {
		fprintf(stderr, "refused its own text: %s\n%.*s", err, (int)n1, text1);
		abort();
	}
	check_whole(&b);
	n2 = table_save(&b, text2, TABLE_STATE_MAX, now, BOOT);
	if (n2 == 0 || strcmp(end_line(text1, n1), end_line(text2, n2)) != 0)
		abort(); /* a record was lost */
	/* A later start, on another boot, or with the table not empty: refused, nothing changed. */
	if (!empty(&b) && table_load(&b, text2, n2, now, BOOT, NULL, err, sizeof(err)) == 0)
		abort();
	table_init(&b, &none, NULL, NULL);
	if (table_load(&b, text2, n2, now, "0ther", NULL, err, sizeof(err)) == 0 || !empty(&b) || !err[0])
		abort();
	if (table_load(&b, text2, n2, now, BOOT, NULL, err, sizeof(err)))
		abort();
	n1 = table_save(&b, text1, TABLE_STATE_MAX, now, BOOT);
	if (n1 != n2 || memcmp(text1, text2, n1) != 0)
		abort(); /* save(load(x)) is not a fixed point */
}

static void messages(const uint8_t *data, size_t size)
{
	static const struct alg_config cfg = { .lan = fuzz_lan, .n_lan = 2, .public_ip = 0xcb007105,
					       .max_message_size = 8192, .max_headers = 64 };
	struct fuzz_flow f = { (const char *)data, (const char *)data + size, 1000, NULL, size + 1024 };
	int ctl;

	f.out = malloc(f.cap);
	table_init(&a, &fuzz_table_config, NULL, NULL);
	table_set_self_ip(&a, 0xcb007105);
	while ((ctl = fuzz_flow_step(&f, &a, &cfg)) >= 0) {
		/* The daemon saves between messages, before or after its expiry pass. */
		if (ctl & 0x80)
			table_expire(&a, f.now);
		round_trip(&a, f.now);
	}
	free(f.out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	text1 = malloc(TABLE_STATE_MAX);
	text2 = malloc(TABLE_STATE_MAX);
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct table_config none;
	char err[256];
	int64_t now = 5000;

	if (size < 12 || memcmp(data, "sipalg-state", 12) != 0) {
		messages(data, size);
		return 0;
	}
	table_init(&a, &none, NULL, NULL);
	if (table_load(&a, (const char *)data, size, now, BOOT, NULL, err, sizeof(err))) {
		if (!empty(&a) || !err[0])
			abort(); /* refused whole, with a reason */
		return 0;
	}
	check_whole(&a);
	round_trip(&a, now);
	/* Later, everything it held expires: nothing of the file outlives its lifetimes. */
	table_expire(&a, now + ((int64_t)1 << 35));
	if (!empty(&a))
		abort();
	return 0;
}
