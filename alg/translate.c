/* SPDX-License-Identifier: GPL-2.0-or-later */
/* translate.c: which addresses of a SIP message the ALG owns, by direction, and the actions
 * they call for (RFC 3261 sections 8, 16 and 18; SDP in sdp.c). */
#include "xlate.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <osipparser2/osip_parser.h>

static void osip_trace_silent(const char *file, int line, osip_trace_level_t level,
			      const char *fmt, va_list ap)
{
	(void)file;
	(void)line;
	(void)level;
	(void)fmt;
	(void)ap;
}

int alg_init(void)
{
	/* libosip2 traces parse errors to stderr; a malformed message is ours to count. */
	osip_trace_initialize_func(END_TRACE_LEVEL, osip_trace_silent);
	for (int level = 0; level < END_TRACE_LEVEL; level++)
		osip_trace_disable_level((osip_trace_level_t)level);
	return parser_init();
}

int xlate_is_lan(const struct xlate *x, uint32_t ip)
{
	return net_contains(x->cfg->lan, x->cfg->n_lan, ip);
}

int xlate_check_own(struct xlate *x, uint32_t ip)
{
	/* A LAN host binds and opens only its own address: otherwise a host (or a web page in
	 * its browser: NAT Slipstreaming) could open the router to another LAN host. A SIP
	 * server the router's owner named (lan_server) speaks for the phones it serves. */
	if (x->pkt->dir == ALG_OUT && x->pkt->src.ip && ip != x->pkt->src.ip &&
	    !alg_is_lan_server(x->cfg, x->pkt->src.ip))
		return xlate_fail(x, ALG_FOREIGN_ADDRESS);
	return 0;
}

int xlate_own_public(struct xlate *x, uint32_t ip, uint16_t port, enum alg_port_kind kind,
		     struct alg_endpoint *priv)
{
	const struct alg_nat *nat = &x->cfg->nat;
	uint32_t phone = x->pkt->src.ip;

	if (x->pkt->dir != ALG_OUT || ip != x->cfg->public_ip || !phone || !xlate_is_lan(x, phone) ||
	    !nat->private_endpoint || !port)
		return 0;
	/* The port of one of its own bindings is that binding (what it learned is the ALG's
	 * mapping); another host's is not its to claim. */
	if (nat->private_endpoint(nat->ctx, port, priv) == 0)
		return priv->ip == phone || alg_is_lan_server(x->cfg, phone) ? 1 :
		       xlate_fail(x, ALG_FOREIGN_ADDRESS);
	/* Else the phone wrote its own port with the router's address: bound as if it had
	 * written its private address, when that gives the same public port (what it wrote is
	 * then true); else it stays as written and binds nothing (*priv untouched). */
	if (xlate_public_port(x, (struct alg_endpoint){ phone, port }, kind) != port)
		return 0;
	*priv = (struct alg_endpoint){ phone, port };
	return 1;
}

uint16_t xlate_public_port(const struct xlate *x, struct alg_endpoint priv, enum alg_port_kind kind)
{
	const struct alg_nat *nat = &x->cfg->nat;

	return nat->public_port ? nat->public_port(nat->ctx, priv, kind) : priv.port;
}

int xlate_private(const struct xlate *x, uint16_t pub, struct alg_endpoint *priv)
{
	const struct alg_nat *nat = &x->cfg->nat;

	if (nat->private_endpoint && nat->private_endpoint(nat->ctx, pub, priv) == 0)
		return 0;
	/* No binding names the port: it was kept, and the phone is where the NAT delivers. */
	if (x->pkt->dst.ip && xlate_is_lan(x, x->pkt->dst.ip)) {
		*priv = (struct alg_endpoint){ x->pkt->dst.ip, pub };
		return 0;
	}
	return -1;
}

int xlate_edit(struct xlate *x, struct alg_span where, const char *text, size_t len)
{
	if (x->cfg->keep_addresses)
		return 0; /* the bindings are made, the bytes stay */
	if (splice_add(&x->edits, where.off, where.len, text, len))
		return xlate_fail(x, ALG_TOO_MANY_EDITS);
	return 0;
}

int xlate_insert(struct xlate *x, uint32_t off, const char *text, size_t len)
{
	/* Edits at one offset apply in the order they were added: a longer text goes in pieces. */
	for (size_t done = 0; done < len; done += SPLICE_TEXT_MAX) {
		size_t n = len - done < SPLICE_TEXT_MAX ? len - done : SPLICE_TEXT_MAX;

		if (xlate_edit(x, (struct alg_span){ off, 0 }, text + done, n))
			return -1;
	}
	return 0;
}

int xlate_edit_addr(struct xlate *x, struct alg_span where, uint32_t ip)
{
	char text[ADDR_STR_MAX];

	return xlate_edit(x, where, text, addr_format(ip, text));
}

int xlate_edit_port(struct xlate *x, struct alg_span where, uint16_t port)
{
	char text[8];

	return xlate_edit(x, where, text, port_format(port, text));
}

struct alg_action *xlate_action(struct xlate *x, enum alg_action_kind kind)
{
	struct alg_action *a;

	if (x->res->n_actions == ALG_MAX_ACTIONS) {
		xlate_fail(x, ALG_TOO_MANY_ACTIONS);
		return NULL;
	}
	a = &x->res->actions[x->res->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	return a;
}

/* Writes ip:port where hp was, keeping an absent port absent when it is the default. */
static int put_hostport(struct xlate *x, const struct hostport *hp, uint32_t ip, uint16_t port)
{
	char text[ENDPOINT_STR_MAX];
	struct alg_endpoint ep = { ip, port };

	if (hp->port.len) {
		if (xlate_edit_addr(x, hp->host, ip))
			return -1;
		return port == hp->port_val ? 0 : xlate_edit_port(x, hp->port, port);
	}
	if (port == hp->dflt_port)
		return xlate_edit_addr(x, hp->host, ip);
	return xlate_edit(x, hp->host, text, endpoint_format(&ep, text));
}

static uint16_t hostport_port(const struct hostport *hp)
{
	return hp->port_val ? hp->port_val : hp->dflt_port;
}

static int has_signaling(const struct xlate *x, struct alg_endpoint priv)
{
	for (size_t i = 0; i < x->res->n_actions; i++)
		if (x->res->actions[i].kind == ALG_ACT_SIGNALING && endpoint_eq(x->res->actions[i].priv, priv))
			return 1;
	return 0;
}

/* One signaling action per endpoint and message. */
static int add_signaling(struct xlate *x, struct alg_endpoint priv, uint16_t pub)
{
	struct alg_action *a;

	if (has_signaling(x, priv))
		return 0;
	a = xlate_action(x, ALG_ACT_SIGNALING);
	if (!a)
		return -1;
	a->priv = priv;
	a->pub_port = pub;
	return 0;
}

/* Going out: a LAN ip:port becomes the router's public address and its bound port. Returns
 * 1 when it did, with the endpoint and its public port. */
static int to_public_ep(struct xlate *x, const struct hostport *hp, struct alg_endpoint *priv,
			uint16_t *pub)
{
	int own;

	if (!hp->ipv4)
		return 0;
	/* The router's address in a phone's own Via or Contact is the ALG's to keep true. */
	own = (x->hdr == HDR_VIA || x->hdr == HDR_CONTACT) ? xlate_own_public(x, hp->ip, hostport_port(hp), ALG_PORT_SIGNALING, priv) : 0;
	if (own < 0)
		return -1;
	if (!own) {
		if (!xlate_is_lan(x, hp->ip))
			return 0;
		if (xlate_check_own(x, hp->ip))
			return -1;
		*priv = (struct alg_endpoint){ hp->ip, hostport_port(hp) };
	}
	*pub = xlate_public_port(x, *priv, ALG_PORT_SIGNALING);
	if (add_signaling(x, *priv, *pub))
		return -1;
	if (own && *pub == hostport_port(hp)) /* true as written: nothing to edit */
		return 1;
	return put_hostport(x, hp, x->cfg->public_ip, *pub) ? -1 : 1;
}

static int to_public(struct xlate *x, const struct hostport *hp, uint32_t expires)
{
	struct alg_endpoint priv;
	uint16_t pub;

	(void)expires;
	return to_public_ep(x, hp, &priv, &pub) < 0 ? -1 : 0;
}

/* A LAN phone's top Via over TCP: its responses come back over the connection, not to the
 * Via, so its sent-by (often the connection's ephemeral port) gets no binding of its own (one
 * per connection would fill max_registrations_per_host). The address becomes the public one
 * all the same, with the port as written. When the endpoint is bound already (the phone
 * writes its Contact's port; this message's Contact included: it runs after them) or that
 * public port is not its own to name (another binding holds it), it is translated as over
 * UDP. */
static int via_over_tcp(struct xlate *x, const struct hostport *via)
{
	const struct alg_nat *nat = &x->cfg->nat;
	struct alg_endpoint priv = { via->ip, hostport_port(via) };
	uint16_t pub;

	x->hdr = HDR_VIA;
	if (!via->ipv4 || !xlate_is_lan(x, via->ip) || has_signaling(x, priv) ||
	    (nat->signaling_public && nat->signaling_public(nat->ctx, priv, &pub) == 0))
		return to_public(x, via, UINT32_MAX);
	if (xlate_check_own(x, via->ip))
		return -1;
	if (xlate_public_port(x, priv, ALG_PORT_SIGNALING) != priv.port)
		return to_public(x, via, UINT32_MAX);
	return put_hostport(x, via, x->cfg->public_ip, priv.port);
}

/* Coming in: the public address with a bound port becomes the private endpoint behind it.
 * Returns 1 when it did. */
static int to_private(struct xlate *x, const struct hostport *hp, struct alg_endpoint *priv)
{
	if (!hp->ipv4 || hp->ip != x->cfg->public_ip ||
	    xlate_private(x, hostport_port(hp), priv))
		return 0;
	return put_hostport(x, hp, priv->ip, priv->port) ? -1 : 1;
}

static int restore(struct xlate *x, const struct hostport *hp, uint32_t expires)
{
	struct alg_endpoint priv;

	(void)expires;
	return to_private(x, hp, &priv) < 0 ? -1 : 0;
}

static uint32_t expires_header(const struct xlate *x)
{
	const struct sip_header *h = sip_msg_find(&x->msg, HDR_EXPIRES);
	uint64_t v;

	if (!h || decimal_parse(x->buf + h->value.off, h->value.len, 9, &v))
		return 3600; /* RFC 3261 10.2.1.1: the registrar's default */
	return (uint32_t)v; /* 9 digits fit */
}

/* A LAN phone's REGISTER: each Contact it writes with its own address is translated, and
 * remembered with the request so that the 2xx can be matched to it. */
static int register_contact(struct xlate *x, const struct hostport *hp, uint32_t expires)
{
	struct alg_endpoint priv;
	uint16_t pub;
	struct alg_action *a;
	int r = to_public_ep(x, hp, &priv, &pub);

	if (r <= 0)
		return r;
	a = xlate_action(x, ALG_ACT_REGISTER);
	if (!a)
		return -1;
	a->priv = priv;
	a->pub_port = pub;
	a->call_id = x->call_id;
	a->cseq = x->cseq;
	a->aor = x->aor;
	a->expires = expires != UINT32_MAX ? expires : expires_header(x);
	if (hp->ip == x->cfg->public_ip)
		a->written_port = hostport_port(hp);
	return 0;
}

/* A registrar's 2xx lists the contacts as it saw them: the phone gets back those that the
 * ALG translated in its REGISTER, and only those (a public address the phone wrote itself
 * stays, even where its port is bound). */
static int restore_registered(struct xlate *x, const struct hostport *hp, uint32_t expires)
{
	const struct alg_nat *nat = &x->cfg->nat;
	struct alg_endpoint priv;
	struct alg_action *a;
	uint16_t pub = hostport_port(hp), written = 0;
	int r;

	if (x->n_contacts < UINT16_MAX)
		x->n_contacts++;
	if (!nat->request_contact) {
		r = to_private(x, hp, &priv);
		if (r <= 0)
			return r;
	} else {
		if (!hp->ipv4)
			return 0;
		/* With addresses kept, the registrar lists the phone's contact as the phone
		 * wrote it: the binding of that endpoint is the one confirmed. */
		if (x->cfg->keep_addresses && xlate_is_lan(x, hp->ip))
			pub = xlate_public_port(x, (struct alg_endpoint){ hp->ip, hostport_port(hp) },
						ALG_PORT_SIGNALING);
		else if (hp->ip == x->cfg->public_ip)
			pub = hostport_port(hp);
		else
			return 0;
		if (nat->request_contact(nat->ctx, x->buf, x->call_id, x->cseq, pub, &priv, &written))
			return 0;
		/* the phone gets its Contact back as it wrote it: private, or public */
		if (written ? written != hostport_port(hp) && put_hostport(x, hp, x->cfg->public_ip, written)
			    : put_hostport(x, hp, priv.ip, priv.port))
			return -1;
	}
	a = xlate_action(x, ALG_ACT_REGISTERED);
	if (!a)
		return -1;
	a->priv = priv;
	a->pub_port = pub;
	a->expires = expires != UINT32_MAX ? expires : expires_header(x);
	a->from = x->pkt->src.ip;
	a->from_port = x->pkt->src.port;
	a->call_id = x->call_id;
	a->cseq = x->cseq;
	return 0;
}

typedef int (*hostport_fn)(struct xlate *x, const struct hostport *hp, uint32_t expires);

static enum alg_reason bad_reason(enum sip_hdr id)
{
	switch (id) {
	case HDR_VIA:
		return ALG_BAD_VIA;
	case HDR_CONTACT:
		return ALG_BAD_CONTACT;
	case HDR_RECORD_ROUTE:
		return ALG_BAD_RECORD_ROUTE;
	case HDR_ROUTE:
		return ALG_BAD_ROUTE;
	default:
		return ALG_BAD_HEADER;
	}
}

#define HDR_BIT(id) (1u << (id))
/* The headers whose addresses are a LAN phone's own, translated both ways alike: Contact,
 * Record-Route of a LAN proxy, and those of a transfer (RFC 3515 Refer-To, whose URI headers
 * such as Replaces hold a Call-ID and stay; RFC 3892 Referred-By). */
#define ADDR_HDRS (HDR_BIT(HDR_CONTACT) | HDR_BIT(HDR_RECORD_ROUTE) | HDR_BIT(HDR_REFER_TO) | \
		   HDR_BIT(HDR_REFERRED_BY))

/* Calls fn on every SIP host of every header with an id in the set (comma lists included). */
static int walk(struct xlate *x, unsigned ids, hostport_fn fn)
{
	for (size_t i = 0; i < x->msg.n_headers; i++) {
		const struct sip_header *h = &x->msg.headers[i];
		struct alg_span elem;
		uint32_t pos = 0;

		if (!(HDR_BIT(h->id) & ids))
			continue;
		x->hdr = h->id;
		while (sip_value_next(x->buf, h->value, &pos, &elem) == 0) {
			struct hostport hp;
			uint32_t expires = UINT32_MAX;
			int r = name_addr_locate(x->buf, elem, h->id, &hp, &expires);

			if (r < 0)
				return xlate_fail(x, bad_reason(h->id));
			if (r == 0 && !hp.ipv6 && fn(x, &hp, expires))
				return -1;
		}
	}
	return 0;
}

typedef int (*body_fn)(struct xlate *x, struct alg_span body);

/* Offset of the next "--boundary" at a line start in [p, end), or end: line start to line
 * start (p itself when it is one, the body's start or after a LF). */
static uint32_t find_delimiter(const char *buf, uint32_t start, uint32_t p, uint32_t end,
			       const char *boundary, size_t blen)
{
	int line_start = p == start || (p > start && buf[p - 1] == '\n');

	for (;;) {
		const char *nl;

		if (line_start) {
			if (p + 2 + blen > end)
				return end;
			if (buf[p] == '-' && buf[p + 1] == '-' && memcmp(buf + p + 2, boundary, blen) == 0)
				return p;
		}
		nl = p < end ? memchr(buf + p, '\n', end - p) : NULL;
		if (!nl)
			return end;
		p = (uint32_t)(nl - buf) + 1;
		line_start = 1;
	}
}

/* The SDP parts of a multipart body (RFC 2046 5.1). */
static int multipart_each(struct xlate *x, struct alg_span body, const char *boundary, body_fn fn)
{
	const char *buf = x->buf;
	uint32_t end = body.off + body.len, blen = (uint32_t)strlen(boundary);
	uint32_t d = find_delimiter(buf, body.off, body.off, end, boundary, blen);

	for (;;) {
		uint32_t p = d + 2 + blen, next, part_end, hdr_end;
		const char *nl;
		struct alg_span part_body;
		char type[64], unused[2];
		int is_sdp = 0;

		if (d == end)
			return xlate_fail(x, ALG_BAD_MULTIPART);
		if (p + 2 <= end && buf[p] == '-' && buf[p + 1] == '-')
			return 0; /* the close delimiter */
		nl = memchr(buf + p, '\n', end - p);
		if (!nl)
			return xlate_fail(x, ALG_BAD_MULTIPART);
		p = (uint32_t)(nl - buf) + 1;
		next = find_delimiter(buf, body.off, p, end, boundary, blen);
		if (next == end)
			return xlate_fail(x, ALG_BAD_MULTIPART);
		part_end = next;
		if (part_end > p && buf[part_end - 1] == '\n')
			part_end--;
		if (part_end > p && buf[part_end - 1] == '\r')
			part_end--;
		/* part headers, up to the empty line */
		hdr_end = p;
		for (;;) {
			uint32_t e, v;

			nl = memchr(buf + hdr_end, '\n', part_end - hdr_end);
			e = nl ? (uint32_t)(nl - buf) : part_end;
			v = e > hdr_end && buf[e - 1] == '\r' ? e - 1 : e;
			if (v == hdr_end) {
				hdr_end = nl ? e + 1 : part_end;
				break;
			}
			if (v - hdr_end > 13 && strncasecmp(buf + hdr_end, "content-type:", 13) == 0) {
				struct alg_span ct = { hdr_end + 13, v - hdr_end - 13 };

				while (ct.len && is_lws(buf[ct.off])) {
					ct.off++;
					ct.len--;
				}
				if (content_type_read(buf, ct, type, sizeof(type), unused, sizeof(unused)))
					return xlate_fail(x, ALG_BAD_MULTIPART);
				is_sdp = strcmp(type, "application/sdp") == 0;
			}
			if (!nl)
				return xlate_fail(x, ALG_BAD_MULTIPART);
			hdr_end = e + 1;
		}
		part_body = (struct alg_span){ hdr_end,
					       part_end > hdr_end ? part_end - hdr_end : 0 };
		if (is_sdp && fn(x, part_body))
			return -1;
		d = next;
	}
}

static int for_each_sdp(struct xlate *x, body_fn fn)
{
	const struct sip_header *ct = sip_msg_find(&x->msg, HDR_CONTENT_TYPE);
	struct alg_span body = { x->msg.body_off, x->msg.body_len };
	char type[64], boundary[72];

	if (body.len == 0 || !ct)
		return 0;
	if (content_type_read(x->buf, ct->value, type, sizeof(type), boundary, sizeof(boundary)))
		return xlate_fail(x, ALG_BAD_CONTENT_TYPE);
	if (strcmp(type, "application/sdp") == 0)
		return fn(x, body);
	if (strncmp(type, "multipart/", 10) == 0) {
		if (!boundary[0])
			return xlate_fail(x, ALG_BAD_MULTIPART);
		return multipart_each(x, body, boundary, fn);
	}
	return 0;
}

/* The method of the CSeq header: "digits LWS method"; the number goes to x->cseq. */
static int cseq_method(struct xlate *x, struct alg_span *method)
{
	const struct sip_header *h = sip_msg_find(&x->msg, HDR_CSEQ);
	uint32_t p, end;

	if (!h)
		return xlate_fail(x, ALG_BAD_CSEQ);
	p = h->value.off;
	end = p + h->value.len;
	x->cseq = 0;
	while (p < end && x->buf[p] >= '0' && x->buf[p] <= '9')
		x->cseq = x->cseq * 10 + (uint32_t)(x->buf[p++] - '0'); /* a key: wrapping is harmless */
	if (p == h->value.off || p == end || !is_lws(x->buf[p]))
		return xlate_fail(x, ALG_BAD_CSEQ);
	while (p < end && is_lws(x->buf[p]))
		p++;
	if (p == end)
		return xlate_fail(x, ALG_BAD_CSEQ);
	*method = (struct alg_span){ p, end - p };
	return 0;
}

/* Dialog events: a 2xx to an INVITE brings the dialog up; BYE, CANCEL and a failed final
 * response end its media (the table decides whether a failure ends an answered call). */
static int note_dialog(struct xlate *x, struct alg_span cseq)
{
	const struct sip_msg *m = &x->msg;
	struct alg_action *a;

	if (!m->is_request && m->status >= 200 && m->status < 300 && span_is(x->buf, cseq, "INVITE")) {
		a = xlate_action(x, ALG_ACT_ANSWERED);
		if (!a)
			return -1;
		a->call_id = x->call_id;
		return 0;
	}

	if (m->is_request ? !(span_is(x->buf, m->method, "BYE") || span_is(x->buf, m->method, "CANCEL"))
			  : !(span_is(x->buf, cseq, "INVITE") && m->status >= 300))
		return 0;
	a = xlate_action(x, ALG_ACT_MEDIA_CLOSE);
	if (!a)
		return -1;
	a->call_id = x->call_id;
	if (m->is_request)
		a->method = m->method;
	else
		a->status = (uint16_t)m->status;
	return 0;
}

/* The address of record a REGISTER is about: the URI of its To header (RFC 3261 10.2). */
static struct alg_span to_uri(const struct xlate *x)
{
	const struct sip_header *h = sip_msg_find(&x->msg, HDR_TO);
	struct alg_span v, u;
	int quoted = 0;

	if (!h)
		return (struct alg_span){ 0, 0 };
	v = h->value;
	u = v;
	for (uint32_t i = 0; i < v.len; i++) {
		char c = sip_unquoted_char(x->buf + v.off, v.len, &i, &quoted);

		if (c == '<') {
			u.off = v.off + i + 1;
			for (u.len = 0; u.off + u.len < v.off + v.len && x->buf[u.off + u.len] != '>'; u.len++)
				;
			return u;
		}
		if (c == ';') { /* addr-spec: the header's parameters follow */
			u.len = i;
			return u;
		}
	}
	return u;
}

/* "Contact: *" (RFC 3261 10.2.2: remove all of the AOR's contacts) speaks for the sender:
 * the packet's source, else a LAN top Via. */
static int register_star(struct xlate *x, const struct hostport *top_via)
{
	uint32_t ip = x->pkt->src.ip;
	struct alg_action *a;

	for (size_t i = 0; i < x->msg.n_headers; i++) {
		const struct sip_header *h = &x->msg.headers[i];
		struct alg_span elem;
		uint32_t pos = 0;

		if (h->id != HDR_CONTACT)
			continue;
		while (sip_value_next(x->buf, h->value, &pos, &elem) == 0) {
			if (elem.len != 1 || x->buf[elem.off] != '*')
				continue;
			if (!ip && top_via->ipv4)
				ip = top_via->ip;
			if (!ip || !xlate_is_lan(x, ip))
				return 0;
			a = xlate_action(x, ALG_ACT_REGISTER);
			if (!a)
				return -1;
			a->priv = (struct alg_endpoint){ ip, 0 };
			a->call_id = x->call_id;
			a->cseq = x->cseq;
			a->aor = x->aor;
			a->expires = expires_header(x);
			return 0;
		}
	}
	return 0;
}

/* A LAN phone's request to another LAN phone named by its LAN address, sent through the
 * phone's proxy (a transferee dialling the Refer-To that came in naming that phone's public
 * binding, which the LAN sees as its private address): the Request-URI gets back the public
 * name the proxy can reach. Only an existing signaling binding's, so it opens nothing and
 * claims no other host's address (the own-address rule is about what a message binds; a
 * Request-URI names where it goes). */
static int ruri_to_public(struct xlate *x)
{
	const struct alg_nat *nat = &x->cfg->nat;
	const struct hostport *hp = &x->ruri;
	uint16_t pub;

	if (x->ruri_state != 0 || !hp->ipv4 || !xlate_is_lan(x, hp->ip) || !nat->signaling_public ||
	    nat->signaling_public(nat->ctx, (struct alg_endpoint){ hp->ip, hostport_port(hp) }, &pub))
		return 0;
	return put_hostport(x, hp, x->cfg->public_ip, pub);
}

static int translate_out(struct xlate *x, const struct hostport *top_via)
{
	const struct sip_msg *m = &x->msg;
	int tcp = x->pkt->transport == ALG_TCP;

	/* The top Via is the phone's only in its own requests; in its responses the Vias are
	 * the requester's and stay as they are. */
	x->hdr = HDR_VIA;
	if (m->is_request && ((!tcp && to_public(x, top_via, UINT32_MAX)) || ruri_to_public(x)))
		return -1;
	if (m->is_request && span_is(x->buf, m->method, "REGISTER")) {
		x->aor = to_uri(x);
		if (walk(x, HDR_BIT(HDR_CONTACT), register_contact) || register_star(x, top_via) ||
		    walk(x, ADDR_HDRS & ~HDR_BIT(HDR_CONTACT), to_public))
			return -1;
	} else if (walk(x, ADDR_HDRS, to_public)) {
		return -1;
	}
	if (m->is_request && tcp && via_over_tcp(x, top_via))
		return -1;
	return for_each_sdp(x, sdp_translate_out);
}

/* What the phone would see without NAT: where the top Via's received= and rport= name the
 * router (RFC 3581: the source the server saw), they are given back as the phone's own
 * address and the port it sent from, which is where this response reaches it. A phone that
 * saw the public address there would decide it is behind NAT and start its own traversal
 * next to the ALG's. They name the router when received= is the public address, or, with no
 * received= (a server that adds it only when it differs from sent-by), when the sent-by as
 * it came is the public address. */
static int restore_via_params(struct xlate *x, const struct hostport *via)
{
	struct alg_endpoint phone = x->pkt->dst;
	uint32_t received;
	uint16_t rport = 0;

	if (via->received.len ? addr_parse(x->buf + via->received.off, via->received.len, &received) ||
					received != x->cfg->public_ip
			      : !via->ipv4 || via->ip != x->cfg->public_ip)
		return 0;
	if (via->rport.len && port_parse(x->buf + via->rport.off, via->rport.len, &rport))
		rport = 0;
	/* The packet's destination is the phone after the NAT; unknown, the binding of rport's. */
	if ((!phone.ip || !xlate_is_lan(x, phone.ip)) && (!rport || xlate_private(x, rport, &phone)))
		return 0;
	if (via->received.len && xlate_edit_addr(x, via->received, phone.ip))
		return -1;
	if (rport && phone.port && rport != phone.port && xlate_edit_port(x, via->rport, phone.port))
		return -1;
	return 0;
}

/* A response's top Via. Over TCP it comes over the phone's own connection, so the Via is that
 * phone's (the packet's destination) whichever binding holds its port by now: via_over_tcp
 * wrote it without one. */
static int restore_top_via(struct xlate *x, const struct hostport *via)
{
	struct alg_endpoint priv;
	uint32_t phone = x->pkt->dst.ip;

	if (x->pkt->transport != ALG_TCP || !via->ipv4 || via->ip != x->cfg->public_ip || !phone ||
	    !xlate_is_lan(x, phone) || (xlate_private(x, hostport_port(via), &priv) == 0 && priv.ip == phone))
		return restore(x, via, UINT32_MAX);
	return put_hostport(x, via, phone, hostport_port(via));
}

static int translate_in(struct xlate *x, const struct hostport *top_via, struct alg_span cseq)
{
	const struct sip_msg *m = &x->msg;
	struct alg_action *a;

	if (m->is_request) {
		if (x->ruri_state == 0 && restore(x, &x->ruri, UINT32_MAX))
			return -1;
		/* Route and Record-Route name the proxies; Refer-To and Referred-By may name a
		 * LAN phone as the WAN side knows it. Contacts stay: they are the sender's. */
		if (walk(x, HDR_BIT(HDR_ROUTE) | HDR_BIT(HDR_REFER_TO) | HDR_BIT(HDR_REFERRED_BY), restore))
			return -1;
	} else {
		if (restore_top_via(x, top_via) || restore_via_params(x, top_via) ||
		    walk(x, HDR_BIT(HDR_RECORD_ROUTE), restore))
			return -1;
		if (m->status >= 200 && m->status < 300 && span_is(x->buf, cseq, "REGISTER")) {
			if (walk(x, HDR_BIT(HDR_CONTACT), restore_registered))
				return -1;
			if (x->cfg->nat.request_contact) {
				a = xlate_action(x, ALG_ACT_REGISTER_END);
				if (!a)
					return -1;
				a->call_id = x->call_id;
				a->cseq = x->cseq;
				a->from = x->pkt->src.ip;
				a->n_contacts = x->n_contacts;
			}
		}
	}
	return for_each_sdp(x, sdp_note_peer);
}

static enum alg_reason scan_reason(enum sip_scan_error e)
{
	static const enum alg_reason map[] = {
		[SCAN_OK] = ALG_OK,
		[SCAN_KEEPALIVE] = ALG_KEEPALIVE,
		[SCAN_BAD_START_LINE] = ALG_BAD_START_LINE,
		[SCAN_BAD_HEADER] = ALG_BAD_HEADER,
		[SCAN_NO_HEADER_END] = ALG_NO_HEADER_END,
		[SCAN_TOO_MANY_HEADERS] = ALG_TOO_MANY_HEADERS,
		[SCAN_BAD_CONTENT_LENGTH] = ALG_BAD_CONTENT_LENGTH,
	};
	return map[e];
}

/* Cheap checks that keep malformed requests from being half-translated: address headers
 * with balanced quotes and brackets, a Request-URI with a real scheme and no headers part
 * (RFC 3261 19.1.1), and a CSeq naming the request's own method. */
static int check_form(struct xlate *x, struct alg_span cseq)
{
	const struct sip_msg *m = &x->msg;

	for (size_t i = 0; i < m->n_headers; i++) {
		const struct sip_header *h = &m->headers[i];

		if ((HDR_BIT(h->id) & (ADDR_HDRS | HDR_BIT(HDR_FROM) | HDR_BIT(HDR_TO) | HDR_BIT(HDR_ROUTE))) &&
		    !sip_value_balanced(x->buf, h->value))
			return xlate_fail(x, h->id == HDR_CONTACT ? ALG_BAD_CONTACT : ALG_BAD_HEADER);
	}
	if (!m->is_request)
		return 0;
	if (!span_eq(x->buf, cseq, x->buf + m->method.off, m->method.len))
		return xlate_fail(x, ALG_BAD_CSEQ);
	for (uint32_t i = 0; i < m->ruri.len; i++) {
		char c = x->buf[m->ruri.off + i];

		if (c == ':' && i > 0)
			break;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			return xlate_fail(x, ALG_BAD_REQUEST_URI);
	}
	x->ruri_state = request_uri_locate(x->buf, m->ruri, &x->ruri);
	if (x->ruri_state < 0)
		return xlate_fail(x, ALG_BAD_REQUEST_URI);
	return 0;
}

static int translate(struct xlate *x)
{
	const struct sip_header *via = sip_msg_find(&x->msg, HDR_VIA);
	const struct sip_header *call_id = sip_msg_find(&x->msg, HDR_CALL_ID);
	struct hostport top_via;
	struct alg_span cseq, elem;
	uint32_t pos = 0;

	if (!via || sip_value_next(x->buf, via->value, &pos, &elem))
		return xlate_fail(x, ALG_NO_VIA);
	if (via_locate(x->buf, elem, &top_via))
		return xlate_fail(x, ALG_BAD_VIA);
	if (top_via.ipv6)
		return xlate_fail(x, ALG_IPV6);
	if (!call_id || call_id->value.len == 0)
		return xlate_fail(x, ALG_NO_CALL_ID);
	x->call_id = call_id->value;
	if (cseq_method(x, &cseq) || check_form(x, cseq))
		return -1;
	if (x->pkt->dir == ALG_OUT ? translate_out(x, &top_via) : translate_in(x, &top_via, cseq))
		return -1;
	return note_dialog(x, cseq);
}

/* Content-Length follows the body's new size. */
static int fix_content_length(struct xlate *x)
{
	const struct sip_header *cl = sip_msg_find(&x->msg, HDR_CONTENT_LENGTH);
	long delta;
	char text[12];

	if (!x->msg.has_content_length)
		return 0;
	delta = splice_delta(&x->edits, x->msg.body_off, x->msg.body_off + x->msg.body_len);
	if (delta == 0)
		return 0;
	/* the new length is that of a body within the message: it fits 32 bits */
	return xlate_edit(x, cl->value, text, uint_format((uint32_t)((long)x->msg.body_len + delta), text));
}

void alg_translate(const struct alg_config *cfg, const struct alg_packet *pkt, char *out,
		   size_t out_cap, struct alg_result *res)
{
	struct xlate x;
	enum sip_scan_error se;

	res->reason = ALG_OK;
	res->changed = 0;
	res->out_len = 0;
	res->n_actions = 0;
	x.cfg = cfg;
	x.pkt = pkt;
	x.buf = pkt->msg;
	x.res = res;
	x.edits.n = 0;
	x.cseq = 0;
	x.aor = (struct alg_span){ 0, 0 };
	x.n_contacts = 0;
	x.hdr = HDR_VIA;

	if (cfg->max_message_size && pkt->len > cfg->max_message_size) {
		res->reason = ALG_TOO_LARGE;
		return;
	}
	se = sip_msg_scan(pkt->msg, pkt->len, &x.msg);
	if (se != SCAN_OK) {
		res->reason = scan_reason(se);
		return;
	}
	if (cfg->max_headers && x.msg.n_headers > cfg->max_headers) {
		res->reason = ALG_TOO_MANY_HEADERS;
		return;
	}
	if (translate(&x) || fix_content_length(&x)) {
		res->n_actions = 0;
		return;
	}
	if (x.edits.n == 0)
		return;
	if (splice_apply(&x.edits, pkt->msg, pkt->len, out, out_cap, &res->out_len)) {
		res->reason = ALG_NO_ROOM;
		res->n_actions = 0;
		return;
	}
	res->changed = 1;
}
