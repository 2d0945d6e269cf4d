/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.c: IPv4/UDP decode, and payload replacement in place, with libnetfilter_queue's
 * checksum helpers keeping the IP and UDP checksums right. */
#include "packet.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <string.h>

#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>

enum packet_kind packet_decode(const uint8_t *data, size_t len, struct udp_packet *u)
{
	struct iphdr ip;
	struct udphdr udp;
	size_t ihl, tot, ulen;

	if (len < sizeof(ip))
		return PACKET_OTHER;
	memcpy(&ip, data, sizeof(ip));
	if (ip.version != 4)
		return PACKET_OTHER;
	ihl = (size_t)ip.ihl * 4;
	tot = ntohs(ip.tot_len);
	if (ihl < sizeof(ip) || tot < ihl || tot > len)
		return PACKET_MALFORMED;
	if (ip.protocol != IPPROTO_UDP)
		return PACKET_OTHER;
	if (ntohs(ip.frag_off) & (IP_MF | IP_OFFMASK))
		return PACKET_FRAGMENT;
	if (tot - ihl < sizeof(udp))
		return PACKET_MALFORMED;
	memcpy(&udp, data + ihl, sizeof(udp));
	ulen = ntohs(udp.len);
	if (ulen < sizeof(udp) || ulen > tot - ihl)
		return PACKET_MALFORMED;
	u->src = (struct alg_endpoint){ ntohl(ip.saddr), ntohs(udp.source) };
	u->dst = (struct alg_endpoint){ ntohl(ip.daddr), ntohs(udp.dest) };
	u->payload = (const char *)data + ihl + sizeof(udp);
	u->payload_len = ulen - sizeof(udp);
	return PACKET_UDP;
}

size_t packet_rewritten_len(const uint8_t *data, size_t room, const struct udp_packet *u, size_t payload_len)
{
	size_t n = (size_t)((const uint8_t *)u->payload - data) + payload_len;

	return n > room || n > 0xffff ? 0 : n;
}

size_t packet_rewrite_in_place(uint8_t *data, size_t room, const struct udp_packet *u,
			       const char *payload, size_t payload_len)
{
	/* The datagram ends where the new payload does: bytes after the old datagram (inside the
	 * IP total length, or after that) are left out, or they would be counted in the new IP
	 * length and in the UDP checksum, which covers the whole IP payload. */
	size_t off = (size_t)((const uint8_t *)u->payload - data), n = packet_rewritten_len(data, room, u, payload_len);
	struct iphdr *ip = (struct iphdr *)data;
	struct udphdr *udp = (struct udphdr *)(data + off - sizeof(*udp));

	if (n == 0)
		return 0;
	memmove(data + off, payload, payload_len); /* memmove: payload may be the packet's own */
	ip->tot_len = htons((uint16_t)n);
	nfq_ip_set_checksum(ip);
	udp->len = htons((uint16_t)(sizeof(*udp) + payload_len));
	nfq_udp_compute_checksum_ipv4(udp, ip);
	if (udp->check == 0) /* a computed 0 is sent as all ones: 0 means none (RFC 768) */
		udp->check = 0xffff;
	return n;
}

size_t packet_rewrite(const uint8_t *data, size_t len, const struct udp_packet *u,
		      const char *payload, size_t payload_len, uint8_t *out, size_t cap)
{
	size_t off = (size_t)((const uint8_t *)u->payload - data);
	struct udp_packet v = *u;

	if (off + u->payload_len > len || off > cap)
		return 0;
	memcpy(out, data, off);
	v.payload = (const char *)out + off;
	return packet_rewrite_in_place(out, cap, &v, payload, payload_len);
}
