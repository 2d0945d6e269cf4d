/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nfq_null: the benchmarks' floor. Reads NFQUEUE N with sipalgd's own queue code
 * (nfq/queue.c: recvmmsg, the verdicts in one sendmsg) and accepts every packet unchanged,
 * so that the latency it adds is NFQUEUE's round trip alone; sipalgd's figure minus this
 * one is sipalgd's own part. Until SIGTERM or SIGINT.
 *
 *   nfq_null [QUEUE]   (default 0)
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "queue.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void accept_all(void *ctx, struct queue *q, struct queued_packet *p, size_t n)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++)
		queue_verdict(q, p[i].id, NULL, 0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct queue *q;
	struct pollfd pfd;
	unsigned long packets = 0;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	log_open(1);
	q = queue_open((uint16_t)(argc > 1 ? atoi(argv[1]) : 0));
	if (!q)
		return 1;
	pfd = (struct pollfd){ queue_fd(q), POLLIN, 0 };
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n = queue_receive(q, accept_all, NULL);
		if (n < 0)
			break;
		packets += (unsigned long)n;
	}
	printf("packets=%lu\n", packets);
	queue_close(q);
	return 0;
}
