/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sdp.c: SDP (RFC 4566) addresses and media ports: rewritten going out, noted coming in.
 *
 * A line scanner records where o=, c=, m= and a=rtcp values sit; libosip2's SDP parser must
 * accept the body and see the same streams and ports, or the message passes unchanged.
 * ICE (RFC 8839): the default destination in c= and m= must stay one of the candidates. */
#include "ice.h"
#include "sip_fast.h"
#include "xlate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/sdp_message.h>

#define SDP_MAX_MEDIA 16
#define OSIP_PAD 8

struct sdp_addr {
	struct alg_span text;
	int present;
	int ipv4;
	uint32_t ip;
};

struct sdp_stream {
	struct alg_span media;
	struct alg_span port;
	uint16_t port_val; /* 0: stream declined */
	struct sdp_addr c;
	struct alg_span rtcp_port;
	uint16_t rtcp_val;
	struct sdp_addr rtcp_addr;
	int rtcp_mux;
	uint32_t ice_at;        /* where the first a=candidate line starts; 0: none */
	int ice_crlf;           /* that line ends with CRLF */
	unsigned ice_components; /* bit c: a candidate of component c (1 RTP, 2 RTCP) */
	struct alg_span remote_candidates; /* the a=remote-candidates value */
	int not_rtp; /* its transport is not RTP (udptl, T.38 fax): it has no RTCP */
};

struct sdp_scan {
	struct sdp_addr o, c;
	/* The first NUL of the body and the first CR at or after the line being scanned (or the
	 * body's end): each line must hold neither, and one search per body, or per line for
	 * the CR of a CRLF, finds them instead of two per line. */
	uint32_t nul, cr, body_end;
	int ice_traversal; /* a srflx, prflx or relay candidate: the phone traverses NATs itself */
	int line_crlf;     /* the line being scanned ends with CRLF */
	size_t n;
	struct sdp_stream s[SDP_MAX_MEDIA];
};

/* Splits the line [p, end) into space-separated fields. */
static size_t fields(const char *buf, uint32_t p, uint32_t end, struct alg_span *f, size_t max)
{
	size_t n = 0;

	while (p < end && n < max) {
		uint32_t q;

		while (p < end && buf[p] == ' ')
			p++;
		q = p;
		while (q < end && buf[q] != ' ')
			q++;
		if (q > p)
			f[n++] = (struct alg_span){ p, q - p };
		p = q;
	}
	return n;
}

/* "IN IP4 addr" as three fields; an IP6 address type makes the message IPv6. */
static int read_addr(const char *buf, const struct alg_span *f, struct sdp_addr *a)
{
	const char *slash = memchr(buf + f[2].off, '/', f[2].len); /* multicast /ttl stays */
	uint32_t n = slash ? (uint32_t)(slash - (buf + f[2].off)) : f[2].len;

	if (span_is(buf, f[1], "IP6"))
		return -1;
	a->present = 1;
	a->text = (struct alg_span){ f[2].off, n };
	a->ipv4 = span_is(buf, f[1], "IP4") && addr_parse(buf + f[2].off, n, &a->ip) == 0;
	return 0;
}

static int read_port(const char *buf, struct alg_span f, struct alg_span *port, uint16_t *val)
{
	uint32_t n = 0;

	while (n < f.len && buf[f.off + n] != '/')
		n++;
	*port = (struct alg_span){ f.off, n };
	*val = 0;
	if (n == 1 && buf[f.off] == '0')
		return 0;
	return port_parse(buf + f.off, n, val);
}

/* An m= transport that carries RTP (RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF ...), with RTCP
 * beside it; udptl (T.38 fax, RFC 3362) has none. */
static int names_rtp(const char *buf, struct alg_span proto)
{
	for (uint32_t k = 0; k + 3 <= proto.len; k++)
		if (span_eq(buf, (struct alg_span){ proto.off + k, 3 }, "RTP", 3))
			return 1;
	return 0;
}

/* a=candidate: p is at the foundation. */
static int scan_candidate(struct xlate *x, struct sdp_scan *sc, struct sdp_stream *s, uint32_t p,
			  uint32_t end)
{
	struct alg_span f[8];
	struct ice_candidate c;

	if (ice_candidate_read(x->buf, f, fields(x->buf, p, end, f, 8), &c))
		return xlate_fail(x, ALG_BAD_SDP);
	if (!s->ice_at) {
		s->ice_at = p - (uint32_t)strlen("a=candidate:");
		s->ice_crlf = sc->line_crlf;
	}
	if (c.component <= 2)
		s->ice_components |= 1u << c.component;
	if (c.type == ICE_SRFLX || c.type == ICE_PRFLX || c.type == ICE_RELAY)
		sc->ice_traversal = 1;
	return 0;
}

/* a=remote-candidates: triples of component-id, address and port (RFC 8839 5.2). */
static int scan_remote_candidates(struct xlate *x, struct sdp_stream *s, uint32_t p, uint32_t end)
{
	struct alg_span f[3];
	uint64_t v;

	s->remote_candidates = (struct alg_span){ p, end - p };
	while (p < end) {
		size_t n = fields(x->buf, p, end, f, 3);

		if (n == 0)
			break;
		if (n != 3 || decimal_parse(x->buf + f[0].off, f[0].len, 3, &v) ||
		    decimal_parse(x->buf + f[2].off, f[2].len, 5, &v) || v > 65535)
			return xlate_fail(x, ALG_BAD_SDP);
		p = f[2].off + f[2].len;
	}
	return 0;
}

/* The prefix of [p, end) is z (n bytes, ASCII case ignored) and more follows. */
static int has_prefix(const char *buf, uint32_t p, uint32_t end, const char *z, uint32_t n)
{
	return end - p > n && span_eq(buf, (struct alg_span){ p, n }, z, n);
}

/* One line: type, then its value [p, end); fast follows the fast path's check of the body. */
static int scan_line(struct xlate *x, struct sdp_scan *sc, struct sdp_fast *fast, char type,
		     uint32_t p, uint32_t end)
{
	const char *buf = x->buf;
	struct sdp_stream *s = sc->n ? &sc->s[sc->n - 1] : NULL;
	struct alg_span f[6];
	unsigned all = 0;
	size_t n = 0;

	if (sc->cr < p) {
		const char *cr = memchr(buf + p, '\r', sc->body_end - p);

		sc->cr = cr ? (uint32_t)(cr - buf) : sc->body_end;
	}
	if (type < 'a' || type > 'z' || (sc->nul >= p && sc->nul < end) || sc->cr < end)
		return xlate_fail(x, ALG_BAD_SDP);
	/* o=, c= and m= are ASCII fields separated by single spaces (RFC 4566 9). libosip2 finds
	 * its tokens with strchr across line ends, so only lines of this shape reach it. */
	if (type == 'o' || type == 'c' || type == 'm' || type == 't') {
		all = sdp_fields(buf, p, end, f, 6);
		if (!all && type != 't')
			return xlate_fail(x, ALG_BAD_SDP);
		n = type == 't' ? 0 : all < 6 ? all : 6; /* a= splits its own */
	}
	sdp_fast_line(fast, buf, p - 2, end, all);

	switch (type) {
	case 'o':
		if (n != 6)
			return xlate_fail(x, ALG_BAD_SDP);
		if (read_addr(buf, f + 3, &sc->o))
			return xlate_fail(x, ALG_IPV6);
		break;
	case 'c':
		if (n != 3)
			return xlate_fail(x, ALG_BAD_SDP);
		if (read_addr(buf, f, s ? &s->c : &sc->c))
			return xlate_fail(x, ALG_IPV6);
		break;
	case 'm':
		if (sc->n == SDP_MAX_MEDIA)
			return xlate_fail(x, ALG_TOO_MANY_ACTIONS);
		s = &sc->s[sc->n++];
		memset(s, 0, sizeof(*s));
		if (n < 3 || read_port(buf, f[1], &s->port, &s->port_val))
			return xlate_fail(x, ALG_BAD_SDP);
		s->media = f[0];
		s->not_rtp = !names_rtp(buf, f[2]);
		break;
	case 'a':
		/* most a= lines are none of these (rtpmap, fmtp, sendrecv ...): their first letter
		 * tells at once */
		if (!s || p == end || ((buf[p] | 0x20) != 'r' && (buf[p] | 0x20) != 'c'))
			break;
		if (span_is(buf, (struct alg_span){ p, end - p }, "rtcp-mux")) {
			s->rtcp_mux = 1;
		} else if (has_prefix(buf, p, end, "rtcp:", 5)) {
			n = fields(buf, p + 5, end, f, 4);
			if ((n != 1 && n != 4) || read_port(buf, f[0], &s->rtcp_port, &s->rtcp_val) ||
			    s->rtcp_val == 0)
				return xlate_fail(x, ALG_BAD_SDP);
			if (n == 4 && read_addr(buf, f + 1, &s->rtcp_addr))
				return xlate_fail(x, ALG_IPV6);
		} else if (has_prefix(buf, p, end, "candidate:", 10)) {
			return scan_candidate(x, sc, s, p + 10, end);
		} else if (has_prefix(buf, p, end, "remote-candidates:", 18)) {
			return scan_remote_candidates(x, s, p + 18, end);
		}
		break;
	}
	return 0;
}

/* libosip2 must parse the body and see the same streams on the same ports; fast: the fast
 * path's check of the body (sip_fast.h) passed, which says it would. */
static int osip_agrees(const char *buf, struct alg_span body, const struct sdp_scan *sc, int fast)
{
	sdp_message_t *sdp = NULL;
	/* Room for a line end and NUL padding: libosip2 may look a byte or two past the end. */
	char *z;
	int ok = 0;

	if (fast) /* the scanner read the same lines: same streams, same ports */
		return 1;
	z = malloc((size_t)body.len + 2 + OSIP_PAD);
	if (z && sdp_message_init(&sdp) == 0) {
		size_t n = body.len;

		/* In a multipart body the CRLF before the delimiter is the delimiter's
		 * (RFC 2046 5.1.1); libosip2 wants the last line ended. */
		memcpy(z, buf + body.off, n);
		if (n == 0 || z[n - 1] != '\n') {
			z[n++] = '\r';
			z[n++] = '\n';
		}
		memset(z + n, 0, OSIP_PAD);
		ok = sdp_message_parse(sdp, z) == 0 &&
		     osip_list_size(&sdp->m_medias) == (int)sc->n;
		for (size_t i = 0; ok && i < sc->n; i++) {
			const char *port = sdp_message_m_port_get(sdp, (int)i);

			ok = port && strlen(port) == sc->s[i].port.len &&
			     memcmp(port, buf + sc->s[i].port.off, sc->s[i].port.len) == 0;
		}
	}
	sdp_message_free(sdp);
	free(z);
	return ok;
}

static int sdp_scan(struct xlate *x, struct alg_span body, struct sdp_scan *sc)
{
	uint32_t p = body.off, end = body.off + body.len;
	struct sdp_fast fast = { 1, 0, 0, 0 };
	const char *nul;

	memset(sc, 0, offsetof(struct sdp_scan, s));
	sc->body_end = end;
	nul = memchr(x->buf + p, '\0', end - p);
	sc->nul = nul ? (uint32_t)(nul - x->buf) : end;
	while (p < end) {
		const char *nl = memchr(x->buf + p, '\n', end - p);
		uint32_t e = nl ? (uint32_t)(nl - x->buf) : end, next = nl ? e + 1 : end;

		if (e > p && x->buf[e - 1] == '\r') {
			e--;
			if (!nl)
				fast.ok = 0; /* a bare CR at the end */
		}
		sc->line_crlf = !nl || e < (uint32_t)(nl - x->buf);
		if (e == p) {
			fast.ok = 0;
			/* only empty lines may follow an empty line */
			for (uint32_t q = next; q < end; q++)
				if (x->buf[q] != '\r' && x->buf[q] != '\n')
					return xlate_fail(x, ALG_BAD_SDP);
			break;
		}
		if (e - p < 2 || x->buf[p + 1] != '=')
			return xlate_fail(x, ALG_BAD_SDP);
		if (scan_line(x, sc, &fast, x->buf[p], p + 2, e))
			return -1;
		p = next;
	}
	if (!osip_agrees(x->buf, body, sc, fast.ok && fast.seen_t))
		return xlate_fail(x, ALG_BAD_SDP);
	return 0;
}

static const struct sdp_addr *stream_addr(const struct sdp_scan *sc, const struct sdp_stream *s)
{
	return s->c.present ? &s->c : &sc->c;
}

static int rewrite_addr(struct xlate *x, const struct sdp_addr *a)
{
	if (a->present && a->ipv4 && xlate_is_lan(x, a->ip))
		return xlate_edit_addr(x, a->text, x->cfg->public_ip);
	return 0;
}

static void media_name(struct alg_action *a, const char *buf, struct alg_span media)
{
	size_t n = media.len < sizeof(a->media) - 1 ? media.len : sizeof(a->media) - 1;

	memcpy(a->media, buf + media.off, n);
	a->media[n] = '\0';
}

/* An action for stream i with its RTP and RTCP endpoints as the SDP states them: RTCP on
 * a=rtcp when given, on the RTP port when muxed (port 0 here), else one port up (RFC 3550). */
static struct alg_action *stream_action(struct xlate *x, const struct sdp_scan *sc, size_t i,
					enum alg_action_kind kind)
{
	const struct sdp_stream *s = &sc->s[i];
	const struct sdp_addr *c = stream_addr(sc, s);
	struct alg_action *a = xlate_action(x, kind);

	if (!a)
		return NULL;
	a->call_id = x->call_id;
	a->stream = (uint8_t)i;
	media_name(a, x->buf, s->media);
	a->priv = (struct alg_endpoint){ c->ip, s->port_val };
	a->no_rtcp = (uint8_t)s->not_rtp;
	if (s->rtcp_mux || s->not_rtp)
		return a;
	if (s->rtcp_val)
		a->rtcp = (struct alg_endpoint){
			s->rtcp_addr.present && s->rtcp_addr.ipv4 ? s->rtcp_addr.ip : c->ip, s->rtcp_val };
	else if (s->port_val < 65535)
		a->rtcp = (struct alg_endpoint){ c->ip, (uint16_t)(s->port_val + 1) };
	return a;
}

/* A stream declined (port 0): what the phone had open for it goes (RFC 3264 8.2: a re-offer
 * disables a stream so; 6: an answer declines one), at the answer of the phone's re-offer. The
 * phone is the sender, or the receiver of the far end's answer (from a LAN server, the address
 * the stream names). */
static int decline_stream(struct xlate *x, const struct sdp_scan *sc, size_t i)
{
	const struct sdp_addr *c = stream_addr(sc, &sc->s[i]);
	int out = x->pkt->dir == ALG_OUT;
	uint32_t phone = out ? x->pkt->src.ip : x->pkt->dst.ip;
	struct alg_action *a;

	if (!phone || alg_is_lan_server(x->cfg, phone))
		phone = out && c->present && c->ipv4 ? c->ip : 0;
	if (!phone || !xlate_is_lan(x, phone))
		return 0;
	a = xlate_action(x, ALG_ACT_MEDIA_DECLINE);
	if (!a)
		return -1;
	a->call_id = x->call_id;
	a->stream = (uint8_t)i;
	media_name(a, x->buf, sc->s[i].media);
	a->priv.ip = phone;
	a->offer = out && x->msg.is_request && span_is(x->buf, x->msg.method, "INVITE");
	return 0;
}

static int open_stream(struct xlate *x, const struct sdp_scan *sc, size_t i)
{
	const struct sdp_stream *s = &sc->s[i];
	const struct sdp_addr *c = stream_addr(sc, s);
	struct alg_endpoint own_rtp, own_rtcp = { 0, 0 };
	struct alg_action *a;
	int own;

	if (s->port_val == 0)
		return decline_stream(x, sc, i);
	if (!c->present || !c->ipv4)
		return 0;
	/* The router's address written by the phone itself: its streams are the ALG's to open. */
	own = xlate_own_public(x, c->ip, s->port_val, ALG_PORT_MEDIA, &own_rtp);
	if (own < 0)
		return -1;
	if (!own && !xlate_is_lan(x, c->ip))
		return 0; /* a public (STUN, SBC) address the phone handles itself */
	if (!own && xlate_check_own(x, c->ip))
		return -1;
	a = stream_action(x, sc, i, ALG_ACT_MEDIA_OPEN);
	if (!a)
		return -1;
	a->offer = x->msg.is_request && span_is(x->buf, x->msg.method, "INVITE");
	if (own) {
		a->priv = own_rtp;
		/* RTCP on the public address: one up from the phone's real RTP port; a=rtcp's, the
		 * binding that holds it or the phone's own port (as for RTP), else nothing */
		if (a->rtcp.port && a->rtcp.ip == x->cfg->public_ip && !s->rtcp_val) {
			a->rtcp = own_rtp.port < 65535 ? (struct alg_endpoint){ own_rtp.ip, (uint16_t)(own_rtp.port + 1) }
						       : (struct alg_endpoint){ 0, 0 };
		} else if (a->rtcp.port && a->rtcp.ip == x->cfg->public_ip) {
			int rtcp_own = xlate_own_public(x, a->rtcp.ip, a->rtcp.port, ALG_PORT_MEDIA, &own_rtcp);

			if (rtcp_own < 0)
				return -1;
			a->rtcp = rtcp_own ? own_rtcp : (struct alg_endpoint){ 0, 0 };
		}
	}
	a->pub_port = xlate_public_port(x, a->priv, ALG_PORT_MEDIA);
	if (a->pub_port != s->port_val && xlate_edit_port(x, s->port, a->pub_port))
		return -1;
	if (a->rtcp.port && xlate_is_lan(x, a->rtcp.ip) && xlate_check_own(x, a->rtcp.ip))
		return -1;
	if (!a->rtcp.port || !xlate_is_lan(x, a->rtcp.ip) || (!s->rtcp_val && a->pub_port == 65535)) {
		a->rtcp = (struct alg_endpoint){ 0, 0 };
		return 0;
	}
	if (!s->rtcp_val) {
		a->rtcp_pub_port = (uint16_t)(a->pub_port + 1); /* the far end computes it the same way */
		return 0;
	}
	a->rtcp_pub_port = xlate_public_port(x, a->rtcp, ALG_PORT_MEDIA);
	if (a->rtcp_pub_port != s->rtcp_val && xlate_edit_port(x, s->rtcp_port, a->rtcp_pub_port))
		return -1;
	return 0;
}

/* An ICE stream whose default destination became the router's mapping gets that mapping as
 * a server-reflexive candidate of each component, so that c= and m= (and a=rtcp) still name
 * a candidate (RFC 8839 4.2.1.2 / 5.1: else the far end sees an ICE mismatch). The phone's
 * own candidates stay: its host candidates serve LAN peers. */
static int add_mapped_candidates(struct xlate *x, const struct sdp_stream *s, const struct alg_action *a)
{
	const char *eol = s->ice_crlf ? "\r\n" : "\n";
	char line[ICE_LINE_MAX];
	size_t n = ice_mapped_line(line, 1, x->cfg->public_ip, a->pub_port, a->priv, eol);

	if (xlate_insert(x, s->ice_at, line, n))
		return -1;
	if (!(s->ice_components & (1u << 2)) || !a->rtcp.port)
		return 0; /* muxed, or no RTCP candidate to pair with */
	n = ice_mapped_line(line, 2, x->cfg->public_ip, a->rtcp_pub_port, a->rtcp, eol);
	return xlate_insert(x, s->ice_at, line, n);
}

int sdp_translate_out(struct xlate *x, struct alg_span body)
{
	struct sdp_scan sc;

	if (sdp_scan(x, body, &sc))
		return -1;
	/* A phone that offers a server-reflexive, peer-reflexive or relayed candidate learnt its
	 * mappings itself and its checks go through the NAT as they are: its SDP stays as it
	 * wrote it and opens nothing (our SNAT would move its media off the mapping it learnt). */
	if (sc.ice_traversal)
		return 0;
	if (rewrite_addr(x, &sc.o) || rewrite_addr(x, &sc.c))
		return -1;
	for (size_t i = 0; i < sc.n; i++) {
		size_t before = x->res->n_actions;

		if (rewrite_addr(x, &sc.s[i].c) || rewrite_addr(x, &sc.s[i].rtcp_addr) ||
		    open_stream(x, &sc, i))
			return -1;
		if (sc.s[i].ice_at && x->res->n_actions > before &&
		    add_mapped_candidates(x, &sc.s[i], &x->res->actions[before]))
			return -1;
	}
	return 0;
}

/* The LAN network that holds ip, or -1. */
static int lan_index(const struct xlate *x, uint32_t ip)
{
	for (size_t i = 0; i < x->cfg->n_lan; i++)
		if (net_contains(&x->cfg->lan[i], 1, ip))
			return (int)i;
	return -1;
}

/* Coming in, an SDP naming this router's public address on ports that another LAN phone's
 * streams hold (the call looped back into the LAN through a provider or a public PBX): the
 * receiving phone gets that phone's private address and ports, and the media stays inside the
 * LAN. All or nothing: every stream on the public address must be one phone's, in the
 * receiver's LAN network, or the SDP stays as it came (the media hairpins, as before). */
static int shortcut(struct xlate *x, const struct sdp_scan *sc)
{
	const struct alg_nat *nat = &x->cfg->nat;
	uint32_t pub = x->cfg->public_ip, phone = 0;
	struct alg_endpoint rtp[SDP_MAX_MEDIA], rtcp[SDP_MAX_MEDIA];
	int net = lan_index(x, x->pkt->dst.ip);

	if (!x->cfg->direct_lan_media || !nat->media_private || net < 0)
		return 0;
	for (size_t i = 0; i < sc->n; i++) {
		const struct sdp_stream *s = &sc->s[i];
		const struct sdp_addr *c = stream_addr(sc, s);

		rtp[i].port = rtcp[i].port = 0;
		if (s->port_val == 0 || !c->present || !c->ipv4 || c->ip != pub)
			continue;
		if (nat->media_private(nat->ctx, s->port_val, &rtp[i]) || (phone && rtp[i].ip != phone) ||
		    lan_index(x, rtp[i].ip) != net)
			return 0;
		phone = rtp[i].ip;
		if (s->rtcp_val && (!s->rtcp_addr.present || (s->rtcp_addr.ipv4 && s->rtcp_addr.ip == pub)) &&
		    (nat->media_private(nat->ctx, s->rtcp_val, &rtcp[i]) || rtcp[i].ip != phone))
			return 0;
	}
	if (!phone)
		return 0;
	/* A session-level c= on the public address is used by streams on it: all are the phone's. */
	if (sc->c.present && sc->c.ipv4 && sc->c.ip == pub && xlate_edit_addr(x, sc->c.text, phone))
		return -1;
	for (size_t i = 0; i < sc->n; i++) {
		const struct sdp_stream *s = &sc->s[i];

		if (!rtp[i].port)
			continue;
		if (s->c.present && xlate_edit_addr(x, s->c.text, phone))
			return -1;
		if (rtp[i].port != s->port_val && xlate_edit_port(x, s->port, rtp[i].port))
			return -1;
		if (!rtcp[i].port)
			continue;
		if (rtcp[i].port != s->rtcp_val && xlate_edit_port(x, s->rtcp_port, rtcp[i].port))
			return -1;
		if (s->rtcp_addr.present && xlate_edit_addr(x, s->rtcp_addr.text, phone))
			return -1;
	}
	return 0;
}

/* A controlling far end's re-offer names in a=remote-candidates the phone's candidates it
 * selected as it saw them (RFC 8839 5.2): the router's mapping, the candidate added going
 * out. The phone knows that candidate by its base, its own address and port. */
static int restore_remote_candidates(struct xlate *x, struct alg_span v)
{
	const struct alg_nat *nat = &x->cfg->nat;
	uint32_t p = v.off, end = v.off + v.len;
	struct alg_span f[3];

	while (p < end && fields(x->buf, p, end, f, 3) == 3) { /* the scanner checked the triples */
		struct alg_endpoint priv;
		uint32_t ip;
		uint16_t port;

		p = f[2].off + f[2].len;
		if (addr_parse(x->buf + f[1].off, f[1].len, &ip) || ip != x->cfg->public_ip ||
		    port_parse(x->buf + f[2].off, f[2].len, &port))
			continue;
		if (nat->media_private ? nat->media_private(nat->ctx, port, &priv) : xlate_private(x, port, &priv))
			continue;
		if (x->pkt->dst.ip && priv.ip != x->pkt->dst.ip)
			continue; /* another phone's: the message's phone has no such candidate */
		if (xlate_edit_addr(x, f[1], priv.ip) ||
		    (priv.port != port && xlate_edit_port(x, f[2], priv.port)))
			return -1;
	}
	return 0;
}

int sdp_note_peer(struct xlate *x, struct alg_span body)
{
	struct sdp_scan sc;

	if (sdp_scan(x, body, &sc) || shortcut(x, &sc))
		return -1;
	for (size_t i = 0; i < sc.n; i++)
		if (sc.s[i].remote_candidates.len && restore_remote_candidates(x, sc.s[i].remote_candidates))
			return -1;
	for (size_t i = 0; i < sc.n; i++) {
		const struct sdp_addr *c = stream_addr(&sc, &sc.s[i]);

		/* The far end's 2xx declines a stream the phone offered (were it an offer, the
		 * phone's answer would have to decline it too). */
		if (!sc.s[i].port_val && !x->msg.is_request && x->msg.status >= 200 && x->msg.status < 300 &&
		    decline_stream(x, &sc, i))
			return -1;
		if (sc.s[i].port_val && c->present && c->ipv4 &&
		    !stream_action(x, &sc, i, ALG_ACT_MEDIA_PEER))
			return -1;
	}
	return 0;
}
