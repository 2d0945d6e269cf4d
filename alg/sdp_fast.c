/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sdp_fast.c: the fast path's check of an SDP body (see sip_fast.h).
 *
 * libosip2's sdp_message_parse reads lines in a fixed order (v o s i u e* p* c b* t (r* t)*
 * z k a* then m i c* b* k a* per stream), each field up to its separator, a line end or a
 * NUL; a line out of that order ends the parse with an error. Accepted here: that order
 * without u e p r z k, fields that are never empty, no empty line. Lines hold no NUL and no
 * CR (sdp_scan refused those already; fuzz_fastpath asks the same). */
#include "sip_fast.h"

#include <string.h>

#include "word.h"

/* Line ranks, in the order libosip2 reads them; REPEAT: may come more than once. */
enum { R_V = 1, R_O, R_S, R_I, R_C, R_B, R_T, R_A, R_M };
#define REPEAT (1u << R_B | 1u << R_T | 1u << R_A)
#define MEDIA_REPEAT (1u << R_C | 1u << R_B | 1u << R_A)

static int rank(char type)
{
	switch (type) {
	case 'v': return R_V;
	case 'o': return R_O;
	case 's': return R_S;
	case 'i': return R_I;
	case 'c': return R_C;
	case 'b': return R_B;
	case 't': return R_T;
	case 'a': return R_A;
	case 'm': return R_M;
	default: return 0;
	}
}

/* Marks (bit 7) of the bytes of w that are zero, exactly: no borrow crosses bytes. */
static inline uint64_t zero_bytes(uint64_t w)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;

	return ~(((w & low7) + low7) | w | low7);
}

/* Marks of the bytes of w outside 0x21..0x7e (spaces included). */
static inline uint64_t not_graphic(uint64_t w)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full, lo = w & low7;

	return (~(lo + 0x5f5f5f5f5f5f5f5full) | (lo + 0x0101010101010101ull) | w) & ~low7;
}

/* Eight bytes at a time: the o=, c=, m= and t= lines of every SDP body go through here. */
unsigned sdp_fields(const char *buf, uint32_t p, uint32_t end, struct alg_span *f, unsigned max)
{
	unsigned n = 1;
	uint64_t before = 0; /* the mark of the last byte of the word before, when a space */

	if (p == end || buf[p] == ' ' || buf[end - 1] == ' ')
		return 0;
	if (max)
		f[0].off = p;
	for (uint32_t i = p; i < end; i += 8) {
		uint32_t k = end - i < 8 ? end - i : 8;
		uint64_t w = 0, valid = k == 8 ? ~0ull : (1ull << (8 * k)) - 1, sp;

		if (k == 8)
			w = le64_load(buf + i);
		else if (end - p >= 8) /* the last k bytes, from a word ending at end */
			w = le64_load(buf + end - 8) >> (8 * (8 - k));
		else
			for (uint32_t j = 0; j < k; j++)
				w |= (uint64_t)(uint8_t)buf[i + j] << (8 * j);
		sp = zero_bytes(w ^ 0x2020202020202020ull) & valid;
		if ((not_graphic(w) & ~sp & valid) || (sp & (sp << 8 | before)))
			return 0; /* a byte that is not printable ASCII, or two spaces */
		before = sp >> 56;
		for (; sp; sp &= sp - 1) {
			uint32_t at = i + first_marked(sp);

			if (n <= max)
				f[n - 1].len = at - f[n - 1].off;
			if (n < max)
				f[n].off = at + 1;
			n++;
		}
	}
	if (n <= max)
		f[n - 1].len = end - f[n - 1].off;
	return n;
}

/* The value of a line of this rank has the shape libosip2 parses; fields: its sdp_fields. */
static int value_ok(int r, const char *s, uint32_t n, unsigned fields)
{
	uint32_t i;

	switch (r) {
	case R_O:
		return fields == 6;
	case R_C: /* unicast only: libosip2 splits a multicast address's /ttl/count */
		return fields == 3 && !memchr(s, '/', n);
	case R_T:
		return fields == 2;
	case R_M: /* media port proto fmt...; no "/count" after the port */
		if (fields < 3)
			return 0;
		for (i = (uint32_t)((const char *)memchr(s, ' ', n) - s) + 1; s[i] != ' '; i++)
			if (s[i] == '/')
				return 0;
		return 1;
	case R_B: /* bwtype ":" bandwidth */
	case R_A: { /* field [":" value]: neither empty */
		const char *colon = memchr(s, ':', n);

		i = colon ? (uint32_t)(colon - s) : n;
		return i > 0 && (i == n ? r == R_A : i + 1 < n);
	}
	default: /* v s i: any text, not empty */
		return n > 0;
	}
}

void sdp_fast_line(struct sdp_fast *st, const char *buf, uint32_t p, uint32_t e, unsigned fields)
{
	int r;

	if (!st->ok)
		return;
	r = e - p < 2 || buf[p + 1] != '=' ? 0 : rank(buf[p]);
	if (!r || !value_ok(r, buf + p + 2, e - p - 2, fields)) {
		st->ok = 0; /* not "x=", or not a line of this shape */
		return;
	}
	if (r == R_M) {
		if (!st->seen_t)
			st->ok = 0;
		st->media = 1;
	} else if (st->media) {
		/* within a stream: i once right after m=, then c* b* a* */
		if (r == R_I ? st->last != R_M : (r != R_C && r != R_B && r != R_A) ||
		    (r < st->last && st->last != R_M) || (r == st->last && !(MEDIA_REPEAT & (1u << r))))
			st->ok = 0;
	} else {
		/* v o s first, then i? c? b* t+ a* */
		if ((st->last < R_S && r != st->last + 1) || r < st->last ||
		    (r == st->last && !(REPEAT & (1u << r))))
			st->ok = 0;
		st->seen_t |= r == R_T;
	}
	if (r == R_A && !st->media && !st->seen_t)
		st->ok = 0;
	st->last = r;
}

int fast_sdp(const char *buf, struct alg_span body)
{
	uint32_t p = body.off, end = body.off + body.len;
	struct sdp_fast st = { 1, 0, 0, 0 };

	while (p < end && st.ok) {
		const char *nl = memchr(buf + p, '\n', end - p);
		uint32_t e = nl ? (uint32_t)(nl - buf) : end, next = nl ? e + 1 : end;
		char t;

		if (e > p && buf[e - 1] == '\r') {
			if (!nl)
				return 0; /* a bare CR at the end */
			e--;
		}
		t = e - p >= 2 ? buf[p] : 0;
		sdp_fast_line(&st, buf, p, e,
			      t == 'o' || t == 'c' || t == 't' || t == 'm' ? sdp_fields(buf, p + 2, e, NULL, 0) : 0);
		p = next;
	}
	return st.ok && st.seen_t;
}
