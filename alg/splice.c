/* SPDX-License-Identifier: GPL-2.0-or-later */
/* splice.c: apply byte-range edits in one pass over the original message. */
#include "splice.h"

#include <string.h>

int splice_add(struct splice *s, uint32_t off, uint32_t len, const char *text, size_t text_len)
{
	struct splice_edit *e;

	if (s->n == SPLICE_MAX || text_len > SPLICE_TEXT_MAX)
		return -1;
	e = &s->e[s->n++];
	e->off = off;
	e->len = len;
	e->text_len = (uint8_t)text_len;
	memcpy(e->text, text, text_len);
	return 0;
}

long splice_delta(const struct splice *s, uint32_t from, uint32_t to)
{
	long d = 0;

	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].off >= from && s->e[i].off < to)
			d += (long)s->e[i].text_len - (long)s->e[i].len;
	return d;
}

static void sort_edits(struct splice *s)
{
	/* Insertion sort: a message needs a handful of edits, already nearly in order. */
	for (size_t i = 1; i < s->n; i++) {
		struct splice_edit tmp;
		size_t j = i;

		if (s->e[i - 1].off <= s->e[i].off)
			continue; /* in place already: no copy */
		tmp = s->e[i];

		while (j > 0 && s->e[j - 1].off > tmp.off) {
			s->e[j] = s->e[j - 1];
			j--;
		}
		s->e[j] = tmp;
	}
}

int splice_apply(struct splice *s, const char *in, size_t in_len, char *out, size_t out_cap,
		 size_t *out_len)
{
	size_t r = 0, w = 0;

	sort_edits(s);
	for (size_t i = 0; i < s->n; i++) {
		const struct splice_edit *e = &s->e[i];
		size_t keep;

		if (e->off < r || (size_t)e->off + e->len > in_len)
			return -1;
		keep = e->off - r;
		if (w + keep + e->text_len > out_cap)
			return -1;
		memcpy(out + w, in + r, keep);
		w += keep;
		memcpy(out + w, e->text, e->text_len);
		w += e->text_len;
		r = (size_t)e->off + e->len;
	}
	if (w + (in_len - r) > out_cap)
		return -1;
	memcpy(out + w, in + r, in_len - r);
	*out_len = w + (in_len - r);
	return 0;
}
