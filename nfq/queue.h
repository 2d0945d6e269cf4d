/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue.h: the NFQUEUE socket: packets in, verdicts (with a rewritten packet) out. */
#ifndef SIPALG_QUEUE_H
#define SIPALG_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

struct queued_packet {
	uint32_t id;
	uint32_t indev; /* ifindex the packet came in on, 0 when unknown */
	uint8_t *data;  /* the IP packet */
	size_t len;
};

/* Opens queue number num; fail-open when the queue is full. NULL on error (logged). */
struct queue *queue_open(uint16_t num);
void queue_close(struct queue *q);
int queue_fd(const struct queue *q);

/* Reads what the kernel has queued and calls fn for each packet; fn must answer with
 * queue_verdict. Returns -1 on a socket error other than EAGAIN/ENOBUFS. */
int queue_receive(struct queue *q, void (*fn)(void *ctx, struct queue *q, const struct queued_packet *p),
		  void *ctx);

/* Accepts packet id, replaced by data when data is not NULL. */
int queue_verdict(struct queue *q, uint32_t id, const void *data, size_t len);

#endif
