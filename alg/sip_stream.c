/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_stream.c: SIP message framing over a byte stream (RFC 3261 18.3, RFC 5626 4.4.1). */
#include "sip_stream.h"

#include <string.h>

#include "sip_msg.h"

int sip_stream_init(struct sip_stream *s, size_t max)
{
	if (max == 0 || max > SIP_STREAM_MAX)
		return -1;
	memset(s, 0, sizeof(*s));
	s->max = (uint32_t)max;
	s->reason = ALG_OK;
	return 0;
}

static enum sip_stream_kind broken(struct sip_stream *s, enum alg_reason r,
				   struct sip_stream_unit *u)
{
	s->reason = (uint8_t)r;
	u->kind = SIP_STREAM_BROKEN;
	u->reason = r;
	return u->kind;
}

static enum alg_reason scan_reason(enum sip_scan_error e)
{
	switch (e) {
	case SCAN_OK:
		return ALG_OK;
	case SCAN_BAD_HEADER:
		return ALG_BAD_HEADER;
	case SCAN_TOO_MANY_HEADERS:
		return ALG_TOO_MANY_HEADERS;
	case SCAN_BAD_CONTENT_LENGTH:
		return ALG_BAD_CONTENT_LENGTH;
	case SCAN_NO_HEADER_END:
		return ALG_NO_HEADER_END;
	case SCAN_KEEPALIVE:
	case SCAN_BAD_START_LINE:
		break;
	}
	return ALG_BAD_START_LINE;
}

/* The end of the header block: the first empty line, as sip_msg_scan sees one (a line ends at
 * LF, a CR before it is dropped), looked for in buf[0, n) from where the last call stopped.
 * Returns the header length, or 0 when it is not in yet. The first line end met is the start
 * line's: it is checked on the spot, so that a stream that is not SIP stops early. */
static size_t header_end(struct sip_stream *s, const char *buf, size_t n, struct sip_msg *m,
			 enum alg_reason *bad)
{
	size_t i = s->scanned, end = 0;

	while (i < n) {
		const char *nl = memchr(buf + i, '\n', n - i);

		if (!nl) {
			i = n;
			break;
		}
		i = (size_t)(nl - buf);
		if (!s->line_checked) {
			if (sip_msg_scan(buf, i + 1, m) == SCAN_BAD_START_LINE) {
				*bad = ALG_BAD_START_LINE;
				return 0;
			}
			s->line_checked = 1;
		}
		/* An LF followed by LF or CRLF. Until the bytes after it are in, the search
		 * stops on this LF and looks at it again next time. */
		if (i + 1 >= n)
			break;
		if (buf[i + 1] == '\n') {
			end = i + 2;
			break;
		}
		if (buf[i + 1] == '\r') {
			if (i + 2 >= n)
				break;
			if (buf[i + 2] == '\n') {
				end = i + 3;
				break;
			}
		}
		i++;
	}
	s->scanned = (uint32_t)(end ? end : i);
	return end;
}

enum sip_stream_kind sip_stream_next(struct sip_stream *s, const char *buf, size_t len,
				     struct sip_stream_unit *u)
{
	/* Nothing past max bytes is looked at: a message (or keep-alive run) ends within them. */
	size_t n = len < s->max ? len : s->max;
	struct sip_msg m;

	memset(u, 0, sizeof(*u));
	u->kind = SIP_STREAM_NEED_MORE;
	u->reason = ALG_OK;
	u->len = len;
	if (s->reason != ALG_OK)
		return broken(s, (enum alg_reason)s->reason, u);
	if (len == 0)
		return u->kind;

	/* No message starts with CR or LF: they are keep-alives, passed on as soon as seen (a
	 * pong must not wait for bytes that may never come), so a ping split across two
	 * appends comes out as two units. */
	if (buf[0] == '\r' || buf[0] == '\n') {
		size_t k = 1;

		while (k < n && (buf[k] == '\r' || buf[k] == '\n'))
			k++;
		s->scanned = 0; /* the next unit starts fresh */
		s->total = 0;
		s->line_checked = 0;
		u->kind = SIP_STREAM_KEEPALIVE;
		u->len = k;
		return u->kind;
	}

	if (s->total == 0) {
		enum alg_reason bad = ALG_OK;
		size_t end = header_end(s, buf, n, &m, &bad);
		enum sip_scan_error e;
		uint64_t total;

		if (bad != ALG_OK)
			return broken(s, bad, u);
		if (end == 0) {
			if (!s->line_checked && !sip_start_line_may_begin(buf, n))
				return broken(s, ALG_BAD_START_LINE, u);
			if (len >= s->max) /* max bytes and no header end among them */
				return broken(s, ALG_TOO_LARGE, u);
			return u->kind;
		}
		/* Once per message: the header block, with its Content-Length. */
		e = sip_msg_scan_head(buf, end, &m);
		if (e != SCAN_OK)
			return broken(s, scan_reason(e), u);
		if (!m.has_content_length)
			return broken(s, ALG_BAD_CONTENT_LENGTH, u);
		total = (uint64_t)end + m.body_len;
		if (total > s->max)
			return broken(s, ALG_TOO_LARGE, u);
		s->total = (uint32_t)total;
	}

	if (len < s->total) {
		u->want = s->total;
		return u->kind;
	}
	u->kind = SIP_STREAM_MESSAGE;
	u->len = s->total;
	u->body = (struct alg_span){ s->scanned, s->total - s->scanned };
	s->scanned = 0; /* the next unit starts fresh */
	s->total = 0;
	s->line_checked = 0;
	return u->kind;
}

enum sip_stream_foreign sip_stream_foreign(const char *buf, size_t len)
{
	/* A TLS record: content type handshake (22), version 3.x (RFC 8446 5.1) */
	if (len >= 2 && (unsigned char)buf[0] == 22 && buf[1] == 3)
		return SIP_STREAM_TLS;
	/* A request line of HTTP/1.x: METHOD SP target SP HTTP/1.x; a SIP request line ends
	 * with SIP/2.0 instead. */
	for (size_t i = 0; i + 1 < len && i < 8192; i++) {
		if (buf[i] == '\r' || buf[i] == '\n')
			return i >= 8 && memcmp(buf + i - 8, "HTTP/1.", 7) == 0 ? SIP_STREAM_HTTP : SIP_STREAM_OTHER;
	}
	return SIP_STREAM_OTHER;
}
