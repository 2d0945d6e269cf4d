/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stun_client.h: asks a STUN server (RFC 5389 Binding) where the router's WAN traffic is seen
 * from outside: the public address of a router behind another NAT. Requests are retransmitted
 * (1, 2, 4 s), then the round fails and the address is unknown; an answer is refreshed every
 * STUN_REFRESH seconds, and at once when the WAN address changes. */
#ifndef SIPALG_STUN_CLIENT_H
#define SIPALG_STUN_CLIENT_H

#include <stdint.h>

#include "addr.h"
#include "stun.h"

#define STUN_REFRESH 120
#define STUN_RETRY 30 /* after a round without an answer */

struct stun_client {
	int fd;                  /* -1: off */
	struct alg_endpoint server;
	uint8_t txid[STUN_TXID_LEN];
	int tries;               /* requests sent in this round; 0: no round running */
	int64_t next;            /* when to send (a retransmission, a refresh) or give up */
	struct alg_endpoint mapped; /* the last answer; ip 0: unknown */
	int64_t answered;        /* when */
	unsigned long requests, answers, rounds_failed, bad; /* bad: malformed or errors */
};

/* Opens the socket and starts a round now; server ip 0: off (fd -1). -1 on error (logged). */
int stun_client_open(struct stun_client *s, struct alg_endpoint server, int64_t now);
void stun_client_close(struct stun_client *s);
/* A new round at once (the WAN address changed). */
void stun_client_restart(struct stun_client *s, int64_t now);
/* Sends or gives up when due. Returns 1 when the learned address changed (to unknown). */
int stun_client_tick(struct stun_client *s, int64_t now);
/* Reads what arrived. Returns 1 when the learned address changed. */
int stun_client_read(struct stun_client *s, int64_t now);
/* The socket to poll (-1 when off) and when tick is due next. */
static inline int stun_client_fd(const struct stun_client *s)
{
	return s->fd;
}
int64_t stun_client_next(const struct stun_client *s);

#endif
