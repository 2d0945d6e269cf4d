/* test_table.c: bindings, dialogs and registrations across real call flows: what is open,
 * on which public port, toward whom, and when it closes. */
#include "harness.h"
#include "table.h"

static const struct table_config tcfg = { 20000, 20099, 300, 3600, 30, 60, 0 };
static struct alg_table table;
static int added, updated, removed;

static void count_change(void *ctx, const struct table_binding *b, enum table_change c)
{
	(void)ctx;
	(void)b;
	if (c == TABLE_ADDED)
		added++;
	else if (c == TABLE_UPDATED)
		updated++;
	else
		removed++;
}

static int reset(void **state)
{
	(void)state;
	table_init(&table, &tcfg, count_change, NULL);
	added = updated = removed = 0;
	return 0;
}

/* Translates msg through the table at time now and applies its actions. */
static void step(struct run *r, enum alg_direction dir, const char *msg, size_t len, int64_t now,
		 struct alg_endpoint dst)
{
	struct alg_config cfg = lab_config(NULL, 0);

	cfg.nat = table_nat(&table, now);
	run_bytes(r, &cfg, dir, msg, len, dst);
	assert_int_equal(r->res.reason, ALG_OK);
	table_apply(&table, &r->res, r->in, now);
}

static void step_fixture(struct run *r, enum alg_direction dir, const char *name, int64_t now,
			 struct alg_endpoint dst)
{
	size_t len;
	char *msg = fixture(name, &len);

	step(r, dir, msg, len, now, dst);
	free(msg);
}

static const struct table_binding *binding_of(uint32_t ip, uint16_t port)
{
	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++)
		if (table.bind[i].in_use && table.bind[i].priv.ip == ip && table.bind[i].priv.port == port)
			return &table.bind[i];
	return NULL;
}

static size_t media_bindings(void)
{
	size_t n = 0;

	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++)
		n += table.bind[i].in_use && table.bind[i].kind == ALG_PORT_MEDIA;
	return n;
}

static const struct alg_endpoint phone1 = { 0xc0a80165, 5060 };
static const struct alg_endpoint provider = { 0xc633640a, 5060 };
#define FAR_PHONE 0xc6336414 /* 198.51.100.20 */

static void outbound_call_opens_narrows_and_closes(void **state)
{
	const struct table_binding *rtp, *rtcp;
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	rtp = binding_of(0xc0a80165, 8000);
	rtcp = binding_of(0xc0a80165, 8001);
	assert_non_null(rtp);
	assert_non_null(rtcp);
	assert_int_equal(rtp->pub_port, 8000);
	assert_int_equal(rtcp->pub_port, 8001);
	assert_int_equal(rtp->peer, 0); /* anyone may send early media until the answer */
	assert_non_null(binding_of(0xc0a80165, 5060));

	step_fixture(&r, ALG_IN, "invite-200-in", 101, phone1);
	run_free(&r);
	assert_int_equal(rtp->peer, FAR_PHONE);
	assert_int_equal(rtcp->peer, FAR_PHONE);

	step_fixture(&r, ALG_OUT, "bye-out", 160, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
	assert_non_null(binding_of(0xc0a80165, 5060)); /* signaling stays for the next call */
	assert_int_equal(removed, 2);
}

static void busy_closes_unanswered_call(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 2);
	step_fixture(&r, ALG_IN, "busy-486-in", 102, phone1);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
}

static void cancel_closes_call(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	step_fixture(&r, ALG_OUT, "cancel-out", 101, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
}

/* The fixture's 486 with another status line. */
static void failed_reinvite_keeps_answered_call(void **state)
{
	size_t len;
	char *msg;
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "invite-200-in", 101, phone1);
	run_free(&r);
	msg = fixture("busy-486-in", &len);
	memcpy(msg, "SIP/2.0 491 Busy Here", 21); /* same length as "SIP/2.0 486 Busy Here" */
	step(&r, ALG_IN, msg, len, 130, phone1);
	run_free(&r);
	free(msg);
	assert_int_equal(media_bindings(), 2);
}

static char *replace_all(const char *in, size_t len, const char *from, const char *to, size_t *out_len)
{
	size_t fl = strlen(from), tl = strlen(to), w = 0;
	char *out = malloc(len * 2 + 1);

	for (size_t i = 0; i < len;) {
		if (i + fl <= len && memcmp(in + i, from, fl) == 0) {
			memcpy(out + w, to, tl);
			w += tl;
			i += fl;
		} else {
			out[w++] = in[i++];
		}
	}
	out[w] = '\0';
	*out_len = w;
	return out;
}

static void second_phone_on_same_port_gets_another(void **state)
{
	size_t len, len2, len3;
	char *msg = fixture("zoiper-invite-stun-off", &len);
	/* The same INVITE from the desk phone, in another call: same length, so Content-Length
	 * stays right. */
	char *msg2 = replace_all(msg, len, "192.168.1.101", "192.168.1.102", &len2);
	char *msg3 = replace_all(msg2, len2, "YTQ5ZGM3", "ZZZZZZZZ", &len3);
	struct run r;

	(void)state;
	step(&r, ALG_OUT, msg, len, 100, provider);
	run_free(&r);
	step(&r, ALG_OUT, msg3, len3, 101, provider);
	/* Its signaling port 5060 is taken too, and is allocated first (Via comes before SDP). */
	assert_line(&r, "Contact: <sip:1001@203.0.113.5:20000;transport=UDP>");
	assert_line(&r, "m=audio 20002 RTP/AVP 0 8 101");
	assert_consistent(&r);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80166, 5060)->pub_port, 20000);
	assert_int_equal(binding_of(0xc0a80166, 8000)->pub_port, 20002);
	assert_int_equal(binding_of(0xc0a80166, 8001)->pub_port, 20003);
	assert_int_equal(binding_of(0xc0a80165, 8000)->pub_port, 8000);
	free(msg);
	free(msg2);
	free(msg3);
}

static void reinvite_moving_port_moves_pinhole(void **state)
{
	size_t len, len2;
	char *msg = fixture("reinvite-hold-out", &len);
	char *moved = replace_all(msg, len, "m=audio 8000", "m=audio 8002", &len2);
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	step(&r, ALG_OUT, moved, len2, 120, provider);
	run_free(&r);
	assert_null(binding_of(0xc0a80165, 8000));
	assert_null(binding_of(0xc0a80165, 8001));
	assert_int_equal(binding_of(0xc0a80165, 8002)->pub_port, 8002);
	assert_int_equal(binding_of(0xc0a80165, 8003)->pub_port, 8003);
	free(msg);
	free(moved);
}

static void both_ends_behind_the_alg_keep_their_own_pinholes(void **state)
{
	size_t len, len2;
	char *msg = fixture("invite-200-answer-out", &len);
	/* phone1's offer and phone2's answer in one Call-ID, as a proxy relays them */
	char *offer = replace_all(msg, len, "192.168.1.102", "192.168.1.101", &len2);
	struct run r;

	(void)state;
	table.self_ip = 0xcb007105;
	step(&r, ALG_OUT, offer, len2, 100, provider);
	run_free(&r);
	step_fixture(&r, ALG_OUT, "invite-200-answer-out", 101, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 11780)->pub_port, 11780);
	assert_int_not_equal(binding_of(0xc0a80166, 11780)->pub_port, 11780);
	assert_int_equal(media_bindings(), 4);
	free(msg);
	free(offer);
}

static void hold_keeps_pinholes(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	step_fixture(&r, ALG_OUT, "reinvite-hold-out", 120, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 8000)->pub_port, 8000);
	assert_int_equal(media_bindings(), 2);
}

static void registration_keeps_phone_reachable_until_expiry(void **state)
{
	const struct table_binding *b;
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "register-out", 1000, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "register-200-in", 1001, (struct alg_endpoint){ 0xc0a80166, 5060 });
	run_free(&r);
	b = binding_of(0xc0a80166, 5060);
	assert_non_null(b);
	assert_true(b->registered);
	assert_int_equal(b->expires, 1001 + 3600 + 30);
	/* Long after the signaling idle time it is still there; after expiry it is gone. */
	table_expire(&table, 1001 + 3000);
	assert_non_null(binding_of(0xc0a80166, 5060));
	table_expire(&table, 1001 + 3600 + 31);
	assert_null(binding_of(0xc0a80166, 5060));
}

static void abandoned_dialog_expires(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	assert_int_equal(table_expire(&table, 200) <= 100 + 3600, 1);
	assert_int_equal(media_bindings(), 2);
	table_expire(&table, 100 + 3600);
	assert_int_equal(media_bindings(), 0);
}

static void silent_answered_call_ends_after_media_timeout(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	/* ringing: no media expected, nothing ends */
	table_expire(&table, 100 + 120);
	assert_int_equal(media_bindings(), 2);
	step_fixture(&r, ALG_IN, "invite-200-in", 230, phone1);
	run_free(&r);
	table_media_seen(&table, binding_of(0xc0a80165, 8000)->dialog, 280);
	table_expire(&table, 280 + 59);
	assert_int_equal(media_bindings(), 2);
	table_expire(&table, 280 + 60);
	assert_int_equal(media_bindings(), 0);
}

static void freed_slots_are_reused_and_later_bindings_still_found(void **state)
{
	size_t len, len2;
	char *msg = fixture("zoiper-invite-stun-off", &len);
	char *other = replace_all(msg, len, "YTQ5ZGM3", "QQQQQQQQ", &len2);
	struct run r;
	size_t top;

	(void)state;
	step(&r, ALG_OUT, msg, len, 100, provider); /* slots 0-2: signaling, rtp, rtcp */
	run_free(&r);
	step_fixture(&r, ALG_OUT, "register-out", 101, provider); /* slot 3: the desk phone */
	run_free(&r);
	step_fixture(&r, ALG_OUT, "bye-out", 102, provider); /* frees slots 1-2 */
	run_free(&r);
	top = table.bind_top;
	assert_non_null(binding_of(0xc0a80166, 5060)); /* above the freed slots: still found */
	step(&r, ALG_OUT, other, len2, 103, provider); /* a new call takes the freed slots */
	run_free(&r);
	assert_int_equal(table.bind_top, top);
	assert_int_equal(binding_of(0xc0a80165, 8000)->pub_port, 8000);
	assert_non_null(binding_of(0xc0a80166, 5060));
	free(msg);
	free(other);
}

static void repeated_messages_do_not_churn_the_mirror(void **state)
{
	struct run r;

	(void)state;
	for (int i = 0; i < 30; i++) {
		step_fixture(&r, ALG_OUT, "options-keepalive-out", 1000 + i, provider);
		run_free(&r);
	}
	assert_int_equal(added, 1);
	assert_true(updated <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(outbound_call_opens_narrows_and_closes, reset),
		cmocka_unit_test_setup(busy_closes_unanswered_call, reset),
		cmocka_unit_test_setup(cancel_closes_call, reset),
		cmocka_unit_test_setup(failed_reinvite_keeps_answered_call, reset),
		cmocka_unit_test_setup(second_phone_on_same_port_gets_another, reset),
		cmocka_unit_test_setup(reinvite_moving_port_moves_pinhole, reset),
		cmocka_unit_test_setup(both_ends_behind_the_alg_keep_their_own_pinholes, reset),
		cmocka_unit_test_setup(hold_keeps_pinholes, reset),
		cmocka_unit_test_setup(registration_keeps_phone_reachable_until_expiry, reset),
		cmocka_unit_test_setup(abandoned_dialog_expires, reset),
		cmocka_unit_test_setup(silent_answered_call_ends_after_media_timeout, reset),
		cmocka_unit_test_setup(freed_slots_are_reused_and_later_bindings_still_found, reset),
		cmocka_unit_test_setup(repeated_messages_do_not_churn_the_mirror, reset),
	};
	return cmocka_run_group_tests_name("table", tests, setup_osip, NULL);
}
