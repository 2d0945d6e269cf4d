/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_fast.c: the fast path's checks of SIP header values (see sip_fast.h). Each accepts a
 * narrow grammar, read left to right once; libosip2 quirks it must stay inside of are
 * noted where they bite. */
#include "sip_fast.h"

#include <string.h>

#include "addr.h"
#include "xlate.h"

/* Character classes. PARAM: a parameter's name or value (RFC 3261 token without '%', '`'
 * and '\'', which libosip2 unescapes or quotes differently); HOST: a host name or IPv4
 * literal; USER: a URI's user part (PARAM and escapes); HEADER: a URI's headers part. */
enum {
	C_PARAM = 1,
	C_HOST = 2,
	C_USER = 4,
	C_HEADER = 8,
	C_TOKEN = 16, /* RFC 3261 token: libosip2's unquoted display-name characters */
};

#define C_ALNUM (C_PARAM | C_HOST | C_USER | C_HEADER | C_TOKEN)
static const uint8_t char_class[256] = {
	['a' ... 'z'] = C_ALNUM, ['A' ... 'Z'] = C_ALNUM, ['0' ... '9'] = C_ALNUM,
	['-'] = C_ALNUM, ['.'] = C_ALNUM,
	['!'] = C_PARAM | C_USER | C_HEADER | C_TOKEN, ['*'] = C_PARAM | C_USER | C_HEADER | C_TOKEN,
	['_'] = C_PARAM | C_USER | C_HEADER | C_TOKEN, ['+'] = C_PARAM | C_USER | C_HEADER | C_TOKEN,
	['~'] = C_PARAM | C_USER | C_HEADER | C_TOKEN,
	['%'] = C_USER | C_HEADER | C_TOKEN, ['`'] = C_TOKEN, ['\''] = C_TOKEN,
	['='] = C_HEADER, ['&'] = C_HEADER,
};

static inline int is(char c, unsigned cls)
{
	return char_class[(uint8_t)c] & cls;
}

/* Advances *p over a run of class cls; returns its length. Four bytes a step while they
 * all are of the class: a branch per byte costs more than the look-ups. */
static inline uint32_t run(const char *buf, uint32_t *p, uint32_t end, unsigned cls)
{
	const uint8_t *b = (const uint8_t *)buf;
	uint32_t s = *p, i = *p;

	while (i + 4 <= end &&
	       (char_class[b[i]] & char_class[b[i + 1]] & char_class[b[i + 2]] & char_class[b[i + 3]] & cls))
		i += 4;
	while (i < end && is(buf[i], cls))
		i++;
	*p = i;
	return i - s;
}

/* The first c in [p, end), or end. */
static inline uint32_t find(const char *buf, uint32_t p, uint32_t end, char c)
{
	const char *at = memchr(buf + p, c, end - p);

	return at ? (uint32_t)(at - buf) : end;
}

static inline int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* The n bytes at s are the zn bytes of z (lower case), ASCII case ignored: a letter of z
 * matches either case, any other byte only itself. Lengths first: most words asked about
 * (parameter names) differ in length from the wanted one. */
static inline int same_word(const char *s, uint32_t n, const char *z, uint32_t zn)
{
	if (n != zn)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (s[i] != z[i] && ((s[i] | 0x20) != z[i] || (unsigned)(z[i] - 'a') > 25))
			return 0;
	return 1;
}

/* The bytes at [p, end) begin with z (lower case), ASCII case ignored. */
static inline int starts(const char *buf, uint32_t p, uint32_t end, const char *z, uint32_t n)
{
	return end - p >= n && same_word(buf + p, n, z, n);
}

/* host [":" port], the port 1..65535 in at most 5 digits, into hp as read_hostport
 * (sip_addr.c) fills it: the host's characters are none of those that end its host. */
static int hostport(const char *buf, uint32_t *p, uint32_t end, struct hostport *hp)
{
	uint32_t h = *p, s, v = 0;

	if (!run(buf, p, end, C_HOST))
		return 0;
	hp->host = (struct alg_span){ h, *p - h };
	hp->ipv4 = addr_parse(buf + h, *p - h, &hp->ip) == 0;
	if (*p == end || buf[*p] != ':')
		return 1;
	s = ++*p;
	/* port_parse's reading, in the same pass: 1..5 digits, 1..65535 */
	while (*p < end && buf[*p] >= '0' && buf[*p] <= '9' && *p - s < 6)
		v = v * 10 + (uint32_t)(buf[(*p)++] - '0');
	hp->port = (struct alg_span){ s, *p - s };
	if (*p - s > 5 || v == 0 || v > 65535)
		return 0;
	hp->port_val = (uint16_t)v;
	return 1;
}

/* A quoted string at *p without escapes; libosip2 ends it at the next quote. */
static int quoted(const char *buf, uint32_t *p, uint32_t end)
{
	if (*p == end || buf[*p] != '"')
		return 0;
	for (++*p; *p < end && buf[*p] != '"'; ++*p)
		if (buf[*p] == '\\' || (uint8_t)buf[*p] < 0x20 || buf[*p] == 0x7f)
			return 0;
	if (*p == end)
		return 0;
	++*p;
	return 1;
}

/* A parameter whose value the caller wants: the first one of that name (val.len 0: none,
 * or no value; quotes included). */
struct param_want {
	const char *name; /* lower case */
	uint32_t name_len;
	struct alg_span val;
	int found;
};

/* Parameters up to end: *(";" name ["=" value]), a value quoted only when quotes_ok (the
 * header parameters of a name-addr, a Content-Type's), reporting the n_want wanted ones. */
static int params(const char *buf, uint32_t p, uint32_t end, int quotes_ok, struct param_want *want,
		  size_t n_want)
{
	while (p < end) {
		struct param_want *hit = NULL;
		uint32_t name, n;

		if (buf[p] != ';')
			return 0;
		name = ++p;
		n = run(buf, &p, end, C_PARAM);
		if (!n)
			return 0;
		for (size_t k = 0; k < n_want && !hit; k++)
			if (!want[k].found && same_word(buf + name, n, want[k].name, want[k].name_len))
				hit = &want[k];
		if (hit) {
			hit->found = 1;
			hit->val = (struct alg_span){ p, 0 };
		}
		if (p < end && buf[p] == '=') {
			uint32_t v = ++p;

			if (!(quotes_ok && quoted(buf, &p, end)) && !run(buf, &p, end, C_PARAM))
				return 0;
			if (hit)
				hit->val = (struct alg_span){ v, p - v };
		}
	}
	return 1;
}

int fast_via(const char *buf, struct alg_span elem, struct hostport *hp)
{
	uint32_t p = elem.off, end = elem.off + elem.len, t;
	struct param_want want[2] = { { "received", 8, { 0, 0 }, 0 }, { "rport", 5, { 0, 0 }, 0 } };

	/* libosip2 finds the sent-protocol by its slashes and the host after the first space */
	if (!starts(buf, p, end, "sip/2.0/", 8))
		return 0;
	p += 8;
	t = p;
	while (p < end && ((buf[p] >= 'a' && buf[p] <= 'z') || (buf[p] >= 'A' && buf[p] <= 'Z') ||
			   (buf[p] >= '0' && buf[p] <= '9')))
		p++;
	if (p == elem.off + 8 || p == end || buf[p] != ' ')
		return 0;
	if (same_word(buf + t, p - t, "tls", 3))
		hp->dflt_port = 5061;
	p++;
	if (!hostport(buf, &p, end, hp) || !params(buf, p, end, 0, want, 2))
		return 0;
	/* via_param's spans: the value, or nothing */
	for (int k = 0; k < 2; k++)
		if (want[k].val.len == 0)
			want[k].val = (struct alg_span){ 0, 0 };
	hp->received = want[0].val;
	hp->rport = want[1].val;
	return 1;
}

/* sip: or sips: URI in [p, end); with want, reports that parameter of what follows the
 * host when the URI is an addr-spec (libosip2 reads them as the header's parameters). */
static int sip_uri(const char *buf, uint32_t p, uint32_t end, int headers_ok, struct hostport *hp,
		   struct param_want *want, size_t n_want)
{
	uint32_t s = p, q;

	if (starts(buf, p, end, "sip:", 4)) {
		p += 4;
	} else if (starts(buf, p, end, "sips:", 5)) {
		p += 5;
		hp->dflt_port = 5061;
	} else {
		return 0;
	}
	/* [user "@"]: libosip2 takes the first '@', the scanner the last: there is one */
	q = p;
	if (run(buf, &q, end, C_USER) && q < end && buf[q] == '@')
		p = q + 1;
	/* libosip2 rejects a name-addr's URI, or an addr-spec before its parameters, shorter
	 * than 6 characters */
	if (!hostport(buf, &p, end, hp) || p - s < 6)
		return 0;
	q = find(buf, p, end, '?');
	if (!params(buf, p, q, 0, want, n_want))
		return 0;
	if (q == end)
		return 1;
	if (!headers_ok)
		return 0;
	q++;
	return run(buf, &q, end, C_HEADER) && q == end;
}

int fast_sip_uri(const char *buf, struct alg_span uri, int headers_ok, struct hostport *hp)
{
	return sip_uri(buf, uri.off, uri.off + uri.len, headers_ok, hp, NULL, 0);
}

int fast_name_addr(const char *buf, struct alg_span elem, uint32_t *expires, struct hostport *hp)
{
	uint32_t p = elem.off, end = elem.off + elem.len, u;
	struct param_want want = { "expires", 7, { 0, 0 }, 0 };
	uint64_t v;

	if (p == end || buf[p] == '*') /* libosip2 takes a Contact starting with '*' for "*" */
		return 0;
	if (buf[p] == '"') { /* a quoted display name; libosip2 skips spaces only */
		if (!quoted(buf, &p, end))
			return 0;
		for (; p < end && buf[p] == ' '; p++)
			;
		if (p == end || buf[p] != '<')
			return 0;
	} else if (!starts(buf, p, end, "sip:", 4) && !starts(buf, p, end, "sips:", 5)) {
		while (p < end && (buf[p] == ' ' || is(buf[p], C_TOKEN)))
			p++;
		if (p == end || buf[p] != '<')
			return 0;
	}
	if (buf[p] == '<') {
		u = ++p;
		p = find(buf, p, end, '>');
		if (p == end || !sip_uri(buf, u, p, 1, hp, NULL, 0) ||
		    !params(buf, p + 1, end, 1, &want, 1))
			return 0;
	} else if (!sip_uri(buf, p, end, 0, hp, &want, 1)) {
		return 0;
	}
	if (!want.found || want.val.len == 0)
		return 1;
	/* libosip2's value through strtoul: plain digits that fit */
	if (decimal_parse(buf + want.val.off, want.val.len, 9, &v))
		return 0;
	if (expires)
		*expires = (uint32_t)v;
	return 1;
}

int fast_content_type(const char *buf, struct alg_span value, char *type, size_t type_cap,
		      char *boundary, size_t boundary_cap)
{
	uint32_t p = value.off, end = value.off + value.len;
	struct param_want want = { "boundary", 8, { 0, 0 }, 0 };
	struct alg_span b;
	size_t n = 0;

	if (!run(buf, &p, end, C_TOKEN) || p == end || buf[p] != '/')
		return 0;
	p++;
	if (!run(buf, &p, end, C_TOKEN))
		return 0;
	if (!params(buf, p, end, 1, &want, 1))
		return 0;
	b = want.val;
	if (b.len && buf[b.off] == '"') { /* content_type_read drops the quotes */
		b.off++;
		b.len -= 2;
	}
	if (want.found && (b.len == 0 || b.len >= boundary_cap))
		return 0; /* the libosip2 path refuses it, or finds no value: its answer */
	if (type_cap == 0 || boundary_cap == 0)
		return 0;
	for (uint32_t i = value.off; i < p && n + 1 < type_cap; i++)
		type[n++] = (char)lower(buf[i]);
	type[n] = '\0';
	for (n = 0; n < b.len; n++)
		boundary[n] = buf[b.off + n];
	boundary[n] = '\0';
	return 1;
}
