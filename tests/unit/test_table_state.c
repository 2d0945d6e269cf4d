/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_table_state.c: the binding table saved and loaded again, as a restarted sipalgd does:
 * real call flows come back whole (the registered phone reachable, the call's pinholes toward
 * its far end, the lifetimes less the time nobody ran), and a bad file is refused whole. */
#define _GNU_SOURCE /* memmem */
#include "harness.h"
#include "table.h"
#include "table_state.h"

#define BOOT "0f3a9c1e-7b2d-4e8f-9a61-2c5d7e0b4f13"

static const struct table_config tcfg = {
	.media_port_min = 20000, .media_port_max = 20099, .signaling_idle = 300, .dialog_idle = 3600,
	.register_grace = 30, .media_timeout = 60,
};
static struct alg_table table, restored;
static char text[TABLE_STATE_MAX], err[256];
static size_t text_len;
static int reported, removed;

static void count_change(void *ctx, size_t slot, const struct table_binding *b, enum table_change c)
{
	(void)ctx;
	(void)slot;
	(void)b;
	reported++;
	removed += c == TABLE_REMOVED;
}

static int reset(void **state)
{
	(void)state;
	table_init(&table, &tcfg, NULL, NULL);
	table_init(&restored, &tcfg, count_change, NULL);
	reported = removed = 0;
	return 0;
}

static const struct alg_endpoint phone1 = { 0xc0a80165, 5060 }, phone2 = { 0xc0a80166, 5060 };
static const struct alg_endpoint provider = { 0xc633640a, 5060 };
#define FAR_PHONE 0xc6336414 /* 198.51.100.20 */

static void step_msg(struct alg_table *t, enum alg_direction dir, const char *msg, size_t len, int64_t now,
		     struct alg_endpoint dst)
{
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	/* from the provider when from the WAN (the registrar, under 'registrar') */
	run_through(&r, &cfg, t, now, dir, msg, len, dir == ALG_IN ? provider : (struct alg_endpoint){ 0, 0 }, dst);
	assert_int_equal(r.res.reason, ALG_OK);
	run_free(&r);
}

static void step_fixture(struct alg_table *t, enum alg_direction dir, const char *name, int64_t now,
			 struct alg_endpoint dst)
{
	size_t len;
	char *msg = fixture(name, &len);

	step_msg(t, dir, msg, len, now, dst);
	free(msg);
}

static const struct table_binding *binding_of(const struct alg_table *t, uint32_t ip, uint16_t port)
{
	const struct table_binding *b;

	table_for_each_binding(t, slot, b)
		if (b->priv.ip == ip && b->priv.port == port)
			return b;
	return NULL;
}

static size_t count(const struct alg_table *t, enum alg_port_kind kind)
{
	const struct table_binding *b;
	size_t n = 0;

	table_for_each_binding(t, slot, b)
		n += b->kind == kind;
	return n;
}

/* Both tables hold the same bindings and dialogs, in the same order (slots may differ). */
static void assert_same(const struct alg_table *x, const struct alg_table *y)
{
	const struct table_binding *a, *b;
	const struct table_dialog *d, *e;
	size_t sa = 0, sb = 0, da = 0, db = 0;

	for (;; sa++, sb++) {
		a = table_binding_at(x, &sa);
		b = table_binding_at(y, &sb);
		assert_true((a == NULL) == (b == NULL));
		if (!a)
			break;
		assert_int_equal(a->kind, b->kind);
		assert_true(endpoint_eq(a->priv, b->priv));
		assert_int_equal(a->pub_port, b->pub_port);
		assert_int_equal(a->peer, b->peer);
		assert_int_equal(a->registered, b->registered);
		assert_true(endpoint_eq(a->registrar, b->registrar));
		assert_int_equal(a->stream, b->stream);
		assert_int_equal(a->rtcp, b->rtcp);
		assert_int_equal(a->expires, b->expires);
		assert_int_equal(a->dialog < 0, b->dialog < 0);
		if (a->dialog >= 0)
			assert_memory_equal(x->dialog[a->dialog].call_id, y->dialog[b->dialog].call_id,
					    TABLE_CALL_ID_MAX);
	}
	for (;; da++, db++) {
		d = table_dialog_at(x, &da);
		e = table_dialog_at(y, &db);
		assert_true((d == NULL) == (e == NULL));
		if (!d)
			break;
		assert_int_equal(d->answered, e->answered);
		assert_int_equal(d->from_lan, e->from_lan);
		assert_int_equal(d->call_id_len, e->call_id_len);
		assert_memory_equal(d->call_id, e->call_id, TABLE_CALL_ID_MAX);
		assert_memory_equal(d->peer, e->peer, sizeof(d->peer));
		assert_int_equal(d->expires, e->expires);
		assert_int_equal(d->media_seen, e->media_seen);
	}
	assert_int_equal(x->n_bound[0], y->n_bound[0]);
	assert_int_equal(x->n_bound[1], y->n_bound[1]);
}

static void save(int64_t now)
{
	text_len = table_save(&table, text, sizeof(text), now, BOOT);
	assert_true(text_len > 0);
}

static int load(int64_t now, struct table_state_counts *c)
{
	return table_load(&restored, text, text_len, now, BOOT, c, err, sizeof(err));
}

/* A call in progress and a registered phone, as the daemon had them when it was killed. */
static void call_and_registration(void)
{
	step_fixture(&table, ALG_OUT, "register-out", 100, provider);
	step_fixture(&table, ALG_IN, "register-200-in", 101, phone2);
	step_fixture(&table, ALG_OUT, "zoiper-invite-stun-off", 110, provider);
	step_fixture(&table, ALG_IN, "invite-200-in", 111, phone1);
	table_media_seen(&table, binding_of(&table, 0xc0a80165, 8000)->dialog, 150);
}

static void call_and_registration_come_back(void **state)
{
	struct table_state_counts c;
	const struct table_binding *reg, *rtp;

	(void)state;
	call_and_registration();
	save(160);
	/* killed at 160, started again at 170 */
	assert_int_equal(load(170, &c), 0);
	assert_int_equal(c.registrations, 1);
	assert_int_equal(c.signaling, 2);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.pinholes, 2);
	assert_int_equal(c.expired, 0);
	assert_int_equal(reported, 0); /* the daemon installs the loaded table whole */
	assert_same(&table, &restored);
	reg = binding_of(&restored, 0xc0a80166, 5060);
	assert_true(reg->registered);
	assert_true(endpoint_eq(reg->registrar, provider)); /* its keep-alives go on */
	assert_int_equal(reg->expires, 101 + 3600 + 30); /* the same moment: the clock went on */
	rtp = binding_of(&restored, 0xc0a80165, 8000);
	assert_int_equal(rtp->peer, FAR_PHONE);
	assert_int_equal(restored.dialog[rtp->dialog].answered, 1);
	/* and saved again, it says the same */
	text_len = table_save(&restored, text + TABLE_STATE_MAX / 2, TABLE_STATE_MAX / 2, 160, BOOT);
	assert_memory_equal(text, text + TABLE_STATE_MAX / 2, text_len);
}

/* After the restart the phones go on as if nothing happened: the registered phone's public
 * port still leads to it, and the call's BYE closes what the first daemon opened. */
static void restored_table_goes_on(void **state)
{
	struct table_txn x;
	struct alg_nat nat;
	struct alg_endpoint ep;

	(void)state;
	call_and_registration();
	save(160);
	assert_int_equal(load(170, NULL), 0);
	table_set_config(&restored, &tcfg);
	table_begin(&x, &restored, 200);
	nat = table_nat(&x);
	assert_int_equal(nat.private_endpoint(nat.ctx, 5060, &ep), 0);
	assert_true(endpoint_eq(ep, phone1) || endpoint_eq(ep, phone2));
	assert_int_equal(nat.private_endpoint(nat.ctx, 8000, &ep), 0);
	assert_int_equal(ep.ip, 0xc0a80165);
	step_fixture(&restored, ALG_OUT, "bye-out", 300, provider);
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 0);
	assert_int_equal(removed, 2); /* both pinholes removed, through the daemon's mirror */
	/* a second phone's call still gets its own ports beside the restored ones */
	step_fixture(&restored, ALG_IN, "invite-in-to-phone", 301, phone2);
}

/* The time nobody ran counts: what expired meanwhile is left out; the media timeout of the
 * call runs from when its media was last seen (the daemon checks conntrack first). */
static void what_expired_meanwhile_is_left_out(void **state)
{
	struct table_state_counts c;

	(void)state;
	call_and_registration();
	save(160);
	/* down until after the call's idle time but within the registration */
	assert_int_equal(load(111 + 3600, &c), 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(c.pinholes, 0);
	assert_int_equal(c.registrations, 1);
	assert_int_equal(c.signaling, 1); /* phone1's binding idled out (300 s) */
	assert_int_equal(c.expired, 4);
	/* a call whose media stopped while nobody ran ends by the media timeout */
	reset(NULL);
	call_and_registration();
	save(160);
	assert_int_equal(load(200, NULL), 0);
	table_set_config(&restored, &tcfg);
	table_expire(&restored, 209);
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 2);
	table_expire(&restored, 210); /* seen at 150, timeout 60 */
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 0);
}

/* The registrar noted under 'registrar' is kept under that setting, and forgotten under
 * 'anyone' (the setting of the new start decides, as a reload's does for new messages). */
static void inbound_setting_of_the_new_start_decides(void **state)
{
	struct table_config registrar = tcfg;

	(void)state;
	registrar.inbound_calls = INBOUND_REGISTRAR;
	table_set_config(&table, &registrar);
	call_and_registration();
	assert_int_equal(binding_of(&table, 0xc0a80166, 5060)->peer, provider.ip);
	save(160);
	assert_int_equal(load(170, NULL), 0); /* restored's setting: anyone */
	assert_int_equal(binding_of(&restored, 0xc0a80166, 5060)->peer, 0);
	table_init(&restored, &registrar, NULL, NULL);
	assert_int_equal(load(170, NULL), 0);
	assert_int_equal(binding_of(&restored, 0xc0a80166, 5060)->peer, provider.ip);
	assert_same(&table, &restored);
}

/* A call not answered when saved may have ended unseen: it lives as long as an INVITE may
 * ring, unless its answer comes through the restarted daemon. */
static void unanswered_call_lives_as_long_as_it_may_ring(void **state)
{
	const struct table_binding *rtp;

	(void)state;
	step_fixture(&table, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	save(101);
	assert_int_equal(load(105, NULL), 0);
	rtp = binding_of(&restored, 0xc0a80165, 8000);
	assert_int_equal(restored.dialog[rtp->dialog].expires, 105 + TABLE_UNCONFIRMED_IDLE);
	table_set_config(&restored, &tcfg);
	step_fixture(&restored, ALG_IN, "invite-200-in", 110, phone1); /* answered after all */
	assert_int_equal(restored.dialog[rtp->dialog].expires, 110 + tcfg.dialog_idle);
	table_media_seen(&restored, rtp->dialog, 105 + TABLE_UNCONFIRMED_IDLE); /* and its media flows */
	table_expire(&restored, 105 + TABLE_UNCONFIRMED_IDLE);
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 2);
	/* and unanswered, it ends then */
	reset(NULL);
	step_fixture(&table, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	save(101);
	assert_int_equal(load(105, NULL), 0);
	table_expire(&restored, 105 + TABLE_UNCONFIRMED_IDLE - 1);
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 2);
	table_expire(&restored, 105 + TABLE_UNCONFIRMED_IDLE);
	assert_int_equal(count(&restored, ALG_PORT_MEDIA), 0);
}

/* Both phones of a call behind the ALG, on the same port: their own pinholes come back. */
static void lan_to_lan_call_comes_back(void **state)
{
	size_t len, len2;
	char *msg = fixture("invite-200-answer-out", &len);
	char *offer = malloc(len + 1);
	char *p;

	(void)state;
	memcpy(offer, msg, len);
	len2 = len;
	while ((p = memmem(offer, len2, "192.168.1.102", 13)) != NULL)
		memcpy(p, "192.168.1.101", 13);
	table_set_self_ip(&table, 0xcb007105);
	step_msg(&table, ALG_OUT, offer, len2, 100, provider);
	step_fixture(&table, ALG_OUT, "invite-200-answer-out", 101, provider);
	assert_int_equal(count(&table, ALG_PORT_MEDIA), 4);
	save(120);
	assert_int_equal(load(121, NULL), 0);
	assert_same(&table, &restored);
	free(msg);
	free(offer);
}

/* Refused whole: -1, the reason, and the table as empty as it was. */
static void assert_refused(const char *buf, size_t len, int64_t now, const char *boot, const char *why)
{
	size_t slot = 0, id = 0;

	err[0] = '\0';
	assert_int_equal(table_load(&restored, buf, len, now, boot, NULL, err, sizeof(err)), -1);
	assert_null(table_binding_at(&restored, &slot));
	assert_null(table_dialog_at(&restored, &id));
	assert_int_equal(restored.bind_top, 0);
	assert_int_equal(restored.dialog_top, 0);
	assert_int_equal(restored.n_bound[0] + restored.n_bound[1], 0);
	assert_int_equal(reported, 0);
	if (!strstr(err, why))
		fail_msg("refused for '%s', expected '%s'", err, why);
}

/* The text with one line's field replaced: line n (from 1), its field k (from 0) by v. */
static size_t edit(const char *in, size_t len, int n, int k, const char *v, char *out)
{
	size_t w = 0, i = 0;
	int line = 1, f = 0;

	while (i < len) {
		if (line == n && f == k) {
			w += (size_t)sprintf(out + w, "%s", v);
			while (i < len && in[i] != ' ' && in[i] != '\n')
				i++;
			f++;
			continue;
		}
		if (in[i] == ' ')
			f++;
		if (in[i] == '\n') {
			line++;
			f = 0;
		}
		out[w++] = in[i++];
	}
	return w;
}

/* Line number (from 1) of the first line starting with prefix. */
static int line_of(const char *prefix)
{
	int line = 1;

	for (const char *p = text; p < text + text_len; p = strchr(p, '\n') + 1, line++)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return line;
	fail_msg("no line %s", prefix);
	return 0;
}

static void bad_files_are_refused_whole(void **state)
{
	static char bad[TABLE_STATE_MAX];
	size_t n;

	(void)state;
	call_and_registration();
	save(160);
	/* every truncation, even at a line's end */
	for (size_t cut = 0; cut < text_len; cut++)
		assert_refused(text, cut, 170, BOOT, cut == 0 ? "not a sipalg state file" : "");
	assert_refused(text, text_len - 1, 170, BOOT, "no end");
	/* a future version, another boot, another boot's clock */
	n = edit(text, text_len, 1, 1, "3", bad);
	assert_refused(bad, n, 170, BOOT, "version 3, this sipalgd reads versions 1 to 2");
	n = edit(text, text_len, 1, 1, "0", bad);
	assert_refused(bad, n, 170, BOOT, "version 0, this sipalgd reads versions 1 to 2");
	assert_refused(text, text_len, 170, "11111111-2222-3333-4444-555555555555", "restarted");
	assert_refused(text, text_len, 150, BOOT, "later than now");
	/* a corrupted byte */
	memcpy(bad, text, text_len);
	bad[text_len / 2] = '\x01';
	assert_refused(bad, text_len, 170, BOOT, "line");
	/* one field edited: which line (by its start), which field, the value, why refused */
	static const struct {
		const char *line;
		int field;
		const char *value, *why;
	} edits[] = {
		/* two bindings on one public port, or for one private endpoint */
		{ "binding media", 3, "5060", "public port 5060 given twice" },
		{ "binding media", 2, "192.168.1.102:5060", "private endpoint given twice" },
		/* a pinhole of a dialog the file does not have, or of a call no LAN phone is in */
		{ "binding media", 5, "7", "which the file does not have" },
		{ "dialog 0", 3, "0", "a call no LAN phone is in" },
		/* fields out of range */
		{ "binding sig", 5, "2", "expected a number up to 1" },
		{ "binding sig", 6, "0", "a lifetime of 0" },
		{ "binding sig", 6, "99999999999999999999", "expected a number" },
		{ "binding sig", 2, "192.168.1.300:5060", "expected IP:PORT" },
		{ "binding sig", 1, "rtp", "expected sig or media" },
		/* the registrar: an endpoint, not 0, and only of a registered binding */
		{ "binding sig", 7, "198.51.100.10", "expected IP:PORT" },
		{ "binding sig", 7, "0.0.0.0:5060", "a registrar at address or port 0" },
		{ "binding sig", 7, "198.51.100.10:0", "a registrar at address or port 0" },
		{ "binding sig", 5, "0", "a registrar for a binding no registrar accepted" },
		{ "binding sig 192.168.1.101", 7, "198.51.100.10:5060", "a registrar for a binding no registrar accepted" },
		{ "binding sig", 7, "", "" },
	};

	assert_non_null(strstr(text, "binding sig 192.168.1.102:5060 5060 0.0.0.0 1 3571 198.51.100.10:5060\n"));
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		n = edit(text, text_len, line_of(edits[i].line), edits[i].field, edits[i].value, bad);
		assert_refused(bad, n, 170, BOOT, edits[i].why);
	}
	/* the end line must count what is there, and be the last */
	n = edit(text, text_len, line_of("end"), 2, "9", bad);
	assert_refused(bad, n, 170, BOOT, "the end line counts");
	memcpy(bad, text, text_len);
	memcpy(bad + text_len, "binding sig 1.2.3.4:5 6 0.0.0.0 0 10\n", 37);
	assert_refused(bad, text_len + 37, 170, BOOT, "text after the end line");
	/* a table that is not empty is not loaded over */
	assert_int_equal(load(170, NULL), 0);
	reported = 0;
	err[0] = '\0';
	assert_int_equal(load(170, NULL), -1);
	assert_non_null(strstr(err, "not empty"));
	assert_same(&table, &restored);
}

/* A file of version 1 (written before the registrar was kept) still loads: the same
 * bindings and calls, the registrar unknown until the phone's next REGISTER's 2xx. */
static void a_version_1_file_still_loads(void **state)
{
	static char v1[TABLE_STATE_MAX];
	struct table_state_counts c;
	const struct table_binding *reg;
	size_t n = 0;

	(void)state;
	call_and_registration();
	save(160);
	/* as sipalgd wrote it before: version 1, no registrar field */
	for (const char *p = text; p < text + text_len;) {
		const char *eol = strchr(p, '\n') + 1;
		size_t len = (size_t)(eol - p);

		if (strncmp(p, "sipalg-state 2\n", len) == 0) {
			n += (size_t)sprintf(v1 + n, "sipalg-state 1\n");
		} else if (strncmp(p, "binding sig ", 12) == 0) {
			const char *last = memrchr(p, ' ', len);

			memcpy(v1 + n, p, (size_t)(last - p));
			n += (size_t)(last - p);
			v1[n++] = '\n';
		} else {
			memcpy(v1 + n, p, len);
			n += len;
		}
		p = eol;
	}
	assert_non_null(memmem(v1, n, "\nbinding sig 192.168.1.102:5060 5060 0.0.0.0 1 3571\n", 51));
	assert_int_equal(table_load(&restored, v1, n, 170, BOOT, &c, err, sizeof(err)), 0);
	assert_int_equal(c.registrations, 1);
	assert_int_equal(c.signaling, 2);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.pinholes, 2);
	reg = binding_of(&restored, 0xc0a80166, 5060);
	assert_true(reg->registered);
	assert_int_equal(reg->registrar.ip, 0); /* unknown: no keep-alives until the next 2xx */
	/* and a version 2 line in a version 1 file is not taken */
	reset(NULL);
	call_and_registration();
	save(160);
	memcpy(text, "sipalg-state 1", 14);
	assert_refused(text, text_len, 170, BOOT, "unexpected text");
}

/* A file saved with a larger capacity than this start's (max_bindings lowered) is refused
 * whole, saying so; a table of that capacity or more takes it. */
static void a_file_larger_than_the_capacity_is_refused(void **state)
{
	static const struct siphash_key key = { 1, 2 };
	const struct table_capacity small = { 64, 64 };
	size_t mem_len = table_memory_size(&small), n;
	void *mem = calloc(1, mem_len);
	static struct alg_table sized;
	struct table_state_counts c;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "sipalg-state 1\nboot %s\nsaved 100\n", BOOT);
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "binding sig 192.168.1.%d:5060 %d 0.0.0.0 1 300\n",
				      i + 10, 30000 + i);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "end 0 70\n");
	assert_int_equal(table_init_sized(&sized, &tcfg, &small, mem, mem_len, &key, NULL, NULL), 0);
	assert_int_equal(table_load(&sized, text, n, 110, BOOT, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 64 bindings, what the table holds"));
	assert_int_equal(sized.n_bound[ALG_PORT_SIGNALING], 0);
	assert_int_equal(table_load(&restored, text, n, 110, BOOT, &c, err, sizeof(err)), 0);
	assert_int_equal(c.signaling, 70);
	free(mem);
}

/* Without a boot id on either side the clock alone guards; an empty table saves and loads. */
static void unknown_boot_and_empty_table(void **state)
{
	(void)state;
	text_len = table_save(&table, text, sizeof(text), 50, NULL);
	assert_string_equal(text, "sipalg-state 2\nboot -\nsaved 50\nend 0 0\n");
	assert_int_equal(load(60, NULL), 0);
	call_and_registration();
	text_len = table_save(&table, text, sizeof(text), 160, BOOT);
	assert_int_equal(table_load(&restored, text, text_len, 170, NULL, NULL, err, sizeof(err)), 0);
	reset(NULL);
	call_and_registration();
	text_len = table_save(&table, text, sizeof(text), 160, BOOT);
	assert_int_equal(table_load(&restored, text, text_len, 170, "", NULL, err, sizeof(err)), 0);
	/* a buffer too small is said so, not cut */
	assert_int_equal(table_save(&table, text, 40, 160, BOOT), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(call_and_registration_come_back, reset),
		cmocka_unit_test_setup(restored_table_goes_on, reset),
		cmocka_unit_test_setup(what_expired_meanwhile_is_left_out, reset),
		cmocka_unit_test_setup(lan_to_lan_call_comes_back, reset),
		cmocka_unit_test_setup(unanswered_call_lives_as_long_as_it_may_ring, reset),
		cmocka_unit_test_setup(inbound_setting_of_the_new_start_decides, reset),
		cmocka_unit_test_setup(bad_files_are_refused_whole, reset),
		cmocka_unit_test_setup(a_version_1_file_still_loads, reset),
		cmocka_unit_test_setup(a_file_larger_than_the_capacity_is_refused, reset),
		cmocka_unit_test_setup(unknown_boot_and_empty_table, reset),
	};
	return cmocka_run_group_tests_name("table_state", tests, setup_osip, NULL);
}
