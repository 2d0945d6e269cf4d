/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sip_fast.c: the fast path's checks of SIP header values (see sip_fast.h). Each accepts a
 * narrow grammar, read left to right once; libosip2 quirks it must stay inside of are
 * noted where they bite. */
#include "sip_fast.h"

#include "addr.h"

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

/* Advances *p over a run of class cls; returns its length. */
static inline uint32_t run(const char *buf, uint32_t *p, uint32_t end, unsigned cls)
{
	uint32_t s = *p;

	while (*p < end && is(buf[*p], cls))
		(*p)++;
	return *p - s;
}

static inline int lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* The n bytes at s are z (lower case), ASCII case ignored. */
static int same_word(const char *s, uint32_t n, const char *z)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (z[i] == '\0' || lower(s[i]) != z[i])
			return 0;
	return z[i] == '\0';
}

/* The bytes at [p, end) begin with z (lower case), ASCII case ignored. */
static int starts(const char *buf, uint32_t p, uint32_t end, const char *z, uint32_t n)
{
	return end - p >= n && same_word(buf + p, n, z);
}

/* host [":" port], the port 1..65535 in at most 5 digits. */
static int hostport(const char *buf, uint32_t *p, uint32_t end)
{
	uint16_t port;
	uint32_t s;

	if (!run(buf, p, end, C_HOST))
		return 0;
	if (*p == end || buf[*p] != ':')
		return 1;
	s = ++*p;
	while (*p < end && buf[*p] >= '0' && buf[*p] <= '9')
		(*p)++;
	return port_parse(buf + s, *p - s, &port) == 0;
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

/* Parameters up to end: *(";" name ["=" value]), a value quoted only when quotes_ok (the
 * header parameters of a name-addr, a Content-Type's). Reports the first one named want
 * (when want is not NULL) through *val (len 0: none, or no value; quotes included). */
static int params(const char *buf, uint32_t p, uint32_t end, int quotes_ok, const char *want,
		  struct alg_span *val, int *found)
{
	while (p < end) {
		uint32_t name, n;
		int hit;

		if (buf[p] != ';')
			return 0;
		name = ++p;
		n = run(buf, &p, end, C_PARAM);
		if (!n)
			return 0;
		hit = want && !*found && same_word(buf + name, n, want);
		if (hit) {
			*found = 1;
			*val = (struct alg_span){ p, 0 };
		}
		if (p < end && buf[p] == '=') {
			uint32_t v = ++p;

			if (!(quotes_ok && quoted(buf, &p, end)) && !run(buf, &p, end, C_PARAM))
				return 0;
			if (hit)
				*val = (struct alg_span){ v, p - v };
		}
	}
	return 1;
}

int fast_via(const char *buf, struct alg_span elem)
{
	uint32_t p = elem.off, end = elem.off + elem.len;

	/* libosip2 finds the sent-protocol by its slashes and the host after the first space */
	if (!starts(buf, p, end, "sip/2.0/", 8))
		return 0;
	p += 8;
	while (p < end && ((buf[p] >= 'a' && buf[p] <= 'z') || (buf[p] >= 'A' && buf[p] <= 'Z') ||
			   (buf[p] >= '0' && buf[p] <= '9')))
		p++;
	if (p == elem.off + 8 || p == end || buf[p] != ' ')
		return 0;
	p++;
	if (!hostport(buf, &p, end))
		return 0;
	return params(buf, p, end, 0, NULL, NULL, NULL);
}

/* sip: or sips: URI in [p, end); with want, reports that parameter of what follows the
 * host when the URI is an addr-spec (libosip2 reads them as the header's parameters). */
static int sip_uri(const char *buf, uint32_t p, uint32_t end, int headers_ok, const char *want,
		   struct alg_span *val, int *found)
{
	uint32_t s = p, q;

	if (starts(buf, p, end, "sip:", 4))
		p += 4;
	else if (starts(buf, p, end, "sips:", 5))
		p += 5;
	else
		return 0;
	/* [user "@"]: libosip2 takes the first '@', the scanner the last: there is one */
	q = p;
	if (run(buf, &q, end, C_USER) && q < end && buf[q] == '@')
		p = q + 1;
	/* libosip2 rejects a name-addr's URI, or an addr-spec before its parameters, shorter
	 * than 6 characters */
	if (!hostport(buf, &p, end) || p - s < 6)
		return 0;
	q = p;
	while (q < end && buf[q] != '?')
		q++;
	if (!params(buf, p, q, 0, want, val, found))
		return 0;
	if (q == end)
		return 1;
	if (!headers_ok)
		return 0;
	q++;
	return run(buf, &q, end, C_HEADER) && q == end;
}

int fast_sip_uri(const char *buf, struct alg_span uri, int headers_ok)
{
	return sip_uri(buf, uri.off, uri.off + uri.len, headers_ok, NULL, NULL, NULL);
}

int fast_name_addr(const char *buf, struct alg_span elem, uint32_t *expires)
{
	uint32_t p = elem.off, end = elem.off + elem.len, u;
	struct alg_span val = { 0, 0 };
	int found = 0;
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
		for (u = ++p; p < end && buf[p] != '>'; p++)
			;
		if (p == end || !sip_uri(buf, u, p, 1, NULL, NULL, NULL) ||
		    !params(buf, p + 1, end, 1, "expires", &val, &found))
			return 0;
	} else if (!sip_uri(buf, p, end, 0, "expires", &val, &found)) {
		return 0;
	}
	if (!found || val.len == 0)
		return 1;
	/* libosip2's value through strtoul: plain digits that fit */
	if (decimal_parse(buf + val.off, val.len, 9, &v))
		return 0;
	if (expires)
		*expires = (uint32_t)v;
	return 1;
}

int fast_content_type(const char *buf, struct alg_span value, char *type, size_t type_cap,
		      char *boundary, size_t boundary_cap)
{
	uint32_t p = value.off, end = value.off + value.len;
	struct alg_span b = { 0, 0 };
	size_t n = 0;
	int found = 0;

	if (!run(buf, &p, end, C_TOKEN) || p == end || buf[p] != '/')
		return 0;
	p++;
	if (!run(buf, &p, end, C_TOKEN))
		return 0;
	if (!params(buf, p, end, 1, "boundary", &b, &found))
		return 0;
	if (b.len && buf[b.off] == '"') { /* content_type_read drops the quotes */
		b.off++;
		b.len -= 2;
	}
	if (found && (b.len == 0 || b.len >= boundary_cap))
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
