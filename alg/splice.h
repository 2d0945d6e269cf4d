/* SPDX-License-Identifier: GPL-2.0-or-later */
/* splice.h: byte-range replacements applied to the original message, so every byte the ALG
 * does not own is copied unchanged. */
#ifndef SIPALG_SPLICE_H
#define SIPALG_SPLICE_H

#include <stddef.h>
#include <stdint.h>

#define SPLICE_MAX 64
#define SPLICE_TEXT_MAX 24 /* "255.255.255.255:65535" and a Content-Length value fit */

struct splice_edit {
	uint32_t off;
	uint32_t len;
	uint8_t text_len;
	char text[SPLICE_TEXT_MAX];
};

struct splice {
	size_t n;
	struct splice_edit e[SPLICE_MAX];
};

/* Replaces [off, off+len) with text; 0 on success, -1 when the list is full. */
int splice_add(struct splice *s, uint32_t off, uint32_t len, const char *text, size_t text_len);

/* Net change in length of the edits that fall inside [from, to). */
long splice_delta(const struct splice *s, uint32_t from, uint32_t to);

/* Writes in with the edits applied. Edits must not overlap. 0 on success, -1 if they
 * overlap or out_cap is too small. Sorts the edit list. */
int splice_apply(struct splice *s, const char *in, size_t in_len, char *out, size_t out_cap,
		 size_t *out_len);

#endif
