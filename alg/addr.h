/* SPDX-License-Identifier: GPL-2.0-or-later */
/* addr.h: IPv4 literals, networks, ports and other decimals as the ALG reads and writes them. */
#ifndef SIPALG_ADDR_H
#define SIPALG_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* An IPv4 address in host byte order and a port; port 0 means "none". */
struct alg_endpoint {
	uint32_t ip;
	uint16_t port;
};

/* Field by field: memcmp would also compare the struct's padding. */
static inline int endpoint_eq(struct alg_endpoint a, struct alg_endpoint b)
{
	return a.ip == b.ip && a.port == b.port;
}

struct alg_net {
	uint32_t addr; /* host byte order, already masked */
	uint32_t mask;
};

/* Longest text addr_format/endpoint_format write, NUL included. */
#define ADDR_STR_MAX 16
#define ENDPOINT_STR_MAX 22

/* Parses exactly n bytes as 1..max_digits decimal digits (leading zeros count: the limit is
 * on digits, the caller checks the value); 0 on success. No sign, no spaces: unlike strtoul.
 * Inline, so that with a constant max_digits each caller gets its own tight loop. */
static inline int decimal_parse(const char *s, size_t n, size_t max_digits, uint64_t *v)
{
	uint64_t acc = 0;

	if (n == 0 || n > max_digits || n > 19) /* 19 digits cannot wrap 64 bits */
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		acc = acc * 10 + (uint64_t)(s[i] - '0');
	}
	*v = acc;
	return 0;
}

/* Parses exactly n bytes as a dotted quad; 0 on success. */
int addr_parse(const char *s, size_t n, uint32_t *ip);
/* Parses exactly n bytes as a decimal port 1..65535; 0 on success. */
int port_parse(const char *s, size_t n, uint16_t *port);
/* Parses "A.B.C.D/len" (NUL-terminated); 0 on success. */
int net_parse(const char *s, struct alg_net *net);
/* Parses "A.B.C.D:port" (NUL-terminated); 0 on success. */
int endpoint_parse(const char *s, struct alg_endpoint *ep);

int net_contains(const struct alg_net *nets, size_t n, uint32_t ip);
/* 1 when ip is private (RFC 1918) or a carrier NAT's shared space (RFC 6598): a WAN address
 * there is behind another NAT and reachable from nowhere else. */
int addr_behind_nat(uint32_t ip);

/* Both return the length written, without the NUL. */
size_t addr_format(uint32_t ip, char *buf);
size_t endpoint_format(const struct alg_endpoint *ep, char *buf);
size_t port_format(uint16_t port, char *buf);
/* v in decimal, NUL-terminated (11 bytes at most); its length. */
size_t uint_format(uint32_t v, char *buf);

#endif
