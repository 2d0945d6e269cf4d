/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ice.c: reading ICE candidates and writing the router's own (RFC 8839, RFC 8445). */
#include "ice.h"

#include <string.h>

#include "sip_msg.h"

/* RFC 8445 5.1.2.2: the recommended type preference of server-reflexive candidates (host
 * 126, relayed 0), and the local preference of a single-homed agent. */
#define ICE_SRFLX_TYPE_PREF 100u
#define ICE_LOCAL_PREF 65535u
/* Our candidates' foundation (1*32 ice-char): one base address, one type, one "server". */
#define ICE_FOUNDATION "sipalg"

static int ice_chars(const char *s, uint32_t n)
{
	if (n == 0 || n > 32)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '+' || c == '/'))
			return 0;
	}
	return 1;
}

int ice_candidate_read(const char *buf, const struct alg_span *f, size_t n, struct ice_candidate *c)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay" };
	uint64_t comp, prio, port;

	if (n < 8 || !ice_chars(buf + f[0].off, f[0].len) ||
	    decimal_parse(buf + f[1].off, f[1].len, 3, &comp) || comp < 1 || comp > 256 ||
	    decimal_parse(buf + f[3].off, f[3].len, 10, &prio) || prio < 1 || prio > 0x7fffffff ||
	    decimal_parse(buf + f[5].off, f[5].len, 5, &port) || port > 65535 ||
	    !span_is(buf, f[6], "typ"))
		return -1;
	c->component = (uint16_t)comp;
	c->priority = (uint32_t)prio;
	c->type = ICE_OTHER;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (span_is(buf, f[7], types[i]))
			c->type = (enum ice_type)i;
	return 0;
}

/* Appends the C string z at out + n; the new length. */
static size_t put(char *out, size_t n, const char *z)
{
	size_t len = strlen(z);

	memcpy(out + n, z, len);
	return n + len;
}

/* Without snprintf, whose format parsing cost more than the rest of an ICE offer's edits:
 * at most 19 + 5 + 5 + 10 + 1 + 15 + 1 + 5 + 17 + 15 + 7 + 5 + 2 = 107 bytes, under
 * ICE_LINE_MAX. */
size_t ice_mapped_line(char *out, uint16_t component, uint32_t public_ip, uint16_t pub_port,
		       struct alg_endpoint base, const char *eol)
{
	uint32_t priority = (ICE_SRFLX_TYPE_PREF << 24) | (ICE_LOCAL_PREF << 8) | (256u - component);
	size_t n = put(out, 0, "a=candidate:" ICE_FOUNDATION " ");

	n += uint_format(component, out + n);
	n = put(out, n, " UDP ");
	n += uint_format(priority, out + n);
	out[n++] = ' ';
	n += addr_format(public_ip, out + n);
	out[n++] = ' ';
	n += uint_format(pub_port, out + n);
	n = put(out, n, " typ srflx raddr ");
	n += addr_format(base.ip, out + n);
	n = put(out, n, " rport ");
	n += uint_format(base.port, out + n);
	n = put(out, n, eol);
	out[n] = '\0';
	return n;
}
