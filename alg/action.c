/* SPDX-License-Identifier: GPL-2.0-or-later */
/* action.c: one readable line per action, for logs, the status view and tests. */
#include "alg.h"

#include <stdio.h>
#include <string.h>

/* Copies a span of the message, replacing anything unprintable so a hostile Call-ID cannot
 * forge log lines, and cutting it to a sane length. */
static void printable(char *dst, size_t cap, const char *msg, struct alg_span s)
{
	size_t n = s.len < cap - 1 ? s.len : cap - 1;

	for (size_t i = 0; i < n; i++) {
		char c = msg[s.off + i];

		dst[i] = c > 0x20 && c < 0x7f ? c : '?';
	}
	dst[n] = '\0';
}

size_t alg_action_format(const struct alg_action *a, const char *msg, uint32_t public_ip,
			 char *buf, size_t cap)
{
	char priv[ENDPOINT_STR_MAX], pub[ENDPOINT_STR_MAX], rtcp[ENDPOINT_STR_MAX],
		rtcp_pub[ENDPOINT_STR_MAX], call[72], aor[72], star[ADDR_STR_MAX], what[16];
	struct alg_endpoint p = { public_ip, a->pub_port }, rp = { public_ip, a->rtcp_pub_port };
	int n = 0;

	endpoint_format(&a->priv, priv);
	endpoint_format(&p, pub);
	endpoint_format(&a->rtcp, rtcp);
	endpoint_format(&rp, rtcp_pub);
	printable(call, sizeof(call), msg, a->call_id);

	switch (a->kind) {
	case ALG_ACT_SIGNALING:
		n = snprintf(buf, cap, "signaling %s -> %s", priv, pub);
		break;
	case ALG_ACT_REGISTERED:
		n = snprintf(buf, cap, "registered %s -> %s expires=%u", priv, pub, a->expires);
		break;
	case ALG_ACT_MEDIA_OPEN:
		if (a->no_rtcp)
			n = snprintf(buf, cap, "media-open call=%s stream=%u %s %s -> %s no rtcp",
				     call, a->stream, a->media, priv, pub);
		else if (a->rtcp.port)
			n = snprintf(buf, cap, "media-open call=%s stream=%u %s rtp %s -> %s rtcp %s -> %s",
				     call, a->stream, a->media, priv, pub, rtcp, rtcp_pub);
		else
			n = snprintf(buf, cap, "media-open call=%s stream=%u %s rtp %s -> %s rtcp mux",
				     call, a->stream, a->media, priv, pub);
		break;
	case ALG_ACT_MEDIA_PEER:
		if (a->no_rtcp)
			n = snprintf(buf, cap, "media-peer call=%s stream=%u %s %s no rtcp", call,
				     a->stream, a->media, priv);
		else if (a->rtcp.port)
			n = snprintf(buf, cap, "media-peer call=%s stream=%u %s rtp %s rtcp %s", call,
				     a->stream, a->media, priv, rtcp);
		else
			n = snprintf(buf, cap, "media-peer call=%s stream=%u %s rtp %s rtcp mux", call,
				     a->stream, a->media, priv);
		break;
	case ALG_ACT_MEDIA_DECLINE:
		addr_format(a->priv.ip, star);
		n = snprintf(buf, cap, "media-decline call=%s stream=%u %s %s%s", call, a->stream, a->media, star,
			     a->offer ? " offer" : "");
		break;
	case ALG_ACT_ANSWERED:
		n = snprintf(buf, cap, "answered call=%s", call);
		break;
	case ALG_ACT_REGISTER:
		printable(aor, sizeof(aor), msg, a->aor);
		addr_format(a->priv.ip, star);
		if (a->priv.port)
			n = snprintf(buf, cap, "register %s -> %s expires=%u aor=%s cseq=%u", priv, pub,
				     a->expires, aor, a->cseq);
		else
			n = snprintf(buf, cap, "register %s * expires=%u aor=%s cseq=%u",
				     star, a->expires, aor, a->cseq);
		break;
	case ALG_ACT_REGISTER_END:
		n = snprintf(buf, cap, "register-end call=%s cseq=%u contacts=%u", call, a->cseq,
			     a->n_contacts);
		break;
	case ALG_ACT_MEDIA_CLOSE:
		if (a->status)
			snprintf(what, sizeof(what), "%u", a->status);
		else
			printable(what, sizeof(what), msg, a->method);
		n = snprintf(buf, cap, "media-close call=%s reason=%s", call, what);
		break;
	}
	if (n < 0)
		n = 0;
	return (size_t)n < cap ? (size_t)n : cap ? cap - 1 : 0;
}

const char *alg_reason_str(enum alg_reason r)
{
	static const char *const names[ALG_REASON_COUNT] = {
		[ALG_OK] = "ok",
		[ALG_KEEPALIVE] = "keep-alive",
		[ALG_BAD_START_LINE] = "malformed start line",
		[ALG_BAD_HEADER] = "malformed header line",
		[ALG_NO_HEADER_END] = "no end of headers (truncated?)",
		[ALG_TOO_MANY_HEADERS] = "too many headers",
		[ALG_BAD_CONTENT_LENGTH] = "bad Content-Length",
		[ALG_NO_VIA] = "no Via",
		[ALG_NO_CALL_ID] = "no Call-ID",
		[ALG_BAD_CSEQ] = "bad or missing CSeq",
		[ALG_BAD_VIA] = "malformed Via",
		[ALG_BAD_CONTACT] = "malformed Contact",
		[ALG_BAD_RECORD_ROUTE] = "malformed Record-Route",
		[ALG_BAD_ROUTE] = "malformed Route",
		[ALG_BAD_REQUEST_URI] = "malformed Request-URI",
		[ALG_BAD_CONTENT_TYPE] = "malformed Content-Type",
		[ALG_BAD_MULTIPART] = "malformed multipart body",
		[ALG_BAD_SDP] = "malformed SDP",
		[ALG_IPV6] = "IPv6 (not translated yet)",
		[ALG_TOO_MANY_EDITS] = "too many addresses to rewrite",
		[ALG_TOO_MANY_ACTIONS] = "too many bindings or streams",
		[ALG_NO_ROOM] = "translated message too large",
		[ALG_TOO_LARGE] = "message over the size limit",
		[ALG_FOREIGN_ADDRESS] = "names another LAN host's address",
		[ALG_LIMIT_REGISTRATIONS] = "too many registrations from one host",
		[ALG_LIMIT_DIALOGS] = "too many calls",
		[ALG_LIMIT_CALL_PINHOLES] = "too many pinholes in one call",
		[ALG_LIMIT_HOST_PINHOLES] = "too many pinholes for one host",
		[ALG_LIMIT_PINHOLES] = "too many pinholes",
		[ALG_LIMIT_PINHOLE_RATE] = "too many new pinholes per second from one host",
		[ALG_TABLE_FULL] = "binding table full",
	};
	return (unsigned)r < ALG_REASON_COUNT && names[r] ? names[r] : "unknown";
}
