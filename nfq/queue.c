/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue.c: NFQUEUE through libnetfilter_queue's netlink helpers and libmnl. */
#include "queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"

struct queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	/* netlink messages are read in place: keep them aligned */
	char buf[0xffff + 8192] __attribute__((aligned(8))); /* one packet and its headers */
	char verdict_buf[0xffff + 1024] __attribute__((aligned(8)));
};

/* Sends a config message and reads the kernel's answer to it. */
static int send_cfg(struct queue *q, struct nlmsghdr *nlh)
{
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf))) < 0 ||
	    mnl_cb_run(q->buf, (size_t)n, 0, q->portid, NULL, NULL) < 0) {
		if (errno == EPERM)
			log_err("nfqueue %u is in use by another program (another sipalgd?)", q->num);
		else
			log_err("nfqueue %u: %s", q->num, strerror(errno));
		return -1;
	}
	return 0;
}

struct queue *queue_open(uint16_t num)
{
	struct queue *q = calloc(1, sizeof(*q));
	struct nlmsghdr *nlh;
	int one = 1;

	if (!q)
		return NULL;
	q->num = num;
	q->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q->nl || mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_err("nfqueue: netlink socket: %s", strerror(errno));
		queue_close(q);
		return NULL;
	}
	q->portid = mnl_socket_get_portid(q->nl);

	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (send_cfg(q, nlh)) {
		queue_close(q);
		return NULL;
	}
	nlh = nfq_nlmsg_put(q->buf, NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	/* A full queue lets SIP through unmodified rather than dropping it. */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	if (send_cfg(q, nlh)) {
		queue_close(q);
		return NULL;
	}
	/* Losing a burst is better reported than fatal. */
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return q;
}

void queue_close(struct queue *q)
{
	if (!q)
		return;
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q);
}

int queue_fd(const struct queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

struct dispatch {
	struct queue *q;
	void (*fn)(void *ctx, struct queue *q, const struct queued_packet *p);
	void *ctx;
};

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct dispatch *d = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct queued_packet p = { 0 };

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p.id = ntohl(ph->packet_id);
	if (attr[NFQA_IFINDEX_INDEV])
		p.indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_PAYLOAD]) {
		p.data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	d->fn(d->ctx, d->q, &p);
	return MNL_CB_OK;
}

int queue_receive(struct queue *q, void (*fn)(void *ctx, struct queue *q, const struct queued_packet *p),
		  void *ctx)
{
	struct dispatch d = { q, fn, ctx };
	ssize_t n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf));

	if (n < 0)
		return errno == EAGAIN || errno == EINTR || errno == ENOBUFS ? 0 : -1;
	return mnl_cb_run(q->buf, (size_t)n, 0, q->portid, on_packet, &d) < 0 ? -1 : 0;
}

int queue_verdict(struct queue *q, uint32_t id, const void *data, size_t len)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(q->verdict_buf, NFQNL_MSG_VERDICT, q->num);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	if (data)
		nfq_nlmsg_verdict_put_pkt(nlh, data, (uint32_t)len);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0) {
		log_err("nfqueue %u: verdict: %s", q->num, strerror(errno));
		return -1;
	}
	return 0;
}
