/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_sip_stream.c: the stream framer, fed as the daemon will feed it (a buffer of max bytes,
 * units taken from its front), with the golden messages cut at every boundary. */
#define _GNU_SOURCE /* memmem */
#include "harness.h"
#include "sip_msg.h"
#include "sip_stream.h"

#define MAX_EVENTS 64

struct event {
	enum sip_stream_kind kind;
	size_t off; /* in the stream */
	size_t len; /* unit bytes; NEED_MORE, BROKEN: bytes pending at the end */
	struct alg_span body;
	enum alg_reason reason;
};

struct trace {
	struct event ev[MAX_EVENTS];
	size_t n;
	char *out;      /* what the daemon forwards: units, then on BROKEN everything as it is */
	size_t out_len;
};

static void record(struct trace *t, enum sip_stream_kind kind, size_t off,
		   const struct sip_stream_unit *u)
{
	if (t->n == MAX_EVENTS)
		fail_msg("more than %d units", MAX_EVENTS);
	t->ev[t->n++] = (struct event){ kind, off, u->len, u->body, u->reason };
}

static void forward(struct trace *t, const char *p, size_t n)
{
	memcpy(t->out + t->out_len, p, n);
	t->out_len += n;
}

/* Feeds in[0, len) in pieces ending at cuts[] (increasing; len is added at the end), through a
 * buffer of exactly max bytes: each piece is appended as far as it fits, then units are taken
 * from the front until the framer needs more. The last event is the end state (NEED_MORE with
 * what is pending, or BROKEN). The forwarded bytes plus those pending are the input. */
static void feed_cuts(struct trace *t, size_t max, const char *in, size_t len, const size_t *cuts,
		      size_t n_cuts)
{
	struct sip_stream s;
	struct sip_stream_unit u;
	char *buf = malloc(max);
	size_t pos = 0, pending = 0, base = 0;

	memset(t, 0, sizeof(*t));
	t->out = malloc(len + 1);
	assert_int_equal(sip_stream_init(&s, max), 0);
	for (size_t c = 0; c <= n_cuts; c++) {
		size_t to = c < n_cuts ? cuts[c] : len;

		while (pos < to) {
			size_t take = to - pos < max - pending ? to - pos : max - pending;

			/* The framer never leaves a full buffer without a unit or BROKEN. */
			assert_true(take > 0);
			memcpy(buf + pending, in + pos, take);
			pending += take;
			pos += take;
			for (;;) {
				enum sip_stream_kind k = sip_stream_next(&s, buf, pending, &u);

				assert_int_equal(k, u.kind);
				if (k == SIP_STREAM_NEED_MORE) {
					assert_int_equal(u.len, pending);
					assert_true(pending < max);
					break;
				}
				if (k == SIP_STREAM_BROKEN) {
					assert_int_equal(u.len, pending);
					assert_int_not_equal(u.reason, ALG_OK);
					record(t, k, base, &u);
					/* fail-open: the pending bytes and the rest, untouched */
					forward(t, buf, pending);
					forward(t, in + pos, len - pos);
					free(buf);
					return;
				}
				assert_true(u.len > 0 && u.len <= pending && u.len <= max);
				record(t, k, base, &u);
				forward(t, buf, u.len);
				memmove(buf, buf + u.len, pending - u.len);
				pending -= u.len;
				base += u.len;
			}
		}
	}
	u = (struct sip_stream_unit){ .kind = SIP_STREAM_NEED_MORE, .len = pending };
	record(t, SIP_STREAM_NEED_MORE, base, &u);
	forward(t, buf, pending);
	free(buf);
}

static void feed(struct trace *t, size_t max, const char *in, size_t len)
{
	feed_cuts(t, max, in, len, NULL, 0);
}

/* Keep-alive grouping follows the appends (see sip_stream_next); everything else must not:
 * merge adjacent keep-alives before comparing. */
static void merge_keepalives(struct trace *t)
{
	size_t w = 0;

	for (size_t r = 0; r < t->n; r++) {
		if (w && t->ev[r].kind == SIP_STREAM_KEEPALIVE &&
		    t->ev[w - 1].kind == SIP_STREAM_KEEPALIVE)
			t->ev[w - 1].len += t->ev[r].len;
		else
			t->ev[w++] = t->ev[r];
	}
	t->n = w;
}

static void assert_same_units(struct trace *a, struct trace *b)
{
	merge_keepalives(a);
	merge_keepalives(b);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->ev[i].kind, b->ev[i].kind);
		assert_int_equal(a->ev[i].off, b->ev[i].off);
		assert_int_equal(a->ev[i].reason, b->ev[i].reason);
		if (a->ev[i].kind == SIP_STREAM_BROKEN)
			continue; /* bytes pending when it broke depend on the appends */
		assert_int_equal(a->ev[i].len, b->ev[i].len);
		assert_int_equal(a->ev[i].body.off, b->ev[i].body.off);
		assert_int_equal(a->ev[i].body.len, b->ev[i].body.len);
	}
}

static void assert_identity(const struct trace *t, const char *in, size_t len)
{
	assert_int_equal(t->out_len, len);
	assert_memory_equal(t->out, in, len);
}

static void assert_event(const struct trace *t, size_t i, enum sip_stream_kind kind, size_t off,
			 size_t len)
{
	assert_true(i < t->n);
	if (t->ev[i].kind != kind || t->ev[i].off != off || t->ev[i].len != len)
		fail_msg("event %zu: kind %d off %zu len %zu, expected kind %d off %zu len %zu", i,
			 t->ev[i].kind, t->ev[i].off, t->ev[i].len, kind, off, len);
}

static void trace_free(struct trace *t)
{
	free(t->out);
}

/* A growing byte string. */
struct text {
	char *p;
	size_t len;
};

static void put(struct text *x, const char *s, size_t n)
{
	x->p = realloc(x->p, x->len + n + 1);
	memcpy(x->p + x->len, s, n);
	x->len += n;
	x->p[x->len] = '\0';
}

static void puts_(struct text *x, const char *s)
{
	put(x, s, strlen(s));
}

static void put_fixture(struct text *x, const char *name, size_t *len)
{
	size_t n;
	char *m = fixture(name, &n);

	put(x, m, n);
	free(m);
	if (len)
		*len = n;
}

static size_t body_len_of(const char *msg, size_t len)
{
	const char *e = memmem(msg, len, "\r\n\r\n", 4);

	assert_non_null(e);
	return len - (size_t)(e + 4 - msg);
}

#define BIG SIP_STREAM_MAX

static void init_checks_max_and_state_is_small(void **state)
{
	struct sip_stream s;

	(void)state;
	/* 1,000 TCP phones, two directions each: 32 KB of framing state. */
	assert_int_equal(sizeof(struct sip_stream), 16);
	assert_int_equal(sip_stream_init(&s, 0), -1);
	assert_int_equal(sip_stream_init(&s, SIP_STREAM_MAX + 1), -1);
	assert_int_equal(sip_stream_init(&s, 1), 0);
	assert_int_equal(sip_stream_init(&s, SIP_STREAM_MAX), 0);
}

/* Two pieces, the cut at every byte offset: inside the start line, a header name, an address,
 * the CRLFCRLF, the body, the SDP. One byte at a time too. */
static void invite_split_at_every_offset(void **state)
{
	struct text in = { 0 };
	struct trace t;
	size_t len, body;

	(void)state;
	put_fixture(&in, "zoiper-invite-stun-off", &len);
	body = body_len_of(in.p, len);
	assert_int_equal(body, 229);
	for (size_t cut = 0; cut <= len; cut++) {
		feed_cuts(&t, BIG, in.p, len, &cut, 1);
		assert_int_equal(t.n, 2);
		assert_event(&t, 0, SIP_STREAM_MESSAGE, 0, len);
		assert_int_equal(t.ev[0].body.off, len - body);
		assert_int_equal(t.ev[0].body.len, body);
		assert_event(&t, 1, SIP_STREAM_NEED_MORE, len, 0);
		assert_identity(&t, in.p, len);
		trace_free(&t);
	}
	{
		size_t cuts[2048];

		for (size_t i = 0; i < len; i++)
			cuts[i] = i + 1;
		feed_cuts(&t, BIG, in.p, len, cuts, len);
		assert_int_equal(t.n, 2);
		assert_event(&t, 0, SIP_STREAM_MESSAGE, 0, len);
		assert_identity(&t, in.p, len);
		trace_free(&t);
	}
	free(in.p);
}

/* Three messages back to back, one keep-alive between them; the middle one cut in three at
 * each named boundary class and at every pair of offsets around its header end. */
static void boundary_classes_in_a_sequence(void **state)
{
	struct text in = { 0 };
	struct trace whole, t;
	size_t l1, l2, l3, m;
	const char *mid;
	struct {
		const char *what, *at;
		size_t skip;
	} classes[] = {
		{ "start line", "INVITE sip:", 3 },
		{ "header name", "Content-Type", 5 },
		{ "address", "192.168.1.101", 6 },
		{ "colon", "Call-ID:", 7 },
		{ "CRLFCRLF +0", "\r\n\r\nv=0", 0 },
		{ "CRLFCRLF +1", "\r\n\r\nv=0", 1 },
		{ "CRLFCRLF +2", "\r\n\r\nv=0", 2 },
		{ "CRLFCRLF +3", "\r\n\r\nv=0", 3 },
		{ "body start", "\r\n\r\nv=0", 4 },
		{ "SDP address", "c=IN IP4 192", 12 },
		{ "SDP media", "m=audio", 4 },
	};

	(void)state;
	put_fixture(&in, "register-out", &l1);
	puts_(&in, "\r\n");
	put_fixture(&in, "zoiper-invite-stun-off", &l2);
	put_fixture(&in, "bye-out", &l3);
	m = l1 + 2;
	mid = in.p + m;

	feed(&whole, BIG, in.p, in.len);
	assert_int_equal(whole.n, 5);
	assert_event(&whole, 0, SIP_STREAM_MESSAGE, 0, l1);
	assert_event(&whole, 1, SIP_STREAM_KEEPALIVE, l1, 2);
	assert_event(&whole, 2, SIP_STREAM_MESSAGE, m, l2);
	assert_event(&whole, 3, SIP_STREAM_MESSAGE, m + l2, l3);
	assert_event(&whole, 4, SIP_STREAM_NEED_MORE, in.len, 0);
	assert_identity(&whole, in.p, in.len);

	for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
		const char *p = memmem(mid, l2, classes[c].at, strlen(classes[c].at));
		size_t cuts[3];

		if (!p)
			fail_msg("%s: \"%s\" not in the INVITE", classes[c].what, classes[c].at);
		/* the cut, and one byte each side of it */
		cuts[1] = (size_t)(p - in.p) + classes[c].skip;
		cuts[0] = cuts[1] - 1;
		cuts[2] = cuts[1] + 1;
		feed_cuts(&t, BIG, in.p, in.len, cuts, 3);
		assert_same_units(&whole, &t);
		assert_identity(&t, in.p, in.len);
		trace_free(&t);
	}
	{
		const char *e = memmem(mid, l2, "\r\n\r\n", 4);
		size_t h = (size_t)(e - in.p);

		for (size_t i = h - 8; i < h + 8; i++)
			for (size_t j = i; j < h + 12; j++) {
				size_t cuts[2] = { i, j };

				feed_cuts(&t, BIG, in.p, in.len, cuts, 2);
				assert_same_units(&whole, &t);
				assert_identity(&t, in.p, in.len);
				trace_free(&t);
			}
	}
	trace_free(&whole);
	free(in.p);
}

static void three_messages_in_one_append(void **state)
{
	struct text in = { 0 };
	struct sip_stream s;
	struct sip_stream_unit u;
	size_t l1, l2, l3;

	(void)state;
	put_fixture(&in, "zoiper-invite-stun-off", &l1);
	put_fixture(&in, "invite-200-in", &l2);
	put_fixture(&in, "bye-out", &l3);
	assert_int_equal(sip_stream_init(&s, BIG), 0);
	/* The cursor use: units straight from the daemon's read buffer, no copy. */
	assert_int_equal(sip_stream_next(&s, in.p, in.len, &u), SIP_STREAM_MESSAGE);
	assert_int_equal(u.len, l1);
	assert_int_equal(u.body.len, 229);
	assert_int_equal(sip_stream_next(&s, in.p + l1, in.len - l1, &u), SIP_STREAM_MESSAGE);
	assert_int_equal(u.len, l2);
	assert_int_equal(u.body.len, 248);
	assert_int_equal(sip_stream_next(&s, in.p + l1 + l2, l3, &u), SIP_STREAM_MESSAGE);
	assert_int_equal(u.len, l3);
	assert_int_equal(u.body.off, l3);
	assert_int_equal(u.body.len, 0);
	assert_int_equal(sip_stream_next(&s, in.p + in.len, 0, &u), SIP_STREAM_NEED_MORE);
	assert_int_equal(u.len, 0);
	free(in.p);
}

/* Pings and pongs before, between and after messages come out as they went in, reported as
 * keep-alives, never held back; a ping split over two appends is two keep-alives. */
static void keepalives_pass_byte_identical(void **state)
{
	struct text in = { 0 };
	struct trace whole, t;
	struct sip_stream s;
	struct sip_stream_unit u;
	size_t l1, l2;

	(void)state;
	puts_(&in, "\r\n\r\n");
	put_fixture(&in, "zoiper-invite-stun-off", &l1);
	puts_(&in, "\r\n");
	put_fixture(&in, "bye-out", &l2);
	puts_(&in, "\r\n\r\n\r\n");
	feed(&whole, BIG, in.p, in.len);
	assert_int_equal(whole.n, 6);
	assert_event(&whole, 0, SIP_STREAM_KEEPALIVE, 0, 4);
	assert_event(&whole, 1, SIP_STREAM_MESSAGE, 4, l1);
	assert_event(&whole, 2, SIP_STREAM_KEEPALIVE, 4 + l1, 2);
	assert_event(&whole, 3, SIP_STREAM_MESSAGE, 6 + l1, l2);
	assert_event(&whole, 4, SIP_STREAM_KEEPALIVE, 6 + l1 + l2, 6);
	assert_event(&whole, 5, SIP_STREAM_NEED_MORE, in.len, 0);
	assert_identity(&whole, in.p, in.len);
	for (size_t cut = 0; cut <= in.len; cut++) {
		feed_cuts(&t, BIG, in.p, in.len, &cut, 1);
		assert_same_units(&whole, &t);
		assert_identity(&t, in.p, in.len);
		trace_free(&t);
	}
	trace_free(&whole);

	/* A pong alone is handed out at once: the next byte may not come for minutes. */
	assert_int_equal(sip_stream_init(&s, BIG), 0);
	assert_int_equal(sip_stream_next(&s, "\r\n", 2, &u), SIP_STREAM_KEEPALIVE);
	assert_int_equal(u.len, 2);
	/* A ping in two appends: two keep-alives, same bytes. */
	assert_int_equal(sip_stream_next(&s, "\r\n", 2, &u), SIP_STREAM_KEEPALIVE);
	assert_int_equal(sip_stream_next(&s, "\r\nOPT", 5, &u), SIP_STREAM_KEEPALIVE);
	assert_int_equal(u.len, 2);
	assert_int_equal(sip_stream_next(&s, "OPT", 3, &u), SIP_STREAM_NEED_MORE);
	free(in.p);
}

/* A message of 61,440 bytes under a 60 KiB limit, and one byte more. */
static void message_at_the_limit_and_over(void **state)
{
	const size_t limit = 60 * 1024;
	struct trace t;
	struct sip_stream s;
	struct sip_stream_unit u;

	(void)state;
	for (size_t over = 0; over <= 1; over++) {
		struct text in = { 0 };
		char head[512];
		size_t body, n;

		/* the Content-Length value's digits are fixed (5), so the head's length is too */
		n = (size_t)snprintf(head, sizeof(head),
				     "MESSAGE sip:2001@198.51.100.20 SIP/2.0\r\n"
				     "Via: SIP/2.0/TCP 192.168.1.101:5060;branch=z9hG4bKbig\r\n"
				     "Call-ID: big\r\nCSeq: 1 MESSAGE\r\n"
				     "Content-Type: text/plain\r\nContent-Length: %05u\r\n\r\n", 0u);
		body = limit + over - n;
		snprintf(head, sizeof(head),
			 "MESSAGE sip:2001@198.51.100.20 SIP/2.0\r\n"
			 "Via: SIP/2.0/TCP 192.168.1.101:5060;branch=z9hG4bKbig\r\n"
			 "Call-ID: big\r\nCSeq: 1 MESSAGE\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %05zu\r\n\r\n", body);
		puts_(&in, head);
		while (in.len < limit + over)
			put(&in, "0123456789abcdef\r\n", in.len + 18 <= limit + over ? 18 :
							      limit + over - in.len);
		assert_int_equal(in.len, limit + over);
		puts_(&in, "\r\n"); /* and a pong after it */

		feed(&t, limit, in.p, in.len);
		if (!over) {
			assert_int_equal(t.n, 3);
			assert_event(&t, 0, SIP_STREAM_MESSAGE, 0, limit);
			assert_int_equal(t.ev[0].body.len, body);
			assert_event(&t, 1, SIP_STREAM_KEEPALIVE, limit, 2);
		} else {
			/* broken as soon as the header block is in, not after 60 KiB */
			assert_int_equal(t.n, 1);
			assert_event(&t, 0, SIP_STREAM_BROKEN, 0, limit);
			assert_int_equal(t.ev[0].reason, ALG_TOO_LARGE);
			assert_int_equal(sip_stream_init(&s, limit), 0);
			assert_int_equal(sip_stream_next(&s, in.p, n, &u), SIP_STREAM_BROKEN);
			assert_int_equal(u.reason, ALG_TOO_LARGE);
			assert_int_equal(u.len, n);
		}
		assert_identity(&t, in.p, in.len);
		trace_free(&t);

		if (!over) { /* byte by byte: linear, and the size is known once the head is in */
			size_t i;

			assert_int_equal(sip_stream_init(&s, limit), 0);
			for (i = 1; i < limit; i++) {
				assert_int_equal(sip_stream_next(&s, in.p, i, &u), SIP_STREAM_NEED_MORE);
				assert_int_equal(u.want, i < n ? 0 : limit);
			}
			assert_int_equal(sip_stream_next(&s, in.p, i, &u), SIP_STREAM_MESSAGE);
			assert_int_equal(u.len, limit);
		}
		free(in.p);
	}
}

/* A header block that does not end within the limit: pending until max bytes, then broken. */
static void header_block_over_the_limit(void **state)
{
	const size_t limit = 4096;
	struct text in = { 0 };
	struct sip_stream s;
	struct sip_stream_unit u;

	(void)state;
	puts_(&in, "INVITE sip:2001@198.51.100.20 SIP/2.0\r\nSubject: ");
	while (in.len < limit + 100)
		puts_(&in, "x");
	assert_int_equal(sip_stream_init(&s, limit), 0);
	assert_int_equal(sip_stream_next(&s, in.p, limit - 1, &u), SIP_STREAM_NEED_MORE);
	assert_int_equal(sip_stream_next(&s, in.p, limit, &u), SIP_STREAM_BROKEN);
	assert_int_equal(u.reason, ALG_TOO_LARGE);
	assert_int_equal(u.len, limit);
	/* stays broken, whatever comes */
	assert_int_equal(sip_stream_next(&s, in.p, in.len, &u), SIP_STREAM_BROKEN);
	assert_int_equal(u.reason, ALG_TOO_LARGE);
	assert_int_equal(u.len, in.len);
	/* the same bytes shown all at once, more than max: the same verdict */
	assert_int_equal(sip_stream_init(&s, limit), 0);
	assert_int_equal(sip_stream_next(&s, in.p, in.len, &u), SIP_STREAM_BROKEN);
	assert_int_equal(u.reason, ALG_TOO_LARGE);
	/* the empty line just past the limit is not looked for */
	in.len = limit - 2;
	puts_(&in, "\r\n\r\n");
	assert_int_equal(sip_stream_init(&s, limit), 0);
	assert_int_equal(sip_stream_next(&s, in.p, in.len, &u), SIP_STREAM_BROKEN);
	assert_int_equal(u.reason, ALG_TOO_LARGE);
	free(in.p);
}

/* Appending never rescans: the header end search resumes where it stopped (an LF whose next
 * bytes are not in yet is looked at again, nothing before it). */
static void search_resumes_where_it_stopped(void **state)
{
	static const char msg[] = "OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n";
	struct sip_stream s;
	struct sip_stream_unit u;
	size_t n = sizeof(msg) - 1;

	(void)state;
	assert_int_equal(sip_stream_init(&s, BIG), 0);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(sip_stream_next(&s, msg, i, &u), SIP_STREAM_NEED_MORE);
		if (msg[i - 1] == '\n')
			assert_int_equal(s.scanned, i - 1);
		else if (msg[i - 1] == '\r' && i >= 2 && msg[i - 2] == '\n')
			assert_int_equal(s.scanned, i - 2);
		else
			assert_int_equal(s.scanned, i);
	}
	assert_int_equal(sip_stream_next(&s, msg, n, &u), SIP_STREAM_MESSAGE);
	assert_int_equal(u.len, n);
}

static void framed_alike(const char *msg, size_t body_len)
{
	struct sip_stream s;
	struct sip_stream_unit u;
	size_t n = strlen(msg);
	struct text in = { 0 };

	put(&in, msg, n);
	puts_(&in, "OPTIONS sip:next SIP/2.0\r\n"); /* the next message begins */
	assert_int_equal(sip_stream_init(&s, BIG), 0);
	if (sip_stream_next(&s, in.p, in.len, &u) != SIP_STREAM_MESSAGE)
		fail_msg("not framed (kind %d reason %d): %s", u.kind, u.reason, msg);
	assert_int_equal(u.len, n);
	assert_int_equal(u.body.len, body_len);
	assert_int_equal(u.body.off + u.body.len, n);
	assert_int_equal(sip_stream_next(&s, in.p + n, in.len - n, &u), SIP_STREAM_NEED_MORE);
	free(in.p);
}

/* Content-Length 0, the compact form, any case, whitespace around the colon, LF-only lines. */
static void content_length_forms(void **state)
{
	struct trace t;
	struct text in = { 0 };
	size_t len;

	(void)state;
	framed_alike("BYE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n", 0);
	framed_alike("BYE sip:a@b SIP/2.0\r\nl: 0\r\n\r\n", 0);
	framed_alike("BYE sip:a@b SIP/2.0\r\nL:3\r\n\r\nabc", 3);
	framed_alike("BYE sip:a@b SIP/2.0\r\ncontent-LENGTH \t:   3  \r\n\r\nabc", 3);
	framed_alike("BYE sip:a@b SIP/2.0\r\nContent-Length:\r\n 3\r\n\r\nabc", 3); /* folded */
	framed_alike("SIP/2.0 200 OK\nContent-Length: 4\n\n\r\n\r\n", 4); /* LF-only lines */
	framed_alike("SIP/2.0 200 OK\r\nContent-Length: 0004\r\n\r\nbody", 4);
	/* the golden message in compact form, cut everywhere */
	put_fixture(&in, "compact-forms-out", &len);
	for (size_t cut = 0; cut <= len; cut++) {
		feed_cuts(&t, BIG, in.p, len, &cut, 1);
		assert_int_equal(t.n, 2);
		assert_event(&t, 0, SIP_STREAM_MESSAGE, 0, len);
		assert_int_equal(t.ev[0].body.len, 313);
		assert_identity(&t, in.p, len);
		trace_free(&t);
	}
	free(in.p);
}

/* A good message, then a bad one: the first comes out, then BROKEN at the second's start with
 * all of it pending, untouched, every time asked. */
static void breaks_after_a_good_message(const char *bad, enum alg_reason why)
{
	struct text in = { 0 };
	struct trace t;
	size_t l1;

	put_fixture(&in, "bye-out", &l1);
	puts_(&in, bad);
	for (size_t cut = 0; cut <= in.len; cut++) {
		feed_cuts(&t, BIG, in.p, in.len, &cut, 1);
		if (t.n != 2 || t.ev[1].kind != SIP_STREAM_BROKEN || t.ev[1].reason != why)
			fail_msg("cut %zu: %zu units, last kind %d reason %s, expected BROKEN %s: %s",
				 cut, t.n, t.ev[t.n - 1].kind, alg_reason_str(t.ev[t.n - 1].reason),
				 alg_reason_str(why), bad);
		assert_event(&t, 0, SIP_STREAM_MESSAGE, 0, l1);
		assert_int_equal(t.ev[1].off, l1);
		assert_identity(&t, in.p, in.len);
		trace_free(&t);
	}
	free(in.p);
}

static void bad_content_length_breaks(void **state)
{
	/* malformed, or past what any body length can hold */
	static const char *values[] = { "abc", "-1", "+1", "1 2", "0x10", "1.0", "", "12345678901",
					"4294967296", "9999999999" };
	char msg[256];

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		snprintf(msg, sizeof(msg), "BYE sip:a@b SIP/2.0\r\nContent-Length: %s\r\n\r\n",
			 values[i]);
		breaks_after_a_good_message(msg, ALG_BAD_CONTENT_LENGTH);
	}
	breaks_after_a_good_message("BYE sip:a@b SIP/2.0\r\nl: 1\r\nContent-Length: 1\r\n\r\nx",
				    ALG_BAD_CONTENT_LENGTH); /* two of them */
	/* well formed, over the limit: broken as soon as the header block is in */
	breaks_after_a_good_message("BYE sip:a@b SIP/2.0\r\nl: 65510\r\n\r\n", ALG_TOO_LARGE);
	breaks_after_a_good_message("BYE sip:a@b SIP/2.0\r\nl: 4294967000\r\n\r\n", ALG_TOO_LARGE);
}

static void missing_content_length_breaks(void **state)
{
	(void)state;
	breaks_after_a_good_message("BYE sip:a@b SIP/2.0\r\nCSeq: 2 BYE\r\n\r\n",
				    ALG_BAD_CONTENT_LENGTH);
	breaks_after_a_good_message("SIP/2.0 200 OK\r\n\r\n", ALG_BAD_CONTENT_LENGTH);
}

/* Bytes that cannot be SIP break the stream as soon as that is certain: a TLS record or a NUL
 * at the first byte, an HTTP request at its first line end. */
static void garbage_breaks_early(void **state)
{
	static const struct {
		const char *in;
		size_t len, breaks_at; /* the fewest bytes that break */
		enum alg_reason why;
	} cases[] = {
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 1, ALG_BAD_START_LINE },
		{ "\0INVITE", 7, 1, ALG_BAD_START_LINE },
		{ " INVITE sip:a@b SIP/2.0\r\n", 25, 1, ALG_BAD_START_LINE },
		{ "INVITE\tsip:a@b SIP/2.0\r\n", 24, 7, ALG_BAD_START_LINE },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, 16, ALG_BAD_START_LINE },
		{ "HTTP/1.1 200 OK\r\n", 17, 5, ALG_BAD_START_LINE },
		{ "SIP/2.0 99 Bad\r\n", 16, 16, ALG_BAD_START_LINE },
		{ "SIP/2.1 200 OK\r\n", 16, 7, ALG_BAD_START_LINE },
		{ "INVITE sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", 41, 41, ALG_BAD_HEADER },
		{ "INVITE sip:a@b SIP/2.0\r\n: empty name\r\n\r\n", 40, 40, ALG_BAD_HEADER },
	};
	struct sip_stream s;
	struct sip_stream_unit u;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		assert_int_equal(sip_stream_init(&s, BIG), 0);
		for (size_t i = 1; i <= cases[c].len; i++) {
			enum sip_stream_kind k = sip_stream_next(&s, cases[c].in, i, &u);
			enum sip_stream_kind want = i < cases[c].breaks_at ? SIP_STREAM_NEED_MORE :
									     SIP_STREAM_BROKEN;

			if (k != want || (k == SIP_STREAM_BROKEN && u.reason != cases[c].why))
				fail_msg("case %zu after %zu bytes: kind %d reason %s", c, i, k,
					 alg_reason_str(u.reason));
			assert_int_equal(u.len, i);
		}
	}
	breaks_after_a_good_message("\x16\x03\x01", ALG_BAD_START_LINE);
	breaks_after_a_good_message("GET / HTTP/1.1\r\n", ALG_BAD_START_LINE);
}

static void too_many_headers_breaks(void **state)
{
	(void)state;
	for (size_t extra = 0; extra <= 1; extra++) {
		struct text in = { 0 };

		puts_(&in, "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n");
		for (size_t i = 1; i < SIP_MAX_HEADERS + extra; i++)
			puts_(&in, "X-Filler: y\r\n");
		puts_(&in, "\r\n");
		if (extra) {
			breaks_after_a_good_message(in.p, ALG_TOO_MANY_HEADERS);
		} else {
			framed_alike(in.p, 0);
		}
		free(in.p);
	}
}

/* What a stream that is not SIP carries, from its first bytes: counted, never changed. */
static void foreign_streams_told_apart(void **state)
{
	(void)state;
	static const char client_hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	static const char ws[] = "GET /ws HTTP/1.1\r\nHost: sip.example.com\r\nUpgrade: websocket\r\n\r\n";
	static const char sip[] = "OPTIONS sip:a@example.com SIP/2.0\r\n";
	static const char http_in_uri[] = "OPTIONS sip:HTTP/1.1@example.com SIP/2.0\r\n";

	assert_int_equal(sip_stream_foreign(client_hello, sizeof(client_hello)), SIP_STREAM_TLS);
	assert_int_equal(sip_stream_foreign(client_hello, 1), SIP_STREAM_OTHER); /* one byte says nothing */
	assert_int_equal(sip_stream_foreign(ws, strlen(ws)), SIP_STREAM_HTTP);
	assert_int_equal(sip_stream_foreign(ws, 10), SIP_STREAM_OTHER); /* no line end yet */
	assert_int_equal(sip_stream_foreign(sip, strlen(sip)), SIP_STREAM_OTHER);
	assert_int_equal(sip_stream_foreign(http_in_uri, strlen(http_in_uri)), SIP_STREAM_OTHER);
	assert_int_equal(sip_stream_foreign("HELLO\r\n", 7), SIP_STREAM_OTHER);
	assert_int_equal(sip_stream_foreign("", 0), SIP_STREAM_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(init_checks_max_and_state_is_small),
		cmocka_unit_test(invite_split_at_every_offset),
		cmocka_unit_test(boundary_classes_in_a_sequence),
		cmocka_unit_test(three_messages_in_one_append),
		cmocka_unit_test(keepalives_pass_byte_identical),
		cmocka_unit_test(message_at_the_limit_and_over),
		cmocka_unit_test(header_block_over_the_limit),
		cmocka_unit_test(search_resumes_where_it_stopped),
		cmocka_unit_test(content_length_forms),
		cmocka_unit_test(bad_content_length_breaks),
		cmocka_unit_test(missing_content_length_breaks),
		cmocka_unit_test(garbage_breaks_early),
		cmocka_unit_test(too_many_headers_breaks),
		cmocka_unit_test(foreign_streams_told_apart),
	};
	return cmocka_run_group_tests_name("sip_stream", tests, NULL, NULL);
}
