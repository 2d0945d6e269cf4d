/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_msg.h: finds the start line, header fields and body of one SIP message in place.
 * It only records byte ranges; header values are interpreted later, with libosip2. */
#ifndef SIPALG_SIP_MSG_H
#define SIPALG_SIP_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alg.h" /* struct alg_span: the scanner's ranges are the ones actions carry */

#define SIP_MAX_HEADERS 128

enum sip_hdr {
	HDR_OTHER,
	HDR_VIA,
	HDR_CONTACT,
	HDR_RECORD_ROUTE,
	HDR_ROUTE,
	HDR_CALL_ID,
	HDR_CSEQ,
	HDR_CONTENT_LENGTH,
	HDR_CONTENT_TYPE,
	HDR_EXPIRES,
	HDR_FROM,
	HDR_TO,
	HDR_REFER_TO,
	HDR_REFERRED_BY,
	HDR_COUNT
};

struct sip_header {
	enum sip_hdr id;
	struct alg_span name;
	struct alg_span value; /* without surrounding whitespace; may hold folded lines */
};

struct sip_msg {
	int is_request;
	struct alg_span method; /* requests */
	struct alg_span ruri;   /* requests */
	unsigned status;    /* responses */
	uint32_t body_off;  /* first byte after the empty line */
	uint32_t body_len;  /* what Content-Length declares, or the rest of the datagram */
	int has_content_length;
	uint8_t first[HDR_COUNT]; /* 1 + the index of the first header of each id; 0: none */
	size_t n_headers;
	struct sip_header headers[SIP_MAX_HEADERS];
};

enum sip_scan_error {
	SCAN_OK,
	SCAN_KEEPALIVE,      /* only CR/LF: a NAT keep-alive */
	SCAN_BAD_START_LINE,
	SCAN_BAD_HEADER,
	SCAN_NO_HEADER_END,
	SCAN_TOO_MANY_HEADERS,
	SCAN_BAD_CONTENT_LENGTH,
};

enum sip_scan_error sip_msg_scan(const char *buf, size_t len, struct sip_msg *m);

/* For a stream (sip_stream.h). buf[0, len) holds a header block up to and including its empty
 * line, and perhaps part of the body: as sip_msg_scan, but body_len is what Content-Length
 * declares however much of the body is there (has_content_length 0: none was given). */
enum sip_scan_error sip_msg_scan_head(const char *buf, size_t len, struct sip_msg *m);

/* 0 when no start line sip_msg_scan accepts begins with buf[0, len) (no line end among them
 * yet); looks at the first 8 bytes at most, so it is cheap to ask on every append. */
int sip_start_line_may_begin(const char *buf, size_t len);

/* The first header with this id, or NULL. */
const struct sip_header *sip_msg_find(const struct sip_msg *m, enum sip_hdr id);

/* Steps over the character at *i of a header value (past a backslash escape inside a quoted
 * string) and returns it when it stands outside quotes, else 0. Inline: the scanners call it
 * on every byte of every address header. */
static inline char sip_unquoted_char(const char *s, uint32_t len, uint32_t *i, int *quoted)
{
	char c = s[*i];

	if (*quoted) {
		if (c == '\\' && *i + 1 < len)
			(*i)++;
		else if (c == '"')
			*quoted = 0;
		return 0;
	}
	if (c == '"') {
		*quoted = 1;
		return 0;
	}
	return c;
}

/* Quotes and angle brackets of a name-addr value are balanced. */
int sip_value_balanced(const char *buf, struct alg_span value);

/* Splits a header value at commas that are outside quotes and angle brackets: call with
 * *pos = 0 first; returns 0 and the next element (trimmed) while there is one. */
int sip_value_next(const char *buf, struct alg_span value, uint32_t *pos, struct alg_span *elem);

/* The span's bytes are the n bytes at z, ASCII case ignored. Inline, without libc's call:
 * the words compared (methods, schemes, SDP keywords) are short. */
static inline int span_eq(const char *buf, struct alg_span s, const char *z, size_t n)
{
	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char a = buf[s.off + i], b = z[i];

		if (a != b && ((a | 0x20) != (b | 0x20) || (unsigned)((a | 0x20) - 'a') > 25))
			return 0;
	}
	return 1;
}

/* The same for a C string; NULL (a part libosip2 did not find) equals no span. */
static inline int span_is(const char *buf, struct alg_span s, const char *z)
{
	return z && span_eq(buf, s, z, strlen(z));
}

static inline int is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

#endif
