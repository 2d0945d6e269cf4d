/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nft.c: sipalg's nftables table through libnftnl and libmnl (see nft.h). */
#include "nft.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "log.h"

/* nft's data type ids (ipv4_addr, inet_service) and how concatenations combine them */
#define TYPE_IPADDR 7
#define TYPE_INET_SERVICE 13
#define TYPE_CONCAT(a, b) ((a) << 6 | (b))
#define ENDPOINT_TYPE TYPE_CONCAT(TYPE_IPADDR, TYPE_INET_SERVICE)
#define ENDPOINT_LEN 8 /* ip (4) . port (2, padded to 4) */

/* Element lifetimes run this far past the table's own, so the kernel never drops an element
 * the daemon still counts on; after a crash they still go away by themselves. */
#define ELEMENT_MARGIN 30
/* An element is installed to live this much past its binding's expiry, so that a binding
 * refreshed by every message is re-announced about once a minute, not every time. */
#define INSTALL_AHEAD 60

enum { MAP_SNAT, MAP_DNAT_ANY, MAP_DNAT_PEER, MAP_COUNT };
static const char *const map_name[MAP_COUNT] = { "snat_map", "dnat_any", "dnat_peer" };

/* What is installed for a binding slot, so an update can delete exactly that. */
struct installed {
	int in_use;
	struct alg_endpoint priv;
	uint16_t pub_port;
	uint32_t peer;
	int64_t expires; /* the binding's expiry the elements were installed for, plus INSTALL_AHEAD */
};

struct nft {
	struct mnl_socket *nl;
	uint32_t portid, seq;
	uint32_t batch_last; /* the sequence number of the batch's last message, which ends the acks */
	size_t last_off;     /* where that message starts in buf: it alone asks for an ack */
	char wan[IF_NAMESIZE];
	struct mnl_nlmsg_batch *batch;
	size_t queued;
	int last_error; /* errno of the last refused batch */
	int early_error; /* a batch sent early because it was full was refused */
	char buf[1 << 17] __attribute__((aligned(8))); /* netlink messages need alignment */
	char rx[1 << 16] __attribute__((aligned(8)));
	size_t capacity; /* binding slots: the table's */
	size_t inst_top, sig_top; /* above these no slot of inst, sig was ever written: clearing
				   * stops there, so that a large capacity costs pages only as used */
	struct installed *inst;
	/* The set tcp_sig_ports as written, per binding slot, and the slots changed since. */
	struct sig_installed {
		uint16_t port;
		uint8_t in_use, dirty;
		int64_t expires; /* as inst's */
	} *sig;
	uint32_t *sig_dirty;
	size_t n_sig_dirty;
	uint64_t sig_handle; /* the set's handle when it was last written whole; 0: not yet */
};

static void nft_free_arrays(struct nft *n)
{
	free(n->inst);
	free(n->sig);
	free(n->sig_dirty);
	free(n);
}

static void batch_start(struct nft *n)
{
	if (n->batch)
		mnl_nlmsg_batch_stop(n->batch);
	n->batch = mnl_nlmsg_batch_start(n->buf, sizeof(n->buf));
	nftnl_batch_begin(mnl_nlmsg_batch_current(n->batch), n->seq++);
	mnl_nlmsg_batch_next(n->batch);
	n->queued = 0;
}

static struct nlmsghdr *batch_msg_family(struct nft *n, uint16_t type, uint16_t flags, uint16_t family)
{
	/* Room left for the largest message and the batch end, else the batch is sent now. */
	if (mnl_nlmsg_batch_size(n->batch) + 4096 > sizeof(n->buf) && nft_commit(n))
		n->early_error = 1; /* reported by the next nft_commit */
	n->queued++;
	/* Not seq - 2 at the end: a GET (the status view's counter, nft_table_exists) may take a
	 * number between the batch's messages. */
	n->batch_last = n->seq;
	n->last_off = (size_t)((char *)mnl_nlmsg_batch_current(n->batch) - n->buf);
	/* An ack for every message would be a datagram each to read (two system calls per map
	 * element): the kernel reports a refused message whether asked or not, and goes on to the
	 * end of the batch, so the last message's ack comes after every error. */
	return nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(n->batch), type, family, flags & ~NLM_F_ACK, n->seq++);
}

static struct nlmsghdr *batch_msg(struct nft *n, uint16_t type, uint16_t flags)
{
	return batch_msg_family(n, type, flags, NFPROTO_IPV4);
}

/* Sends the batch and reads the kernel's answers: -1 if it refused any part of it. */
static int batch_send(struct nft *n)
{
	uint32_t last = n->batch_last; /* the last real message carries NLM_F_ACK */
	int err = 0, done = 0;

	((struct nlmsghdr *)(n->buf + n->last_off))->nlmsg_flags |= NLM_F_ACK;
	nftnl_batch_end(mnl_nlmsg_batch_current(n->batch), n->seq++);
	mnl_nlmsg_batch_next(n->batch);
	if (mnl_socket_sendto(n->nl, mnl_nlmsg_batch_head(n->batch), mnl_nlmsg_batch_size(n->batch)) < 0) {
		log_err("nftables: send: %s", strerror(errno));
		return -1;
	}
	while (!done) {
		struct pollfd pfd = { mnl_socket_get_fd(n->nl), POLLIN, 0 };
		ssize_t len;

		/* The kernel answers within the send: read first, wait only when nothing is there.
		 * After an error the rest may never be acknowledged: drain what is there. */
		len = recv(pfd.fd, n->rx, sizeof(n->rx), MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (poll(&pfd, 1, err ? 0 : 2000) <= 0)
				return err ? -1 : (log_err("nftables: no answer from the kernel"), -1);
			len = mnl_socket_recvfrom(n->nl, n->rx, sizeof(n->rx));
		}
		if (len < 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)n->rx; mnl_nlmsg_ok(h, (int)len);
		     h = mnl_nlmsg_next(h, (int *)&len)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);

				if (e->error)
					err = -e->error;
			}
			if (h->nlmsg_seq == last)
				done = 1;
		}
	}
	if (err)
		n->last_error = err;
	return err ? -1 : 0;
}

const char *nft_last_error(const struct nft *n)
{
	return strerror(n->last_error);
}

static void add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	nftnl_rule_add_expr(r, e);
}

static void expr_meta(struct nftnl_rule *r, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	add_expr(r, e);
}

static void expr_cmp_eq(struct nftnl_rule *r, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	add_expr(r, e);
}

static void expr_payload(struct nftnl_rule *r, uint32_t base, uint32_t off, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	add_expr(r, e);
}

static void expr_lookup(struct nftnl_rule *r, int map, uint32_t sreg, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, map_name[map]);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)map + 1);
	add_expr(r, e);
}

/* (s|d)nat ip to the address in reg 1 and the port in reg32 01 */
static void expr_nat(struct nftnl_rule *r, uint32_t type)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, NFT_REG32_01);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	add_expr(r, e);
}

/* The rule's common head: UDP, and then either leaving through the WAN interface
 * (postrouting) or addressed to the public address (prerouting: from the internet, and from
 * the LAN too, so that two LAN phones that were given public addresses reach each other). */
static struct nftnl_rule *rule_head(struct nft *n, const char *chain, uint32_t public_ip)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char ifname[IF_NAMESIZE] = { 0 };
	uint8_t udp = IPPROTO_UDP;
	uint32_t daddr = htonl(public_ip);

	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE_NAME);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	expr_meta(r, NFT_META_L4PROTO, NFT_REG_1);
	expr_cmp_eq(r, NFT_REG_1, &udp, sizeof(udp));
	if (public_ip) {
		expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1); /* ip daddr */
		expr_cmp_eq(r, NFT_REG_1, &daddr, sizeof(daddr));
	} else {
		memcpy(ifname, n->wan, strlen(n->wan)); /* n->wan is shorter than IF_NAMESIZE */
		expr_meta(r, NFT_META_OIFNAME, NFT_REG_1);
		expr_cmp_eq(r, NFT_REG_1, ifname, sizeof(ifname));
	}
	return r;
}

static void queue_rule(struct nft *n, struct nftnl_rule *r)
{
	struct nlmsghdr *h = batch_msg(n, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK);

	nftnl_rule_nlmsg_build_payload(h, r);
	nftnl_rule_free(r);
	mnl_nlmsg_batch_next(n->batch);
}

static void queue_chain(struct nft *n, const char *name, uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *h;

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE_NAME);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	h = batch_msg(n, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_ACK);
	nftnl_chain_nlmsg_build_payload(h, c);
	nftnl_chain_free(c);
	mnl_nlmsg_batch_next(n->batch);
}

static void queue_map(struct nft *n, int map, uint32_t key_type, uint32_t key_len)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *h;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map_name[map]);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)map + 1);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, NFT_SET_MAP | NFT_SET_TIMEOUT);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, ENDPOINT_TYPE);
	nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, ENDPOINT_LEN);
	h = batch_msg(n, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_ACK);
	nftnl_set_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	mnl_nlmsg_batch_next(n->batch);
}

static void queue_table(struct nft *n, uint16_t type)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *h;

	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	h = batch_msg(n, type, (type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0) | NLM_F_ACK);
	nftnl_table_nlmsg_build_payload(h, t);
	nftnl_table_free(t);
	mnl_nlmsg_batch_next(n->batch);
}

struct nft *nft_open(const char *wan, uint32_t public_ip, size_t capacity)
{
	struct nft *n = calloc(1, sizeof(*n));
	struct nftnl_rule *r;

	if (!n)
		return NULL;
	n->capacity = capacity;
	n->inst = calloc(capacity, sizeof(*n->inst));
	n->sig = calloc(capacity, sizeof(*n->sig));
	n->sig_dirty = calloc(capacity, sizeof(*n->sig_dirty));
	if (!n->inst || !n->sig || !n->sig_dirty) {
		log_err("nftables: out of memory");
		nft_free_arrays(n);
		return NULL;
	}
	snprintf(n->wan, sizeof(n->wan), "%s", wan);
	n->seq = (uint32_t)time(NULL);
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("nftables: netlink socket: %s", strerror(errno));
		nft_free_arrays(n);
		return NULL;
	}
	n->portid = mnl_socket_get_portid(n->nl);

	/* One transaction: whatever a crashed instance left goes, the new table comes. */
	batch_start(n);
	queue_table(n, NFT_MSG_NEWTABLE);
	queue_table(n, NFT_MSG_DELTABLE);
	queue_table(n, NFT_MSG_NEWTABLE);
	queue_map(n, MAP_SNAT, ENDPOINT_TYPE, ENDPOINT_LEN);
	queue_map(n, MAP_DNAT_ANY, TYPE_INET_SERVICE, sizeof(uint16_t));
	queue_map(n, MAP_DNAT_PEER, ENDPOINT_TYPE, ENDPOINT_LEN);
	queue_chain(n, "prerouting", NF_INET_PRE_ROUTING, -105);  /* dstnat - 5 */
	queue_chain(n, "postrouting", NF_INET_POST_ROUTING, 95); /* srcnat - 5: before masquerade */

	r = rule_head(n, "prerouting", public_ip);
	expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);  /* ip saddr */
	expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01); /* udp dport */
	expr_lookup(r, MAP_DNAT_PEER, NFT_REG_1, NFT_REG_1);
	expr_nat(r, NFT_NAT_DNAT);
	queue_rule(n, r);

	r = rule_head(n, "prerouting", public_ip);
	expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1); /* udp dport */
	expr_lookup(r, MAP_DNAT_ANY, NFT_REG_1, NFT_REG_1);
	expr_nat(r, NFT_NAT_DNAT);
	queue_rule(n, r);

	r = rule_head(n, "postrouting", 0);
	expr_payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1);  /* ip saddr */
	expr_payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, NFT_REG32_01); /* udp sport */
	expr_lookup(r, MAP_SNAT, NFT_REG_1, NFT_REG_1);
	expr_nat(r, NFT_NAT_SNAT);
	queue_rule(n, r);

	if (batch_send(n)) {
		log_err("nftables: could not create table ip %s: %s", NFT_TABLE_NAME, strerror(n->last_error));
		mnl_nlmsg_batch_stop(n->batch);
		mnl_socket_close(n->nl);
		free(n);
		return NULL;
	}
	batch_start(n);
	return n;
}

struct nft *nft_query_open(void)
{
	struct nft *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->seq = (uint32_t)time(NULL);
	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("nftables: netlink socket: %s", strerror(errno));
		if (n->nl)
			mnl_socket_close(n->nl);
		free(n);
		return NULL;
	}
	n->portid = mnl_socket_get_portid(n->nl);
	batch_start(n); /* as nft_free expects */
	return n;
}

void nft_free(struct nft *n)
{
	if (!n)
		return;
	mnl_nlmsg_batch_stop(n->batch);
	mnl_socket_close(n->nl);
	nft_free_arrays(n);
}

void nft_close(struct nft *n)
{
	if (!n)
		return;
	batch_start(n);
	queue_table(n, NFT_MSG_DELTABLE);
	batch_send(n);
	nft_free(n);
}

static void put_endpoint(uint8_t *out, uint32_t ip, uint16_t port)
{
	uint32_t a = htonl(ip);
	uint16_t p = htons(port);

	memset(out, 0, ENDPOINT_LEN);
	memcpy(out, &a, 4);
	memcpy(out + 4, &p, 2);
}

/* Queues adding (with a timeout in seconds) or deleting one element of a map. */
static void queue_element(struct nft *n, int map, int add, const uint8_t *key, uint32_t key_len,
			  const uint8_t *data, int64_t timeout)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elem *e = nftnl_set_elem_alloc();
	struct nlmsghdr *h;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map_name[map]);
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, key_len);
	if (add) {
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_DATA, data, ENDPOINT_LEN);
		nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT, (uint64_t)(timeout > 1 ? timeout : 1) * 1000);
	}
	nftnl_set_elem_add(s, e);
	h = batch_msg(n, add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
		      (add ? NLM_F_CREATE : 0) | NLM_F_ACK);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	mnl_nlmsg_batch_next(n->batch);
}

/* The elements of one binding: its SNAT, and its DNAT from anyone or from its peer only. */
static void queue_binding(struct nft *n, const struct installed *in, int add, uint32_t public_ip,
			  int64_t timeout)
{
	uint8_t priv[ENDPOINT_LEN], pub[ENDPOINT_LEN], peer[ENDPOINT_LEN];
	uint16_t port = htons(in->pub_port);

	put_endpoint(priv, in->priv.ip, in->priv.port);
	put_endpoint(pub, public_ip, in->pub_port);
	queue_element(n, MAP_SNAT, add, priv, ENDPOINT_LEN, pub, timeout);
	if (in->peer) {
		put_endpoint(peer, in->peer, in->pub_port);
		queue_element(n, MAP_DNAT_PEER, add, peer, ENDPOINT_LEN, priv, timeout);
	} else {
		queue_element(n, MAP_DNAT_ANY, add, (const uint8_t *)&port, sizeof(port), priv, timeout);
	}
}

void nft_mirror(struct nft *n, size_t slot, const struct table_binding *b, enum table_change c,
		uint32_t public_ip, int64_t now)
{
	struct installed *in = &n->inst[slot];

	if (slot >= n->capacity)
		return;
	if (slot >= n->inst_top)
		n->inst_top = slot + 1;
	if (c == TABLE_EXTENDED && in->in_use && b->expires <= in->expires)
		return; /* the installed elements outlive it already */
	if (in->in_use) {
		queue_binding(n, in, 0, public_ip, 0);
		in->in_use = 0;
	}
	if (c == TABLE_REMOVED)
		return;
	*in = (struct installed){ 1, b->priv, b->pub_port, b->peer, b->expires + INSTALL_AHEAD };
	queue_binding(n, in, 1, public_ip, in->expires - now + ELEMENT_MARGIN);
}

int nft_table_exists(struct nft *n)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *h;
	ssize_t len;
	int found = -1;

	h = nftnl_nlmsg_build_hdr(n->rx, NFT_MSG_GETTABLE, NFPROTO_IPV4, NLM_F_ACK, n->seq++);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE_NAME);
	nftnl_table_nlmsg_build_payload(h, t);
	nftnl_table_free(t);
	if (mnl_socket_sendto(n->nl, h, h->nlmsg_len) < 0)
		return -1;
	while (found < 0) {
		struct pollfd pfd = { mnl_socket_get_fd(n->nl), POLLIN, 0 };

		if (poll(&pfd, 1, 1000) <= 0 || (len = mnl_socket_recvfrom(n->nl, n->rx, sizeof(n->rx))) < 0)
			return -1;
		for (struct nlmsghdr *m = (struct nlmsghdr *)n->rx; mnl_nlmsg_ok(m, (int)len);
		     m = mnl_nlmsg_next(m, (int *)&len)) {
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(m);

				if (e->error == -ENOENT)
					found = 0;
				else if (e->error == 0 && found < 0)
					found = 1;
				else if (e->error)
					return -1;
			} else if (m->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE)) {
				found = 1;
			}
		}
	}
	return found;
}

int nft_commit(struct nft *n)
{
	int r = 0;

	if (n->queued)
		r = batch_send(n);
	batch_start(n);
	if (n->early_error) {
		n->early_error = 0;
		r = -1;
	}
	return r;
}

static void queue_flush(struct nft *n, int map)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *h;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE_NAME);
	nftnl_set_set_str(s, NFTNL_SET_NAME, map_name[map]);
	h = batch_msg(n, NFT_MSG_DELSETELEM, NLM_F_ACK);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	mnl_nlmsg_batch_next(n->batch);
}

int nft_resync(struct nft *n, const struct alg_table *t, uint32_t public_ip, int64_t now)
{
	const struct table_binding *b;

	batch_start(n);
	for (int map = 0; map < MAP_COUNT; map++)
		queue_flush(n, map);
	memset(n->inst, 0, n->inst_top * sizeof(*n->inst));
	table_for_each_binding(t, slot, b)
		nft_mirror(n, slot, b, TABLE_ADDED, public_ip, now);
	return nft_commit(n);
}

/* Elements per message on the diversion's set: a message stays under the 4 KiB that batch_msg
 * keeps free, and the kernel's answers (one per message: each echoes its request) stay few
 * enough for the socket's receive buffer, however many phones there are. */
#define SIG_PORTS_PER_MSG 100

enum sig_op { SIG_FLUSH, SIG_DEL, SIG_ADD };

/* Ports to delete or add, gathered into messages of SIG_PORTS_PER_MSG. */
struct sig_batch {
	enum sig_op op;
	size_t k;
	uint16_t port[SIG_PORTS_PER_MSG];
	int64_t timeout[SIG_PORTS_PER_MSG];
};

/* One message on the diversion's set: flush it, or delete or add b's ports. */
static void queue_sig_msg(struct nft *n, enum sig_op op, struct sig_batch *b)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *h;

	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_DIVERT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, NFT_DIVERT_SET);
	for (size_t i = 0; b && i < b->k; i++) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		uint16_t key = htons(b->port[i]);

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
		if (op == SIG_ADD)
			nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
					       (uint64_t)(b->timeout[i] > 1 ? b->timeout[i] : 1) * 1000);
		nftnl_set_elem_add(s, e);
	}
	h = batch_msg_family(n, op == SIG_ADD ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM,
			     (op == SIG_ADD ? NLM_F_CREATE : 0) | NLM_F_ACK, NFPROTO_INET);
	nftnl_set_elems_nlmsg_build_payload(h, s);
	nftnl_set_free(s);
	mnl_nlmsg_batch_next(n->batch);
	if (b)
		b->k = 0;
}

static void sig_push(struct nft *n, struct sig_batch *b, uint16_t port, int64_t timeout)
{
	b->port[b->k] = port;
	b->timeout[b->k++] = timeout;
	if (b->k == SIG_PORTS_PER_MSG)
		queue_sig_msg(n, b->op, b);
}

static void sig_end(struct nft *n, struct sig_batch *b)
{
	if (b->k)
		queue_sig_msg(n, b->op, b);
}

/* Sends a batch of the set's; a refusal leaves what is in the set unknown. */
static int sig_send(struct nft *n)
{
	int r = n->queued ? batch_send(n) : 0;

	/* a part sent early (a full buffer) that was refused is this batch's, not the maps' next */
	r = r || n->early_error;
	n->early_error = 0;
	batch_start(n);
	if (r) {
		memset(n->sig, 0, n->sig_top * sizeof(*n->sig));
		n->n_sig_dirty = 0;
		n->sig_handle = 0; /* written whole at the next nft_sig_check */
	}
	return r;
}

/* Sends the GET request h (sequence seq) about the diversion's table and hands each answer
 * of type reply to take, until the ack. 0 once acked, -1 on no answer. */
static int divert_query(struct nft *n, struct nlmsghdr *h, uint32_t seq, uint16_t reply,
			void (*take)(const struct nlmsghdr *m, void *arg), void *arg)
{
	ssize_t len;

	if (mnl_socket_sendto(n->nl, h, h->nlmsg_len) < 0)
		return -1;
	for (;;) {
		struct pollfd pfd = { mnl_socket_get_fd(n->nl), POLLIN, 0 };

		if (poll(&pfd, 1, 1000) <= 0 || (len = mnl_socket_recvfrom(n->nl, n->rx, sizeof(n->rx))) < 0)
			return -1;
		for (struct nlmsghdr *m = (struct nlmsghdr *)n->rx; mnl_nlmsg_ok(m, (int)len);
		     m = mnl_nlmsg_next(m, (int *)&len)) {
			/* Only ours: an earlier request's answer may still wait in the socket (a
			 * GET's object and its ack come one datagram each, and nft_table_exists
			 * stops reading at the object). */
			if (m->nlmsg_seq != seq)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR)
				return 0; /* the ack, or why there is no such thing */
			if (m->nlmsg_type == reply)
				take(m, arg);
		}
	}
}

static void take_table_handle(const struct nlmsghdr *m, void *arg)
{
	struct nftnl_table *tb = nftnl_table_alloc();

	if (tb && nftnl_table_nlmsg_parse(m, tb) == 0)
		*(uint64_t *)arg = nftnl_table_get_u64(tb, NFTNL_TABLE_HANDLE);
	nftnl_table_free(tb);
}

static void take_set_handle(const struct nlmsghdr *m, void *arg)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (s && nftnl_set_nlmsg_parse(m, s) == 0)
		*(uint64_t *)arg = nftnl_set_get_u64(s, NFTNL_SET_HANDLE);
	nftnl_set_free(s);
}

static void take_counter_packets(const struct nlmsghdr *m, void *arg)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	if (o && nftnl_obj_nlmsg_parse(m, o) == 0)
		*(int64_t *)arg = (int64_t)nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
	nftnl_obj_free(o);
}

/* The handle of our diversion's table (what = NFT_MSG_GETTABLE) or set (NFT_MSG_GETSET); 0
 * when it is missing. */
static uint64_t divert_handle(struct nft *n, uint16_t what)
{
	uint32_t seq = n->seq++;
	struct nlmsghdr *h = nftnl_nlmsg_build_hdr(n->rx, what, NFPROTO_INET, NLM_F_ACK, seq);
	uint64_t handle = 0;

	if (what == NFT_MSG_GETSET) {
		struct nftnl_set *s = nftnl_set_alloc();

		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_DIVERT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, NFT_DIVERT_SET);
		nftnl_set_nlmsg_build_payload(h, s);
		nftnl_set_free(s);
		divert_query(n, h, seq, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWSET, take_set_handle, &handle);
	} else {
		struct nftnl_table *tb = nftnl_table_alloc();

		nftnl_table_set_str(tb, NFTNL_TABLE_NAME, NFT_DIVERT_TABLE);
		nftnl_table_nlmsg_build_payload(h, tb);
		nftnl_table_free(tb);
		divert_query(n, h, seq, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE, take_table_handle,
			     &handle);
	}
	return handle;
}

int64_t nft_divert_counter(struct nft *n, const char *name)
{
	uint32_t seq = n->seq++;
	struct nlmsghdr *h = nftnl_nlmsg_build_hdr(n->rx, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_ACK, seq);
	struct nftnl_obj *o = nftnl_obj_alloc();
	int64_t packets = -1;

	if (!o)
		return -1;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_DIVERT_TABLE);
	nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nftnl_obj_nlmsg_build_payload(h, o);
	nftnl_obj_free(o);
	divert_query(n, h, seq, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWOBJ, take_counter_packets, &packets);
	return packets;
}

/* Which set is there: another value when the firewall re-created it (a new table has a new
 * handle; its set's may be the old one's), 0 when it is missing. */
static uint64_t sig_set_handle(struct nft *n)
{
	uint64_t set = divert_handle(n, NFT_MSG_GETSET);

	return set ? divert_handle(n, NFT_MSG_GETTABLE) << 20 | set : 0;
}

/* Empties the set and writes every signaling binding's port. */
static int sig_write_all(struct nft *n, const struct alg_table *t, int64_t now)
{
	struct sig_batch add = { .op = SIG_ADD };
	const struct table_binding *b;

	if (n->queued && nft_commit(n))
		return -1;
	batch_start(n);
	queue_sig_msg(n, SIG_FLUSH, NULL);
	memset(n->sig, 0, n->sig_top * sizeof(*n->sig));
	n->n_sig_dirty = 0;
	table_for_each_binding(t, slot, b) {
		if (b->kind != ALG_PORT_SIGNALING || slot >= n->capacity)
			continue;
		if (slot >= n->sig_top)
			n->sig_top = slot + 1;
		n->sig[slot] = (struct sig_installed){ b->pub_port, 1, 0, b->expires + INSTALL_AHEAD };
		sig_push(n, &add, b->pub_port, b->expires + INSTALL_AHEAD - now + ELEMENT_MARGIN);
	}
	sig_end(n, &add);
	return sig_send(n);
}

void nft_sig_change(struct nft *n, size_t slot, const struct table_binding *b, enum table_change c)
{
	struct sig_installed *in;

	if (slot >= n->capacity)
		return;
	if (slot >= n->sig_top)
		n->sig_top = slot + 1;
	in = &n->sig[slot];
	if (in->dirty || (b->kind != ALG_PORT_SIGNALING && !in->in_use))
		return;
	if (in->in_use && in->port == b->pub_port &&
	    (c == TABLE_UPDATED || (c == TABLE_EXTENDED && b->expires <= in->expires)))
		return; /* the element says it already */
	in->dirty = 1;
	n->sig_dirty[n->n_sig_dirty++] = (uint32_t)slot;
}

int nft_sig_flush(struct nft *n, const struct alg_table *t, int64_t now)
{
	struct sig_batch del = { .op = SIG_DEL }, add = { .op = SIG_ADD };

	if (!n->n_sig_dirty)
		return 0;
	if (!n->sig_handle) {
		/* not written whole yet (or missing): nft_sig_check will, with these changes */
		for (size_t i = 0; i < n->n_sig_dirty; i++)
			n->sig[n->sig_dirty[i]].dirty = 0;
		n->n_sig_dirty = 0;
		return 0;
	}
	if (n->queued && nft_commit(n))
		return -1;
	batch_start(n);
	/* every deletion before any addition: a port may move from one slot to another */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n->n_sig_dirty; i++) {
			size_t slot = n->sig_dirty[i], at = slot;
			struct sig_installed *in = &n->sig[slot];
			const struct table_binding *b = table_binding_at(t, &at);
			int want = b && at == slot && b->kind == ALG_PORT_SIGNALING;

			if (pass == 0 && in->in_use && (!want || in->port != b->pub_port || b->expires > in->expires)) {
				sig_push(n, &del, in->port, 0);
				in->in_use = 0;
			} else if (pass == 1) {
				in->dirty = 0;
				if (want && !in->in_use) {
					*in = (struct sig_installed){ b->pub_port, 1, 0, b->expires + INSTALL_AHEAD };
					sig_push(n, &add, b->pub_port, in->expires - now + ELEMENT_MARGIN);
				}
			}
		}
		sig_end(n, pass == 0 ? &del : &add);
	}
	n->n_sig_dirty = 0;
	return sig_send(n);
}

int nft_sig_check(struct nft *n, const struct alg_table *t, int64_t now)
{
	uint64_t handle = sig_set_handle(n);

	if (!handle) {
		n->sig_handle = 0;
		return -1;
	}
	if (handle == n->sig_handle)
		return 0;
	if (sig_write_all(n, t, now))
		return -1;
	n->sig_handle = handle;
	return 0;
}

void nft_sig_clear(struct nft *n)
{
	if (n->queued && nft_commit(n))
		return;
	batch_start(n);
	queue_sig_msg(n, SIG_FLUSH, NULL);
	sig_send(n);
	memset(n->sig, 0, n->sig_top * sizeof(*n->sig));
}
