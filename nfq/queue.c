/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue.c: NFQUEUE through libnetfilter_queue's netlink helpers and libmnl. */
#define _GNU_SOURCE /* recvmmsg */
#include "queue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "log.h"

/* Packets are read QUEUE_BATCH at a time (recvmmsg), and their verdicts go out together in
 * one sendmsg, each rewritten packet straight from where it was read and rewritten. */
#define QUEUE_SLOT (0x10000 + 8192)      /* one packet and its headers; a multiple of 8 (and of
					  * the page): every slot's message starts aligned */
#define QUEUE_SEND_MAX 65536             /* a batch of verdicts longer than this goes in parts */
#define VERDICT_HDR_MAX 64               /* nlmsghdr, nfgenmsg, verdict, the payload's header */
/* A burst (a phone's or a provider's sendmmsg, a registration storm after an outage) waits in
 * the kernel instead of passing untranslated through fail-open: room for about 2,000 INVITEs.
 * The memory is the kernel's and taken only while packets wait. */
#define QUEUE_MAXLEN 4096                /* packets the kernel holds for us (its default: 1024) */
#define QUEUE_RCVBUF (2 << 20)           /* bytes of them on their way to us (default ~200 KiB) */

struct queue {
	struct mnl_socket *nl;
	uint32_t portid;
	uint16_t num;
	struct queue_stats stats;
	/* the verdicts waiting for the end of the batch: a header each, then the packet */
	size_t n_verdicts, n_iov, send_len;
	struct iovec iov[3 * QUEUE_BATCH];
	char verdict_hdr[QUEUE_BATCH][VERDICT_HDR_MAX] __attribute__((aligned(8)));
	/* netlink messages are read in place: keep them aligned. Pages are touched only as
	 * packets fill them. */
	char slot[QUEUE_BATCH][QUEUE_SLOT] __attribute__((aligned(8)));
};

/* Sends a config message and reads the kernel's answer to it. */
static int send_cfg(struct queue *q, struct nlmsghdr *nlh)
{
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(q->nl, q->slot[0], sizeof(q->slot[0]))) < 0 ||
	    mnl_cb_run(q->slot[0], (size_t)n, 0, q->portid, NULL, NULL) < 0) {
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
	int one = 1, rcvbuf = QUEUE_RCVBUF;

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

	nlh = nfq_nlmsg_put(q->slot[0], NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (send_cfg(q, nlh)) {
		queue_close(q);
		return NULL;
	}
	nlh = nfq_nlmsg_put(q->slot[0], NFQNL_MSG_CONFIG, num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
	/* A full queue lets SIP through unmodified rather than dropping it. */
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(QUEUE_MAXLEN));
	if (send_cfg(q, nlh)) {
		queue_close(q);
		return NULL;
	}
	/* Losing a burst is better reported than fatal. */
	mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	/* past net.core.rmem_max as root (CAP_NET_ADMIN); else what rmem_max allows */
	if (setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
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

/* The packets of one read, as they are parsed: handed on together. */
struct dispatch {
	struct queue *q;
	queue_packets_fn *fn;
	void *ctx;
	char *end; /* of the slot being read: a packet may grow in place up to it */
	size_t n;
	struct queued_packet p[QUEUE_BATCH];
};

static void dispatch_flush(struct dispatch *d)
{
	if (d->n)
		d->fn(d->ctx, d->q, d->p, d->n);
	d->n = 0;
}

static int on_packet(const struct nlmsghdr *nlh, void *data)
{
	struct dispatch *d = data;
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	struct queued_packet *p;

	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_OK;
	if (d->n == QUEUE_BATCH) /* more messages than datagrams: the kernel sends one a packet */
		dispatch_flush(d);
	p = &d->p[d->n++];
	*p = (struct queued_packet){ 0 };
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	if (attr[NFQA_IFINDEX_INDEV])
		p->indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_PAYLOAD]) {
		p->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
		p->room = (size_t)(d->end - (char *)p->data);
	}
	d->q->stats.packets++;
	return MNL_CB_OK;
}

/* Sends the verdicts of the batch, in one system call. */
static int send_verdicts(struct queue *q)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &kernel, .msg_namelen = sizeof(kernel), .msg_iov = q->iov,
			      .msg_iovlen = q->n_iov };
	int rc = 0;

	if (!q->n_verdicts)
		return 0;
	q->stats.sends++;
	if (sendmsg(mnl_socket_get_fd(q->nl), &msg, 0) < 0) {
		log_err("nfqueue %u: %zu verdicts: %s", q->num, q->n_verdicts, strerror(errno));
		rc = -1;
	}
	q->n_verdicts = q->n_iov = q->send_len = 0;
	return rc;
}

int queue_receive(struct queue *q, queue_packets_fn *fn, void *ctx)
{
	struct dispatch d;
	struct sockaddr_nl from[QUEUE_BATCH];
	struct mmsghdr msgs[QUEUE_BATCH];
	struct iovec iov[QUEUE_BATCH];
	int n, rc = 0;

	for (int i = 0; i < QUEUE_BATCH; i++) {
		iov[i] = (struct iovec){ q->slot[i], QUEUE_SLOT };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
							 .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	n = recvmmsg(mnl_socket_get_fd(q->nl), msgs, QUEUE_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR || errno == ENOBUFS ? 0 : -1;
	q->stats.receives++;
	d.q = q;
	d.fn = fn;
	d.ctx = ctx;
	d.n = 0;
	for (int i = 0; i < n && rc == 0; i++) {
		if (from[i].nl_pid != 0)
			continue; /* only the kernel's messages (as mnl_socket_recvfrom) */
		d.end = q->slot[i] + QUEUE_SLOT;
		if (mnl_cb_run(q->slot[i], msgs[i].msg_len, 0, q->portid, on_packet, &d) < 0)
			rc = -1;
	}
	dispatch_flush(&d);
	if (send_verdicts(q) || rc)
		return -1;
	return n;
}

int queue_verdict(struct queue *q, uint32_t id, const void *data, size_t len)
{
	static const char pad[NLA_ALIGNTO];
	size_t padded = data ? NLA_ALIGN(len) : 0;
	struct nlmsghdr *nlh;
	struct nlattr *payload;

	if (q->n_verdicts == QUEUE_BATCH ||
	    (q->n_verdicts && q->send_len + VERDICT_HDR_MAX + padded > QUEUE_SEND_MAX)) {
		if (send_verdicts(q))
			return -1;
	}
	nlh = nfq_nlmsg_put(q->verdict_hdr[q->n_verdicts], NFQNL_MSG_VERDICT, q->num);
	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	q->iov[q->n_iov++] = (struct iovec){ nlh, nlh->nlmsg_len };
	if (data) {
		/* the attribute's header here, the packet where it is (nfq_nlmsg_verdict_put_pkt
		 * would copy it) */
		payload = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
		payload->nla_type = NFQA_PAYLOAD;
		payload->nla_len = (uint16_t)(NLA_HDRLEN + len);
		q->iov[q->n_iov - 1].iov_len += NLA_HDRLEN;
		q->iov[q->n_iov++] = (struct iovec){ (void *)data, len };
		if (padded > len)
			q->iov[q->n_iov++] = (struct iovec){ (void *)pad, padded - len };
		nlh->nlmsg_len += NLA_HDRLEN + (uint32_t)padded;
	}
	q->send_len += nlh->nlmsg_len;
	q->n_verdicts++;
	q->stats.verdicts++;
	return 0;
}

struct queue_stats queue_stats(const struct queue *q)
{
	return q->stats;
}
