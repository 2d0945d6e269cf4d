/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_stream: the stream framer (alg/sip_stream.c), differentially. The same bytes go through
 * it twice: shown all at once (the daemon framing straight from a big read), and appended in
 * pieces whose lengths come from the input, through a buffer of exactly max bytes whose unused
 * tail is poisoned (the daemon keeping a partial message). Both must give the same messages at
 * the same offsets and end the same way (needing more at the same offset, or broken there for
 * the same reason); keep-alives may be grouped differently (they are handed out as soon as
 * seen) but cover the same bytes. Units are laid end to end over the input, each no longer than
 * max; a message scans alone as exactly itself; a keep-alive is CR/LF only; with max bytes
 * pending the framer never asks for more.
 *
 * Input: byte 0 picks max (0: 64 KiB, else 32 * byte), bytes 1-4 seed the piece lengths, the
 * rest is the stream. */
#include <sanitizer/asan_interface.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"
#include "sip_stream.h"

#define MAX_UNITS 4096

struct unit {
	uint8_t kind;
	uint8_t reason;
	uint32_t off, len;
	struct alg_span body;
};

struct run {
	struct unit u[MAX_UNITS];
	size_t n;
	int overflow;
};

static struct run whole, pieces;

/* A broken promise: say which, then abort (libFuzzer saves the input). */
#define check(ok)                                                                          \
	do {                                                                               \
		if (!(ok)) {                                                               \
			fprintf(stderr, "fuzz_stream.c:%d: broken: %s\n", __LINE__, #ok);  \
			abort();                                                           \
		}                                                                          \
	} while (0)

/* The promises about one unit at stream offset off, whose bytes are p[0, u->len). */
static void check_unit(const struct sip_stream_unit *u, const char *p, size_t max)
{
	check(u->len > 0 && u->len <= max);
	if (u->kind == SIP_STREAM_KEEPALIVE) {
		for (size_t i = 0; i < u->len; i++)
			check(p[i] == '\r' || p[i] == '\n');
	} else {
		struct sip_msg *m = malloc(sizeof(*m));

		check(u->kind == SIP_STREAM_MESSAGE);
		check(sip_msg_scan(p, u->len, m) == SCAN_OK && m->has_content_length);
		check(m->body_off == u->body.off && m->body_len == u->body.len);
		check((size_t)u->body.off + u->body.len == u->len);
		free(m);
	}
	check(u->reason == ALG_OK);
}

static void add(struct run *r, enum sip_stream_kind kind, size_t off, const struct sip_stream_unit *u)
{
	struct unit *last = r->n ? &r->u[r->n - 1] : NULL;

	/* units lie end to end */
	check(!last || last->kind == SIP_STREAM_BROKEN || last->off + last->len == off);
	if (kind == SIP_STREAM_KEEPALIVE && last && last->kind == SIP_STREAM_KEEPALIVE) {
		last->len += (uint32_t)u->len; /* keep-alives merged */
		return;
	}
	if (r->n == MAX_UNITS) {
		r->overflow = 1;
		return;
	}
	r->u[r->n++] = (struct unit){ (uint8_t)kind, (uint8_t)u->reason, (uint32_t)off,
				      kind == SIP_STREAM_BROKEN ? 0 : (uint32_t)u->len, u->body };
}

/* All at once: the input itself, so that a read past its end is caught. */
static void frame_whole(const char *in, size_t len, size_t max)
{
	struct sip_stream s;
	struct sip_stream_unit u;
	size_t off = 0;

	whole.n = 0;
	whole.overflow = 0;
	check(sip_stream_init(&s, max) == 0);
	for (;;) {
		enum sip_stream_kind k = sip_stream_next(&s, in + off, len - off, &u);

		check(k == u.kind);
		if (k == SIP_STREAM_NEED_MORE) {
			check(u.len == len - off && u.len < max && u.reason == ALG_OK);
			check(u.want == 0 || (u.want > u.len && u.want <= max));
			add(&whole, k, off, &u);
			return;
		}
		if (k == SIP_STREAM_BROKEN) {
			/* a header end the framer found is one the scanner finds too */
			check(u.len == len - off && u.reason != ALG_OK && u.reason != ALG_NO_HEADER_END);
			add(&whole, k, off, &u);
			/* it stays broken */
			check(sip_stream_next(&s, in + off, len - off, &u) == SIP_STREAM_BROKEN);
			return;
		}
		check_unit(&u, in + off, max);
		add(&whole, k, off, &u);
		off += u.len;
	}
}

static uint32_t next_rand(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* A piece length: mostly short (boundaries everywhere), sometimes long. */
static size_t piece_len(uint32_t *seed)
{
	uint32_t r = next_rand(seed);

	switch (r & 3) {
	case 0:
		return 1;
	case 1:
		return 1 + (r >> 8) % 8;
	case 2:
		return 1 + (r >> 8) % 200;
	default:
		return 1 + (r >> 8) % 5000;
	}
}

/* In pieces, through a buffer of max bytes; [pending, max) poisoned. */
static void frame_pieces(const char *in, size_t len, size_t max, uint32_t seed)
{
	struct sip_stream s;
	struct sip_stream_unit u;
	char *buf = malloc(max);
	size_t pos = 0, pending = 0, base = 0;

	pieces.n = 0;
	pieces.overflow = 0;
	seed |= 1; /* xorshift needs a nonzero state */
	check(sip_stream_init(&s, max) == 0);
	ASAN_POISON_MEMORY_REGION(buf, max);
	for (;;) {
		size_t take = piece_len(&seed);

		if (take > len - pos)
			take = len - pos;
		if (take > max - pending)
			take = max - pending;
		check(take > 0 || pos == len); /* a full buffer always gave a unit or BROKEN */
		ASAN_UNPOISON_MEMORY_REGION(buf + pending, take);
		memcpy(buf + pending, in + pos, take);
		pending += take;
		pos += take;
		for (;;) {
			enum sip_stream_kind k = sip_stream_next(&s, buf, pending, &u);

			check(k == u.kind);
			if (k == SIP_STREAM_NEED_MORE) {
				check(u.len == pending && pending < max);
				break;
			}
			if (k == SIP_STREAM_BROKEN) {
				/* everything pending handed back, as it came */
				check(u.len == pending && memcmp(buf, in + base, pending) == 0);
				add(&pieces, k, base, &u);
				goto out;
			}
			check_unit(&u, buf, max);
			check(memcmp(buf, in + base, u.len) == 0);
			add(&pieces, k, base, &u);
			memmove(buf, buf + u.len, pending - u.len);
			pending -= u.len;
			base += u.len;
			ASAN_POISON_MEMORY_REGION(buf + pending, max - pending);
		}
		if (pos == len) {
			check(memcmp(buf, in + base, pending) == 0);
			u = (struct sip_stream_unit){ .kind = SIP_STREAM_NEED_MORE, .len = pending };
			add(&pieces, SIP_STREAM_NEED_MORE, base, &u);
			break;
		}
	}
out:
	ASAN_UNPOISON_MEMORY_REGION(buf, max);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max;
	uint32_t seed;
	const char *in;

	if (size < 5)
		return 0;
	max = data[0] ? (size_t)data[0] * 32 : SIP_STREAM_MAX;
	seed = (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 |
	       (uint32_t)data[4] << 24;
	in = (const char *)data + 5;
	size -= 5;

	frame_whole(in, size, max);
	frame_pieces(in, size, max, seed);
	if (whole.overflow || pieces.overflow)
		return 0; /* too many units to compare */
	/* the same units, at the same offsets, and the same end */
	check(whole.n == pieces.n);
	for (size_t i = 0; i < whole.n; i++) {
		const struct unit *a = &whole.u[i], *b = &pieces.u[i];

		check(a->kind == b->kind && a->off == b->off && a->reason == b->reason);
		check(a->len == b->len && a->body.off == b->body.off && a->body.len == b->body.len);
	}
	return 0;
}
