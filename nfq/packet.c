/* SPDX-License-Identifier: GPL-2.0-or-later */
/* packet.c: IPv4/UDP decode, and payload replacement through libnetfilter_queue's pktbuff
 * helpers, which keep the IP and UDP lengths and checksums right. */
#include "packet.h"

#include <arpa/inet.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>

#include <libnetfilter_queue/libnetfilter_queue_ipv4.h>
#include <libnetfilter_queue/libnetfilter_queue_udp.h>
#include <libnetfilter_queue/pktbuff.h>

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

size_t packet_rewrite(const uint8_t *data, size_t len, const struct udp_packet *u,
		      const char *payload, size_t payload_len, uint8_t *out, size_t cap)
{
	/* The datagram ends where its UDP length says. Bytes after it (inside the IP total length,
	 * or after that) are left out: the helpers would count them in the new IP length and in the
	 * UDP checksum, which they take over the whole IP payload. */
	size_t end = (size_t)((const uint8_t *)u->payload - data) + u->payload_len;
	struct pkt_buff *pb;
	struct iphdr *ip;
	size_t n = 0, grow;

	if (end > len)
		return 0;
	grow = payload_len > u->payload_len ? payload_len - u->payload_len : 0;
	pb = pktb_alloc(AF_INET, (void *)data, end, grow);
	if (!pb)
		return 0;
	ip = (struct iphdr *)pktb_network_header(pb); /* decoded already; the mangle sets tot_len */
	if (nfq_ip_set_transport_header(pb, ip) == 0 &&
	    nfq_udp_mangle_ipv4(pb, 0, (unsigned)u->payload_len, payload, (unsigned)payload_len) &&
	    pktb_len(pb) <= cap && pktb_len(pb) <= 0xffff) {
		struct udphdr *udp = (struct udphdr *)pktb_transport_header(pb);

		if (udp->check == 0) /* a computed 0 is sent as all ones: 0 means none (RFC 768) */
			udp->check = 0xffff;
		n = pktb_len(pb);
		memcpy(out, pktb_data(pb), n);
	}
	pktb_free(pb);
	return n;
}
