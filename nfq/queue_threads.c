/* SPDX-License-Identifier: GPL-2.0-or-later */
/* queue_threads.c: a thread per queue. Each waits in poll() on its queue's socket and on a
 * pipe that queue_threads_close closes, and reads again at once while full batches come. */
#include "queue_threads.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

struct queue_thread {
	struct queue *queue;
	uint16_t num;
	queue_packets_fn *fn;
	queue_batch_fn *after;
	void *ctx;
	pthread_t id;
	int started;
	int stop_fd;  /* the pipe's read end: POLLHUP when it is time to stop */
	int *stopping; /* set before the pipe closes: a busy thread sees it between batches */
	unsigned long polls; /* the thread's own: read after the join */
};

struct queue_threads {
	uint16_t n;
	int stop_pipe[2];
	int stopping;
	struct queue_thread t[];
};

static void *run(void *arg)
{
	struct queue_thread *t = arg;
	struct pollfd pfd[2] = { { queue_fd(t->queue), POLLIN, 0 }, { t->stop_fd, POLLIN, 0 } };
	int n = 0;

	while (!__atomic_load_n(t->stopping, __ATOMIC_RELAXED)) {
		if (n < QUEUE_BATCH) { /* else a full batch: more may wait, read at once */
			t->polls++;
			if (poll(pfd, 2, -1) < 0) {
				if (errno == EINTR)
					continue;
				log_err("nfqueue %u: poll: %s", t->num, strerror(errno));
				break;
			}
			if (pfd[1].revents)
				break;
		}
		n = queue_receive(t->queue, t->fn, t->ctx);
		if (n < 0) {
			log_err("nfqueue %u: %s", t->num, strerror(errno));
			kill(getpid(), SIGTERM); /* the main thread stops the daemon, as before threads */
			break;
		}
		if (n > 0 && t->after)
			t->after(t->ctx);
	}
	return NULL;
}

struct queue_threads *queue_threads_open(uint16_t first, uint16_t n, queue_packets_fn *fn, queue_batch_fn *after,
					 void *const *ctx)
{
	struct queue_threads *ts = calloc(1, sizeof(*ts) + n * sizeof(ts->t[0]));

	if (!ts || pipe(ts->stop_pipe)) {
		log_err("queues: %s", strerror(errno));
		free(ts);
		return NULL;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct queue_thread *t = &ts->t[ts->n];

		*t = (struct queue_thread){ .num = (uint16_t)(first + i), .fn = fn, .after = after, .ctx = ctx[i],
					    .stop_fd = ts->stop_pipe[0], .stopping = &ts->stopping };
		t->queue = queue_open(t->num);
		if (!t->queue) {
			queue_threads_close(ts);
			return NULL;
		}
		ts->n++;
	}
	return ts;
}

int queue_threads_start(struct queue_threads *ts)
{
	sigset_t all, old;
	int rc = 0;

	/* SIGTERM and SIGHUP stay the main thread's: the threads start with every signal blocked */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (uint16_t i = 0; i < ts->n && rc == 0; i++) {
		rc = pthread_create(&ts->t[i].id, NULL, run, &ts->t[i]);
		if (rc)
			log_err("queue %u: cannot start its thread: %s", ts->t[i].num, strerror(rc));
		else
			ts->t[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc ? -1 : 0;
}

struct queue *queue_threads_queue(struct queue_threads *ts, uint16_t i)
{
	return ts->t[i].queue;
}

void queue_threads_close(struct queue_threads *ts)
{
	if (!ts)
		return;
	__atomic_store_n(&ts->stopping, 1, __ATOMIC_RELAXED);
	close(ts->stop_pipe[1]);
	for (uint16_t i = 0; i < ts->n; i++) {
		struct queue_thread *t = &ts->t[i];
		struct queue_stats s;

		if (t->started)
			pthread_join(t->id, NULL);
		if (t->queue) {
			s = queue_stats(t->queue);
			log_info("queue %u: %lu packets; system calls: %lu recvmmsg, %lu sendmsg, %lu poll", t->num,
				 s.packets, s.receives, s.sends, t->polls);
		}
		queue_close(t->queue);
	}
	close(ts->stop_pipe[0]);
	free(ts);
}
