/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_packet: the daemon's packet code (nfq/packet.c), as sipalgd calls it on every queued
 * packet. Input: a control byte, a 16-bit length (big-endian), then the packet as the queue
 * hands it over (IPv4 from its first byte).
 *   control bits 0-1: the new payload: 1 and 2 what the core makes of the payload (outbound,
 *     inbound; the payload itself when the core leaves it alone), 0 and 3 made-up bytes, as
 *     many as the length says;
 *   control bit 2: an output buffer 1 + (control >> 3) bytes too small.
 * packet_decode reads nothing outside the packet, and what it reports agrees with the header
 * bytes. packet_rewrite gives a packet a receiver accepts: the same IP header but for its total
 * length and checksum, the same ports, the UDP length, both checksums right (verified here on
 * their own), that decodes again to the same flow and exactly the new payload; it refuses
 * only what would not fit (the output buffer, or 65535 bytes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "packet.h"

#define IP_MAX 0xffff

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_packet: %s\n", what);
	abort();
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The Internet checksum's ones'-complement sum (RFC 1071), unfolded. */
static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
	for (; n > 1; p += 2, n -= 2)
		s += be16(p);
	if (n)
		s += (uint32_t)p[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* What decode says agrees with the bytes, and stays inside them. */
static void check_decode(const uint8_t *p, size_t len, enum packet_kind kind, const struct udp_packet *u)
{
	size_t ihl;

	if (kind == PACKET_OTHER)
		return; /* not IPv4, or not UDP: passed untouched, nothing to check */
	if (len < 20 || p[0] >> 4 != 4)
		broken("a packet too short or not IPv4 decoded as IPv4");
	ihl = (size_t)(p[0] & 15) * 4;
	if (kind == PACKET_MALFORMED)
		return;
	if (p[9] != 17)
		broken("not UDP, yet decoded as UDP or a UDP fragment");
	if (kind == PACKET_FRAGMENT) {
		if (!(be16(p + 6) & 0x3fff))
			broken("a whole datagram taken for a fragment");
		return;
	}
	if (kind != PACKET_UDP)
		broken("an unknown packet kind");
	if (be16(p + 6) & 0x3fff)
		broken("a fragment decoded as a whole datagram");
	if (ihl < 20 || be16(p + 2) < ihl + 8 || be16(p + 2) > len)
		broken("an IP header or total length out of bounds, yet decoded");
	if (be16(p + ihl + 4) < 8 || ihl + be16(p + ihl + 4) > be16(p + 2))
		broken("a UDP length out of bounds, yet decoded");
	if (u->payload != (const char *)p + ihl + 8 || u->payload_len != be16(p + ihl + 4) - 8u)
		broken("the payload is not where the UDP header says");
	if (u->src.ip != be32(p + 12) || u->dst.ip != be32(p + 16) || u->src.port != be16(p + ihl) ||
	    u->dst.port != be16(p + ihl + 2))
		broken("the endpoints are not the header's");
}

/* out (n bytes) is in rewritten with payload pl: what a receiver checks holds. */
static void check_rewrite(const uint8_t *in, const struct udp_packet *u, const uint8_t *out, size_t n,
			  const char *pl, size_t pl_len)
{
	size_t ihl = (size_t)(in[0] & 15) * 4;
	struct udp_packet again;
	uint32_t pseudo;

	if (n != ihl + 8 + pl_len)
		broken("the new packet is not the IP header, the UDP header and the payload");
	/* The IP header: the same but for the total length and the checksum. */
	if (memcmp(out, in, 2) || memcmp(out + 4, in + 4, 6) || memcmp(out + 12, in + 12, ihl - 12))
		broken("the IP header changed beyond its total length and checksum");
	if (be16(out + 2) != n)
		broken("the IP total length is wrong");
	if (fold(sum16(0, out, ihl)) != 0xffff)
		broken("the IP header checksum is wrong");
	/* UDP: the same ports, the new length, a checksum over the pseudo-header, the header and
	 * the payload (a computed 0 is sent as 0xffff: 0 means none, RFC 768). */
	if (memcmp(out + ihl, in + ihl, 4))
		broken("the UDP ports changed");
	if (be16(out + ihl + 4) != 8 + pl_len)
		broken("the UDP length is wrong");
	pseudo = sum16(0, out + 12, 8) + 17 + (uint32_t)(8 + pl_len);
	if (be16(out + ihl + 6) == 0 || fold(sum16(pseudo, out + ihl, 8 + pl_len)) != 0xffff)
		broken("the UDP checksum is wrong or missing");
	/* It decodes again to the same flow and exactly the new payload. */
	if (packet_decode(out, n, &again) != PACKET_UDP)
		broken("the new packet does not decode as UDP");
	if (again.src.ip != u->src.ip || again.src.port != u->src.port || again.dst.ip != u->dst.ip ||
	    again.dst.port != u->dst.port)
		broken("the new packet has other endpoints");
	if (again.payload_len != pl_len || memcmp(again.payload, pl, pl_len))
		broken("the new packet does not carry exactly the new payload");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 3;
	size_t len, pl_len, want, cap, n;
	struct udp_packet u;
	enum packet_kind kind;
	char *pl, *msg_out = NULL;
	uint8_t ctl, *out;

	if (size < 3)
		return 0;
	ctl = data[0];
	len = size - 3;
	kind = packet_decode(p, len, &u);
	check_decode(p, len, kind, &u);
	if (kind != PACKET_UDP)
		return 0;

	if ((ctl & 3) == 1 || (ctl & 3) == 2) {
		struct alg_binding_list list = { fuzz_map, 2 };
		struct alg_config cfg = { .lan = fuzz_lan, .n_lan = 2, .public_ip = 0xcb007105,
					  .nat = alg_nat_list(&list) };
		struct alg_packet pkt = { u.payload, u.payload_len, (ctl & 3) == 1 ? ALG_OUT : ALG_IN, u.src, u.dst,
					  ALG_UDP };
		struct alg_result res;
		size_t mcap = u.payload_len + 1024;

		msg_out = malloc(mcap);
		alg_translate(&cfg, &pkt, msg_out, mcap, &res);
		if (res.reason == ALG_OK && res.changed) {
			pl = msg_out;
			pl_len = res.out_len;
		} else {
			pl = (char *)u.payload; /* the same bytes: lengths and checksums still made right */
			pl_len = u.payload_len;
		}
	} else {
		pl_len = be16(data + 1);
		pl = msg_out = malloc(pl_len ? pl_len : 1);
		for (size_t i = 0; i < pl_len; i++)
			pl[i] = (char)(u.payload_len ? u.payload[i % u.payload_len] + 1 : 'a' + i % 26);
	}

	want = (size_t)(u.payload - (const char *)p) + pl_len;
	cap = want;
	if (ctl & 4)
		cap = want > 1u + (ctl >> 3) ? want - 1 - (ctl >> 3) : 0;
	if (cap > IP_MAX)
		cap = IP_MAX; /* as sipalgd's buffer */
	out = malloc(cap ? cap : 1); /* exact: ASan sees any write past it */
	n = packet_rewrite(p, len, &u, pl, pl_len, out, cap);
	if (n > cap)
		broken("rewrite wrote past its room");
	if (n == 0 && want <= cap)
		broken("rewrite refused a packet that fits");
	if (n != 0 && want > cap)
		broken("rewrite made a packet larger than its room");
	if (n)
		check_rewrite(p, &u, out, n, pl, pl_len);
	free(out);
	free(msg_out);
	return 0;
}
