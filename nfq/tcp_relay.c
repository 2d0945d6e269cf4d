/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tcp_relay.c: the transparent SIP/TCP relay (see tcp_relay.h). One epoll set holds the
 * listener and both sockets of every connection; the daemon polls its fd. Level-triggered:
 * a side is read only while the queue toward the other side is under max_buffer, so a peer
 * that sends faster than the other side reads, or half a message and nothing more, holds
 * at most its own bounded buffers, and an idle connection holds none. */
#define _GNU_SOURCE
#include "tcp_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sip_stream.h"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

enum { PHONE, SERVER };

struct side {
	struct tcp_conn *c;
	int fd;
	uint32_t events;     /* what epoll watches for it now */
	int watched;         /* still in the epoll set */
	char *in;            /* bytes read from this side, not yet a whole unit (max_message) */
	size_t in_len;
	struct sip_stream fr;
	char *out;           /* bytes to write to this side */
	size_t out_len, out_cap;
	int eof;             /* it sent its FIN: nothing more comes from it */
	int shut;            /* we sent ours */
	unsigned long long bytes; /* read from it */
};

struct tcp_conn {
	struct side s[2];    /* PHONE, SERVER */
	struct alg_endpoint phone, server;
	int inbound, connecting, passthrough, dead;
	int dial;            /* the side the router connects to: SERVER, or PHONE inbound */
	int64_t started, last;
	size_t slot;         /* in r->conns */
	struct tcp_conn *next_dead;
};

static const char *const refusal_names[TCP_REFUSAL_COUNT] = {
	"limit tcp_max_connections", "limit tcp_max_connections_per_host",
	"no phone behind the public port", "not the phone's registrar (inbound_calls)", "connect failed",
};

const char *tcp_refusal_str(enum tcp_refusal why)
{
	return why < TCP_REFUSAL_COUNT ? refusal_names[why] : "?";
}

static struct alg_endpoint endpoint_of(const struct sockaddr_in *sa)
{
	return (struct alg_endpoint){ ntohl(sa->sin_addr.s_addr), ntohs(sa->sin_port) };
}

static struct sockaddr_in sockaddr_of(struct alg_endpoint ep)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(ep.ip);
	sa.sin_port = htons(ep.port);
	return sa;
}

/* Closes with a RST rather than a FIN: the peer sees the failure it would see without the
 * ALG (a refused connection, a reset one), and no orphaned socket lingers. */
static void close_rst(int fd)
{
	struct linger l = { 1, 0 };

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* The hard ceiling of a queue: max_buffer stops reading the other side, and one read adds
 * at most one message (grown by translation) and a keep-alive run on top. */
static size_t queue_ceiling(const struct tcp_relay *r)
{
	return (size_t)r->lim->max_buffer + 2 * (size_t)r->lim->max_message_size + 4096;
}

/* Ends a connection: both sockets closed (reset when rst), its slot given up; the memory
 * goes after the event batch, which may still name it. */
static void end_conn(struct tcp_relay *r, struct tcp_conn *c, int rst)
{
	if (c->dead)
		return;
	c->dead = 1;
	for (int i = 0; i < 2; i++) {
		if (rst)
			close_rst(c->s[i].fd);
		else if (c->s[i].fd >= 0)
			close(c->s[i].fd);
		c->s[i].fd = -1;
	}
	r->conns[c->slot] = r->conns[--r->n_conns];
	r->conns[c->slot]->slot = c->slot;
	c->next_dead = r->dead;
	r->dead = c;
}

static void reset_conn(struct tcp_relay *r, struct tcp_conn *c)
{
	r->count.resets++;
	end_conn(r, c, 1);
}

static void reap(struct tcp_relay *r)
{
	while (r->dead) {
		struct tcp_conn *c = r->dead;

		r->dead = c->next_dead;
		for (int i = 0; i < 2; i++) {
			free(c->s[i].in);
			free(c->s[i].out);
		}
		free(c);
	}
}

/* Appends to the bytes waiting for side b; -1 (connection reset) over the ceiling. */
static int enqueue(struct tcp_relay *r, struct tcp_conn *c, struct side *b, const char *p, size_t n)
{
	if (n == 0)
		return 0;
	if (b->out_len + n > queue_ceiling(r)) {
		r->count.over_buffer++;
		reset_conn(r, c);
		return -1;
	}
	if (b->out_len + n > b->out_cap) {
		size_t cap = b->out_cap ? b->out_cap : 4096;
		char *q;

		while (cap < b->out_len + n)
			cap *= 2;
		q = realloc(b->out, cap);
		if (!q) {
			r->count.errors++;
			reset_conn(r, c);
			return -1;
		}
		b->out = q;
		b->out_cap = cap;
	}
	memcpy(b->out + b->out_len, p, n);
	b->out_len += n;
	return 0;
}

static void drop_input(struct side *a)
{
	free(a->in);
	a->in = NULL;
	a->in_len = 0;
}

/* The framing is lost (garbage, a message over the limit, a bad Content-Length): from now
 * on bytes pass as they come, both ways, starting with those still pending. */
static int go_passthrough(struct tcp_relay *r, struct tcp_conn *c, int from, size_t off,
			  enum alg_reason why)
{
	struct side *a = &c->s[from], *o = &c->s[!from];
	char phone[ENDPOINT_STR_MAX], server[ENDPOINT_STR_MAX];

	c->passthrough = 1;
	r->count.passthrough++;
	if (a->bytes == a->in_len) { /* nothing framed yet: the stream's own first bytes */
		enum sip_stream_foreign f = sip_stream_foreign(a->in, a->in_len);

		r->count.tls += f == SIP_STREAM_TLS;
		r->count.websocket += f == SIP_STREAM_HTTP;
	}
	if (r->count.broken[why]++ == 0) {
		endpoint_format(&c->phone, phone);
		endpoint_format(&c->server, server);
		log_notice("SIP/TCP %s <-> %s relayed unchanged from now on: %s (first time; see counters)",
			   phone, server, config_reason_str(why));
	}
	r->count.passthrough_bytes += a->in_len - off + o->in_len;
	if (enqueue(r, c, o, a->in + off, a->in_len - off) || enqueue(r, c, a, o->in, o->in_len))
		return -1;
	drop_input(a);
	drop_input(o);
	return 0;
}

/* One whole message from side `from`, through the daemon's message path, to the other. */
static int deliver(struct tcp_relay *r, struct tcp_conn *c, int from, const char *msg, size_t len)
{
	const struct alg_packet pkt = { msg, len, from == PHONE ? ALG_OUT : ALG_IN,
					from == PHONE ? c->phone : c->server,
					from == PHONE ? c->server : c->phone, ALG_TCP };
	const char *out;
	size_t out_len;

	r->count.messages++;
	if (r->translate(r->ctx, &pkt, r->lim->max_message_size, r->count.reasons, &out, &out_len)) {
		r->count.translated++;
		return enqueue(r, c, &c->s[!from], out, out_len);
	}
	r->count.unchanged++;
	return enqueue(r, c, &c->s[!from], msg, len);
}

/* Takes every whole unit out of side a's pending bytes. */
static int frame(struct tcp_relay *r, struct tcp_conn *c, int from)
{
	struct side *a = &c->s[from], *b = &c->s[!from];
	size_t off = 0;

	for (;;) {
		struct sip_stream_unit u;
		enum sip_stream_kind k = sip_stream_next(&a->fr, a->in + off, a->in_len - off, &u);

		if (k == SIP_STREAM_MESSAGE) {
			if (deliver(r, c, from, a->in + off, u.len))
				return -1;
		} else if (k == SIP_STREAM_KEEPALIVE) {
			r->count.keepalives++;
			if (enqueue(r, c, b, a->in + off, u.len))
				return -1;
		} else if (k == SIP_STREAM_BROKEN) {
			return go_passthrough(r, c, from, off, u.reason);
		} else {
			break;
		}
		off += u.len;
	}
	memmove(a->in, a->in + off, a->in_len - off);
	a->in_len -= off;
	if (a->in_len == 0)
		drop_input(a); /* an idle connection holds no buffer */
	return 0;
}

/* Reads what side `from` has (once: level-triggered epoll comes back for more). */
static int read_side(struct tcp_relay *r, struct tcp_conn *c, int from, int64_t now)
{
	struct side *a = &c->s[from], *b = &c->s[!from];
	size_t max = r->lim->max_message_size;
	ssize_t n;

	if (c->passthrough) {
		n = recv(a->fd, r->scratch, sizeof(r->scratch), 0);
	} else {
		if (!a->in && !(a->in = malloc(max))) {
			r->count.errors++;
			reset_conn(r, c);
			return -1;
		}
		n = recv(a->fd, a->in + a->in_len, max - a->in_len, 0);
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		reset_conn(r, c); /* a RST (or worse) from a: the other side gets one too */
		return -1;
	}
	if (n == 0) {
		/* FIN: a partial message pending passes as it is, then FIN to the other side */
		a->eof = 1;
		if (a->in_len && enqueue(r, c, b, a->in, a->in_len))
			return -1;
		drop_input(a);
		return 0;
	}
	a->bytes += (unsigned long long)n;
	c->last = now;
	if (c->passthrough) {
		r->count.passthrough_bytes += (unsigned long)n;
		return enqueue(r, c, b, r->scratch, (size_t)n);
	}
	a->in_len += (size_t)n;
	return frame(r, c, from);
}

/* Writes what is queued for side b; its FIN once the other side's came and all is out. */
static int flush_side(struct tcp_relay *r, struct tcp_conn *c, int to)
{
	struct side *b = &c->s[to];

	while (b->out_len) {
		ssize_t n = send(b->fd, b->out, b->out_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			reset_conn(r, c);
			return -1;
		}
		memmove(b->out, b->out + n, b->out_len - (size_t)n);
		b->out_len -= (size_t)n;
	}
	if (b->out_len == 0 && b->out) {
		free(b->out);
		b->out = NULL;
		b->out_cap = 0;
	}
	if (b->out_len == 0 && c->s[!to].eof && !b->shut) {
		shutdown(b->fd, SHUT_WR);
		b->shut = 1;
	}
	return 0;
}

/* What epoll watches for each side, from the connection's state. */
static void watch(struct tcp_relay *r, struct tcp_conn *c)
{
	for (int i = 0; i < 2; i++) {
		struct side *x = &c->s[i];
		uint32_t ev = 0;
		struct epoll_event e;

		if (!x->watched)
			continue;
		if (x->eof && x->shut) {
			/* done both ways: nothing more to hear from it (its HUP would spin) */
			epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, x->fd, NULL);
			x->watched = 0;
			continue;
		}
		if (c->connecting) {
			ev = i == c->dial ? EPOLLOUT : 0; /* the other's bytes wait in its socket */
		} else {
			if (!x->eof) {
				if (c->s[!i].out_len < r->lim->max_buffer)
					ev |= EPOLLIN;
				else if (x->events & EPOLLIN)
					r->count.backpressure++;
			}
			if (x->out_len)
				ev |= EPOLLOUT;
		}
		if (ev == x->events)
			continue;
		e.events = ev;
		e.data.ptr = x;
		epoll_ctl(r->epoll_fd, EPOLL_CTL_MOD, x->fd, &e);
		x->events = ev;
	}
}

/* One event of side idx. */
static void service(struct tcp_relay *r, struct tcp_conn *c, int idx, uint32_t ev, int64_t now)
{
	if (ev & EPOLLERR) {
		if (c->connecting) {
			r->count.refused[TCP_CONNECT_FAILED]++;
			end_conn(r, c, 1);
		} else {
			reset_conn(r, c);
		}
		return;
	}
	if (c->connecting) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (idx != c->dial) {
			if (ev & EPOLLHUP)
				end_conn(r, c, 1); /* the connection's opener gave up first */
			return;
		}
		if (getsockopt(c->s[c->dial].fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			r->count.refused[TCP_CONNECT_FAILED]++;
			log_debug("SIP/TCP connect failed: %s", strerror(err));
			end_conn(r, c, 1);
			return;
		}
		c->connecting = 0;
		c->last = now;
	} else if ((ev & (EPOLLIN | EPOLLHUP)) && !c->s[idx].eof) {
		if (read_side(r, c, idx, now))
			return;
	}
	if (flush_side(r, c, PHONE) || flush_side(r, c, SERVER))
		return;
	if (c->s[PHONE].eof && c->s[SERVER].eof && c->s[PHONE].shut && c->s[SERVER].shut) {
		end_conn(r, c, 0);
		return;
	}
	watch(r, c);
}

static int add_side(struct tcp_relay *r, struct tcp_conn *c, int i)
{
	struct side *x = &c->s[i];
	struct epoll_event e = { 0, { .ptr = x } };

	x->c = c;
	if (sip_stream_init(&x->fr, r->lim->max_message_size))
		return -1;
	if (epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, x->fd, &e))
		return -1;
	x->watched = 1;
	return 0;
}

/* The kernel's buffers of a relayed socket: as large as tcp_max_buffer, not autotuned up to
 * megabytes, so that a side that never reads ties up a bounded amount of the router's memory
 * in the kernel too (set before listen and connect, so that the window scale fits). */
static void size_buffers(const struct tcp_relay *r, int fd)
{
	int n = (int)r->lim->max_buffer;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &n, sizeof(n));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
}

static size_t conns_of_host(const struct tcp_relay *r, uint32_t ip)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_conns; i++)
		n += r->conns[i]->phone.ip == ip;
	return n;
}

static void refuse(struct tcp_relay *r, int fd, enum tcp_refusal why, struct alg_endpoint peer)
{
	char p[ENDPOINT_STR_MAX];

	if (r->count.refused[why]++ == 0) {
		endpoint_format(&peer, p);
		log_notice("SIP/TCP connection from %s refused: %s (first time; see counters)", p,
			   tcp_refusal_str(why));
	}
	close_rst(fd);
}

/* A connection the listener accepted: find both ends, connect the other side. */
static void start_conn(struct tcp_relay *r, int fd, struct alg_endpoint peer, struct alg_endpoint local,
		       int64_t now)
{
	int inbound = !net_contains(r->lan, r->n_lan, peer.ip);
	struct alg_endpoint phone = peer, server = local, to;
	struct sockaddr_in sa;
	struct tcp_conn *c;
	int s, one = 1;

	if (inbound) {
		/* a server's new connection to a phone's public signaling port */
		server = peer;
		int found;

		pthread_mutex_lock(r->table_lock);
		found = table_find_public(r->table, local.port, peer.ip, &phone);
		pthread_mutex_unlock(r->table_lock);

		if (found) {
			refuse(r, fd, found == -2 ? TCP_NOT_ALLOWED : TCP_NO_BINDING, peer);
			return;
		}
	}
	if (r->n_conns >= r->cap || r->n_conns >= r->lim->max_connections) {
		refuse(r, fd, TCP_OVER_CONNECTIONS, peer);
		return;
	}
	if (conns_of_host(r, phone.ip) >= r->lim->max_connections_per_host) {
		refuse(r, fd, TCP_OVER_HOST, peer);
		return;
	}
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0) {
		r->count.errors++;
		close_rst(fd);
		return;
	}
	size_buffers(r, s);
	if (inbound) {
		/* from the server's own address, any port: the phone sees its server */
		sa = sockaddr_of((struct alg_endpoint){ peer.ip, 0 });
		if (setsockopt(s, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
		    setsockopt(s, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)) ||
		    bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
			log_warn("SIP/TCP: transparent bind: %s", strerror(errno));
			r->count.errors++;
			close(s);
			close_rst(fd);
			return;
		}
	}
	to = inbound ? phone : server;
	sa = sockaddr_of(to);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS) {
		r->count.refused[TCP_CONNECT_FAILED]++;
		close(s);
		close_rst(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		r->count.errors++;
		close(s);
		close_rst(fd);
		return;
	}
	c->phone = phone;
	c->server = server;
	c->inbound = inbound;
	c->connecting = 1;
	c->started = c->last = now;
	c->dial = inbound ? PHONE : SERVER;
	c->s[!c->dial].fd = fd;
	c->s[c->dial].fd = s;
	c->slot = r->n_conns;
	r->conns[r->n_conns++] = c;
	if (add_side(r, c, PHONE) || add_side(r, c, SERVER)) {
		r->count.errors++;
		end_conn(r, c, 1);
		return;
	}
	if (inbound)
		r->count.inbound++;
	else
		r->count.outbound++;
	watch(r, c);
}

static void accept_all(struct tcp_relay *r, int64_t now)
{
	for (int i = 0; i < 64; i++) {
		struct sockaddr_in peer, local;
		socklen_t pl = sizeof(peer), ll = sizeof(local);
		int fd = accept4(r->listen_fd, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
				return;
			if (r->count.errors++ == 0)
				log_warn("SIP/TCP accept: %s", strerror(errno));
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
				/* the listener would stay readable: rest a second rather than spin */
				epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, r->listen_fd, NULL);
				r->paused_until = now + 1;
			}
			return;
		}
		r->count.accepted++;
		if (getsockname(fd, (struct sockaddr *)&local, &ll) || peer.sin_family != AF_INET) {
			close_rst(fd);
			continue;
		}
		start_conn(r, fd, endpoint_of(&peer), endpoint_of(&local), now);
	}
}

int tcp_relay_open(struct tcp_relay *r, uint16_t port, const struct tcp_limits *lim,
		   const struct alg_net *lan, size_t n_lan, const struct alg_table *table,
		   tcp_translate_fn *fn, void *ctx)
{
	struct sockaddr_in sa = sockaddr_of((struct alg_endpoint){ INADDR_LOOPBACK, port });
	struct epoll_event e = { EPOLLIN, { .ptr = NULL } };
	struct rlimit rl;
	rlim_t need;
	int one = 1;

	memset(r, 0, sizeof(*r));
	r->listen_fd = r->epoll_fd = -1;
	r->port = port;
	r->lim = lim;
	r->cap = lim->max_connections;
	r->lan = lan;
	r->n_lan = n_lan;
	r->table = table;
	r->translate = fn;
	r->ctx = ctx;
	/* two sockets a connection, and the daemon's own */
	need = (rlim_t)r->cap * 2 + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	r->conns = calloc(r->cap, sizeof(*r->conns));
	r->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (r->listen_fd >= 0)
		size_buffers(r, r->listen_fd); /* accepted sockets inherit them */
	if (!r->conns || r->listen_fd < 0 || r->epoll_fd < 0 ||
	    setsockopt(r->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(r->listen_fd, SOL_IP, IP_TRANSPARENT, &one, sizeof(one)) ||
	    bind(r->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(r->listen_fd, 128) ||
	    epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->listen_fd, &e)) {
		log_err("SIP/TCP listener on 127.0.0.1:%u: %s", port, strerror(errno));
		tcp_relay_close(r);
		return -1;
	}
	return 0;
}

int tcp_relay_fd(const struct tcp_relay *r)
{
	return r->epoll_fd;
}

void tcp_relay_run(struct tcp_relay *r, int64_t now)
{
	struct epoll_event ev[64];
	int n;

	if (r->epoll_fd < 0)
		return;
	n = epoll_wait(r->epoll_fd, ev, 64, 0);
	for (int i = 0; i < n; i++) {
		struct side *x = ev[i].data.ptr;

		if (!x)
			accept_all(r, now);
		else if (!x->c->dead)
			service(r, x->c, (int)(x - x->c->s), ev[i].events, now);
	}
	reap(r);
}

void tcp_relay_expire(struct tcp_relay *r, int64_t now)
{
	if (r->paused_until && now >= r->paused_until) {
		struct epoll_event e = { EPOLLIN, { .ptr = NULL } };

		r->paused_until = 0;
		epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, r->listen_fd, &e);
	}
	for (size_t i = r->n_conns; i-- > 0;) {
		struct tcp_conn *c = r->conns[i];

		if (now - c->last >= (int64_t)r->lim->idle_timeout) {
			r->count.idle_closed++;
			end_conn(r, c, 1);
		}
	}
	reap(r);
}

int tcp_relay_conn_at(const struct tcp_relay *r, size_t i, struct tcp_conn_view *v)
{
	const struct tcp_conn *c;

	if (i >= r->n_conns)
		return -1;
	c = r->conns[i];
	v->phone = c->phone;
	v->server = c->server;
	v->inbound = c->inbound;
	v->connecting = c->connecting;
	v->passthrough = c->passthrough;
	v->from_phone = c->s[PHONE].bytes;
	v->from_server = c->s[SERVER].bytes;
	v->started = c->started;
	return 0;
}

void tcp_relay_close(struct tcp_relay *r)
{
	while (r->n_conns)
		end_conn(r, r->conns[r->n_conns - 1], 1);
	reap(r);
	if (r->listen_fd >= 0)
		close(r->listen_fd);
	if (r->epoll_fd >= 0)
		close(r->epoll_fd);
	r->listen_fd = r->epoll_fd = -1;
	free(r->conns);
	r->conns = NULL;
}
