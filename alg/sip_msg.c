/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_msg.c: the in-place SIP message scanner (RFC 3261 section 7 framing). */
#include "sip_msg.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "word.h"

/* Words of a name, every byte | 0x20 (z's are lower case already): in any byte order. */
static inline uint64_t word64(const char *s, uint64_t fold)
{
	uint64_t w;

	memcpy(&w, s, 8);
	return w | fold;
}

static inline uint32_t word32(const char *s, uint32_t fold)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w | fold;
}

/* The n bytes of a header name (token characters) equal the lower-case z, ASCII case
 * ignored: among token characters only letters change under | 0x20. Compared as two
 * overlapping words, not byte by byte: every header of every message is asked. */
static inline int name_is(const char *name, size_t n, const char *z, size_t zn)
{
	if (n != zn)
		return 0;
	if (n >= 8)
		return word64(name, 0x2020202020202020ull) == word64(z, 0) &&
		       word64(name + n - 8, 0x2020202020202020ull) == word64(z + n - 8, 0);
	if (n >= 4)
		return word32(name, 0x20202020u) == word32(z, 0) &&
		       word32(name + n - 4, 0x20202020u) == word32(z + n - 4, 0);
	for (size_t i = 0; i < n; i++)
		if ((char)(name[i] | 0x20) != z[i])
			return 0;
	return 1;
}

#define NAME(z) z, sizeof(z) - 1

/* Long and compact names (RFC 3261 7.3.3) of the headers the ALG reads. Every message has a
 * dozen headers or more, most of them unread: one switch on the length rules them out. */
static enum sip_hdr header_id(const char *name, size_t n)
{
	switch (n) {
	case 1:
		switch (name[0] | 0x20) {
		case 'v': return HDR_VIA;
		case 'm': return HDR_CONTACT;
		case 'i': return HDR_CALL_ID;
		case 'l': return HDR_CONTENT_LENGTH;
		case 'c': return HDR_CONTENT_TYPE;
		case 'f': return HDR_FROM;
		case 't': return HDR_TO;
		case 'r': return HDR_REFER_TO;    /* RFC 3515 */
		case 'b': return HDR_REFERRED_BY; /* RFC 3892 */
		}
		break;
	case 2:
		return name_is(name, n, NAME("to")) ? HDR_TO : HDR_OTHER;
	case 3:
		return name_is(name, n, NAME("via")) ? HDR_VIA : HDR_OTHER;
	case 4:
		return name_is(name, n, NAME("cseq")) ? HDR_CSEQ : name_is(name, n, NAME("from")) ? HDR_FROM : HDR_OTHER;
	case 5:
		return name_is(name, n, NAME("route")) ? HDR_ROUTE : HDR_OTHER;
	case 7:
		return name_is(name, n, NAME("contact")) ? HDR_CONTACT :
		       name_is(name, n, NAME("call-id")) ? HDR_CALL_ID :
		       name_is(name, n, NAME("expires")) ? HDR_EXPIRES : HDR_OTHER;
	case 8:
		return name_is(name, n, NAME("refer-to")) ? HDR_REFER_TO : HDR_OTHER;
	case 11:
		return name_is(name, n, NAME("referred-by")) ? HDR_REFERRED_BY : HDR_OTHER;
	case 12:
		return name_is(name, n, NAME("record-route")) ? HDR_RECORD_ROUTE :
		       name_is(name, n, NAME("content-type")) ? HDR_CONTENT_TYPE : HDR_OTHER;
	case 14:
		return name_is(name, n, NAME("content-length")) ? HDR_CONTENT_LENGTH : HDR_OTHER;
	}
	return HDR_OTHER;
}

/* RFC 3261 token characters: alphanumerics and -.!%*_+`'~ */
static const uint8_t token_chars[256] = {
	['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1, ['-'] = 1, ['.'] = 1, ['!'] = 1,
	['%'] = 1, ['*'] = 1, ['_'] = 1, ['+'] = 1, ['`'] = 1, ['\''] = 1, ['~'] = 1,
};

static inline int is_token_char(char c)
{
	return token_chars[(uint8_t)c];
}

/* End of the token at p, at most e: four bytes a step while they all are token characters
 * (a branch per byte costs more than the look-ups), then one at a time. */
static inline size_t token_end(const char *buf, size_t p, size_t e)
{
	const uint8_t *b = (const uint8_t *)buf;

	while (p + 4 <= e && (token_chars[b[p]] & token_chars[b[p + 1]] & token_chars[b[p + 2]] & token_chars[b[p + 3]]))
		p += 4;
	while (p < e && is_token_char(buf[p]))
		p++;
	return p;
}

/* End of the line starting at p (the offset of its CR or LF), or len if none. */
static size_t line_end(const char *buf, size_t len, size_t p)
{
	const char *nl = memchr(buf + p, '\n', len - p);
	size_t e;

	if (!nl)
		return len;
	e = (size_t)(nl - buf);
	if (e > p && buf[e - 1] == '\r')
		e--;
	return e;
}

/* Offset just past the line terminator at e. */
static size_t next_line(const char *buf, size_t len, size_t e)
{
	if (e < len && buf[e] == '\r')
		e++;
	if (e < len && buf[e] == '\n')
		e++;
	return e;
}

static int parse_start_line(const char *buf, size_t end, struct sip_msg *m)
{
	size_t p = 0, q;

	if (end >= 8 && strncasecmp(buf, "SIP/2.0 ", 8) == 0) {
		unsigned code = 0;

		p = 8;
		for (q = 0; q < 3; q++) {
			if (p + q >= end || buf[p + q] < '0' || buf[p + q] > '9')
				return -1;
			code = code * 10 + (unsigned)(buf[p + q] - '0');
		}
		if (code < 100 || (p + 3 < end && buf[p + 3] != ' '))
			return -1;
		m->is_request = 0;
		m->status = code;
		return 0;
	}
	while (p < end && is_token_char(buf[p]))
		p++;
	if (p == 0 || p >= end || buf[p] != ' ')
		return -1;
	m->is_request = 1;
	m->method = (struct alg_span){ 0, (uint32_t)p };
	p++; /* exactly one SP between the elements (RFC 3261 7.1) */
	q = p;
	while (q < end && buf[q] != ' ')
		q++;
	if (q == p || q >= end)
		return -1;
	m->ruri = (struct alg_span){ (uint32_t)p, (uint32_t)(q - p) };
	q++;
	if (!span_is(buf, (struct alg_span){ (uint32_t)q, (uint32_t)(end - q) }, "SIP/2.0"))
		return -1;
	return 0;
}

static enum sip_scan_error read_content_length(const char *buf, size_t len, struct sip_msg *m)
{
	const struct sip_header *cl = NULL;
	uint64_t v;

	for (size_t i = m->first[HDR_CONTENT_LENGTH] ? m->first[HDR_CONTENT_LENGTH] - 1u : m->n_headers;
	     i < m->n_headers; i++) {
		if (m->headers[i].id != HDR_CONTENT_LENGTH)
			continue;
		if (cl)
			return SCAN_BAD_CONTENT_LENGTH;
		cl = &m->headers[i];
	}
	m->body_len = (uint32_t)(len - m->body_off);
	if (!cl)
		return SCAN_OK;
	/* A body shorter than declared is a truncated message; longer is trailing junk that
	 * the transport discards (RFC 3261 18.3), which the ALG leaves where it is. */
	if (decimal_parse(buf + cl->value.off, cl->value.len, 10, &v) || v > m->body_len)
		return SCAN_BAD_CONTENT_LENGTH;
	m->body_len = (uint32_t)v;
	m->has_content_length = 1;
	return SCAN_OK;
}

enum sip_scan_error sip_msg_scan(const char *buf, size_t len, struct sip_msg *m)
{
	size_t p, e;

	memset(m, 0, offsetof(struct sip_msg, headers));
	if (len >= UINT32_MAX)
		return SCAN_BAD_START_LINE;
	p = 0;
	while (p < len && (buf[p] == '\r' || buf[p] == '\n'))
		p++;
	if (p == len)
		return SCAN_KEEPALIVE;
	if (p != 0)
		return SCAN_BAD_START_LINE;
	e = line_end(buf, len, 0);
	if (e == len || parse_start_line(buf, e, m))
		return SCAN_BAD_START_LINE;
	p = next_line(buf, len, e);

	for (;;) {
		size_t name = p, name_end, v, ve;
		struct sip_header *h;

		if (p >= len)
			return SCAN_NO_HEADER_END;
		e = line_end(buf, len, p);
		if (e == p) { /* the empty line */
			if (e == len)
				return SCAN_NO_HEADER_END;
			m->body_off = (uint32_t)next_line(buf, len, e);
			return read_content_length(buf, len, m);
		}
		if (e == len)
			return SCAN_NO_HEADER_END;
		if (m->n_headers == SIP_MAX_HEADERS)
			return SCAN_TOO_MANY_HEADERS;
		name_end = token_end(buf, p, e);
		v = name_end;
		while (v < e && (buf[v] == ' ' || buf[v] == '\t'))
			v++;
		if (name_end == p || v >= e || buf[v] != ':')
			return SCAN_BAD_HEADER;
		v++;
		/* Folded continuation lines start with whitespace and belong to this value. */
		for (;;) {
			size_t n = next_line(buf, len, e);

			if (n < len && (buf[n] == ' ' || buf[n] == '\t')) {
				e = line_end(buf, len, n);
				if (e == len)
					return SCAN_NO_HEADER_END;
				continue;
			}
			p = n;
			break;
		}
		while (v < e && is_lws(buf[v]))
			v++;
		ve = e;
		while (ve > v && is_lws(buf[ve - 1]))
			ve--;
		h = &m->headers[m->n_headers++];
		h->id = header_id(buf + name, name_end - name);
		if (!m->first[h->id])
			m->first[h->id] = (uint8_t)m->n_headers;
		h->name = (struct alg_span){ (uint32_t)name, (uint32_t)(name_end - name) };
		h->value = (struct alg_span){ (uint32_t)v, (uint32_t)(ve - v) };
	}
}

/* The two below serve the stream framer (sip_stream.c), which must find a message's end
 * before all of it has come. */

int sip_start_line_may_begin(const char *buf, size_t len)
{
	static const char version[] = "SIP/2.0 ";
	size_t n = len < 8 ? len : 8, i;

	if (strncasecmp(buf, version, n) == 0) /* a response, as parse_start_line reads one */
		return 1;
	for (i = 0; i < n && buf[i] != ' '; i++) /* else a request: a method token, then SP */
		if (!is_token_char(buf[i]))
			return 0;
	return i > 0 || n == 0;
}

enum sip_scan_error sip_msg_scan_head(const char *buf, size_t len, struct sip_msg *m)
{
	enum sip_scan_error e = sip_msg_scan(buf, len, m);

	/* sip_msg_scan holds the declared length against the bytes after the header block, which
	 * have not all come yet: hold it against the largest body_len instead. read_content_length
	 * reads header values only, never the body, so no byte past len is read. */
	if (e == SCAN_BAD_CONTENT_LENGTH)
		e = read_content_length(buf, (size_t)UINT32_MAX, m);
	return e;
}

const struct sip_header *sip_msg_find(const struct sip_msg *m, enum sip_hdr id)
{
	return m->first[id] ? &m->headers[m->first[id] - 1] : NULL;
}

/* '<' or '>': they differ in bit 1 only */
#define HAS_ANGLE(w) HAS_ZERO(((w) ^ 0x3c3c3c3c3c3c3c3cull) & ~0x0202020202020202ull)

/* The bytes that change how a value reads: outside quotes '"', '<', '>' (and ',' where
 * commas split), inside only '"' and '\\'. */
enum marks { UNQUOTED, UNQUOTED_COMMAS, QUOTED };

static inline uint64_t marks(uint64_t w, enum marks k)
{
	if (k == QUOTED)
		return HAS_BYTE(w, '"') | HAS_BYTE(w, '\\');
	return HAS_ANGLE(w) | HAS_BYTE(w, '"') | (k == UNQUOTED_COMMAS ? HAS_BYTE(w, ',') : 0);
}

/* The first byte of s[i, len) of kind k, or len: eight bytes at a time, and the last word
 * overlapping the one before, shifted past the bytes already seen, instead of a byte loop. */
static inline uint32_t skip_to_mark(const char *s, uint32_t i, uint32_t len, enum marks k)
{
	uint64_t m;

	for (; i + 8 <= len; i += 8)
		if ((m = marks(le64_load(s + i), k)))
			return i + first_marked(m);
	if (i >= len)
		return len;
	if (len >= 8) {
		m = marks(le64_load(s + len - 8) >> (8 * (i - (len - 8))), k);
		return m ? i + first_marked(m) : len;
	}
	for (; i < len; i++) /* a value shorter than a word: a byte at a time, alone in w */
		if (marks((uint8_t)s[i], k) & 0x80)
			return i;
	return len;
}

/* Past the quoted string whose opening quote is at i - 1 (sip_unquoted_char's reading), or 0
 * when it does not end. */
static uint32_t quoted_end(const char *s, uint32_t i, uint32_t len)
{
	for (;;) {
		i = skip_to_mark(s, i, len, QUOTED);
		if (i >= len)
			return 0;
		if (s[i] == '"')
			return i + 1;
		if (i + 1 >= len) /* a backslash at the end escapes nothing */
			return 0;
		i += 2;
	}
}

int sip_value_balanced(const char *buf, struct alg_span value)
{
	const char *s = buf + value.off;
	uint32_t i = 0;
	int angle = 0;

	for (;;) {
		i = skip_to_mark(s, i, value.len, UNQUOTED);
		if (i >= value.len)
			return !angle;
		if (s[i] == '"') {
			i = quoted_end(s, i + 1, value.len);
			if (!i)
				return 0;
			continue;
		}
		if ((s[i] == '<') == angle) /* '<' inside <>, or '>' outside */
			return 0;
		angle = s[i++] == '<';
	}
}

int sip_value_next(const char *buf, struct alg_span value, uint32_t *pos, struct alg_span *elem)
{
	const char *s = buf + value.off;
	uint32_t i = *pos, start, end;
	int angle = 0;

	while (i < value.len && (is_lws(s[i]) || s[i] == ','))
		i++;
	if (i >= value.len)
		return -1;
	start = i;
	for (;;) {
		i = skip_to_mark(s, i, value.len, UNQUOTED_COMMAS);
		if (i >= value.len)
			break;
		if (s[i] == '"') {
			i = quoted_end(s, i + 1, value.len);
			if (!i) {
				i = value.len;
				break;
			}
		} else if (s[i] == ',') {
			if (!angle)
				break;
			i++;
		} else {
			angle = s[i++] == '<';
		}
	}
	end = i;
	while (end > start && is_lws(s[end - 1]))
		end--;
	*pos = i;
	*elem = (struct alg_span){ value.off + start, end - start };
	return 0;
}
