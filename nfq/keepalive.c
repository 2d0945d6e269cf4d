/* SPDX-License-Identifier: GPL-2.0-or-later */
/* keepalive.c: keep-alives from registered phones' endpoints to their registrars. */
#include "keepalive.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

/* The datagram leaves the router as the phone's own would: locally sent from the phone's
 * address, it matches the phone's conntrack flow (and is NATed as that flow is), or starts
 * one that the binding's SNAT element maps to the public port. */
static int send_from(struct alg_endpoint from, struct alg_endpoint to)
{
	static const char ping[] = "\r\n\r\n";
	struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(from.port),
				   .sin_addr.s_addr = htonl(from.ip) };
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(to.port),
				   .sin_addr.s_addr = htonl(to.ip) };
	int one = 1, err = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    sendto(fd, ping, sizeof(ping) - 1, 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)sizeof(ping) - 1)
		err = errno;
	close(fd);
	errno = err;
	return err ? -1 : 0;
}

unsigned keepalive_send_all(const struct alg_table *t, unsigned long *failed)
{
	const struct table_binding *b;
	unsigned sent = 0;

	table_for_each_binding(t, slot, b) {
		if (b->kind != ALG_PORT_SIGNALING || !b->registered || !b->registrar.ip)
			continue;
		if (send_from(b->priv, b->registrar) == 0) {
			sent++;
		} else if ((*failed)++ == 0) {
			char ep[ENDPOINT_STR_MAX];

			endpoint_format(&b->priv, ep);
			log_warn("keep-alive from %s: %s (first time; see status)", ep, strerror(errno));
		}
	}
	return sent;
}
