/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue_threads.h: one thread per NFQUEUE (option queues): each reads its own queue and hands
 * the packets to the daemon's function with that queue's context. The function runs in
 * several threads at once: what it shares, it locks. */
#ifndef SIPALG_QUEUE_THREADS_H
#define SIPALG_QUEUE_THREADS_H

#include <stddef.h>
#include <stdint.h>

#include "queue.h"

struct queue_threads;

/* After a batch's verdicts are out: what the packets left to do (queue_threads_open). */
typedef void queue_batch_fn(void *ctx);

/* Opens queues first .. first + n - 1 (each fail-open); fn gets ctx[i] for queue first + i,
 * packet by packet, and after (if not NULL) once each batch's verdicts are sent. NULL on
 * error (logged), with nothing left open. */
struct queue_threads *queue_threads_open(uint16_t first, uint16_t n, queue_packets_fn *fn, queue_batch_fn *after,
					 void *const *ctx);
/* Starts the threads (signals are left to the calling thread). A fatal socket error in one
 * is logged and ends the daemon as SIGTERM does. 0, or -1 (logged: none runs). */
int queue_threads_start(struct queue_threads *t);
/* Queue first + i, for a caller that reads it itself (then it starts no thread). */
struct queue *queue_threads_queue(struct queue_threads *t, uint16_t i);
/* Stops and joins the threads (each finishes its batch), logs what each queue's system calls
 * carried, closes the queues. */
void queue_threads_close(struct queue_threads *t);

#endif
