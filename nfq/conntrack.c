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

struct ct_scan {
	const struct ct_flow_key *keys;
	size_t n_keys;
	uint8_t *seen;   /* per key, or NULL */
	int keep;        /* keep the matching flows for deletion */
	size_t n_found;
	struct nf_conntrack *found[CT_MAX_MATCHES];
};

static int endpoint_is(const struct nf_conntrack *ct, int ip_attr, int port_attr, struct alg_endpoint e)
{
	return ntohl(nfct_get_attr_u32(ct, ip_attr)) == e.ip && ntohs(nfct_get_attr_u16(ct, port_attr)) == e.port;
}

static int on_flow(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_scan *s = data;

	(void)type;
	if (nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO) != IPPROTO_UDP)
		return NFCT_CB_CONTINUE;
	for (size_t i = 0; i < s->n_keys; i++) {
		if (!endpoint_is(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_PORT_SRC, s->keys[i].priv) &&
		    !endpoint_is(ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_DST, s->keys[i].pub))
			continue;
		if (s->seen)
			s->seen[i] = 1;
		if (s->keep && s->n_found < CT_MAX_MATCHES)
			s->found[s->n_found++] = nfct_clone(ct);
		break;
	}
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
	s = calloc(1, sizeof(*s));
	h = nfct_open(CONNTRACK, 0);
	if (!s || !h) {
		log_err("conntrack: %s", strerror(errno));
		free(s);
		if (h)
			nfct_close(h);
		return -1;
	}
	*s = (struct ct_scan){ .keys = keys, .n_keys = n, .seen = seen, .keep = keep };
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
