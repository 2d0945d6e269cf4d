/* SPDX-License-Identifier: GPL-2.0-or-later */
/* stun_client.c: the STUN Binding transaction's I/O and schedule; the bytes are alg/stun.c's. */
#include "stun_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define STUN_TRIES 4 /* sent at 0, 1, 3, 7 s; the round fails at 15 s */

static void send_request(struct stun_client *s, int64_t now)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(s->server.port),
				  .sin_addr.s_addr = htonl(s->server.ip) };
	uint8_t req[STUN_HEADER_LEN];
	size_t n = stun_binding_request(s->txid, req, sizeof(req));

	if (sendto(s->fd, req, n, 0, (struct sockaddr *)&to, sizeof(to)) < 0 && s->tries == 0)
		log_debug("stun: sendto: %s", strerror(errno));
	s->requests++;
	s->next = now + (1 << s->tries); /* RFC 5389 7.2.1: the timeout doubles */
	s->tries++;
}

static void new_round(struct stun_client *s, int64_t now)
{
	/* The transaction ID must be unguessable (RFC 5389 6): anyone could answer otherwise. */
	if (getrandom(s->txid, sizeof(s->txid), GRND_NONBLOCK) != (ssize_t)sizeof(s->txid))
		for (size_t i = 0; i < sizeof(s->txid); i++)
			s->txid[i] ^= (uint8_t)(now * 131 + (int64_t)i * 7 + getpid());
	s->tries = 0;
	send_request(s, now);
}

int stun_client_open(struct stun_client *s, struct alg_endpoint server, int64_t now)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->server = server;
	if (!server.ip)
		return 0;
	s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		log_err("stun: socket: %s", strerror(errno));
		return -1;
	}
	new_round(s, now);
	return 0;
}

void stun_client_close(struct stun_client *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void stun_client_restart(struct stun_client *s, int64_t now)
{
	if (s->fd >= 0)
		new_round(s, now);
}

int stun_client_tick(struct stun_client *s, int64_t now)
{
	char srv[ENDPOINT_STR_MAX];

	if (s->fd < 0 || now < s->next)
		return 0;
	if (s->tries == 0) { /* a refresh, or a retry after a failed round */
		new_round(s, now);
		return 0;
	}
	if (s->tries < STUN_TRIES) {
		send_request(s, now);
		return 0;
	}
	s->tries = 0;
	s->rounds_failed++;
	s->next = now + STUN_RETRY;
	if (!s->mapped.ip)
		return 0;
	endpoint_format(&s->server, srv);
	log_warn("stun: no answer from %s to %d requests: the public address is unknown", srv, STUN_TRIES);
	s->mapped.ip = 0;
	return 1;
}

int stun_client_read(struct stun_client *s, int64_t now)
{
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	struct alg_endpoint ep;
	int changed = 0;
	ssize_t n;

	while (s->fd >= 0 &&
	       (n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen)) >= 0) {
		flen = sizeof(from);
		/* only the server's answers to the running round count */
		if (s->tries == 0 || ntohl(from.sin_addr.s_addr) != s->server.ip ||
		    ntohs(from.sin_port) != s->server.port)
			continue;
		switch (stun_binding_answer(buf, (size_t)n, s->txid, &ep)) {
		case STUN_MAPPED:
			s->answers++;
			s->answered = now;
			s->tries = 0;
			s->next = now + STUN_REFRESH;
			if (ep.ip != s->mapped.ip)
				changed = 1;
			s->mapped = ep;
			break;
		case STUN_NOT_OURS:
			break;
		case STUN_ERROR:
		case STUN_MALFORMED:
			if (s->bad++ == 0)
				log_notice("stun: a bad or error answer from the server (first time; see status)");
			break;
		}
	}
	return changed;
}

int64_t stun_client_next(const struct stun_client *s)
{
	return s->fd >= 0 ? s->next : INT64_MAX;
}
