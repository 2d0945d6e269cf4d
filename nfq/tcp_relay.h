/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_relay.h: SIP over TCP, relayed. sipalg-firewall diverts (tproxy) new SIP/TCP connections
 * to a transparent listener on 127.0.0.1:tcp_port; each one accepted is relayed over a
 * connection of the router's own, message by message, through the daemon's message path.
 * A rewritten message may change length: with the router holding both connections, each
 * side's kernel numbers its own bytes, so nothing has to be adjusted.
 *
 *   outbound (the peer is in the LAN): the accepted socket's local address is the server the
 *     phone dialled; the router connects to it from its own address (masquerade picks the port).
 *   inbound (the peer is on the WAN, to a phone's public signaling port): the router connects
 *     to the phone's private endpoint behind that port, from the WAN peer's own address
 *     (transparent bind), so the phone sees its server.
 *
 * Each direction is framed (alg/sip_stream.h); whole messages go through the daemon's message
 * function, keep-alives pass untouched, and a direction that stops being SIP makes the whole
 * connection a plain byte relay for the rest of its life (never worse than without the ALG). */
#ifndef SIPALG_TCP_RELAY_H
#define SIPALG_TCP_RELAY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "alg.h"
#include "table.h"

/* The relay's settings, under the names of their options (nfq/config.c). */
struct tcp_limits {
	uint32_t max_connections;          /* tcp_max_connections (fixed until a restart) */
	uint32_t max_connections_per_host; /* tcp_max_connections_per_host: per LAN phone */
	uint32_t idle_timeout;             /* tcp_idle_timeout, seconds without a byte read */
	uint32_t max_buffer;               /* tcp_max_buffer: bytes queued toward one side before
					    * the other side is no longer read (backpressure) */
	uint32_t max_message_size;         /* tcp_max_message_size: framing and translation */
};

/* Why a connection was not relayed (it was reset, so that the phone sees a failure). */
enum tcp_refusal {
	TCP_OVER_CONNECTIONS,   /* tcp_max_connections */
	TCP_OVER_HOST,          /* tcp_max_connections_per_host */
	TCP_NO_BINDING,         /* inbound, to a public port no phone's signaling binding holds */
	TCP_NOT_ALLOWED,        /* inbound, from another than the registrar (inbound_calls) */
	TCP_CONNECT_FAILED,     /* the far side refused or did not answer */
	TCP_REFUSAL_COUNT
};

struct tcp_counters {
	unsigned long accepted, outbound, inbound;
	unsigned long refused[TCP_REFUSAL_COUNT];
	unsigned long messages, translated, unchanged, keepalives;
	unsigned long passthrough;      /* connections switched to plain relaying */
	unsigned long passthrough_bytes;
	unsigned long tls, websocket;   /* of those: TLS, HTTP (SIP over WebSocket) from the start */
	unsigned long idle_closed, resets, over_buffer, backpressure, errors;
	unsigned long broken[ALG_REASON_COUNT];  /* passthrough connections by why */
	unsigned long reasons[ALG_REASON_COUNT]; /* messages passed unchanged by why */
};

/* The daemon's message function: 1 when the message was translated, the new bytes at
 * *out (valid until the next call), 0 when it passes as it came (the reason counted in
 * reasons[]). max_message: the longest message to translate. */
typedef int tcp_translate_fn(void *ctx, const struct alg_packet *pkt, size_t max_message,
			     unsigned long *reasons, const char **out, size_t *out_len);

struct tcp_conn;

struct tcp_relay {
	int listen_fd, epoll_fd;
	uint16_t port;
	const struct tcp_limits *lim; /* the daemon's settings: a reload changes them in place */
	size_t cap;                   /* max_connections at start */
	const struct alg_net *lan;
	size_t n_lan;
	const struct alg_table *table;
	pthread_mutex_t *table_lock; /* held while the relay reads the table (the queue threads write it) */
	tcp_translate_fn *translate;
	void *ctx;
	struct tcp_conn **conns;
	size_t n_conns;
	struct tcp_conn *dead; /* closed during an event batch, freed after it */
	int64_t paused_until;  /* accept failed for want of fds: the listener rests until then */
	struct tcp_counters count;
	char scratch[65536];   /* a passthrough connection's bytes on their way */
};

/* One connection as the status view shows it. */
struct tcp_conn_view {
	struct alg_endpoint phone, server;
	int inbound, connecting, passthrough;
	unsigned long long from_phone, from_server; /* bytes read from each side */
	int64_t started;
};

/* Opens the listener (before privileges are dropped: IP_TRANSPARENT needs CAP_NET_ADMIN,
 * which is kept). lan, table and lim must outlive the relay. 0 on success (logged if not). */
int tcp_relay_open(struct tcp_relay *r, uint16_t port, const struct tcp_limits *lim,
		   const struct alg_net *lan, size_t n_lan, const struct alg_table *table,
		   tcp_translate_fn *fn, void *ctx);
/* The fd to poll for POLLIN (an epoll fd), -1 when closed. */
int tcp_relay_fd(const struct tcp_relay *r);
/* Handles what is ready: new connections, bytes, connects, closes. now: monotonic seconds. */
void tcp_relay_run(struct tcp_relay *r, int64_t now);
/* Closes the connections idle for idle_timeout. */
void tcp_relay_expire(struct tcp_relay *r, int64_t now);
/* Connection i (0..n_conns-1) for the status view; -1 past the last. */
int tcp_relay_conn_at(const struct tcp_relay *r, size_t i, struct tcp_conn_view *v);
/* Resets every connection, closes the listener, frees everything. */
void tcp_relay_close(struct tcp_relay *r);

/* Names of the refusals, for status and logs. */
const char *tcp_refusal_str(enum tcp_refusal why);

#endif
