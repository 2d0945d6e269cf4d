/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sipalgd: the SIP ALG daemon. Reads SIP packets from an NFQUEUE, translates them with the
 * core, and gives them back rewritten; SIP it cannot understand passes unchanged. */
#define _GNU_SOURCE /* ppoll */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "alg.h"
#include "config.h"
#include "control.h"
#include "iface.h"
#include "keepalive.h"
#include "log.h"
#include "mirror.h"
#include "outer_nat.h"
#include "packet.h"
#include "privdrop.h"
#include "queue.h"
#include "queue_threads.h"
#include "state.h"
#include "status.h"
#include "stun_client.h"
#include "table.h"
#include "tcp_relay.h"
#include "wan_watch.h"

/* The queue threads (option queues) and the main thread share the table, the mirror (and
 * through it nftables and conntrack), the counters and the settings: each holds the lock
 * while it uses them, and reads and answers its packets outside it (README: Threads). */
struct daemon {
	pthread_mutex_t lock;
	struct sipalg_config cfg; /* the settings: defaults, file, command line (config.c) */
	struct router_ifaces ifs;
	uint32_t public_ip;   /* what the ALG writes: outer.public_ip */
	struct outer_nat outer; /* where it comes from; the WAN address */
	struct stun_client stun;
	int64_t next_keepalive;
	unsigned long keepalives, keepalive_failed;
	struct queue_threads *queues;
	struct queue_worker *workers;
	int control;
	int wan_watch;
	struct alg_table table;
	void *table_memory;  /* the table's arrays, of its capacities (config_capacity) */
	struct mirror mirror;
	struct nft *status_nft; /* the status view's queries (the main thread's; NULL: none) */
	struct state state;  /* the table's file, for the next start */
	struct counters count;
	struct tcp_relay tcp; /* listener fd -1 when tcp is off */
	char tcp_out[0xffff + 1024]; /* the relay's translated message (the main thread's) */
	struct ct_flow_key forget[MIRROR_MAX_CLOSED]; /* the main thread's flows to forget */
};

/* The largest translated message. */
#define MSG_OUT_MAX (0xffff + 1024)
/* Where a batch's translated messages wait for the commit of their bindings: a full batch of
 * ordinary messages (a few KiB each) fits; a batch of large ones is answered in parts, each
 * part with room for one more of the largest. */
#define BATCH_OUT (MSG_OUT_MAX + QUEUE_BATCH * 4096)

/* A queue thread's own: the part of a batch in hand, translated, until the bindings its
 * messages added are committed in one nftables batch (README: Threads). */
struct queue_worker {
	struct daemon *d;
	size_t n;            /* packets in hand */
	struct batch_msg {
		struct udp_packet u;
		size_t out_off, out_len; /* the translated message in out; out_len 0: none */
	} msg[QUEUE_BATCH];
	struct table_txn txn[QUEUE_BATCH]; /* each packet's (n_added 0: it added nothing) */
	size_t out_used;
	char out[BATCH_OUT];
	struct ct_flow_key forget[MIRROR_MAX_CLOSED]; /* flows to forget, outside the lock */
};

static volatile sig_atomic_t stop, reload;

static int64_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

/* The addresses changed (DHCP, PPPoE, the external_address setting, STUN's answer): new
 * messages carry the new public address, and the bindings are rebuilt on the new WAN address.
 * Calls in progress keep the address their SDP announced, which the router no longer has:
 * they lose media, as they would without an ALG. Where the public address comes from is
 * logged once, and again when that changes. */
static void use_addresses(struct daemon *d, struct outer_nat o)
{
	char old[ADDR_STR_MAX], new[ADDR_STR_MAX], why[320];
	uint32_t nat_ip = o.wan_ip ? o.wan_ip : o.public_ip;

	if (o.source != d->outer.source || o.wan_ip != d->outer.wan_ip || o.public_ip != d->outer.public_ip) {
		if (o.behind || d->outer.behind) {
			outer_nat_describe(&o, why, sizeof(why));
			log_notice("%s", why);
		}
	}
	if (o.public_ip != d->public_ip) {
		addr_format(d->public_ip, old);
		addr_format(o.public_ip, new);
		log_notice("public address changed: %s -> %s", old, new);
		d->public_ip = o.public_ip;
		table_set_self_ip(&d->table, o.public_ip);
	}
	if (nat_ip != (d->outer.wan_ip ? d->outer.wan_ip : d->outer.public_ip)) {
		d->mirror.now = monotonic_seconds();
		mirror_set_public_ip(&d->mirror, nat_ip);
	}
	d->outer = o;
}

/* The WAN interface's address, the public address setting and STUN's answer. The bindings
 * are on the WAN address (where the outer NAT delivers), whatever is written. STUN runs where
 * it can tell something: behind another NAT with no address set; a new WAN address asks
 * again at once, as the outer NAT may map it elsewhere. */
static void follow_wan_address(struct daemon *d)
{
	uint32_t wan = iface_public_address(&d->ifs, 0);
	struct alg_endpoint stun = d->cfg.stun_server;
	struct outer_nat o;

	if (d->cfg.external_address || !addr_behind_nat(wan))
		stun = (struct alg_endpoint){ 0, 0 };
	if (!endpoint_eq(stun, d->stun.server)) {
		stun_client_close(&d->stun);
		stun_client_open(&d->stun, stun, monotonic_seconds());
	} else if (wan != d->outer.wan_ip) {
		stun_client_restart(&d->stun, monotonic_seconds());
	}
	o = outer_nat_decide(wan, d->cfg.external_address, d->stun.mapped.ip);
	if (o.public_ip)
		use_addresses(d, o);
}

/* The LAN servers (lan_server), when there are any: their messages may name other LAN hosts. */
static void log_lan_servers(const struct daemon *d)
{
	char list[CONFIG_MAX_LAN_SERVERS * (ADDR_STR_MAX + 1)] = "";
	size_t len = 0;

	if (!d->cfg.n_lan_servers)
		return;
	for (size_t i = 0; i < d->cfg.n_lan_servers; i++) {
		if (i)
			list[len++] = ' ';
		len += addr_format(d->cfg.lan_servers[i], list + len);
	}
	log_info("LAN SIP servers: %s (they may name the LAN phones they serve)", list);
}

/* SIGHUP: the config file again. What can change in place does, calls and bindings stay;
 * the queue and the interfaces need a restart (the init script passes them on the command
 * line, so procd restarts when they change). A bad file changes nothing. */
static void reload_config(struct daemon *d)
{
	char err[256];
	int rc;

	if (!d->cfg.cmd.config)
		return;
	struct sipalg_config next = d->cfg;

	rc = config_reload(&next, err, sizeof(err));
	if (rc >= 0 && config_check_lan(&next, d->ifs.lan_nets, d->ifs.n_lan_nets, d->cfg.cmd.lan, err, sizeof(err)))
		rc = -1;
	if (rc < 0) {
		log_err("reload: %s: %s; keeping the running settings", d->cfg.cmd.config, err);
		return;
	}
	if (config_capacity(&next).dialogs > d->table.cap.dialogs)
		log_warn("reload: option max_calls %u: the call table of this start holds %u calls; "
			 "more at the next restart", next.table.max_calls, d->table.cap.dialogs);
	d->cfg = next;
	__atomic_store_n(&log_level, d->cfg.log_level, __ATOMIC_RELAXED);
	table_set_config(&d->table, &d->cfg.table);
	follow_wan_address(d);
	if (rc > 0)
		log_warn("reload: %s", err);
	log_notice("reloaded %s", d->cfg.cmd.config);
	log_lan_servers(d);
}

/* The table, of the capacities the settings ask for, allocated once; its indexes keyed with
 * random bytes, so that nobody can choose Call-IDs or ports that collide. */
static int table_open(struct daemon *d)
{
	struct table_capacity cap = config_capacity(&d->cfg);
	size_t size = table_memory_size(&cap);
	struct siphash_key key;

	if (getrandom(&key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		log_err("getrandom: %s", strerror(errno));
		return -1;
	}
	d->table_memory = calloc(1, size); /* pages are touched as the table fills */
	if (!d->table_memory ||
	    table_init_sized(&d->table, &d->cfg.table, &cap, d->table_memory, size, &key, mirror_change, &d->mirror)) {
		log_err("max_bindings %u, max_calls %u: cannot allocate the table (%zu bytes)", cap.bindings,
			d->cfg.table.max_calls, size);
		return -1;
	}
	return 0;
}

/* The settings: -1 to run, else the status to exit with (after --help, --firewall-args or
 * an error). */
static int read_settings(struct sipalg_config *c, int argc, char **argv)
{
	char err[256];

	switch (config_args(argc, argv, c, err, sizeof(err))) {
	case CONFIG_RUN:
		log_level = c->log_level;
		return -1;
	case CONFIG_HELP:
		config_usage(stdout);
		return 0;
	case CONFIG_FIREWALL_ARGS:
		config_firewall_args(c, stdout);
		return 0;
	case CONFIG_BAD_USAGE:
		config_usage(stderr);
		return 2;
	case CONFIG_BAD:
		break;
	}
	fprintf(stderr, "sipalgd: %s\n", err);
	return 2;
}

/* Keep-alives run behind another NAT, at keepalive_interval; 0: none. */
static uint32_t keepalive_interval(const struct daemon *d)
{
	return d->outer.behind ? d->cfg.keepalive_interval : 0;
}

/* The status view: nftables' TLS counter (read before), and the table, the counters and the
 * relay as they are between two packets (the caller holds d->lock). */
static size_t answer_locked(struct daemon *d, const char *cmd, int64_t tls_connections, char *buf, size_t cap)
{
	struct status_view v = { &d->count, d->mirror.refusals, &d->table, d->public_ip, d->cfg.cmd.wan,
				 d->cfg.cmd.lan, monotonic_seconds(), d->cfg.tcp ? &d->tcp : NULL,
				 tls_connections, d->cfg.lan_servers, d->cfg.n_lan_servers, &d->outer, &d->stun,
				 keepalive_interval(d), d->keepalives, d->keepalive_failed };

	if (strcmp(cmd, CONTROL_CMD_STATUS) == 0 || strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0)
		return status_format(&v, strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0, buf, cap);
	return (size_t)snprintf(buf, cap, "unknown command '%.32s' (try: " CONTROL_CMD_STATUS ", "
				CONTROL_CMD_STATUS_JSON ")\n", cmd);
}

static size_t answer_control(void *ctx, const char *cmd, char *buf, size_t cap)
{
	struct daemon *d = ctx;
	/* a netlink round trip: on the status view's own socket, outside the lock */
	int64_t tls = d->status_nft ? nft_divert_counter(d->status_nft, "tls_connections") : -1;
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = answer_locked(d, cmd, tls, buf, cap);
	pthread_mutex_unlock(&d->lock);
	return n;
}

/* Logs the actions of a message: registrations and calls at info, the rest at debug; those
 * of a message over TCP say so at the end. */
static void log_actions(const struct alg_result *res, const char *msg, uint32_t public_ip, int tcp)
{
	for (size_t i = 0; i < res->n_actions; i++) {
		const struct alg_action *a = &res->actions[i];
		int prio = a->kind == ALG_ACT_REGISTERED || a->kind == ALG_ACT_ANSWERED ||
				   a->kind == ALG_ACT_MEDIA_CLOSE ? LOG_INFO : LOG_DEBUG;
		char line[256];

		if (prio > log_level)
			continue; /* not formatted for nothing */
		alg_action_format(a, msg, public_ip, line, sizeof(line));
		log_msg(prio, "%s%s", line, tcp ? " (tcp)" : "");
	}
}

/* One SIP message through the table, over either transport: translate, admit, apply. The
 * bindings and pinholes it added are in the table, listed in txn: they must be in the kernel
 * before the message moves on (mirror_commit), and if the kernel refuses them they are undone
 * and the message must not announce them: it passes untranslated. Other changes (refreshes,
 * narrowing, closing) go in the next nftables batch. Returns 1 when out holds the translated
 * message (*out_len bytes), 0 when the message passes as it came: reasons[] counts why (the
 * first of each logged); an understood message with nothing to change returns 0 (its txn may
 * still hold bindings: the phone's own port, say). The caller holds d->lock. */
static int translate_apply(struct daemon *d, struct table_txn *txn, const struct alg_packet *pkt,
			   size_t max_message, unsigned long *reasons, const char *transport, char *out,
			   size_t out_cap, size_t *out_len)
{
	struct alg_config core = d->cfg.core; /* the limits; the networks and address are the daemon's */
	struct alg_result res;

	core.lan = d->ifs.lan_nets;
	core.n_lan = d->ifs.n_lan_nets;
	core.public_ip = d->public_ip;
	core.keep_addresses = d->outer.source == PUBLIC_UNKNOWN;
	if (max_message)
		core.max_message_size = max_message;
	core.lan_servers = d->cfg.lan_servers;
	core.n_lan_servers = d->cfg.n_lan_servers;
	core.server_ports = d->cfg.sip_ports; /* what the owner forwards to the servers */
	core.n_server_ports = d->cfg.n_sip_ports;
	d->mirror.now = monotonic_seconds();
	table_translate(txn, &d->table, &core, pkt, d->mirror.now, out, out_cap, &res);
	if (res.reason != ALG_OK) {
		if (reasons[res.reason]++ == 0)
			log_notice("passing SIP%s unchanged: %s (first time; see counters)", transport,
				   config_reason_str(res.reason));
		return 0;
	}
	log_actions(&res, pkt->msg, d->public_ip, *transport != '\0');
	*out_len = res.out_len;
	return res.changed;
}

/* translate_apply and the commit of its bindings, for one message on its own (SIP/TCP's).
 * The caller holds d->lock. */
static int translate_message(struct daemon *d, const struct alg_packet *pkt, size_t max_message,
			     unsigned long *reasons, const char *transport, char *out, size_t out_cap,
			     size_t *out_len)
{
	struct table_txn txn;
	int changed = translate_apply(d, &txn, pkt, max_message, reasons, transport, out, out_cap, out_len);

	if (txn.n_added && mirror_commit(&d->mirror, &txn, 1))
		return 0;
	return changed;
}

static struct alg_packet udp_message(const struct daemon *d, const struct queued_packet *p, const struct udp_packet *u)
{
	return (struct alg_packet){ u->payload, u->payload_len, p->indev == d->ifs.lan_index ? ALG_OUT : ALG_IN,
				    u->src, u->dst, ALG_UDP };
}

/* One SIP/UDP message of the batch, translated into the worker's out; its bindings wait for
 * the batch's commit. The caller holds d->lock. */
static void translate_udp(struct queue_worker *w, const struct queued_packet *p, struct batch_msg *m,
			  struct table_txn *txn)
{
	struct daemon *d = w->d;
	const struct alg_packet pkt = udp_message(d, p, &m->u);
	size_t len;

	if (!translate_apply(d, txn, &pkt, 0, d->count.reasons, "", w->out + w->out_used, MSG_OUT_MAX, &len)) {
		d->count.unchanged++;
		return;
	}
	if (!packet_rewritten_len(p->data, p->room, &m->u, len)) {
		d->count.errors++;
		log_warn("could not rewrite a %zu-byte packet; passing it unchanged", p->len);
		return;
	}
	m->out_off = w->out_used;
	m->out_len = len;
	w->out_used += len;
}

/* One SIP/TCP message, for the relay (tcp_relay.h): the same path as UDP's. */
static int translate_tcp(void *ctx, const struct alg_packet *pkt, size_t max_message,
			 unsigned long *reasons, const char **out, size_t *out_len)
{
	struct daemon *d = ctx;
	int changed;

	pthread_mutex_lock(&d->lock);
	changed = translate_message(d, pkt, max_message, reasons, "/TCP", d->tcp_out, sizeof(d->tcp_out), out_len);
	pthread_mutex_unlock(&d->lock);
	*out = d->tcp_out;
	return changed;
}

/* Decodes and translates the packets from p[0] on, as many as out has room for (all of a
 * batch of ordinary messages); returns how many. Each packet is counted here, and
 * translated (UDP SIP between the LAN and the WAN) or left to pass as it came. Later
 * messages see what earlier ones added (a retransmitted INVITE finds its first copy's
 * ports). The caller holds d->lock. */
static size_t translate_batch(struct queue_worker *w, struct queued_packet *p, size_t n)
{
	struct daemon *d = w->d;

	w->out_used = 0;
	for (w->n = 0; w->n < n && w->out_used + MSG_OUT_MAX <= sizeof(w->out); w->n++) {
		struct batch_msg *m = &w->msg[w->n];
		struct table_txn *txn = &w->txn[w->n];
		const struct queued_packet *pk = &p[w->n];

		*m = (struct batch_msg){ 0 };
		table_begin(txn, &d->table, 0); /* empty, for those not translated */
		d->count.seen++;
		switch (packet_decode(pk->data, pk->len, &m->u)) {
		case PACKET_UDP:
			if (pk->indev == d->ifs.lan_index || pk->indev == d->ifs.wan_index)
				translate_udp(w, pk, m, txn);
			else
				d->count.not_sip_udp++;
			break;
		case PACKET_FRAGMENT:
			d->count.fragments++;
			break;
		case PACKET_MALFORMED:
			d->count.malformed++;
			break;
		default:
			d->count.not_sip_udp++;
			break;
		}
	}
	return w->n;
}

/* The bindings the messages in hand added go to the kernel in one nftables batch, before any
 * of their verdicts: one round trip for a batch of new calls, not one per call. Nothing
 * added: nothing to wait for (the rest goes after the verdicts). The caller holds d->lock. */
static void commit_batch(struct queue_worker *w)
{
	struct daemon *d = w->d;
	size_t added = 0;

	for (size_t i = 0; i < w->n; i++)
		added += w->txn[i].n_added;
	if (!added || mirror_commit(&d->mirror, w->txn, w->n) == 0) {
		for (size_t i = 0; i < w->n; i++)
			d->count.translated += w->msg[i].out_len != 0;
		return;
	}
	/* Refused: the kernel took none of it, and every binding of the batch is undone. A
	 * message may name what an earlier one added, so none of those translated passes
	 * translated: each goes as it came, counted unchanged. */
	for (size_t i = 0; i < w->n; i++)
		if (w->msg[i].out_len) {
			w->msg[i].out_len = 0;
			d->count.unchanged++;
		}
}

/* Every queued packet gets exactly one verdict, here: accepted as it came, or rewritten (in
 * place). Runs in the queue's thread: the lock is held from the first translation to the
 * commit (the undo of a refused batch must find the table as its messages left it); the
 * rewriting and the verdicts are outside it. */
static void on_packets(void *ctx, struct queue *q, struct queued_packet *p, size_t n)
{
	struct queue_worker *w = ctx;
	struct daemon *d = w->d;

	for (size_t first = 0; first < n; first += w->n) {
		pthread_mutex_lock(&d->lock);
		translate_batch(w, p + first, n - first);
		commit_batch(w);
		pthread_mutex_unlock(&d->lock);
		for (size_t i = 0; i < w->n; i++) {
			struct queued_packet *pk = &p[first + i];
			struct batch_msg *m = &w->msg[i];
			size_t len = 0;

			if (m->out_len)
				len = packet_rewrite_in_place(pk->data, pk->room, &m->u, w->out + m->out_off, m->out_len);
			queue_verdict(q, pk->id, len ? pk->data : NULL, len);
		}
	}
}

/* A queue thread's batch is answered: the changes its messages left for later (refreshes,
 * narrowing, closing) go to the kernel now, as the main thread does after its own packets;
 * it may sleep for seconds. */
static void after_batch(void *ctx)
{
	struct queue_worker *w = ctx;
	struct daemon *d = w->d;
	size_t n;

	pthread_mutex_lock(&d->lock);
	d->mirror.now = monotonic_seconds();
	mirror_commit(&d->mirror, NULL, 0);
	n = mirror_take_closed(&d->mirror, 0, w->forget);
	pthread_mutex_unlock(&d->lock);
	ct_forget(w->forget, n); /* a dump of every flow: the packets need not wait for it */
}

/* The queue threads, each with its buffers; 0, or -1 (logged). */
static int queues_open(struct daemon *d)
{
	void *ctx[CONFIG_MAX_QUEUES];

	d->workers = calloc(d->cfg.queues, sizeof(*d->workers));
	if (!d->workers) {
		log_err("queues: out of memory");
		return -1;
	}
	for (unsigned i = 0; i < d->cfg.queues; i++) {
		d->workers[i].d = d;
		ctx[i] = &d->workers[i];
	}
	d->queues = queue_threads_open(d->cfg.queue, d->cfg.queues, on_packets, after_batch, ctx);
	return d->queues ? 0 : -1;
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct sigaction sa;
	sigset_t wake, unblocked;
	struct queue *single;
	int64_t next_media_check = 0, next_table_check = 0;
	const struct table_config *t = &d.cfg.table;
	char pub[ADDR_STR_MAX], err[256];
	int rc;

	/* First of all: a reload (SIGHUP) that arrives while the daemon starts must not end it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = read_settings(&d.cfg, argc, argv);
	if (rc >= 0)
		return rc;
	log_open(d.cfg.cmd.foreground);
	if (alg_init() || iface_read(&d.ifs, d.cfg.cmd.wan, d.cfg.cmd.lan))
		return 1;
	/* The LAN servers: only now are the LAN's networks known. */
	if (config_check_lan(&d.cfg, d.ifs.lan_nets, d.ifs.n_lan_nets, d.cfg.cmd.lan, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	d.outer = outer_nat_decide(iface_public_address(&d.ifs, 0), d.cfg.external_address, 0);
	d.public_ip = d.outer.public_ip;
	if (!d.public_ip) {
		log_err("--wan '%s': the interface has no IPv4 address (give --public)", d.cfg.cmd.wan);
		return 1;
	}
	/* A running instance is found before anything of it is touched: its control socket
	 * answers, or it holds the queue. Only then is the nftables table replaced. */
	d.control = control_open(d.cfg.cmd.control);
	if (d.control < 0)
		return 1;
	pthread_mutex_init(&d.lock, NULL);
	if (queues_open(&d) || table_open(&d) ||
	    mirror_open(&d.mirror, &d.table, d.cfg.cmd.wan, d.outer.wan_ip ? d.outer.wan_ip : d.public_ip)) {
		queue_threads_close(d.queues);
		control_close(d.control, d.cfg.cmd.control);
		return 1;
	}
	table_set_self_ip(&d.table, d.public_ip);
	d.status_nft = nft_query_open(); /* without it the status shows no TLS count */
	d.wan_watch = wan_watch_open();
	d.stun.fd = -1;
	d.tcp.listen_fd = d.tcp.epoll_fd = -1;
	d.mirror.sig_ports = d.cfg.tcp;
	if ((d.cfg.tcp && tcp_relay_open(&d.tcp, d.cfg.tcp_port, &d.cfg.tcp_limits, d.ifs.lan_nets, d.ifs.n_lan_nets,
					 &d.table, translate_tcp, &d)) ||
	    privdrop(d.cfg.cmd.user)) {
		tcp_relay_close(&d.tcp);
		nft_free(d.status_nft);
		mirror_close(&d.mirror);
		queue_threads_close(d.queues);
		control_close(d.control, d.cfg.cmd.control);
		return 1;
	}
	d.tcp.table_lock = &d.lock;
	/* What the last instance held (procd's respawn, a restart, an upgrade): its bindings are
	 * installed before the first packet, so that the phones stay reachable. Read as the
	 * user that wrote it, not as root: the file is that user's to write. */
	if (state_open(&d.state, d.cfg.cmd.state_file) == 0) {
		d.mirror.now = monotonic_seconds();
		if (state_restore(&d.state, &d.table, d.mirror.now))
			mirror_install(&d.mirror);
	}


	if (d.outer.source == PUBLIC_UNKNOWN)
		strcpy(pub, "unknown"); /* behind another NAT: said below */
	else
		addr_format(d.public_ip, pub);
	log_info("started: queue %u, wan %s (public %s%s), lan %s (%zu network%s), media ports %u-%u, "
		 "inbound calls from %s, media timeout %us%s%s",
		 d.cfg.queue, d.cfg.cmd.wan, pub, d.cfg.external_address ? ", set" : "", d.cfg.cmd.lan,
		 d.ifs.n_lan_nets, d.ifs.n_lan_nets == 1 ? "" : "s", t->media_port_min, t->media_port_max,
		 t->inbound_calls == INBOUND_REGISTRAR ? "the registrar" : "anyone", t->media_timeout,
		 d.cfg.cmd.config ? ", config " : "", d.cfg.cmd.config ? d.cfg.cmd.config : "");
	log_info("capacity: %u bindings, %u dialogs; limits: message %zu bytes, %zu headers, "
		 "%u registrations per host, %u calls, "
		 "pinholes %u per call, %u per host, %u in all, %u new per second per host; "
		 "running as uid %u with CAP_NET_ADMIN only", d.table.cap.bindings, d.table.cap.dialogs,
		 d.cfg.core.max_message_size, d.cfg.core.max_headers, t->max_registrations_per_host,
		 t->max_calls, t->max_pinholes_per_call, t->max_pinholes_per_host, t->max_pinholes,
		 t->max_new_pinholes_per_second, (unsigned)getuid());
	if (d.cfg.tcp)
		log_info("SIP over TCP: relay on 127.0.0.1:%u, connections %u in all, %u per host, idle %us, "
			 "buffer %u bytes, message %u bytes", d.cfg.tcp_port, d.cfg.tcp_limits.max_connections,
			 d.cfg.tcp_limits.max_connections_per_host, d.cfg.tcp_limits.idle_timeout,
			 d.cfg.tcp_limits.max_buffer, d.cfg.tcp_limits.max_message_size);
	else
		log_info("SIP over TCP: off (tcp 0)");
	log_lan_servers(&d);
	if (d.outer.behind) {
		outer_nat_describe(&d.outer, err, sizeof(err));
		log_notice("%s", err);
	}
	if (d.outer.behind && d.cfg.keepalive_interval)
		log_info("keep-alives to each registered phone's registrar every %us (keepalive_interval)",
			 d.cfg.keepalive_interval);
	follow_wan_address(&d); /* starts STUN where it is wanted */
	if (d.cfg.queues > 1)
		log_info("queues %u-%u: a thread each", d.cfg.queue, d.cfg.queue + d.cfg.queues - 1);
	/* One queue is read by the main thread, as before there were threads; more, a thread
	 * each. */
	single = d.cfg.queues == 1 ? queue_threads_queue(d.queues, 0) : NULL;
	if (!single && queue_threads_start(d.queues))
		stop = 1;
	/* The signals wake the main thread only in its ppoll: one that comes while it works is
	 * seen at the next ppoll at once, not after its timeout (the queue threads' packets no
	 * longer wake it). */
	sigemptyset(&wake);
	sigaddset(&wake, SIGTERM);
	sigaddset(&wake, SIGINT);
	sigaddset(&wake, SIGHUP);
	sigprocmask(SIG_BLOCK, &wake, &unblocked);
	sigdelset(&unblocked, SIGTERM);
	sigdelset(&unblocked, SIGINT);
	sigdelset(&unblocked, SIGHUP);
	/* The main thread: timers, the nftables and conntrack upkeep, the state file, the control
	 * socket, the WAN address, STUN, keep-alives, the TCP relay. Packets are the queue
	 * threads'. */
	while (!stop) {
		struct pollfd pfd[5] = { { d.control, POLLIN, 0 }, { d.wan_watch, POLLIN, 0 },
					 { tcp_relay_fd(&d.tcp), POLLIN, 0 }, { single ? queue_fd(single) : -1, POLLIN, 0 },
					 { -1, POLLIN, 0 } };
		uint32_t media_timeout;
		int64_t next, now;
		int r, timeout, wan_changed;
		size_t n_forget;

		pthread_mutex_lock(&d.lock);
		if (reload) {
			reload = 0;
			reload_config(&d);
		}
		media_timeout = table_get_config(&d.table)->media_timeout;
		now = d.mirror.now = monotonic_seconds();

		if (media_timeout && now >= next_media_check) {
			mirror_watch_media(&d.mirror);
			next_media_check = now + (media_timeout >= 8 ? media_timeout / 4 : 2);
		}
		if (now >= next_table_check) {
			mirror_keep(&d.mirror);
			next_table_check = now + 5;
		}
		if (stun_client_tick(&d.stun, now))
			follow_wan_address(&d);
		if (keepalive_interval(&d) && now >= d.next_keepalive) {
			d.keepalives += keepalive_send_all(&d.table, &d.keepalive_failed);
			d.next_keepalive = now + keepalive_interval(&d);
		}
		next = table_expire(&d.table, now);
		if (stun_client_next(&d.stun) < next)
			next = stun_client_next(&d.stun);
		if (keepalive_interval(&d) && d.next_keepalive < next)
			next = d.next_keepalive;
		if (media_timeout && next > next_media_check)
			next = next_media_check;
		if (next > next_table_check)
			next = next_table_check;
		mirror_commit(&d.mirror, NULL, 0);
		state_save(&d.state, &d.table, now, d.mirror.changes, 0);
		timeout = next - now < 1 ? 1000 : next - now > 5 ? 5000 : (int)(next - now) * 1000;
		if (d.mirror.n_closed && timeout > 500)
			timeout = 500; /* flows to forget: see mirror_forget_flows */
		if (state_pending(&d.state, d.mirror.changes) && timeout > 1000)
			timeout = 1000; /* the table changed: the state file follows within a second */
		if (!single && timeout > 1000)
			timeout = 1000; /* the queue threads' packets do not wake it: their table changes
					 * (expiries, the state file) are looked at within a second */
		pfd[4].fd = stun_client_fd(&d.stun); /* a reload or the WAN address may open or close it */
		pthread_mutex_unlock(&d.lock);
		tcp_relay_expire(&d.tcp, now);
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000 };

		r = ppoll(pfd, 5, &ts, &unblocked);

		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[3].revents & POLLIN) && queue_receive(single, on_packets, &d.workers[0]) < 0) {
			log_err("nfqueue: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[2].revents & POLLIN))
			tcp_relay_run(&d.tcp, monotonic_seconds()); /* locks around the table itself */
		if (r > 0 && (pfd[0].revents & POLLIN))
			control_serve(d.control, answer_control, &d); /* locks while it reads the table */
		wan_changed = r > 0 && (pfd[1].revents & POLLIN) && wan_watch_read(d.wan_watch);
		pthread_mutex_lock(&d.lock);
		mirror_commit(&d.mirror, NULL, 0);
		n_forget = mirror_take_closed(&d.mirror, 0, d.forget);
		if (wan_changed)
			follow_wan_address(&d);
		if (r > 0 && (pfd[4].revents & POLLIN) && stun_client_read(&d.stun, monotonic_seconds()))
			follow_wan_address(&d);
		pthread_mutex_unlock(&d.lock);
		ct_forget(d.forget, n_forget); /* outside the lock: a dump of every flow */
	}
	queue_threads_close(d.queues); /* no packet is in the table's hands from here on */
	log_info("stopping: %lu packets, %lu translated, %lu unchanged", d.count.seen,
		 d.count.translated, d.count.unchanged);
	tcp_relay_close(&d.tcp);
	stun_client_close(&d.stun);
	state_save(&d.state, &d.table, monotonic_seconds(), d.mirror.changes, 1);
	state_close(&d.state);
	wan_watch_close(d.wan_watch);
	control_close(d.control, d.cfg.cmd.control);
	nft_free(d.status_nft);
	mirror_close(&d.mirror);
	free(d.table_memory);
	free(d.workers);
	pthread_mutex_destroy(&d.lock);
	return 0;
}
