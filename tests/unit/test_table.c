/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_table.c: bindings, dialogs and registrations across real call flows: what is open,
 * on which public port, toward whom, and when it closes. */
#include "harness.h"
#include "table.h"

static const struct table_config tcfg = {
	.media_port_min = 20000, .media_port_max = 20099, .signaling_idle = 300, .dialog_idle = 3600,
	.register_grace = 30, .media_timeout = 60,
};
static struct alg_table table;
static int added, updated, removed;

static void count_change(void *ctx, size_t slot, const struct table_binding *b, enum table_change c)
{
	(void)ctx;
	(void)slot;
	(void)b;
	if (c == TABLE_ADDED)
		added++;
	else if (c == TABLE_UPDATED)
		updated++;
	else if (c == TABLE_REMOVED)
		removed++;
}

static int reset(void **state)
{
	(void)state;
	table_init(&table, &tcfg, count_change, NULL);
	added = updated = removed = 0;
	return 0;
}

/* Translates msg from src to dst through the table at time now, as the daemon does: its
 * actions are taken when the table's limits admit them. Returns the reason it passes
 * unchanged, or ALG_OK. */
static enum alg_reason try_step(struct run *r, enum alg_direction dir, const char *msg, size_t len,
				int64_t now, struct alg_endpoint src, struct alg_endpoint dst)
{
	struct alg_config cfg = lab_config(NULL, 0);

	run_through(r, &cfg, &table, now, dir, msg, len, src, dst);
	return r->res.reason;
}

/* Translates msg through the table at time now and applies its actions. */
static void step(struct run *r, enum alg_direction dir, const char *msg, size_t len, int64_t now,
		 struct alg_endpoint dst)
{
	assert_int_equal(try_step(r, dir, msg, len, now, (struct alg_endpoint){ 0, 0 }, dst), ALG_OK);
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


/* phone1 (zoiper) calls out at t=100 and the far end answers at 101. */
static void answered_call(void)
{
	struct run r;

	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 100, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "invite-200-in", 101, phone1);
	run_free(&r);
}
/* The fixture's 486 with another status line. */
static void failed_reinvite_keeps_answered_call(void **state)
{
	size_t len;
	char *msg;
	struct run r;

	(void)state;
	answered_call();
	msg = fixture("busy-486-in", &len);
	memcpy(msg, "SIP/2.0 491 Busy Here", 21); /* same length as "SIP/2.0 486 Busy Here" */
	step(&r, ALG_IN, msg, len, 130, phone1);
	run_free(&r);
	free(msg);
	assert_int_equal(media_bindings(), 2);
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

/* The TCP relay's question for a server's new connection: which phone is behind a public
 * port, for whom. */
static void public_port_finds_the_registered_phone(void **state)
{
	const struct alg_endpoint phone2 = { 0xc0a80166, 5060 };
	static struct alg_table reg_table; /* large: not on the stack */
	struct table_config registrar = tcfg;
	struct alg_config cfg = lab_config(NULL, 0);
	struct alg_endpoint priv = { 0, 0 };
	const struct table_binding *b;
	struct alg_table *t;
	struct run r;
	size_t len;
	char *out = fixture("register-out", &len), *in;
	size_t in_len;

	(void)state;
	in = fixture("register-200-in", &in_len);
	registrar.inbound_calls = INBOUND_REGISTRAR;
	table_init(&reg_table, &registrar, NULL, NULL);
	for (int i = 0; i < 2; i++) {
		t = i ? &reg_table : &table; /* table: tcfg, inbound_calls 'anyone' */
		run_through(&r, &cfg, t, 1000, ALG_OUT, out, len, phone2, provider);
		run_free(&r);
		run_through(&r, &cfg, t, 1001, ALG_IN, in, in_len, provider, phone2);
		assert_int_equal(r.res.reason, ALG_OK);
		run_free(&r);
	}
	b = binding_of(phone2.ip, phone2.port);
	assert_non_null(b);
	/* 'anyone': the phone for anyone */
	assert_int_equal(table_find_public(&table, b->pub_port, FAR_PHONE, &priv), 0);
	assert_true(endpoint_eq(priv, phone2));
	/* 'registrar': for the registrar only; a port nobody holds for nobody */
	priv = (struct alg_endpoint){ 0, 0 };
	assert_int_equal(table_find_public(&reg_table, b->pub_port, provider.ip, &priv), 0);
	assert_true(endpoint_eq(priv, phone2));
	assert_int_equal(table_find_public(&reg_table, b->pub_port, FAR_PHONE, &priv), -2);
	assert_int_equal(table_find_public(&reg_table, (uint16_t)(b->pub_port + 1), provider.ip, &priv), -1);
	free(out);
	free(in);
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

/* phone1's INVITE (zoiper-invite-stun-off) as sent by LAN host `ip` ("192.168.1.1xx") in the
 * call tagged `tag` (8 characters of its Call-ID). */
static char *invite_from(const char *ip, const char *tag, size_t *len)
{
	size_t n, n2;
	char *msg = fixture("zoiper-invite-stun-off", &n);
	char *moved = replace_all(msg, n, "192.168.1.101", ip, &n2);
	char *retagged = replace_all(moved, n2, "YTQ5ZGM3", tag, &n);
	char port[16];
	char *out;

	/* each call on its own media port, as a phone does */
	snprintf(port, sizeof(port), "m=audio %u", 8000 + 2 * (unsigned)(tag[0] - 'A'));
	out = replace_all(retagged, n, "m=audio 8000", port, len);
	free(msg);
	free(moved);
	free(retagged);
	return out;
}

static struct alg_endpoint host(uint32_t ip)
{
	return (struct alg_endpoint){ ip, 5060 };
}

static enum alg_reason call_from(const char *ip, uint32_t ip_val, const char *tag, int64_t now)
{
	size_t len;
	char *msg = invite_from(ip, tag, &len);
	struct run r;
	enum alg_reason reason = try_step(&r, ALG_OUT, msg, len, now, host(ip_val), provider);

	run_free(&r);
	free(msg);
	return reason;
}

/* The WAN side's messages open nothing: an INVITE's offer, a 200 to a REGISTER nobody sent,
 * and a hold (c=0.0.0.0) does not widen a pinhole narrowed to the far end. */
static void wan_side_cannot_open_or_widen(void **state)
{
	size_t len, len1, len2;
	char *hold = fixture("invite-200-in", &len);
	char *held1 = replace_all(hold, len, "c=IN IP4 198.51.100.20", "c=IN IP4 0.0.0.0", &len1);
	char *held = replace_all(held1, len1, "Content-Length: 248", "Content-Length: 242", &len2);
	struct run r;

	(void)state;
	step_fixture(&r, ALG_IN, "invite-in-to-phone", 100, (struct alg_endpoint){ 0xc0a80166, 5060 });
	run_free(&r);
	step_fixture(&r, ALG_IN, "register-200-in", 101, (struct alg_endpoint){ 0xc0a80166, 5060 });
	run_free(&r);
	assert_int_equal(added, 0);

	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 200, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "invite-200-in", 201, phone1);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 8000)->peer, FAR_PHONE);
	step(&r, ALG_IN, held, len2, 202, phone1);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 8000)->peer, FAR_PHONE);
	free(hold);
	free(held1);
	free(held);
}

/* A LAN host's SDP naming another LAN host opens nothing and the message passes as it was. */
static void lan_host_opens_only_its_own_address(void **state)
{
	size_t len, len2;
	char *msg = fixture("zoiper-invite-stun-off", &len);
	char *other = replace_all(msg, len, "c=IN IP4 192.168.1.101", "c=IN IP4 192.168.1.103", &len2);
	struct run r;

	(void)state;
	assert_int_equal(try_step(&r, ALG_OUT, other, len2, 100, phone1, provider), ALG_FOREIGN_ADDRESS);
	assert_int_equal(r.res.changed, 0);
	run_free(&r);
	/* and signaling for another host (Via, Contact) is refused the same way */
	assert_int_equal(try_step(&r, ALG_OUT, msg, len, 100, host(0xc0a80167), provider),
			 ALG_FOREIGN_ADDRESS);
	run_free(&r);
	assert_int_equal(added, 0);
	assert_int_equal(try_step(&r, ALG_OUT, msg, len, 100, phone1, provider), ALG_OK);
	run_free(&r);
	assert_int_equal(media_bindings(), 2);
	free(msg);
	free(other);
}

/* Each limit refuses the message that would break it, and only for the host or call that
 * reached it: the other phones go on. */
static void limits_refuse_only_whoever_reaches_them(void **state)
{
	(void)state;
	table.cfg.max_pinholes_per_host = 2;
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 100), ALG_OK);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "BBBBBBBB", 101), ALG_LIMIT_HOST_PINHOLES);
	assert_int_equal(call_from("192.168.1.102", 0xc0a80166, "CCCCCCCC", 102), ALG_OK);
	assert_int_equal(media_bindings(), 4);

	reset(NULL);
	table.cfg.max_calls = 1;
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 100), ALG_OK);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 101), ALG_OK); /* same call */
	assert_int_equal(call_from("192.168.1.102", 0xc0a80166, "CCCCCCCC", 102), ALG_LIMIT_DIALOGS);

	reset(NULL);
	table.cfg.max_new_pinholes_per_second = 2;
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 100), ALG_OK);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "BBBBBBBB", 100), ALG_LIMIT_PINHOLE_RATE);
	assert_int_equal(call_from("192.168.1.102", 0xc0a80166, "CCCCCCCC", 100), ALG_OK);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "BBBBBBBB", 101), ALG_OK);

	reset(NULL);
	table.cfg.max_pinholes_per_call = 1;
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 100), ALG_LIMIT_CALL_PINHOLES);

	reset(NULL);
	table.cfg.max_pinholes = 3;
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 100), ALG_OK);
	assert_int_equal(call_from("192.168.1.102", 0xc0a80166, "CCCCCCCC", 100), ALG_LIMIT_PINHOLES);
	assert_int_equal(media_bindings(), 2);
}

static void registrations_per_host_are_limited(void **state)
{
	size_t len, len2;
	char *reg = fixture("register-out", &len);
	char *other_port = replace_all(reg, len, "192.168.1.102:5060", "192.168.1.102:5070", &len2);
	struct run r;

	(void)state;
	table.cfg.max_registrations_per_host = 1;
	assert_int_equal(try_step(&r, ALG_OUT, reg, len, 100, host(0xc0a80166), provider), ALG_OK);
	run_free(&r);
	assert_int_equal(try_step(&r, ALG_OUT, other_port, len2, 101, host(0xc0a80166), provider),
			 ALG_LIMIT_REGISTRATIONS);
	run_free(&r);
	/* the same one again is a refresh, not another */
	assert_int_equal(try_step(&r, ALG_OUT, reg, len, 102, host(0xc0a80166), provider), ALG_OK);
	run_free(&r);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 103), ALG_OK);
	free(reg);
	free(other_port);
}

/* phone2's OPTIONS over TCP from its connection's port conn, writing that port in Via (as
 * sipp does; the Contact names 5060, where it listens). */
static enum alg_reason options_over(enum alg_transport tr, uint16_t conn, int64_t now, struct run *r)
{
	size_t len, len2;
	char *opt = fixture("options-keepalive-out", &len);
	char via[64], *msg;
	struct alg_config cfg = lab_config(NULL, 0);

	snprintf(via, sizeof(via), "SIP/2.0/%s 192.168.1.102:%u", tr == ALG_TCP ? "TCP" : "UDP", conn);
	msg = replace_all(opt, len, "SIP/2.0/UDP 192.168.1.102:5060", via, &len2);
	run_over(r, &cfg, &table, now, tr, ALG_OUT, msg, len2, (struct alg_endpoint){ 0xc0a80166, conn }, provider);
	free(opt);
	free(msg);
	return r->res.reason;
}

static size_t signaling_bindings_of(uint32_t ip)
{
	const struct table_binding *b;
	size_t n = 0;

	table_for_each_binding(&table, slot, b)
		n += b->kind == ALG_PORT_SIGNALING && b->priv.ip == ip;
	return n;
}

/* A phone that opens a TCP connection per request keeps one signaling binding (its
 * Contact's), however many connections: each Via names its connection's port, public, and
 * binds nothing; the responses come back over the connections. Over UDP each such port would
 * be a binding of its own, up to max_registrations_per_host. */
static void tcp_connections_do_not_use_up_registrations(void **state)
{
	struct run r;
	char via[64];

	(void)state;
	table.cfg.max_registrations_per_host = 2;
	for (uint16_t conn = 40001; conn <= 40008; conn++) {
		assert_int_equal(options_over(ALG_TCP, conn, 100 + conn - 40000, &r), ALG_OK);
		snprintf(via, sizeof(via), "\r\nVia: SIP/2.0/TCP 203.0.113.5:%u;rport;", conn);
		assert_non_null(strstr(r.out, via));
		assert_non_null(strstr(r.out, "\r\nContact: <sip:1002@203.0.113.5:5060>\r\n"));
		run_free(&r);
	}
	assert_int_equal(signaling_bindings_of(0xc0a80166), 1);
	assert_int_equal(binding_of(0xc0a80166, 5060)->pub_port, 5060);
	assert_null(binding_of(0xc0a80166, 40001));
	/* the same over UDP: a binding per port, until the limit */
	assert_int_equal(options_over(ALG_UDP, 40001, 200, &r), ALG_OK);
	run_free(&r);
	assert_int_equal(options_over(ALG_UDP, 40002, 201, &r), ALG_LIMIT_REGISTRATIONS);
	run_free(&r);
}

/* Over TCP a Via that names the port the phone's Contact binds (phones write their listening
 * port) is that binding, as over UDP; a Via port whose public port another phone holds is
 * not written as it is (it would name that phone): it gets a binding, as over UDP. */
static void tcp_via_of_a_bound_or_taken_port(void **state)
{
	struct run r;
	const struct table_binding *b;
	char via[64];

	(void)state;
	assert_int_equal(options_over(ALG_TCP, 5060, 100, &r), ALG_OK);
	assert_non_null(strstr(r.out, "\r\nVia: SIP/2.0/TCP 203.0.113.5:5060;rport;"));
	assert_int_equal(r.res.n_actions, 1);
	run_free(&r);
	assert_int_equal(signaling_bindings_of(0xc0a80166), 1);
	/* phone1 holds public port 5060 by now; phone2's connection writes 5062 */
	table_clear(&table);
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 101, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 5060)->pub_port, 5060);
	assert_int_equal(options_over(ALG_TCP, 5060, 102, &r), ALG_OK);
	b = binding_of(0xc0a80166, 5060);
	assert_non_null(b);
	assert_int_not_equal(b->pub_port, 5060);
	snprintf(via, sizeof(via), "\r\nVia: SIP/2.0/TCP 203.0.113.5:%u;rport;", b->pub_port);
	assert_non_null(strstr(r.out, via));
	run_free(&r);
}

/* The indexes' hash is SipHash-2-4: the reference's vectors, the same on every CPU (the
 * s390x and i386 builds run this too). */
static void siphash_matches_the_reference(void **state)
{
	const struct siphash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[15];

	(void)state;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	assert_true(siphash24(&key, msg, 0) == 0x726fdb47dd0e0e31ull);
	assert_true(siphash24(&key, msg, 8) == 0x93f5f5799a932462ull);
	assert_true(siphash24(&key, msg, 15) == 0xa129ca6149be45e5ull);
}

/* Strangers' INVITEs fill the call slots; a LAN phone's call still gets its pinholes. */
static void wan_invites_cannot_crowd_out_lan_calls(void **state)
{
	size_t len;
	char *msg = fixture("invite-in-to-phone", &len);
	struct run r;

	(void)state;
	char *call_id = strstr(msg, "w7Tq3LmZpE");

	for (int i = 0; i < TABLE_MAX_DIALOGS + 10; i++) {
		char id[11];

		snprintf(id, sizeof(id), "%010d", i); /* as long as the fixture's Call-ID */
		memcpy(call_id, id, 10);
		step(&r, ALG_IN, msg, len, 100, (struct alg_endpoint){ 0xc0a80166, 5060 });
		run_free(&r);
	}
	assert_int_equal(added, 0);
	assert_int_equal(call_from("192.168.1.101", 0xc0a80165, "AAAAAAAA", 101), ALG_OK);
	assert_int_equal(media_bindings(), 2);
	free(msg);
}


/* Registrations end as the registrar says (issue 12): an unregister, a contact the 2xx no
 * longer lists, a phone back from a reboot on another port. */

static const struct alg_endpoint phone2 = { 0xc0a80166, 5060 };

/* A fixture with replacements applied in turn (NULL-terminated from/to pairs). */
static char *fixture_with(const char *name, size_t *len, ...)
{
	char *msg = fixture(name, len), *next;
	const char *from, *to;
	va_list ap;

	va_start(ap, len);
	while ((from = va_arg(ap, const char *)) != NULL) {
		to = va_arg(ap, const char *);
		next = replace_all(msg, *len, from, to, len);
		free(msg);
		msg = next;
	}
	va_end(ap);
	return msg;
}

static void step_fixture_with_free(struct run *r, enum alg_direction dir, char *msg, size_t len,
				   int64_t now, struct alg_endpoint dst)
{
	step(r, dir, msg, len, now, dst);
	free(msg);
}

static void register_phone2(int64_t now)
{
	struct run r;

	step_fixture(&r, ALG_OUT, "register-out", now, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "register-200-in", now + 1, phone2);
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered);
}

static void unregister_expires_0_removes_binding_at_the_2xx(void **state)
{
	struct run r;

	(void)state;
	register_phone2(1000);
	step_fixture(&r, ALG_OUT, "unregister-out", 2000, provider);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>");
	run_free(&r);
	assert_non_null(binding_of(0xc0a80166, 5060)); /* the registrar has not said yet */
	step_fixture(&r, ALG_IN, "unregister-200-in", 2001, phone2);
	assert_line(&r, "Via: SIP/2.0/UDP 192.168.1.102:5060;rport=5060;received=192.168.1.102;branch=z9hG4bK1405872034");
	assert_action(&r, "register-end call=0_2367854301@192.168.1.102 cseq=4 contacts=0");
	run_free(&r);
	assert_null(binding_of(0xc0a80166, 5060));
	assert_int_equal(removed, 1);
}

/* ;expires=0 on the Contact; this registrar lists the contact back with expires=0. */
static void unregister_contact_expires_0(void **state)
{
	size_t len;
	char *out = fixture_with("unregister-out", &len, "Contact: <sip:1002@192.168.1.102:5060>",
				 "Contact: <sip:1002@192.168.1.102:5060>;expires=0", "Expires: 0\r\n",
				 "Expires: 3600\r\n", NULL);
	char *ok = fixture_with("unregister-200-in", &len, "Server:",
				"Contact: <sip:1002@203.0.113.5:5060>;expires=0\r\nServer:", NULL);
	struct run r;

	(void)state;
	register_phone2(1000);
	step(&r, ALG_OUT, out, strlen(out), 2000, provider);
	assert_action(&r, "register 192.168.1.102:5060 -> 203.0.113.5:5060 expires=0 aor=sip:1002@sip.example.net cseq=4");
	run_free(&r);
	step(&r, ALG_IN, ok, strlen(ok), 2001, phone2);
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5060>;expires=0");
	assert_action(&r, "registered 192.168.1.102:5060 -> 203.0.113.5:5060 expires=0");
	run_free(&r);
	assert_null(binding_of(0xc0a80166, 5060));
	free(out);
	free(ok);
}

/* Contact: * with Expires: 0 removes every contact of the AOR that this host registered. */
static void unregister_star_removes_the_hosts_contacts(void **state)
{
	static const struct alg_endpoint phone3 = { 0xc0a80167, 5060 };
	size_t len;
	char *reg = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.103", "1002@", "1003@",
				 "0_2367854301@192.168.1.103", "pIEsyVl0Ad", "CSeq: 2 ", "CSeq: 22 ", NULL);
	char *ok = fixture_with("register-200-in", &len, "192.168.1.102", "192.168.1.103", "1002@", "1003@",
				"0_2367854301@192.168.1.103", "pIEsyVl0Ad", "CSeq: 2 ", "CSeq: 22 ", NULL);
	char *bye = fixture_with("unregister-200-in", &len, "192.168.1.102", "192.168.1.103", "1002@", "1003@",
				 "0_2367854301@192.168.1.103", "pIEsyVl0Ad", "CSeq: 4 ", "CSeq: 23 ", NULL);
	struct run r;

	(void)state;
	step_fixture_with_free(&r, ALG_OUT, reg, strlen(reg), 1000, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_IN, ok, strlen(ok), 1001, phone3);
	run_free(&r);
	assert_true(binding_of(0xc0a80167, 5060)->registered);
	step_fixture(&r, ALG_OUT, "unregister-star-out", 2000, provider);
	assert_action(&r, "register 192.168.1.103 * expires=0 aor=sip:1003@sip.example.net cseq=23");
	run_free(&r);
	assert_non_null(binding_of(0xc0a80167, 5060));
	step_fixture_with_free(&r, ALG_IN, bye, strlen(bye), 2001, phone3);
	run_free(&r);
	assert_null(binding_of(0xc0a80167, 5060));
}

/* Two contacts in one REGISTER: each follows what the 2xx says of it. */
static void several_contacts_each_handled(void **state)
{
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "register-multi-out", 1000, provider);
	run_free(&r);
	assert_non_null(binding_of(0xc0a80166, 5060));
	assert_non_null(binding_of(0xc0a80166, 5062));
	step_fixture(&r, ALG_IN, "register-multi-200-in", 1001, phone2);
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5060>;expires=3600");
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered);
	assert_int_equal(binding_of(0xc0a80166, 5060)->expires, 1001 + 3600 + 30);
	assert_null(binding_of(0xc0a80166, 5062));
}

/* After a reboot the phone registers from another port with a new Call-ID; the registrar
 * lists its old contact too (still unexpired there): the old binding goes, and the old
 * contact, which this REGISTER did not carry, is not turned into the new port. */
static void reregister_from_new_port_replaces_binding(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "192.168.1.102:5060", "192.168.1.102:5072",
				 "0_2367854301", "0_11223344", "CSeq: 2 ", "CSeq: 1 ", NULL);
	char *ok = fixture_with("register-200-in", &len, "Contact: <sip:1002@198.51.100.77:5070>;expires=1800",
				"Contact: <sip:1002@203.0.113.5:5072>;expires=3600", "0_2367854301", "0_11223344",
				"CSeq: 2 ", "CSeq: 1 ", "203.0.113.5:5060;rport=5060", "203.0.113.5:5072;rport=5072", NULL);
	struct run r;

	(void)state;
	register_phone2(1000);
	step_fixture_with_free(&r, ALG_OUT, reg, strlen(reg), 2000, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80166, 5072)->pub_port, 5072);
	step_fixture_with_free(&r, ALG_IN, ok, strlen(ok), 2001, (struct alg_endpoint){ 0xc0a80166, 5072 });
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600");
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5072>;expires=3600");
	run_free(&r);
	assert_null(binding_of(0xc0a80166, 5060));
	assert_true(binding_of(0xc0a80166, 5072)->registered);
}

/* A phone that writes the public address in its Contact itself gets it back as it wrote it,
 * although its Via's binding holds that port. */
static void public_contact_left_alone_in_the_2xx(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "Contact: <sip:1002@192.168.1.102:5060>",
				 "Contact: <sip:1002@203.0.113.5:5060>", NULL);
	struct run r;

	(void)state;
	step_fixture_with_free(&r, ALG_OUT, reg, strlen(reg), 1000, provider);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600");
	run_free(&r);
	assert_non_null(binding_of(0xc0a80166, 5060)); /* its Via's */
	step_fixture(&r, ALG_IN, "register-200-in", 1001, phone2);
	assert_line(&r, "Via: SIP/2.0/UDP 192.168.1.102:5060;rport=5060;received=192.168.1.102;branch=z9hG4bK2058303479");
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600");
	run_free(&r);
}

/* Two accounts on one port: unregistering one keeps the binding for the other. */
static void two_accounts_on_one_port_unregister_one(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "1002@", "1012@", "0_2367854301", "0_99", NULL);
	char *ok = fixture_with("register-200-in", &len, "1002@", "1012@", "0_2367854301", "0_99",
				"Contact: <sip:1012@198.51.100.77:5070>;expires=1800\r\n", "", NULL);
	char *bye = fixture_with("unregister-out", &len, "1002@", "1012@", "0_2367854301", "0_99", NULL);
	char *bye_ok = fixture_with("unregister-200-in", &len, "1002@", "1012@", "0_2367854301", "0_99", NULL);
	struct run r;

	(void)state;
	register_phone2(1000);
	step_fixture_with_free(&r, ALG_OUT, reg, strlen(reg), 1002, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_IN, ok, strlen(ok), 1003, phone2);
	run_free(&r);
	step_fixture_with_free(&r, ALG_OUT, bye, strlen(bye), 2000, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_IN, bye_ok, strlen(bye_ok), 2001, phone2);
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered); /* 1002 is still registered */
	step_fixture(&r, ALG_OUT, "unregister-out", 3000, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "unregister-200-in", 3001, phone2);
	run_free(&r);
	assert_null(binding_of(0xc0a80166, 5060));
}

/* A 2xx nobody's REGISTER asked for (or an old one) changes nothing. */
static void stray_register_2xx_changes_nothing(void **state)
{
	struct run r;

	(void)state;
	register_phone2(1000);
	step_fixture(&r, ALG_IN, "unregister-200-in", 2001, phone2);
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered);
	/* the REGISTER's transaction is over after Timer F */
	step_fixture(&r, ALG_OUT, "unregister-out", 3000, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "unregister-200-in", 3000 + TABLE_PENDING_TTL, phone2);
	run_free(&r);
	assert_non_null(binding_of(0xc0a80166, 5060));
}

/* Transfer: a LAN phone's REFER binds only its own address; a WAN REFER naming a LAN address
 * (or the public one) makes no binding. */
static void refer_binds_only_the_lan_phones_own(void **state)
{
	size_t len;
	char *lan = fixture_with("refer-in", &len, "r: <sip:1001@203.0.113.5:16390", "r: <sip:1001@192.168.1.101:5060", NULL);
	struct run r;

	(void)state;
	step_fixture(&r, ALG_IN, "refer-in", 100, phone2);
	run_free(&r);
	step(&r, ALG_IN, lan, strlen(lan), 101, phone2);
	assert_line(&r, "r: <sip:1001@192.168.1.101:5060?Replaces=3329101477%40192.168.1.101%3Bto-tag%3D88127341%3Bfrom-tag%3D5501923>");
	run_free(&r);
	free(lan);
	assert_int_equal(added, 0);
	lan = fixture("refer-out", &len);
	assert_int_equal(try_step(&r, ALG_OUT, lan, len, 200, phone1, provider), ALG_OK);
	run_free(&r);
	free(lan);
	assert_int_equal(added, 1);
	assert_non_null(binding_of(0xc0a80165, 5060));
}

/* A transferee dials the Refer-To that came in naming another LAN phone's public binding
 * (given to it as that phone's private address) through its proxy: the Request-URI goes out
 * as the proxy can reach it, the binding's public name; a LAN address with no binding stays,
 * and nothing is bound for it. */
static void request_to_a_lan_phone_named_publicly(void **state)
{
	size_t len;
	char *to_phone2 = fixture_with("zoiper-invite-stun-off", &len, "INVITE sip:2001@sip.example.net;",
				       "INVITE sip:1002@192.168.1.102:5060;", NULL);
	char *to_nobody = fixture_with("zoiper-invite-stun-off", &len, "INVITE sip:2001@sip.example.net;",
				       "INVITE sip:1003@192.168.1.103;", NULL);
	char line[96];
	struct run r;

	(void)state;
	register_phone2(1000);
	snprintf(line, sizeof(line), "INVITE sip:1002@203.0.113.5:%u;transport=UDP SIP/2.0",
		 binding_of(0xc0a80166, 5060)->pub_port);
	assert_int_equal(try_step(&r, ALG_OUT, to_phone2, strlen(to_phone2), 1100, phone1, provider), ALG_OK);
	assert_line(&r, line);
	run_free(&r);
	assert_int_equal(try_step(&r, ALG_OUT, to_nobody, strlen(to_nobody), 1200, phone1, provider), ALG_OK);
	assert_line(&r, "INVITE sip:1003@192.168.1.103;transport=UDP SIP/2.0");
	run_free(&r);
	assert_null(binding_of(0xc0a80167, 5060));
	free(to_phone2);
	free(to_nobody);
}

/* Some registrars list no contact in their 2xx, whatever was asked: a registration then
 * stays as it was (only an unregister ends it); a retransmitted 2xx is restored again. */
static void registrar_listing_no_contact(void **state)
{
	size_t len;
	char *ok = fixture_with("unregister-200-in", &len, "CSeq: 4 ", "CSeq: 2 ", NULL);
	struct run r;

	(void)state;
	step_fixture(&r, ALG_OUT, "register-out", 1000, provider);
	run_free(&r);
	step(&r, ALG_IN, ok, strlen(ok), 1001, phone2);
	assert_action(&r, "register-end call=0_2367854301@192.168.1.102 cseq=2 contacts=0");
	run_free(&r);
	assert_non_null(binding_of(0xc0a80166, 5060));
	step_fixture(&r, ALG_IN, "register-200-in", 1002, phone2);
	run_free(&r);
	step_fixture(&r, ALG_IN, "register-200-in", 1003, phone2);
	assert_line(&r, "Contact: <sip:1002@192.168.1.102:5060>;expires=3600");
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered);
	free(ok);
}

/* An unregistered phone's public port stays its own while the router's conntrack may still
 * hold its flow: another phone gets another port until the cooldown is over. */
static void unregistered_port_cools_down(void **state)
{
	size_t len;
	char *other = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.104", NULL);
	char *later = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.104", NULL);
	struct run r;

	(void)state;
	register_phone2(1000);
	step_fixture(&r, ALG_OUT, "unregister-out", 2000, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "unregister-200-in", 2001, phone2);
	run_free(&r);
	step_fixture_with_free(&r, ALG_OUT, other, strlen(other), 2002, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80168, 5060)->pub_port, 20000);
	table_expire(&table, 2002 + 3600); /* .104's binding goes */
	/* the same phone may take its own port back at once */
	register_phone2(2002 + 3600);
	assert_int_equal(binding_of(0xc0a80166, 5060)->pub_port, 5060);
	step_fixture(&r, ALG_OUT, "unregister-out", 9000, provider);
	run_free(&r);
	step_fixture(&r, ALG_IN, "unregister-200-in", 9001, phone2);
	run_free(&r);
	step_fixture_with_free(&r, ALG_OUT, later, strlen(later), 9001 + TABLE_PORT_COOLDOWN - 1, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80168, 5060)->pub_port, 20000);
	table_expire(&table, 9001 + TABLE_PORT_COOLDOWN + 300);
	later = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.104", NULL);
	step_fixture_with_free(&r, ALG_OUT, later, strlen(later), 9001 + TABLE_PORT_COOLDOWN + 300, provider);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80168, 5060)->pub_port, 5060);
}

/* A phone that unregisters during a call keeps its binding for the call's requests, no
 * longer registered, for the signaling idle time. */
static void unregister_during_a_call_keeps_signaling(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.101", NULL);
	char *ok = fixture_with("register-200-in", &len, "192.168.1.102", "192.168.1.101", NULL);
	char *bye = fixture_with("unregister-out", &len, "192.168.1.102", "192.168.1.101", NULL);
	char *bye_ok = fixture_with("unregister-200-in", &len, "192.168.1.102", "192.168.1.101", NULL);
	struct run r;

	(void)state;
	step_fixture_with_free(&r, ALG_OUT, reg, strlen(reg), 1000, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_IN, ok, strlen(ok), 1001, phone1);
	run_free(&r);
	step_fixture(&r, ALG_OUT, "zoiper-invite-stun-off", 1100, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_OUT, bye, strlen(bye), 1200, provider);
	run_free(&r);
	step_fixture_with_free(&r, ALG_IN, bye_ok, strlen(bye_ok), 1201, phone1);
	run_free(&r);
	assert_non_null(binding_of(0xc0a80165, 5060));
	assert_false(binding_of(0xc0a80165, 5060)->registered);
	assert_int_equal(binding_of(0xc0a80165, 5060)->expires, 1201 + 300);
	assert_int_equal(media_bindings(), 2);
}

/* An office PBX on the LAN (lan_server 192.168.1.2), reached from the internet through the
 * owner's forward of port 5060: its messages name the phone it serves, 192.168.1.10. */
static const uint32_t pbx_list[] = { 0xc0a80102 };
static const uint16_t pbx_ports[] = { 5060 };
static const struct alg_endpoint pbx = { 0xc0a80102, 5060 };
#define PBX_PHONE 0xc0a8010a

static enum alg_reason try_step_servers(struct run *r, enum alg_direction dir, const char *name,
					int64_t now, struct alg_endpoint src, struct alg_endpoint dst,
					int servers)
{
	struct alg_config cfg = lab_config(NULL, 0);
	size_t len;
	char *msg = fixture(name, &len);

	if (servers) {
		cfg.lan_servers = pbx_list;
		cfg.n_lan_servers = 1;
		cfg.server_ports = pbx_ports;
		cfg.n_server_ports = 1;
	}
	run_through(r, &cfg, &table, now, dir, msg, len, src, dst);
	free(msg);
	return r->res.reason;
}

static const struct table_dialog *only_dialog(void)
{
	const struct table_dialog *d, *found = NULL;

	table_for_each_dialog(&table, id, d)
		found = d;
	return found;
}

/* The far phone's INVITE reaches the PBX through the forward; the PBX's 200 names the LAN
 * phone: the phone's media pinhole opens toward it, narrowed to the far end, the call is the
 * PBX's, and the phone's signaling binding leaves the forwarded port 5060 to the PBX. */
static void lan_server_speaks_for_its_phone(void **state)
{
	const struct alg_endpoint far = { FAR_PHONE, 5060 };
	const struct table_binding *b;
	struct run r;

	(void)state;
	assert_int_equal(try_step_servers(&r, ALG_IN, "lan-server-invite-in", 100, far, pbx, 1), ALG_OK);
	assert_line(&r, "INVITE sip:1001@192.168.1.2 SIP/2.0");
	run_free(&r);
	assert_int_equal(added, 0); /* the WAN opens nothing */
	assert_int_equal(try_step_servers(&r, ALG_OUT, "lan-server-200-out", 101, pbx, far, 1), ALG_OK);
	run_free(&r);
	b = binding_of(PBX_PHONE, 16000);
	assert_non_null(b);
	assert_int_equal(b->peer, FAR_PHONE);
	assert_non_null(binding_of(PBX_PHONE, 16001));
	assert_int_equal(binding_of(pbx.ip, 5060)->pub_port, 5060);
	assert_int_not_equal(binding_of(PBX_PHONE, 5060)->pub_port, 5060);
	assert_non_null(only_dialog());
	assert_int_equal(only_dialog()->server, pbx.ip);
	assert_true(only_dialog()->answered);
}

/* The same 200 from a LAN host that is not a named server names another host's address: it
 * passes untranslated and binds nothing; so does the PBX's when no server is configured. */
static void unnamed_host_still_names_only_itself(void **state)
{
	const struct alg_endpoint far = { FAR_PHONE, 5060 };
	const struct alg_endpoint other = { 0xc0a80103, 5060 };
	struct run r;

	(void)state;
	assert_int_equal(try_step_servers(&r, ALG_OUT, "lan-server-200-out", 101, other, far, 1),
			 ALG_FOREIGN_ADDRESS);
	assert_int_equal(r.res.changed, 0);
	run_free(&r);
	assert_int_equal(try_step_servers(&r, ALG_OUT, "lan-server-200-out", 101, pbx, far, 0),
			 ALG_FOREIGN_ADDRESS);
	run_free(&r);
	assert_int_equal(added, 0);
}

/* The server's call closes like any other: BYE from either side removes the phone's pinholes. */
static void lan_server_call_closes_on_bye(void **state)
{
	const struct alg_endpoint far = { FAR_PHONE, 5060 };
	static const char bye[] = "BYE sip:1001@192.168.1.2 SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-4711-2\r\n"
				  "From: <sip:2001@203.0.113.5>;tag=4711SIPpTag001\r\n"
				  "To: <sip:1001@203.0.113.5>;tag=77c1d2e3\r\n"
				  "Call-ID: 1-4711@198.51.100.20\r\nCSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n";
	struct run r;

	(void)state;
	try_step_servers(&r, ALG_IN, "lan-server-invite-in", 100, far, pbx, 1);
	run_free(&r);
	try_step_servers(&r, ALG_OUT, "lan-server-200-out", 101, pbx, far, 1);
	run_free(&r);
	assert_int_equal(media_bindings(), 2);
	assert_int_equal(try_step(&r, ALG_IN, bye, sizeof(bye) - 1, 110, far, pbx), ALG_OK);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
	assert_null(only_dialog());
}

/* With a server configured, the forwarded port 5060 is the server's: a phone whose own port
 * is 5060 gets another public port even when the server has no binding yet (here its 200
 * carries no Record-Route); without servers the phone keeps 5060. */
static void phones_leave_the_forwarded_port_to_the_server(void **state)
{
	const struct alg_endpoint far = { FAR_PHONE, 5060 };
	size_t len, len2;
	char *msg = fixture("lan-server-200-out", &len);
	char *no_rr = replace_all(msg, len, "Record-Route: <sip:192.168.1.2;lr>\r\n", "", &len2);
	struct alg_config cfg = lab_config(NULL, 0);
	struct run r;

	(void)state;
	cfg.lan_servers = pbx_list;
	cfg.n_lan_servers = 1;
	cfg.server_ports = pbx_ports;
	cfg.n_server_ports = 1;
	run_through(&r, &cfg, &table, 100, ALG_OUT, no_rr, len2, pbx, far);
	assert_int_equal(r.res.reason, ALG_OK);
	run_free(&r);
	assert_null(binding_of(pbx.ip, 5060));
	assert_int_not_equal(binding_of(PBX_PHONE, 5060)->pub_port, 5060);
	reset(state);
	cfg.server_ports = NULL;
	cfg.n_server_ports = 0;
	run_through(&r, &cfg, &table, 100, ALG_OUT, no_rr, len2, pbx, far);
	run_free(&r);
	assert_int_equal(binding_of(PBX_PHONE, 5060)->pub_port, 5060);
	free(msg);
	free(no_rr);
}

/* inbound_calls 'registrar' narrows phones' registrations to their registrar; a LAN server's
 * own registration (a PBX's trunk) is left open: the owner's forward decides who reaches it. */
static void lan_server_trunk_registration_stays_open(void **state)
{
	static const uint32_t server[] = { 0xc0a80166 };
	struct table_config c = tcfg;
	struct alg_config cfg = lab_config(NULL, 0);
	size_t len, len2;
	char *reg = fixture("register-out", &len), *ok = fixture("register-200-in", &len2);
	struct run r;

	(void)state;
	c.inbound_calls = INBOUND_REGISTRAR;
	table_set_config(&table, &c);
	for (int named = 0; named < 2; named++) {
		cfg.lan_servers = server;
		cfg.n_lan_servers = (size_t)named;
		run_through(&r, &cfg, &table, 1000, ALG_OUT, reg, len, phone2, provider);
		run_free(&r);
		run_through(&r, &cfg, &table, 1001, ALG_IN, ok, len2, provider, phone2);
		run_free(&r);
		assert_true(binding_of(0xc0a80166, 5060)->registered);
		assert_int_equal(binding_of(0xc0a80166, 5060)->peer, named ? 0 : provider.ip);
		table_clear(&table);
	}
	free(reg);
	free(ok);
}

/* A call that loops back into the LAN: phone1's offer went out with the public address; the
 * provider brings it to phone2, which gets phone1's private address and ports (the media stays
 * in the LAN) with direct_lan_media, the public ones without; a port that is no media binding
 * (phone1's signaling port) is never turned into a LAN address. */
static void looped_call_gets_the_lan_address(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	size_t len, len2, len3;
	char *offer = fixture("zoiper-invite-stun-off", &len);
	char *in = fixture_with("invite-in-to-phone", &len2, "c=IN IP4 198.51.100.20", "c=IN IP4 203.0.113.5",
				"m=audio 40000", "m=audio 8000", "a=rtcp:40001", "a=rtcp:8001",
				"Content-Length: 248", "Content-Length: 244", NULL);
	char *sig = fixture_with("invite-in-to-phone", &len3, "c=IN IP4 198.51.100.20", "c=IN IP4 203.0.113.5",
				 "m=audio 40000", "m=audio 5060", "a=rtcp:40001\r\n", "",
				 "Content-Length: 248", "Content-Length: 231", NULL);
	struct run r;

	(void)state;
	run_through(&r, &cfg, &table, 100, ALG_OUT, offer, len, phone1, provider);
	assert_int_equal(r.res.reason, ALG_OK);
	run_free(&r);
	for (int direct = 0; direct < 2; direct++) {
		cfg.direct_lan_media = direct;
		run_through(&r, &cfg, &table, 101, ALG_IN, in, len2, provider, phone2);
		assert_int_equal(r.res.reason, ALG_OK);
		if (direct) {
			assert_line(&r, "c=IN IP4 192.168.1.101");
			assert_line(&r, "m=audio 8000 RTP/AVP 0 8 101");
			assert_line(&r, "a=rtcp:8001");
			assert_line(&r, "Content-Length: 246");
		} else {
			assert_line(&r, "c=IN IP4 203.0.113.5");
		}
		run_free(&r);
	}
	run_through(&r, &cfg, &table, 102, ALG_IN, sig, len3, provider, phone2);
	assert_int_equal(r.res.reason, ALG_OK);
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "m=audio 5060 RTP/AVP 0 8 101");
	run_free(&r);
	free(offer);
	free(in);
	free(sig);
}

/* A fixture's headers with another SDP body (Content-Length follows). */
static char *fixture_sdp(const char *name, const char *sdp, size_t *len)
{
	size_t n, cap;
	char *msg = fixture(name, &n), *out, *end = strstr(msg, "\r\n\r\n"), *cl = strstr(msg, "Content-Length: ");
	int w;

	assert_non_null(end);
	assert_non_null(cl);
	cap = n + strlen(sdp) + 64;
	out = malloc(cap);
	w = snprintf(out, cap, "%.*sContent-Length: %zu%.*s\r\n\r\n%s", (int)(cl - msg), msg, strlen(sdp),
		     (int)(end - strchr(cl, '\r')), strchr(cl, '\r'), sdp);
	*len = (size_t)w;
	free(msg);
	return out;
}

static const char video_offer[] = "v=0\r\no=Z 1 1 IN IP4 192.168.1.101\r\ns=Z\r\nc=IN IP4 192.168.1.101\r\nt=0 0\r\n"
				  "m=audio 8000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
				  "m=video 9000 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=rtcp:9005\r\n";
static const char video_answer[] = "v=0\r\no=F 1 1 IN IP4 198.51.100.20\r\ns=F\r\nc=IN IP4 198.51.100.20\r\nt=0 0\r\n"
				   "m=audio 40000 RTP/AVP 0\r\n"
				   "m=video 40010 RTP/AVP 96\r\nc=IN IP4 198.51.100.21\r\n";
static const char t38_offer[] = "v=0\r\no=Z 1 2 IN IP4 192.168.1.101\r\ns=Z\r\nc=IN IP4 192.168.1.101\r\nt=0 0\r\n"
				"m=image 8100 udptl t38\r\na=T38FaxVersion:0\r\na=T38FaxUdpEC:t38UDPRedundancy\r\n";
static const char t38_answer[] = "v=0\r\no=F 1 2 IN IP4 198.51.100.20\r\ns=F\r\nc=IN IP4 198.51.100.22\r\nt=0 0\r\n"
				 "m=image 40100 udptl t38\r\na=T38FaxVersion:0\r\n";

static void step_sdp(const char *name, const char *sdp, enum alg_direction dir, int64_t now,
		     struct alg_endpoint dst)
{
	size_t len;
	char *msg = fixture_sdp(name, sdp, &len);
	struct run r;

	step(&r, dir, msg, len, now, dst);
	run_free(&r);
	free(msg);
}

/* Audio and video each get RTP and RTCP pinholes (RTCP one up, or a=rtcp), each narrowed to
 * its own stream's far end, and all close at BYE. */
static void video_call_opens_every_stream(void **state)
{
	struct run r;

	(void)state;
	step_sdp("zoiper-invite-stun-off", video_offer, ALG_OUT, 100, provider);
	assert_int_equal(media_bindings(), 4);
	assert_int_equal(binding_of(0xc0a80165, 9000)->stream, 1);
	assert_int_equal(binding_of(0xc0a80165, 9005)->rtcp, 1);
	step_sdp("invite-200-in", video_answer, ALG_IN, 101, phone1);
	assert_int_equal(binding_of(0xc0a80165, 8000)->peer, FAR_PHONE);
	assert_int_equal(binding_of(0xc0a80165, 8001)->peer, FAR_PHONE);
	assert_int_equal(binding_of(0xc0a80165, 9000)->peer, 0xc6336415);
	assert_int_equal(binding_of(0xc0a80165, 9005)->peer, 0xc6336415);
	step_fixture(&r, ALG_OUT, "bye-out", 160, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
}

/* video_offer with the video declined (port 0), as the phone re-offers it. */
static char *video_declined(size_t *len)
{
	return replace_all(video_offer, strlen(video_offer), "m=video 9000", "m=video 0", len);
}

/* An answered video call, its video narrowed to its far end. */
static void answered_video_call(void)
{
	step_sdp("zoiper-invite-stun-off", video_offer, ALG_OUT, 100, provider);
	step_sdp("invite-200-in", video_answer, ALG_IN, 101, phone1);
	assert_int_equal(media_bindings(), 4);
}

/* The phone's re-offer declines the video (port 0): its pinholes stay until the answer (the
 * offer may be refused), which closes them; the audio's stay, narrowed as they were. */
static void reoffer_declining_a_stream_closes_it_at_the_answer(void **state)
{
	static const char audio_only[] = "v=0\r\no=F 1 2 IN IP4 198.51.100.20\r\ns=F\r\nc=IN IP4 198.51.100.20\r\n"
					 "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n";
	size_t len;
	char *sdp = video_declined(&len);
	struct run r;

	(void)state;
	answered_video_call();
	removed = 0;
	step_sdp("reinvite-hold-out", sdp, ALG_OUT, 130, provider);
	assert_int_equal(media_bindings(), 4); /* the video flows until the answer */
	assert_int_equal(removed, 0);
	step_sdp("invite-200-in", audio_only, ALG_IN, 131, phone1);
	assert_int_equal(media_bindings(), 2);
	assert_int_equal(removed, 2); /* through the mirror: out of nftables */
	assert_null(binding_of(0xc0a80165, 9000));
	assert_null(binding_of(0xc0a80165, 9005));
	assert_int_equal(binding_of(0xc0a80165, 8000)->peer, FAR_PHONE);
	assert_int_equal(binding_of(0xc0a80165, 8000)->stream, 0);
	assert_int_equal(binding_of(0xc0a80165, 8001)->peer, FAR_PHONE);
	step_fixture(&r, ALG_OUT, "bye-out", 160, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
	free(sdp);
}

/* A refused re-offer (488) leaves the declined stream open, as the call was. */
static void refused_reoffer_keeps_the_declined_stream(void **state)
{
	size_t len, len2;
	char *sdp = video_declined(&len);
	char *msg = fixture_with("busy-486-in", &len2, "SIP/2.0 486 Busy Here", "SIP/2.0 488 Not Acceptable Here", NULL);
	struct run r;

	(void)state;
	answered_video_call();
	step_sdp("reinvite-hold-out", sdp, ALG_OUT, 130, provider);
	step_fixture_with_free(&r, ALG_IN, msg, len2, 131, phone1);
	run_free(&r);
	assert_int_equal(media_bindings(), 4);
	assert_int_equal(binding_of(0xc0a80165, 9000)->stream, 1);
	assert_int_equal(binding_of(0xc0a80165, 9005)->peer, 0xc6336415);
	/* and a later re-offer declining it again, answered, closes them */
	step_sdp("reinvite-hold-out", sdp, ALG_OUT, 140, provider);
	step_sdp("invite-200-in", video_answer, ALG_IN, 141, phone1);
	assert_int_equal(media_bindings(), 2);
	free(sdp);
}

/* What is left of a call whose video stream was declined: host's audio pinholes (RTP on audio,
 * narrowed to the far end), none on the video's RTP and RTCP ports. */
static void assert_audio_only(uint32_t host, uint16_t audio, uint16_t video, uint16_t video_rtcp)
{
	assert_int_equal(media_bindings(), 2);
	assert_null(binding_of(host, video));
	assert_null(binding_of(host, video_rtcp));
	assert_int_equal(binding_of(host, audio)->peer, FAR_PHONE);
}

/* The far end's answer declines the video the phone offered: the video's pinholes close at
 * the 2xx (final), the audio's stay. */
static void answer_declining_a_stream_closes_it(void **state)
{
	static const char audio_only[] = "v=0\r\no=F 1 1 IN IP4 198.51.100.20\r\ns=F\r\nc=IN IP4 198.51.100.20\r\n"
					 "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n";
	size_t len, len2;
	char *ok = fixture_sdp("invite-200-in", audio_only, &len);
	char *ringing = replace_all(ok, len, "SIP/2.0 200 OK", "SIP/2.0 183 Session Progress", &len2);
	struct run r;

	(void)state;
	step_sdp("zoiper-invite-stun-off", video_offer, ALG_OUT, 100, provider);
	/* an early answer (183) is not final: nothing closes */
	step(&r, ALG_IN, ringing, len2, 101, phone1);
	run_free(&r);
	assert_int_equal(media_bindings(), 4);
	step_sdp("invite-200-in", audio_only, ALG_IN, 102, phone1);
	assert_audio_only(0xc0a80165, 8000, 9000, 9005);
	free(ok);
	free(ringing);
}

/* The far end re-offers and the phone's answer declines the video: its answer is final, the
 * video's pinholes close at once. */
static void phones_answer_declining_a_stream_closes_it_at_once(void **state)
{
	static const char phone_video[] = "v=0\r\no=- 1 1 IN IP4 192.168.1.102\r\ns=-\r\nc=IN IP4 192.168.1.102\r\n"
					  "t=0 0\r\nm=audio 11780 RTP/AVP 0\r\nm=video 11790 RTP/AVP 96\r\n";
	size_t len;
	char *declined = replace_all(phone_video, strlen(phone_video), "m=video 11790", "m=video 0", &len);

	(void)state;
	step_sdp("invite-in-to-phone", video_answer, ALG_IN, 100, phone2);
	step_sdp("invite-200-answer-out", phone_video, ALG_OUT, 101, provider);
	assert_int_equal(media_bindings(), 4);
	step_sdp("invite-in-to-phone", video_answer, ALG_IN, 130, phone2);
	step_sdp("invite-200-answer-out", declined, ALG_OUT, 131, provider);
	assert_audio_only(0xc0a80166, 11780, 11790, 11791);
	free(declined);
}

/* The phone re-offers its answered audio call as T.38 on another port: until the answer both
 * are open; the 2xx leaves the fax stream alone (no RTCP for udptl), narrowed; BYE closes it. */
static void t38_reinvite_moves_the_stream_at_the_answer(void **state)
{
	struct run r;

	(void)state;
	answered_call();
	step_sdp("reinvite-hold-out", t38_offer, ALG_OUT, 130, provider);
	assert_non_null(binding_of(0xc0a80165, 8000)); /* the audio still flows until the answer */
	assert_non_null(binding_of(0xc0a80165, 8001));
	assert_non_null(binding_of(0xc0a80165, 8100));
	assert_null(binding_of(0xc0a80165, 8101));
	assert_int_equal(media_bindings(), 3);
	step_sdp("invite-200-in", t38_answer, ALG_IN, 131, phone1);
	assert_int_equal(media_bindings(), 1);
	assert_int_equal(binding_of(0xc0a80165, 8100)->stream, 0);
	assert_int_equal(binding_of(0xc0a80165, 8100)->peer, 0xc6336416);
	step_fixture(&r, ALG_OUT, "bye-out", 160, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
}

/* The far end refuses the fax (488): the audio pinholes stay as they were, the fax's go. */
static void refused_t38_reinvite_keeps_the_audio(void **state)
{
	size_t len;
	char *msg;
	struct run r;

	(void)state;
	answered_call();
	step_sdp("reinvite-hold-out", t38_offer, ALG_OUT, 130, provider);
	msg = fixture_with("busy-486-in", &len, "SIP/2.0 486 Busy Here", "SIP/2.0 488 Not Acceptable Here", NULL);
	step_fixture_with_free(&r, ALG_IN, msg, len, 131, phone1);
	run_free(&r);
	assert_null(binding_of(0xc0a80165, 8100));
	assert_int_equal(media_bindings(), 2);
	assert_int_equal(binding_of(0xc0a80165, 8000)->stream, 0);
	assert_int_equal(binding_of(0xc0a80165, 8000)->peer, FAR_PHONE);
	assert_int_equal(binding_of(0xc0a80165, 8001)->rtcp, 1);
	step_fixture(&r, ALG_OUT, "bye-out", 160, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 0);
}

/* T.38 on the audio's own port: the RTP binding stays, its RTCP goes at the answer. */
static void t38_on_the_same_port_drops_rtcp(void **state)
{
	size_t len;
	char *sdp = replace_all(t38_offer, strlen(t38_offer), "image 8100", "image 8000", &len);

	(void)state;
	answered_call();
	step_sdp("reinvite-hold-out", sdp, ALG_OUT, 130, provider);
	assert_int_equal(media_bindings(), 2);
	step_sdp("invite-200-in", t38_answer, ALG_IN, 131, phone1);
	assert_int_equal(media_bindings(), 1);
	assert_int_equal(binding_of(0xc0a80165, 8000)->pub_port, 8000);
	free(sdp);
}

/* The far end re-offers T.38 and the phone answers on another port: its answer is final, the
 * move is at once. */
static void t38_answer_from_the_phone_moves_at_once(void **state)
{
	static const char phone_t38[] = "v=0\r\no=- 20021 20022 IN IP4 192.168.1.102\r\ns=-\r\n"
					"c=IN IP4 192.168.1.102\r\nt=0 0\r\nm=image 11900 udptl t38\r\n";
	struct run r;

	(void)state;
	step_fixture(&r, ALG_IN, "invite-in-to-phone", 100, phone2);
	run_free(&r);
	step_fixture(&r, ALG_OUT, "invite-200-answer-out", 101, provider);
	run_free(&r);
	assert_int_equal(media_bindings(), 2);
	step_sdp("invite-in-to-phone", t38_answer, ALG_IN, 130, phone2);
	step_sdp("invite-200-answer-out", phone_t38, ALG_OUT, 131, provider);
	assert_int_equal(media_bindings(), 1);
	assert_null(binding_of(0xc0a80166, 11780));
	assert_int_equal(binding_of(0xc0a80166, 11900)->peer, 0xc6336416);
}

/* A phone that writes the router's public address itself (issue 12, item 3): a port of its
 * own binding is that binding, registered by the 2xx, which gives the Contact back as the
 * phone wrote it. */
static void own_public_contact_is_the_phones_binding(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "Contact: <sip:1002@192.168.1.102:5060>",
				 "Contact: <sip:1002@203.0.113.5:5060>", NULL);
	struct run r;

	(void)state;
	assert_int_equal(try_step(&r, ALG_OUT, reg, strlen(reg), 1000, phone2, provider), ALG_OK);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600");
	run_free(&r);
	free(reg);
	step_fixture(&r, ALG_IN, "register-200-in", 1001, phone2);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5060>;expires=3600");
	run_free(&r);
	assert_true(binding_of(0xc0a80166, 5060)->registered);
	assert_true(binding_of(0xc0a80166, 5060)->expires >= 1001 + 3600);
}

/* The public address with a port no binding holds: the phone's own port, bound as if it had
 * written its private address; the 2xx names it as the phone wrote it. */
static void own_public_contact_on_a_free_port_is_bound(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "Contact: <sip:1002@192.168.1.102:5060>",
				 "Contact: <sip:1002@203.0.113.5:5070>", NULL);
	char *ok = fixture_with("register-200-in", &len, "Contact: <sip:1002@203.0.113.5:5060>",
				"Contact: <sip:1002@203.0.113.5:5070>", NULL);
	struct run r;

	(void)state;
	assert_int_equal(try_step(&r, ALG_OUT, reg, strlen(reg), 1000, phone2, provider), ALG_OK);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5070>;expires=3600");
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80166, 5070)->pub_port, 5070);
	step_fixture_with_free(&r, ALG_IN, ok, strlen(ok), 1001, phone2);
	assert_line(&r, "Contact: <sip:1002@203.0.113.5:5070>;expires=3600");
	run_free(&r);
	free(reg);
	assert_true(binding_of(0xc0a80166, 5070)->registered);
}

/* A LAN host cannot claim another's binding by writing its public port; a WAN message that
 * names the public address creates nothing. */
static void own_public_address_claims_only_own_bindings(void **state)
{
	size_t len;
	char *reg = fixture_with("register-out", &len, "192.168.1.102", "192.168.1.101",
				 "Contact: <sip:1002@192.168.1.101:5060>", "Contact: <sip:1002@203.0.113.5:5060>",
				 "0_2367854301", "0_77", NULL);
	char *wan = fixture_with("invite-in-to-phone", &len, "Contact: <sip:2001@198.51.100.20:5060>",
				 "Contact: <sip:2001@203.0.113.5:7777>", NULL);
	struct run r;

	(void)state;
	register_phone2(1000);
	assert_int_equal(try_step(&r, ALG_OUT, reg, strlen(reg), 1002, host(0xc0a80165), provider),
			 ALG_FOREIGN_ADDRESS);
	assert_int_equal(r.res.changed, 0);
	run_free(&r);
	assert_null(binding_of(0xc0a80165, 5060));
	assert_int_equal(binding_of(0xc0a80166, 5060)->pub_port, 5060);
	assert_int_equal(try_step(&r, ALG_IN, wan, strlen(wan), 1003, provider, phone2), ALG_OK);
	run_free(&r);
	assert_null(binding_of(0xc0a80166, 7777));
	assert_null(binding_of(0xc0a80165, 7777));
	free(reg);
	free(wan);
}

/* SDP written with the public address: its streams get pinholes to the phone's ports, and
 * the body stays as written (the ports are free). */
static void own_public_sdp_opens_the_phones_streams(void **state)
{
	size_t len;
	static const char sdp[] = "v=0\r\no=Z 1 1 IN IP4 203.0.113.5\r\ns=Z\r\nc=IN IP4 203.0.113.5\r\n"
				  "t=0 0\r\nm=audio 8000 RTP/AVP 0\r\n";
	char *msg = fixture_sdp("zoiper-invite-stun-off", sdp, &len);
	struct run r;

	(void)state;
	assert_int_equal(try_step(&r, ALG_OUT, msg, len, 100, phone1, provider), ALG_OK);
	assert_line(&r, "c=IN IP4 203.0.113.5");
	assert_line(&r, "m=audio 8000 RTP/AVP 0");
	assert_consistent(&r);
	run_free(&r);
	assert_int_equal(binding_of(0xc0a80165, 8000)->pub_port, 8000);
	assert_int_equal(binding_of(0xc0a80165, 8001)->pub_port, 8001);
	assert_int_equal(media_bindings(), 2);
	free(msg);
}

/* Behind another NAT with the public address unknown (issue 12, item 6): nothing is written,
 * every message passes byte-identical, and the bindings and pinholes are made as always: the
 * registrar confirms the contact as the phone wrote it, and is remembered for keep-alives. */
static void unknown_public_address_keeps_bytes_and_bindings(void **state)
{
	struct alg_config cfg = lab_config(NULL, 0);
	const struct alg_endpoint phone2 = { 0xc0a80166, 5060 };
	const char *names[] = { "register-out", "zoiper-invite-stun-off" };
	const struct table_binding *b;
	size_t len;
	struct run r;

	(void)state;
	cfg.keep_addresses = 1;
	for (size_t i = 0; i < 2; i++) {
		char *msg = fixture(names[i], &len);

		run_through(&r, &cfg, &table, 1000, ALG_OUT, msg, len, (struct alg_endpoint){ 0, 0 }, provider);
		assert_int_equal(r.res.reason, ALG_OK);
		assert_false(r.res.changed);
		assert_memory_equal(r.out, msg, len);
		assert_true(r.res.n_actions > 0);
		run_free(&r);
		free(msg);
	}
	assert_non_null(binding_of(0xc0a80165, 8000)); /* the call's RTP pinhole */
	assert_non_null(binding_of(0xc0a80165, 8001));
	b = binding_of(phone2.ip, phone2.port);
	assert_non_null(b);
	assert_false(b->registered);

	/* The registrar lists the contact the phone wrote (with nathelper's received): that
	 * confirms its binding. */
	{
		static const char reply[] =
			"SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP 192.168.1.102:5060;rport=40001;received=192.0.2.77;branch=z9hG4bK2058303479\r\n"
			"From: \"1002\" <sip:1002@sip.example.net>;tag=1217532693\r\n"
			"To: \"1002\" <sip:1002@sip.example.net>;tag=2a6d3c1f\r\n"
			"Call-ID: 0_2367854301@192.168.1.102\r\n"
			"CSeq: 2 REGISTER\r\n"
			"Contact: <sip:1002@192.168.1.102:5060>;expires=600;received=\"sip:192.0.2.77:40001\"\r\n"
			"Content-Length: 0\r\n\r\n";

		run_through(&r, &cfg, &table, 1001, ALG_IN, reply, sizeof(reply) - 1, provider, phone2);
		assert_int_equal(r.res.reason, ALG_OK);
		assert_false(r.res.changed);
		run_free(&r);
	}
	b = binding_of(phone2.ip, phone2.port);
	assert_non_null(b);
	assert_true(b->registered);
	assert_int_equal(b->expires, 1001 + 600 + 30);
	assert_int_equal(b->registrar.ip, provider.ip);
	assert_int_equal(b->registrar.port, provider.port);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(outbound_call_opens_narrows_and_closes, reset),
		cmocka_unit_test(siphash_matches_the_reference),
		cmocka_unit_test_setup(lan_server_speaks_for_its_phone, reset),
		cmocka_unit_test_setup(unnamed_host_still_names_only_itself, reset),
		cmocka_unit_test_setup(lan_server_call_closes_on_bye, reset),
		cmocka_unit_test_setup(phones_leave_the_forwarded_port_to_the_server, reset),
		cmocka_unit_test_setup(lan_server_trunk_registration_stays_open, reset),
		cmocka_unit_test_setup(looped_call_gets_the_lan_address, reset),
		cmocka_unit_test_setup(busy_closes_unanswered_call, reset),
		cmocka_unit_test_setup(cancel_closes_call, reset),
		cmocka_unit_test_setup(failed_reinvite_keeps_answered_call, reset),
		cmocka_unit_test_setup(second_phone_on_same_port_gets_another, reset),
		cmocka_unit_test_setup(reinvite_moving_port_moves_pinhole, reset),
		cmocka_unit_test_setup(both_ends_behind_the_alg_keep_their_own_pinholes, reset),
		cmocka_unit_test_setup(hold_keeps_pinholes, reset),
		cmocka_unit_test_setup(registration_keeps_phone_reachable_until_expiry, reset),
		cmocka_unit_test_setup(public_port_finds_the_registered_phone, reset),
		cmocka_unit_test_setup(abandoned_dialog_expires, reset),
		cmocka_unit_test_setup(silent_answered_call_ends_after_media_timeout, reset),
		cmocka_unit_test_setup(freed_slots_are_reused_and_later_bindings_still_found, reset),
		cmocka_unit_test_setup(repeated_messages_do_not_churn_the_mirror, reset),
		cmocka_unit_test_setup(wan_side_cannot_open_or_widen, reset),
		cmocka_unit_test_setup(lan_host_opens_only_its_own_address, reset),
		cmocka_unit_test_setup(limits_refuse_only_whoever_reaches_them, reset),
		cmocka_unit_test_setup(registrations_per_host_are_limited, reset),
		cmocka_unit_test_setup(tcp_connections_do_not_use_up_registrations, reset),
		cmocka_unit_test_setup(tcp_via_of_a_bound_or_taken_port, reset),
		cmocka_unit_test_setup(wan_invites_cannot_crowd_out_lan_calls, reset),
		cmocka_unit_test_setup(unregister_expires_0_removes_binding_at_the_2xx, reset),
		cmocka_unit_test_setup(unregister_contact_expires_0, reset),
		cmocka_unit_test_setup(unregister_star_removes_the_hosts_contacts, reset),
		cmocka_unit_test_setup(several_contacts_each_handled, reset),
		cmocka_unit_test_setup(reregister_from_new_port_replaces_binding, reset),
		cmocka_unit_test_setup(public_contact_left_alone_in_the_2xx, reset),
		cmocka_unit_test_setup(two_accounts_on_one_port_unregister_one, reset),
		cmocka_unit_test_setup(stray_register_2xx_changes_nothing, reset),
		cmocka_unit_test_setup(refer_binds_only_the_lan_phones_own, reset),
		cmocka_unit_test_setup(request_to_a_lan_phone_named_publicly, reset),
		cmocka_unit_test_setup(registrar_listing_no_contact, reset),
		cmocka_unit_test_setup(unregistered_port_cools_down, reset),
		cmocka_unit_test_setup(unregister_during_a_call_keeps_signaling, reset),
		cmocka_unit_test_setup(video_call_opens_every_stream, reset),
		cmocka_unit_test_setup(t38_reinvite_moves_the_stream_at_the_answer, reset),
		cmocka_unit_test_setup(refused_t38_reinvite_keeps_the_audio, reset),
		cmocka_unit_test_setup(reoffer_declining_a_stream_closes_it_at_the_answer, reset),
		cmocka_unit_test_setup(refused_reoffer_keeps_the_declined_stream, reset),
		cmocka_unit_test_setup(phones_answer_declining_a_stream_closes_it_at_once, reset),
		cmocka_unit_test_setup(answer_declining_a_stream_closes_it, reset),
		cmocka_unit_test_setup(t38_on_the_same_port_drops_rtcp, reset),
		cmocka_unit_test_setup(t38_answer_from_the_phone_moves_at_once, reset),
		cmocka_unit_test_setup(own_public_contact_is_the_phones_binding, reset),
		cmocka_unit_test_setup(own_public_contact_on_a_free_port_is_bound, reset),
		cmocka_unit_test_setup(own_public_address_claims_only_own_bindings, reset),
		cmocka_unit_test_setup(own_public_sdp_opens_the_phones_streams, reset),
		cmocka_unit_test_setup(unknown_public_address_keeps_bytes_and_bindings, reset),
	};
	return cmocka_run_group_tests_name("table", tests, setup_osip, NULL);
}
