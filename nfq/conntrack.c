/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conntrack.c: one dump of the UDP flows, then a delete for each one that used a closed
 * binding (libnetfilter_conntrack). */
#include "conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "log.h"

#define CT_MAX_MATCHES 256

/* The keys by endpoint, so that each flow of the dump costs two lookups however many keys
 * there are (a media check holds every pinhole's: tens of thousands on a big table). Open
 * addressing, at most a quarter full; slot values are key index + 1, the pub endpoints'
 * marked by KEY_PUB. */
#define KEY_PUB 0x80000000u

struct ct_scan {
	const struct ct_flow_key *keys;
	size_t n_keys;
	uint8_t *seen;   /* per key, or NULL */
	int keep;        /* keep the matching flows for deletion */
	size_t n_found;
	struct nf_conntrack *found[CT_MAX_MATCHES];
	uint32_t mask;
	uint32_t *slots; /* mask + 1 of them */
};

static uint32_t endpoint_hash(struct alg_endpoint e, uint32_t side)
{
	uint64_t h = ((uint64_t)e.ip << 16 | e.port) ^ side;

	h *= 0x9e3779b97f4a7c15ull;
	return (uint32_t)(h >> 32);
}

static const struct alg_endpoint *slot_endpoint(const struct ct_scan *s, uint32_t v)
{
	const struct ct_flow_key *k = &s->keys[(v & ~KEY_PUB) - 1];

	return v & KEY_PUB ? &k->pub : &k->priv;
}

static void index_add(struct ct_scan *s, struct alg_endpoint e, uint32_t v)
{
	uint32_t i = endpoint_hash(e, v & KEY_PUB) & s->mask;

	while (s->slots[i]) {
		if ((s->slots[i] & KEY_PUB) == (v & KEY_PUB) && endpoint_eq(*slot_endpoint(s, s->slots[i]), e))
			return; /* the first key with this endpoint answers for it */
		i = (i + 1) & s->mask;
	}
	s->slots[i] = v;
}

/* The index of the key whose endpoint on that side is e, or -1. */
static long index_find(const struct ct_scan *s, struct alg_endpoint e, uint32_t side)
{
	for (uint32_t i = endpoint_hash(e, side) & s->mask; s->slots[i]; i = (i + 1) & s->mask)
		if ((s->slots[i] & KEY_PUB) == side && endpoint_eq(*slot_endpoint(s, s->slots[i]), e))
			return (long)(s->slots[i] & ~KEY_PUB) - 1;
	return -1;
}

static struct alg_endpoint flow_endpoint(const struct nf_conntrack *ct, int ip_attr, int port_attr)
{
	return (struct alg_endpoint){ ntohl(nfct_get_attr_u32(ct, ip_attr)), ntohs(nfct_get_attr_u16(ct, port_attr)) };
}

static int on_flow(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_scan *s = data;
	long i;

	(void)type;
	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
		return NFCT_CB_CONTINUE;
	i = index_find(s, flow_endpoint(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_PORT_SRC), 0);
	if (i < 0)
		i = index_find(s, flow_endpoint(ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_DST), KEY_PUB);
	if (i < 0)
		return NFCT_CB_CONTINUE;
	if (s->seen)
		s->seen[i] = 1;
	if (s->keep && s->n_found < CT_MAX_MATCHES)
		s->found[s->n_found++] = nfct_clone(ct);
	return NFCT_CB_CONTINUE;
}

/* One dump of the UDP flows against the keys; with keep, deletes the matching flows. */
static int scan(const struct ct_flow_key *keys, size_t n, uint8_t *seen, int keep)
{
	struct ct_scan *s;
	struct nfct_handle *h;
	uint32_t family = AF_INET;
	int deleted = 0;

	if (n == 0)
		return 0;
	if (n > (KEY_PUB - 1) / 8)
		n = (KEY_PUB - 1) / 8;
	s = calloc(1, sizeof(*s));
	h = nfct_open(CONNTRACK, 0);
	if (s) {
		uint32_t cap = 64;

		while (cap < 8 * n) /* two endpoints per key, a quarter full */
			cap *= 2;
		*s = (struct ct_scan){ .keys = keys, .n_keys = n, .seen = seen, .keep = keep, .mask = cap - 1 };
		s->slots = calloc(cap, sizeof(*s->slots));
	}
	if (!s || !s->slots || !h) {
		log_err("conntrack: %s", strerror(errno));
		if (s)
			free(s->slots);
		free(s);
		if (h)
			nfct_close(h);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		index_add(s, keys[i].priv, (uint32_t)i + 1);
		index_add(s, keys[i].pub, ((uint32_t)i + 1) | KEY_PUB);
	}
	nfct_callback_register(h, NFCT_T_ALL, on_flow, s);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0) {
		log_warn("conntrack: dump: %s", strerror(errno));
		deleted = -1;
	}
	nfct_callback_unregister(h);
	for (size_t i = 0; i < s->n_found; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, s->found[i]) == 0 && deleted >= 0)
			deleted++;
		nfct_destroy(s->found[i]);
	}
	nfct_close(h);
	free(s->slots);
	free(s);
	return deleted;
}

int ct_forget(const struct ct_flow_key *keys, size_t n)
{
	return scan(keys, n, NULL, 1);
}

int ct_seen(const struct ct_flow_key *keys, size_t n, uint8_t *seen)
{
	return scan(keys, n, seen, 0) < 0 ? -1 : 0;
}
