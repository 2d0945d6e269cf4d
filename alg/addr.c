/* SPDX-License-Identifier: GPL-2.0-or-later */
/* addr.c: IPv4 literals, networks, ports and other decimals, without libc's locale-aware
 * parsers. */
#include "addr.h"

#include <string.h>

/* The digit at s[i] (i < n), or 10. */
static inline unsigned digit_at(const char *s, size_t n, size_t i)
{
	unsigned d = i < n ? (unsigned)(s[i] - '0') : 10;

	return d <= 9 ? d : 10;
}

int addr_parse(const char *s, size_t n, uint32_t *ip)
{
	uint32_t out = 0;
	size_t i = 0;

	/* four parts of 1..3 digits up to 255, dots between; the digits of a part unrolled
	 * (every host is asked: keep it tight) */
	for (int part = 0;; part++) {
		unsigned v = digit_at(s, n, i), d;

		if (v > 9)
			return -1;
		if ((d = digit_at(s, n, ++i)) <= 9) {
			v = v * 10 + d;
			if ((d = digit_at(s, n, ++i)) <= 9) {
				v = v * 10 + d;
				if (v > 255 || digit_at(s, n, ++i) <= 9)
					return -1;
			}
		}
		out = out << 8 | v;
		if (part == 3)
			break;
		if (i >= n || s[i] != '.')
			return -1;
		i++;
	}
	if (i != n)
		return -1;
	*ip = out;
	return 0;
}

int port_parse(const char *s, size_t n, uint16_t *port)
{
	uint64_t v;

	if (decimal_parse(s, n, 5, &v) || v == 0 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int net_parse(const char *s, struct alg_net *net)
{
	const char *slash = strchr(s, '/');
	uint32_t ip;
	uint64_t len;

	if (!slash || addr_parse(s, (size_t)(slash - s), &ip))
		return -1;
	if (decimal_parse(slash + 1, strlen(slash + 1), 2, &len) || len > 32)
		return -1;
	net->mask = len ? ~(uint32_t)0 << (32 - len) : 0;
	net->addr = ip & net->mask;
	return 0;
}

int endpoint_parse(const char *s, struct alg_endpoint *ep)
{
	const char *colon = strrchr(s, ':');

	if (!colon || addr_parse(s, (size_t)(colon - s), &ep->ip))
		return -1;
	return port_parse(colon + 1, strlen(colon + 1), &ep->port);
}

int net_contains(const struct alg_net *nets, size_t n, uint32_t ip)
{
	for (size_t i = 0; i < n; i++)
		if ((ip & nets[i].mask) == nets[i].addr)
			return 1;
	return 0;
}

int addr_behind_nat(uint32_t ip)
{
	static const struct alg_net shared[] = {
		{ 0x0a000000, 0xff000000 }, /* 10/8: RFC 1918 */
		{ 0xac100000, 0xfff00000 }, /* 172.16/12 */
		{ 0xc0a80000, 0xffff0000 }, /* 192.168/16 */
		{ 0x64400000, 0xffc00000 }, /* 100.64/10: RFC 6598, a carrier's NAT */
	};

	return net_contains(shared, sizeof(shared) / sizeof(shared[0]), ip);
}

size_t uint_format(uint32_t v, char *buf)
{
	char tmp[10];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	buf[i] = '\0';
	return i;
}

/* One part of a dotted quad, without a loop or a reversal: every edit writes one. */
static size_t octet_format(unsigned v, char *buf)
{
	size_t n = 0;

	if (v >= 100) {
		buf[n++] = (char)('0' + v / 100);
		v %= 100;
		buf[n++] = (char)('0' + v / 10);
	} else if (v >= 10) {
		buf[n++] = (char)('0' + v / 10);
	}
	buf[n++] = (char)('0' + v % 10);
	return n;
}

size_t addr_format(uint32_t ip, char *buf)
{
	size_t n = octet_format(ip >> 24, buf);

	buf[n++] = '.';
	n += octet_format((ip >> 16) & 0xff, buf + n);
	buf[n++] = '.';
	n += octet_format((ip >> 8) & 0xff, buf + n);
	buf[n++] = '.';
	n += octet_format(ip & 0xff, buf + n);
	buf[n] = '\0';
	return n;
}

size_t port_format(uint16_t port, char *buf)
{
	return uint_format(port, buf);
}

size_t endpoint_format(const struct alg_endpoint *ep, char *buf)
{
	size_t n = addr_format(ep->ip, buf);

	buf[n++] = ':';
	return n + uint_format(ep->port, buf + n);
}
