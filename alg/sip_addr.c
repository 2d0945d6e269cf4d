/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_addr.c: where the host and port of a Via, a name-addr or a URI sit in the raw bytes.
 *
 * libosip2 parses each value (it is the judge of what is well formed and what the host is);
 * a small scanner finds the same host in the original bytes so it can be spliced. When the
 * two disagree the value counts as malformed and the message passes unchanged. */
#include "sip_fast.h"
#include "xlate.h"

#include <stdlib.h>
#include <string.h>

#include <osipparser2/osip_parser.h>

static char *span_dup(const char *buf, struct alg_span s)
{
	char *z = malloc((size_t)s.len + 1);

	if (z) {
		memcpy(z, buf + s.off, s.len);
		z[s.len] = '\0';
	}
	return z;
}

static int is_host_end(char c)
{
	return c == ':' || c == ';' || c == '?' || c == '>' || c == ',' || is_lws(c);
}

/* Fills the host, optional port and what they are from the bytes at [p, end). */
static int read_hostport(const char *buf, uint32_t p, uint32_t end, struct hostport *hp)
{
	uint32_t h = p, q;

	if (h < end && buf[h] == '[') {
		hp->ipv6 = 1;
		while (h < end && buf[h] != ']')
			h++;
		if (h == end)
			return -1;
		h++;
	} else {
		while (h < end && !is_host_end(buf[h]))
			h++;
	}
	if (h == p)
		return -1;
	hp->host = (struct alg_span){ p, h - p };
	hp->ipv4 = !hp->ipv6 && addr_parse(buf + p, h - p, &hp->ip) == 0;

	q = h;
	while (q < end && is_lws(buf[q]))
		q++;
	if (q < end && buf[q] == ':') {
		q++;
		while (q < end && is_lws(buf[q]))
			q++;
		p = q;
		while (q < end && buf[q] >= '0' && buf[q] <= '9')
			q++;
		hp->port = (struct alg_span){ p, q - p };
		if (port_parse(buf + p, q - p, &hp->port_val))
			return -1;
	}
	return 0;
}

static void hostport_reset(struct hostport *hp)
{
	memset(hp, 0, sizeof(*hp));
	hp->dflt_port = 5060;
}

/* Checks the scanner's reading against libosip2's host and port strings. */
static int agrees(const char *buf, const struct hostport *hp, const char *host, const char *port)
{
	if (!host)
		return 0;
	if (hp->ipv6) /* libosip2 strips the brackets; IPv6 is left alone anyway */
		return 1;
	if (!span_is(buf, hp->host, host))
		return 0;
	if (hp->port.len == 0)
		return port == NULL || *port == '\0';
	return span_is(buf, hp->port, port);
}

/* The value of Via parameter `name` in [p, end) (the parameters after sent-by), as a span of
 * the raw bytes; len 0 when it is absent or has no value. */
static struct alg_span via_param(const char *buf, uint32_t p, uint32_t end, const char *name)
{
	size_t n = strlen(name);

	while (p < end) {
		uint32_t k, v;

		while (p < end && buf[p] != ';')
			p++;
		if (p == end)
			break;
		p++;
		while (p < end && is_lws(buf[p]))
			p++;
		k = p;
		while (p < end && buf[p] != '=' && buf[p] != ';' && !is_lws(buf[p]))
			p++;
		if (!span_eq(buf, (struct alg_span){ k, p - k }, name, n))
			continue;
		while (p < end && is_lws(buf[p]))
			p++;
		if (p == end || buf[p] != '=')
			break;
		p++;
		while (p < end && is_lws(buf[p]))
			p++;
		v = p;
		while (p < end && buf[p] != ';' && !is_lws(buf[p]))
			p++;
		return (struct alg_span){ v, p - v };
	}
	return (struct alg_span){ 0, 0 };
}

/* The scanner's received= and rport= values are libosip2's (else the Via is malformed). */
static int via_params_agree(const char *buf, const struct hostport *hp, osip_via_t *via)
{
	static const char *const names[] = { "received", "rport" };
	const struct alg_span *spans[] = { &hp->received, &hp->rport };

	for (size_t i = 0; i < 2; i++) {
		osip_generic_param_t *param = NULL;
		int found = osip_via_param_get_byname(via, (char *)names[i], &param) == 0 && param &&
			    param->gvalue && param->gvalue[0];

		if (found ? !span_is(buf, *spans[i], param->gvalue) : spans[i]->len != 0)
			return 0;
	}
	return 1;
}

int via_locate_as(const char *buf, struct alg_span elem, struct hostport *hp, int fast)
{
	uint32_t p = elem.off, end = elem.off + elem.len, t;
	osip_via_t *via = NULL;
	char *z;
	int ret = -1;

	hostport_reset(hp);
	if (fast && fast_via(buf, elem, hp))
		return 0;
	hostport_reset(hp);
	/* sent-protocol: name / version / transport, with optional LWS around the slashes */
	for (int field = 0; field < 3; field++) {
		while (p < end && is_lws(buf[p]))
			p++;
		if (field > 0) {
			if (p >= end || buf[p] != '/')
				return -1;
			p++;
			while (p < end && is_lws(buf[p]))
				p++;
		}
		t = p;
		while (p < end && !is_lws(buf[p]) && buf[p] != '/')
			p++;
		if (p == t)
			return -1;
		if (field == 2 && span_is(buf, (struct alg_span){ t, p - t }, "TLS"))
			hp->dflt_port = 5061;
	}
	while (p < end && is_lws(buf[p]))
		p++;
	if (read_hostport(buf, p, end, hp))
		return -1;
	hp->received = via_param(buf, hp->host.off + hp->host.len, end, "received");
	hp->rport = via_param(buf, hp->host.off + hp->host.len, end, "rport");

	z = span_dup(buf, elem);
	if (z && osip_via_init(&via) == 0 && osip_via_parse(via, z) == 0 &&
	    agrees(buf, hp, via->host, via->port) && via_params_agree(buf, hp, via))
		ret = 0;
	osip_via_free(via);
	free(z);
	return ret;
}

/* The host of a sip: or sips: URI in [p, end); 1 for other schemes. */
static int uri_hostport(const char *buf, uint32_t p, uint32_t end, struct hostport *hp)
{
	uint32_t colon = p, at = 0, q;
	struct alg_span scheme;

	while (colon < end && buf[colon] != ':')
		colon++;
	if (colon == end)
		return -1;
	scheme = (struct alg_span){ p, colon - p };
	if (span_is(buf, scheme, "sips"))
		hp->dflt_port = 5061;
	else if (!span_is(buf, scheme, "sip"))
		return 1;
	/* userinfo ends at the last '@' of the URI: parameters and headers cannot hold one */
	for (q = colon + 1; q < end && buf[q] != '"' && buf[q] != '>'; q++)
		if (buf[q] == '@')
			at = q;
	return read_hostport(buf, at ? at + 1 : colon + 1, end, hp);
}

static int parse_name_addr(int id, const char *z, osip_from_t *h)
{
	switch (id) {
	case HDR_CONTACT:
		return osip_contact_parse(h, z);
	case HDR_RECORD_ROUTE:
		return osip_record_route_parse(h, z);
	case HDR_ROUTE:
		return osip_route_parse(h, z);
	default:
		return osip_from_parse(h, z);
	}
}

int name_addr_locate_as(const char *buf, struct alg_span elem, int id, struct hostport *hp,
			uint32_t *expires, int fast)
{
	uint32_t p = elem.off, end = elem.off + elem.len, uri = elem.off, uri_end = end;
	osip_from_t *h = NULL;
	int quoted = 0, ret;
	char *z;

	hostport_reset(hp);
	if (fast && fast_name_addr(buf, elem, expires, hp))
		return 0;
	hostport_reset(hp);
	if (elem.len == 1 && buf[p] == '*')
		return 1;
	/* name-addr when a '<' appears outside the display name's quotes, else addr-spec */
	for (uint32_t i = 0; i < elem.len; i++) {
		if (sip_unquoted_char(buf + elem.off, elem.len, &i, &quoted) != '<')
			continue;
		uri = elem.off + i + 1;
		uri_end = uri;
		while (uri_end < end && buf[uri_end] != '>')
			uri_end++;
		if (uri_end == end)
			return -1;
		break;
	}
	ret = uri_hostport(buf, uri, uri_end, hp);
	if (ret)
		return ret;

	z = span_dup(buf, elem);
	ret = -1;
	if (z && osip_from_init(&h) == 0 && parse_name_addr(id, z, h) == 0 && h->url &&
	    agrees(buf, hp, h->url->host, h->url->port)) {
		osip_generic_param_t *exp = NULL;

		ret = 0;
		if (expires && osip_generic_param_get_byname(&h->gen_params, "expires", &exp) == 0 &&
		    exp && exp->gvalue)
			*expires = (uint32_t)strtoul(exp->gvalue, NULL, 10);
	}
	osip_from_free(h);
	free(z);
	return ret;
}

int request_uri_locate_as(const char *buf, struct alg_span uri, struct hostport *hp, int fast)
{
	osip_uri_t *u = NULL;
	char *z;
	int ret;

	hostport_reset(hp);
	if (fast && fast_sip_uri(buf, uri, 0, hp))
		return 0;
	hostport_reset(hp);
	ret = uri_hostport(buf, uri.off, uri.off + uri.len, hp);
	if (ret)
		return ret;
	/* headers are not allowed in a Request-URI (RFC 3261 19.1.1); the user part may hold '?' */
	if (memchr(buf + hp->host.off, '?', uri.off + uri.len - hp->host.off))
		return -1;
	z = span_dup(buf, uri);
	ret = -1;
	if (z && osip_uri_init(&u) == 0 && osip_uri_parse(u, z) == 0 &&
	    agrees(buf, hp, u->host, u->port))
		ret = 0;
	osip_uri_free(u);
	free(z);
	return ret;
}

static void lower_copy(char *dst, size_t cap, const char *a, const char *b)
{
	size_t n = 0;

	for (const char *s = a; s && *s && n + 1 < cap; s++)
		dst[n++] = (char)(*s | ((*s >= 'A' && *s <= 'Z') ? 0x20 : 0));
	if (b && n + 1 < cap)
		dst[n++] = '/';
	for (const char *s = b; s && *s && n + 1 < cap; s++)
		dst[n++] = (char)(*s | ((*s >= 'A' && *s <= 'Z') ? 0x20 : 0));
	dst[n] = '\0';
}

int content_type_read_as(const char *buf, struct alg_span value, char *type, size_t type_cap,
			 char *boundary, size_t boundary_cap, int fast)
{
	osip_content_type_t *ct = NULL;
	osip_generic_param_t *b = NULL;
	char *z;
	int ret = -1;

	if (fast && fast_content_type(buf, value, type, type_cap, boundary, boundary_cap))
		return 0;
	z = span_dup(buf, value);
	type[0] = '\0';
	boundary[0] = '\0';
	if (z && osip_content_type_init(&ct) == 0 && osip_content_type_parse(ct, z) == 0 &&
	    ct->type && ct->subtype) {
		ret = 0;
		lower_copy(type, type_cap, ct->type, ct->subtype);
		if (osip_generic_param_get_byname(&ct->gen_params, "boundary", &b) == 0 && b &&
		    b->gvalue) {
			const char *v = b->gvalue;
			size_t n = strlen(v);

			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v++;
				n -= 2;
			}
			if (n == 0 || n >= boundary_cap)
				ret = -1;
			else {
				memcpy(boundary, v, n);
				boundary[n] = '\0';
			}
		}
	}
	osip_content_type_free(ct);
	free(z);
	return ret;
}

/* The core runs the locators with the fast path on. */
int via_locate(const char *buf, struct alg_span elem, struct hostport *hp)
{
	return via_locate_as(buf, elem, hp, 1);
}

int name_addr_locate(const char *buf, struct alg_span elem, enum sip_hdr id, struct hostport *hp,
		     uint32_t *expires)
{
	return name_addr_locate_as(buf, elem, (int)id, hp, expires, 1);
}

int request_uri_locate(const char *buf, struct alg_span uri, struct hostport *hp)
{
	return request_uri_locate_as(buf, uri, hp, 1);
}

int content_type_read(const char *buf, struct alg_span value, char *type, size_t type_cap,
		      char *boundary, size_t boundary_cap)
{
	return content_type_read_as(buf, value, type, type_cap, boundary, boundary_cap, 1);
}
