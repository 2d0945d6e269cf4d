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
	for (size_t i = 0; i < s->n_keys && s->n_found < CT_MAX_MATCHES; i++) {
		if (endpoint_is(ct, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_PORT_SRC, s->keys[i].priv) ||
		    endpoint_is(ct, ATTR_ORIG_IPV4_DST, ATTR_ORIG_PORT_DST, s->keys[i].pub)) {
			s->found[s->n_found++] = nfct_clone(ct);
			break;
		}
	}
	return NFCT_CB_CONTINUE;
}

int ct_forget(const struct ct_flow_key *keys, size_t n)
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
	s->keys = keys;
	s->n_keys = n;
	nfct_callback_register(h, NFCT_T_ALL, on_flow, s);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		log_warn("conntrack: dump: %s", strerror(errno));
	nfct_callback_unregister(h);
	for (size_t i = 0; i < s->n_found; i++) {
		if (nfct_query(h, NFCT_Q_DESTROY, s->found[i]) == 0)
			deleted++;
		nfct_destroy(s->found[i]);
	}
	nfct_close(h);
	free(s);
	return deleted;
}
