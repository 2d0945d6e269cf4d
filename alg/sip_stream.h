/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_stream.h: cuts one direction of a SIP connection over TCP into whole messages and
 * keep-alives.
 *
 * Over a stream a message ends where its Content-Length says (mandatory there: RFC 3261 18.3),
 * and CR/LF bytes between messages are keep-alives (RFC 5626 4.4.1: CRLFCRLF ping, CRLF pong;
 * RFC 3261 7.5: ignored before a start line). The framer keeps no bytes: the caller keeps what
 * it has not taken out yet, in storage of its own, and shows all of it on every call. The
 * framer keeps only how far it has looked (16 bytes), so that appending never rescans, and it
 * never asks for more than max bytes pending: a caller's buffer of max bytes always suffices,
 * and an idle connection, holding no partial message, needs none. Pure: no allocation, no I/O,
 * no clock, no globals.
 *
 * Use, for each direction of a connection:
 *
 *	sip_stream_init(&s, max);
 *	on new bytes: append them to the pending ones (a buffer of max bytes is enough; or
 *	frame straight from the read buffer and keep only a partial message's bytes), then
 *	while ((k = sip_stream_next(&s, pending, n_pending, &u)) == SIP_STREAM_MESSAGE ||
 *	       k == SIP_STREAM_KEEPALIVE)
 *		forward (translated, for a message) pending[0, u.len), then drop those bytes;
 *	on SIP_STREAM_BROKEN: forward the u.len pending bytes as they are, and every later byte
 *	of this direction too, without calling again: the framing is lost for good (fail-open).
 */
#ifndef SIPALG_SIP_STREAM_H
#define SIPALG_SIP_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "alg.h" /* struct alg_span, enum alg_reason */

/* The largest max a stream takes: 64 KiB, the most a SIP message over TCP may be here. */
#define SIP_STREAM_MAX 65536u

enum sip_stream_kind {
	SIP_STREAM_NEED_MORE, /* no whole unit yet: call again when more bytes came */
	SIP_STREAM_MESSAGE,   /* a whole message: header block + exactly Content-Length bytes */
	SIP_STREAM_KEEPALIVE, /* CR/LF bytes between messages: pass them on as they are. All
			       * those shown are one unit, handed out at once (a pong must not
			       * wait for a byte that may not come): a ping split over two
			       * appends is two units, byte for byte the same */
	SIP_STREAM_BROKEN,    /* not framed as SIP, for good: pass the rest through untouched */
};

/* What sip_stream_next found at the start of the pending bytes. */
struct sip_stream_unit {
	enum sip_stream_kind kind;
	/* MESSAGE, KEEPALIVE: the unit is pending[0, len). NEED_MORE, BROKEN: len is every byte
	 * shown, all still pending and untouched. */
	size_t len;
	/* MESSAGE: the body, within the unit. */
	struct alg_span body;
	/* NEED_MORE: the message's whole length once its header block is in (so the caller can
	 * size its buffer), else 0. */
	uint32_t want;
	/* BROKEN: why (ALG_TOO_LARGE, ALG_BAD_START_LINE, ALG_BAD_CONTENT_LENGTH for a missing or
	 * malformed one, ALG_BAD_HEADER, ALG_TOO_MANY_HEADERS); ALG_OK otherwise. */
	enum alg_reason reason;
};

/* One direction's framing state; plain data, no pointers, copyable. Fields are private. */
struct sip_stream {
	uint32_t max;     /* the longest message (and keep-alive run) */
	uint32_t scanned; /* the header end search resumes here; once found, the header length */
	uint32_t total;   /* the message's length once its header block is in, else 0 */
	uint8_t line_checked; /* the start line has ended and was found good */
	uint8_t reason;   /* enum alg_reason: ALG_OK while framing, else why framing stopped */
};

/* max: the longest message accepted, 1..SIP_STREAM_MAX bytes. 0 on success, -1 otherwise. */
int sip_stream_init(struct sip_stream *s, size_t max);

/* Looks at the pending bytes buf[0, len) of the direction: the bytes shown at the previous call
 * minus the unit it returned (if any), plus what came since, in order. Returns the unit at the
 * start of buf and fills *u; buf is only read. A call costs O(1) plus the bytes new to it (a
 * header block is searched once, then scanned once, by sip_msg_scan), so a connection costs
 * O(bytes) however its bytes were split. NEED_MORE only when len < max: with max bytes pending
 * there is always a unit or a BROKEN. BROKEN stays: later calls return it again. */
enum sip_stream_kind sip_stream_next(struct sip_stream *s, const char *buf, size_t len,
				     struct sip_stream_unit *u);

/* What a stream that is not SIP carries, from its first bytes: a TLS record (SIP over TLS
 * on the SIP port), an HTTP request (SIP over WebSocket starts as one: RFC 7118), or
 * something else. Only the first bytes of a direction say it, so call it with those. */
enum sip_stream_foreign { SIP_STREAM_OTHER, SIP_STREAM_TLS, SIP_STREAM_HTTP };
enum sip_stream_foreign sip_stream_foreign(const char *buf, size_t len);

#endif
