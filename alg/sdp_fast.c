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

/* Fields separated by single spaces, none empty, printable ASCII: their number, or 0. */
static unsigned spaced_fields(const char *s, uint32_t n)
{
	unsigned f = 1;

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ')
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] == ' ') {
			if (s[i + 1] == ' ')
				return 0;
			f++;
		} else if (s[i] < 0x21 || s[i] > 0x7e) {
			return 0;
		}
	}
	return f;
}

/* The value of a line of this rank has the shape libosip2 parses. */
static int value_ok(int r, const char *s, uint32_t n)
{
	uint32_t i;

	switch (r) {
	case R_O:
		return spaced_fields(s, n) == 6;
	case R_C: /* unicast only: libosip2 splits a multicast address's /ttl/count */
		return spaced_fields(s, n) == 3 && !memchr(s, '/', n);
	case R_T:
		return spaced_fields(s, n) == 2;
	case R_M: /* media port proto fmt...; no "/count" after the port */
		if (spaced_fields(s, n) < 3)
			return 0;
		for (i = (uint32_t)((const char *)memchr(s, ' ', n) - s) + 1; s[i] != ' '; i++)
			if (s[i] == '/')
				return 0;
		return 1;
	case R_B: /* bwtype ":" bandwidth */
	case R_A: /* field [":" value]: neither empty */
		for (i = 0; i < n && s[i] != ':'; i++)
			;
		return i > 0 && (i == n ? r == R_A : i + 1 < n);
	default: /* v s i: any text, not empty */
		return n > 0;
	}
}

int fast_sdp(const char *buf, struct alg_span body)
{
	uint32_t p = body.off, end = body.off + body.len;
	int last = 0, media = 0, seen_t = 0;

	while (p < end) {
		const char *nl = memchr(buf + p, '\n', end - p);
		uint32_t e = nl ? (uint32_t)(nl - buf) : end, next = nl ? e + 1 : end;
		int r;

		if (e > p && buf[e - 1] == '\r') {
			if (!nl)
				return 0; /* a bare CR at the end */
			e--;
		}
		if (e - p < 2 || buf[p + 1] != '=')
			return 0; /* an empty line, or not "x=" */
		r = rank(buf[p]);
		if (!r || !value_ok(r, buf + p + 2, e - p - 2))
			return 0;
		if (r == R_M) {
			if (!seen_t)
				return 0;
			media = 1;
		} else if (media) {
			/* within a stream: i once right after m=, then c* b* a* */
			if (r == R_I ? last != R_M : (r != R_C && r != R_B && r != R_A) ||
			    (r < last && last != R_M) || (r == last && !(MEDIA_REPEAT & (1u << r))))
				return 0;
		} else {
			/* v o s first, then i? c? b* t+ a* */
			if ((last < R_S && r != last + 1) || r < last || (r == last && !(REPEAT & (1u << r))))
				return 0;
			seen_t |= r == R_T;
		}
		if (r == R_A && !media && !seen_t)
			return 0;
		last = r;
		p = next;
	}
	return seen_t;
}
