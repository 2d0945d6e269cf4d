/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue.h: the NFQUEUE socket: packets in, verdicts (with a rewritten packet) out. */
#ifndef SIPALG_QUEUE_H
#define SIPALG_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/* Packets read in one system call, at most. */
#define QUEUE_BATCH 16

struct queued_packet {
	uint32_t id;
	uint32_t indev; /* ifindex the packet came in on, 0 when unknown */
	uint8_t *data;  /* the IP packet */
	size_t len;
	size_t room;    /* bytes writable at data: the packet may be rewritten in place */
};

/* System calls and what they carried, since the queue was opened. */
struct queue_stats {
	unsigned long receives, packets; /* recvmmsg calls, packets they brought */
	unsigned long sends, verdicts;   /* sendmsg calls, verdicts they carried */
};

/* Opens queue number num; fail-open when the queue is full. NULL on error (logged). */
struct queue *queue_open(uint16_t num);
void queue_close(struct queue *q);
int queue_fd(const struct queue *q);

/* Reads what the kernel has queued, up to a batch of packets in one system call, and calls
 * fn with them (all at once, in the order they came); fn must answer each with
 * queue_verdict. The batch's verdicts are sent together before it returns. Returns the
 * number of netlink messages read (0: none waited), -1 on a socket error other than
 * EAGAIN/ENOBUFS. */
typedef void queue_packets_fn(void *ctx, struct queue *q, struct queued_packet *p, size_t n);
int queue_receive(struct queue *q, queue_packets_fn *fn, void *ctx);

/* Accepts packet id, replaced by data (len bytes) when data is not NULL; data must stay as it
 * is until queue_receive returns (the packet's own bytes, rewritten in place, do). */
int queue_verdict(struct queue *q, uint32_t id, const void *data, size_t len);

struct queue_stats queue_stats(const struct queue *q);

#endif
