/* sipalgd: the SIP ALG daemon. Reads SIP packets from an NFQUEUE, translates them with the
 * core, and gives them back rewritten; SIP it cannot understand passes unchanged. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alg.h"
#include "config.h"
#include "conntrack.h"
#include "control.h"
#include "iface.h"
#include "log.h"
#include "nft.h"
#include "packet.h"
#include "privdrop.h"
#include "queue.h"
#include "status.h"
#include "table.h"
#include "wan_watch.h"

#define MAX_LAN_NETS 8

struct options {
	const char *wan, *lan, *control, *config, *user;
	uint16_t queue;
	int have_public;
	uint32_t public_ip;
	int foreground;
	long media_timeout;
	struct sipalg_limits limits;
};

struct daemon {
	struct options opt;
	unsigned wan_index, lan_index;
	struct alg_net lan_nets[MAX_LAN_NETS];
	size_t n_lan_nets;
	uint32_t public_ip;
	struct queue *queue;
	struct nft *nft;
	int control;
	int wan_watch;
	struct alg_table table;
	int64_t now;
	/* media bindings added or removed, whose flows conntrack must forget (see forget_flows) */
	size_t n_closed;
	struct ct_flow_key closed[256];
	int64_t next_forget_ms;
	/* binding slots the message being handled added: undone if nftables refuses them */
	size_t n_added;
	size_t added[2 * ALG_MAX_ACTIONS];
	struct counters count;
	char msg_out[0xffff + 1024];
	uint8_t pkt_out[0xffff];
};

/* The table's settings that are not options; the others come from the config's defaults
 * (config_defaults), the file and the command line, through apply_config. */
static const struct table_config table_defaults = {
	.signaling_idle = 3600,
	.dialog_idle = 7200,
	.register_grace = 30,
};

static volatile sig_atomic_t stop, reload;

/* Whether each call's media still flows, from the kernel's flows through its pinholes. */
static void watch_media(struct daemon *d)
{
	static struct ct_flow_key keys[TABLE_MAX_BINDINGS];
	static uint8_t seen[TABLE_MAX_BINDINGS];
	static int dialog_of[TABLE_MAX_BINDINGS];
	size_t n = 0;

	for (size_t i = 0; i < TABLE_MAX_BINDINGS; i++) {
		const struct table_binding *b = &d->table.bind[i];

		if (!b->in_use || b->kind != ALG_PORT_MEDIA)
			continue;
		keys[n] = (struct ct_flow_key){ b->priv, { d->public_ip, b->pub_port } };
		dialog_of[n++] = b->dialog;
	}
	memset(seen, 0, n);
	if (n == 0 || ct_seen(keys, n, seen))
		return;
	for (size_t i = 0; i < n; i++)
		if (seen[i])
			table_media_seen(&d->table, dialog_of[i], d->now);
}

static int64_t monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Deletes the flows through closed and new media bindings: after the verdicts, in one
 * conntrack dump for all that piled up, at most every half second unless many wait. A
 * dump costs milliseconds on a busy router: too much to pay before each BYE's verdict. */
static void forget_flows(struct daemon *d, int force)
{
	int64_t now = monotonic_ms();

	if (!d->n_closed || (!force && now < d->next_forget_ms && d->n_closed < 192))
		return;
	ct_forget(d->closed, d->n_closed);
	d->n_closed = 0;
	d->next_forget_ms = now + 500;
}

/* The table reports each binding change; the backend mirrors it into the pending batch.
 * A media binding starts and ends with no flow through its ports: the last packets of an
 * earlier call on the same ports, after its BYE, leave flows that the NAT made without the
 * bindings (masqueraded to another port, or addressed to the router itself); while the new
 * call's media keeps them alive, it would never meet its bindings. */
static void mirror_change(void *ctx, const struct table_binding *b, enum table_change c)
{
	struct daemon *d = ctx;

	if (d->nft)
		nft_mirror(d->nft, (size_t)(b - d->table.bind), b, c, d->public_ip, d->now);
	if (c == TABLE_ADDED && d->n_added < sizeof(d->added) / sizeof(d->added[0]))
		d->added[d->n_added++] = (size_t)(b - d->table.bind);
	if ((c == TABLE_REMOVED || c == TABLE_ADDED) && b->kind == ALG_PORT_MEDIA &&
	    d->n_closed < sizeof(d->closed) / sizeof(d->closed[0]))
		d->closed[d->n_closed++] = (struct ct_flow_key){ b->priv, { d->public_ip, b->pub_port } };
}

/* Replaces our table by a fresh one holding every binding of the daemon's state. */
static int rebuild_table(struct daemon *d)
{
	nft_free(d->nft);
	d->nft = nft_open(d->opt.wan, d->public_ip);
	if (d->nft && nft_resync(d->nft, &d->table, d->public_ip, d->now) == 0)
		return 0;
	log_err("nftables: could not restore the bindings");
	return -1;
}

/* Our table, rebuilt from the daemon's own state when someone deleted it (OpenWrt's
 * `service firewall stop` runs `fw4 flush`, which deletes every table). */
static void keep_table(struct daemon *d)
{
	if (!d->nft || nft_table_exists(d->nft) != 0)
		return;
	log_warn("nftables: table ip %s was deleted from outside; rebuilding it", NFT_TABLE_NAME);
	rebuild_table(d);
}

/* Sends the pending nftables changes. On a refusal the bindings of the message being handled
 * are undone and the mirror is rebuilt from the table: in place, or as a new table when the
 * one there cannot take them (someone replaced it). Refusals are logged at 1, 10, 100, ... */
static int commit_bindings(struct daemon *d)
{
	int r;

	if (!d->nft) { /* lost when the WAN address changed: try again */
		d->nft = nft_open(d->opt.wan, d->public_ip);
		if (!d->nft || nft_resync(d->nft, &d->table, d->public_ip, d->now))
			return -1;
	}
	r = nft_commit(d->nft);
	if (r) {
		unsigned long n = ++d->count.nft_errors;

		while (n % 10 == 0)
			n /= 10;
		if (n == 1)
			log_warn("nftables refused a change (%s); the message passes untranslated "
				 "(%lu refusals so far)", nft_last_error(d->nft), d->count.nft_errors);
		for (size_t i = 0; i < d->n_added; i++)
			table_remove_binding(&d->table, d->added[i]);
	}
	d->n_added = 0;
	if (r == 0)
		return 0;
	if (nft_resync(d->nft, &d->table, d->public_ip, d->now))
		rebuild_table(d);
	return -1;
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stop = 1;
}

/* The public address changed (DHCP, PPPoE, or the external_address setting): new messages
 * carry the new one, and the bindings are rebuilt on it. Calls in progress keep the address
 * their SDP announced, which the router no longer has: they lose media, as they would
 * without an ALG. */
static void use_public_address(struct daemon *d, uint32_t addr)
{
	char old[ADDR_STR_MAX], new[ADDR_STR_MAX];

	if (addr == d->public_ip)
		return;
	addr_format(d->public_ip, old);
	addr_format(addr, new);
	log_notice("public address changed: %s -> %s", old, new);
	d->public_ip = addr;
	d->table.self_ip = addr;
	nft_close(d->nft);
	d->nft = nft_open(d->opt.wan, addr);
	if (!d->nft || nft_resync(d->nft, &d->table, addr, monotonic_seconds()))
		log_err("nftables: could not rebuild the bindings on the new address");
}

/* The WAN interface's address, unless a public address is set. */
static void follow_wan_address(struct daemon *d)
{
	struct alg_net net;
	uint32_t addr;

	if (d->opt.have_public)
		use_public_address(d, d->opt.public_ip);
	else if (iface_networks(d->opt.wan, &net, &addr, 1) == 1)
		use_public_address(d, addr);
}

/* The settings of a config file, at start and at reload. */
static void apply_config(const struct sipalg_config *c, struct options *o, struct table_config *tc)
{
	log_level = c->log_level;
	o->have_public = c->external_address != 0;
	o->public_ip = c->external_address;
	o->media_timeout = c->media_timeout;
	tc->media_timeout = c->media_timeout;
	tc->port_min = c->media_port_min;
	tc->port_max = c->media_port_max;
	tc->registrar_only = c->inbound == INBOUND_REGISTRAR;
	o->limits = c->limits;
	tc->max_registrations_per_host = c->limits.max_registrations_per_host;
	tc->max_dialogs = c->limits.max_calls;
	tc->max_pinholes_per_call = c->limits.max_pinholes_per_call;
	tc->max_pinholes_per_host = c->limits.max_pinholes_per_host;
	tc->max_pinholes = c->limits.max_pinholes;
	tc->max_new_pinholes_per_sec = c->limits.max_new_pinholes_per_second;
}

/* SIGHUP: the config file again. What can change in place does, calls and bindings stay;
 * the queue and the interfaces need a restart (the init script passes them on the command
 * line, so procd restarts when they change). A bad file changes nothing. */
static void reload_config(struct daemon *d)
{
	struct sipalg_config c;
	char err[256];

	if (!d->opt.config)
		return;
	config_defaults(&c);
	if (config_load(d->opt.config, &c, err, sizeof(err))) {
		log_err("reload: %s: %s; keeping the running settings", d->opt.config, err);
		return;
	}
	apply_config(&c, &d->opt, &d->table.cfg);
	follow_wan_address(d);
	if (c.queue != d->opt.queue)
		log_warn("reload: option queue changed; it takes effect at the next restart");
	log_notice("reloaded %s", d->opt.config);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipalgd --wan IFACE --lan IFACE [--queue N] [--public IP] [--foreground]\n"
		"               [--config FILE] [--log-level LEVEL] [--user NAME]\n"
		"SIP ALG daemon: translates the SIP that the firewall diverts to NFQUEUE N.\n"
		"  --wan IFACE        the internet side; its IPv4 address is the public address\n"
		"  --lan IFACE        the phones' side; its IPv4 networks are the ones translated\n"
		"  --config FILE      settings in UCI syntax (OpenWrt's /etc/config/sipalg); the\n"
		"                     options below override it\n"
		"  --firewall-args    print sipalg-firewall's --queue and --ports for --config, exit\n"
		"  --queue N          NFQUEUE number (default 0)\n"
		"  --public IP        public address to write instead of the WAN interface's\n"
		"                     (a router behind another NAT)\n"
		"  --control PATH     status socket for sipalgctl (default " CONTROL_DEFAULT_PATH ")\n"
		"  --media-timeout S  end an answered call whose media stopped for S seconds (after the\n"
		"                     kernel's own UDP flow timeout); 0: never (default 60)\n"
		"  --foreground       stay in the foreground and log to stderr (default: syslog)\n"
		"  --log-level LEVEL  err, warning, notice, info (default) or debug\n"
		"  --user NAME        started as root, run as NAME once the sockets are open, with\n"
		"                     CAP_NET_ADMIN only (default nobody)\n"
		"Limits (max_message_size, max_calls, ...) are set in the config file.\n");
}

static int bad_option(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "sipalgd: %s '%s': %s\n", opt, value, why);
	return 2;
}

/* --config FILE, read first so that the command line overrides it. Nothing has changed yet
 * when a bad value stops the daemon, and the error names the option and the value. */
static int load_config(int argc, char **argv, struct options *o, struct table_config *tc)
{
	struct sipalg_config c;
	const char *path = NULL;
	char err[256];
	int firewall_args = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[i + 1];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--firewall-args") == 0)
			firewall_args = 1;
	}
	config_defaults(&c);
	o->config = path;
	if (path && config_load(path, &c, err, sizeof(err))) {
		fprintf(stderr, "sipalgd: %s%s%s\n", strncmp(err, "--config", 8) ? path : "",
			strncmp(err, "--config", 8) ? ": " : "", err);
		return 2;
	}
	if (firewall_args) { /* one source for the daemon's and the firewall's settings */
		printf("--queue %u --ports ", c.queue);
		for (size_t i = 0; i < c.n_sip_ports; i++)
			printf("%s%u", i ? "," : "", c.sip_ports[i]);
		printf("\n");
		exit(0);
	}
	o->queue = c.queue;
	apply_config(&c, o, tc);
	return 0;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "wan", required_argument, NULL, 'w' },     { "lan", required_argument, NULL, 'l' },
		{ "queue", required_argument, NULL, 'q' },   { "public", required_argument, NULL, 'p' },
		{ "foreground", no_argument, NULL, 'f' },    { "log-level", required_argument, NULL, 'v' },
		{ "control", required_argument, NULL, 'c' },
		{ "media-timeout", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'C' },
		{ "firewall-args", no_argument, NULL, 'F' },
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		unsigned long n;

		switch (opt) {
		case 'w':
			o->wan = optarg;
			break;
		case 'l':
			o->lan = optarg;
			break;
		case 'q':
			n = strtoul(optarg, &end, 10);
			if (*optarg == '\0' || *end || n > 65535)
				return bad_option("--queue", optarg, "expected a queue number 0-65535");
			o->queue = (uint16_t)n;
			break;
		case 'p':
			if (addr_parse(optarg, strlen(optarg), &o->public_ip))
				return bad_option("--public", optarg, "expected an IPv4 address");
			o->have_public = 1;
			break;
		case 'f':
			o->foreground = 1;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'c':
			o->control = optarg;
			break;
		case 'C':
		case 'F':
			break; /* read before the other options, see load_config */
		case 'm':
			o->media_timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end || o->media_timeout < 0 || o->media_timeout > 86400)
				return bad_option("--media-timeout", optarg, "expected seconds, 0-86400");
			break;
		case 'v':
			log_level = config_log_level(optarg);
			if (log_level < 0)
				return bad_option("--log-level", optarg, "expected err, warning, notice, info or debug");
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad_option("argument", argv[optind], "unexpected");
	if (!o->wan)
		return bad_option("--wan", "", "is required");
	if (!o->lan)
		return bad_option("--lan", "", "is required");
	if (strlen(o->wan) >= IF_NAMESIZE)
		return bad_option("--wan", o->wan, "not an interface name");
	if (strlen(o->lan) >= IF_NAMESIZE)
		return bad_option("--lan", o->lan, "not an interface name");
	return 0;
}

/* Reads the interfaces: the LAN's networks, the WAN's address. */
static int read_interfaces(struct daemon *d)
{
	uint32_t addrs[MAX_LAN_NETS];
	struct alg_net wan_nets[1];
	int n;

	d->lan_index = if_nametoindex(d->opt.lan);
	d->wan_index = if_nametoindex(d->opt.wan);
	if (!d->lan_index) {
		log_err("--lan '%s': no such interface", d->opt.lan);
		return -1;
	}
	if (!d->wan_index) {
		log_err("--wan '%s': no such interface", d->opt.wan);
		return -1;
	}
	n = iface_networks(d->opt.lan, d->lan_nets, addrs, MAX_LAN_NETS);
	if (n <= 0) {
		log_err("--lan '%s': the interface has no IPv4 address", d->opt.lan);
		return -1;
	}
	d->n_lan_nets = (size_t)n;
	if (d->opt.have_public) {
		d->public_ip = d->opt.public_ip;
		return 0;
	}
	n = iface_networks(d->opt.wan, wan_nets, addrs, 1);
	if (n <= 0) {
		log_err("--wan '%s': the interface has no IPv4 address (give --public)", d->opt.wan);
		return -1;
	}
	d->public_ip = addrs[0];
	return 0;
}


static size_t answer_control(void *ctx, const char *cmd, char *buf, size_t cap)
{
	struct daemon *d = ctx;
	struct status_view v = { &d->count, &d->table, d->public_ip, d->opt.wan, d->opt.lan,
				 monotonic_seconds() };

	if (strcmp(cmd, CONTROL_CMD_STATUS) == 0 || strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0)
		return status_format(&v, strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0, buf, cap);
	return (size_t)snprintf(buf, cap, "unknown command '%.32s' (try: " CONTROL_CMD_STATUS ", "
				CONTROL_CMD_STATUS_JSON ")\n", cmd);
}

static void on_packet(void *ctx, struct queue *q, const struct queued_packet *p)
{
	struct daemon *d = ctx;
	struct alg_config cfg = { .lan = d->lan_nets, .n_lan = d->n_lan_nets, .public_ip = d->public_ip,
				  .max_message = d->opt.limits.max_message_size,
				  .max_headers = d->opt.limits.max_headers };
	struct alg_packet pkt;
	struct alg_result res;
	struct udp_packet u;
	size_t n;

	d->count.seen++;
	switch (packet_decode(p->data, p->len, &u)) {
	case PACKET_UDP:
		break;
	case PACKET_FRAGMENT:
		d->count.fragments++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	case PACKET_MALFORMED:
		d->count.malformed++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	default:
		d->count.not_sip_udp++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	if (p->indev != d->lan_index && p->indev != d->wan_index) {
		d->count.not_sip_udp++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	pkt = (struct alg_packet){ u.payload, u.payload_len, p->indev == d->lan_index ? ALG_OUT : ALG_IN,
				   u.src, u.dst };
	d->now = monotonic_seconds();
	cfg.nat = table_nat(&d->table, d->now);
	alg_translate(&cfg, &pkt, d->msg_out, sizeof(d->msg_out), &res);
	if (res.reason == ALG_OK)
		res.reason = table_admit(&d->table, &res, u.payload, d->now);
	if (res.reason != ALG_OK) {
		/* Logged the first time each reason is seen; counted always. */
		if (d->count.reasons[res.reason]++ == 0)
			log_notice("passing SIP unchanged: %s (first time; see counters)",
				   alg_reason_str(res.reason));
		d->count.unchanged++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	/* One line per notable event: registrations and calls at info, the rest at debug. */
	for (size_t i = 0; i < res.n_actions; i++) {
		const struct alg_action *a = &res.actions[i];
		int prio = a->kind == ALG_ACT_REGISTERED || a->kind == ALG_ACT_ANSWERED ||
				   a->kind == ALG_ACT_MEDIA_CLOSE ? LOG_INFO : LOG_DEBUG;
		char line[256];

		if (prio > log_level)
			continue; /* not formatted for nothing */
		alg_action_format(a, u.payload, d->public_ip, line, sizeof(line));
		log_msg(prio, "%s", line);
	}
	/* New bindings and pinholes are in place before the packet moves on; if the kernel
	 * refused them, the message must not announce them: it passes untranslated. Other
	 * changes (refreshes, narrowing, closing) go in the next batch, after the verdicts. */
	d->n_added = 0;
	table_apply(&d->table, &res, u.payload, d->now);
	if (d->n_added && commit_bindings(d)) {
		d->count.unchanged++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	if (!res.changed) {
		d->count.unchanged++;
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	n = packet_rewrite(p->data, p->len, &u, d->msg_out, res.out_len, d->pkt_out, sizeof(d->pkt_out));
	if (n == 0) {
		d->count.errors++;
		log_warn("could not rewrite a %zu-byte packet; passing it unchanged", p->len);
		queue_verdict(q, p->id, NULL, 0);
		return;
	}
	d->count.translated++;
	queue_verdict(q, p->id, d->pkt_out, n);
}

int main(int argc, char **argv)
{
	static struct daemon d;
	struct sigaction sa;
	int64_t next_media_check = 0, next_table_check = 0;
	struct table_config tcfg;
	char pub[ADDR_STR_MAX];
	int rc;

	/* First of all: a reload (SIGHUP) that arrives while the daemon starts must not end it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	tcfg = table_defaults;
	rc = load_config(argc, argv, &d.opt, &tcfg);
	if (!rc)
		rc = parse_args(argc, argv, &d.opt);
	if (rc)
		return rc;
	log_open(d.opt.foreground);
	if (alg_init() || read_interfaces(&d))
		return 1;
	/* A running instance is found before anything of it is touched: its control socket
	 * answers, or it holds the queue. Only then is the nftables table replaced. */
	if (!d.opt.control)
		d.opt.control = CONTROL_DEFAULT_PATH;
	d.control = control_open(d.opt.control);
	if (d.control < 0)
		return 1;
	d.queue = queue_open(d.opt.queue);
	d.nft = d.queue ? nft_open(d.opt.wan, d.public_ip) : NULL;
	if (!d.nft) {
		queue_close(d.queue);
		control_close(d.control, d.opt.control);
		return 1;
	}
	tcfg.media_timeout = (uint32_t)d.opt.media_timeout;
	table_init(&d.table, &tcfg, mirror_change, &d);
	d.table.self_ip = d.public_ip;
	d.wan_watch = wan_watch_open();
	if (privdrop(d.opt.user ? d.opt.user : "nobody")) {
		nft_close(d.nft);
		queue_close(d.queue);
		control_close(d.control, d.opt.control);
		return 1;
	}


	addr_format(d.public_ip, pub);
	log_info("started: queue %u, wan %s (public %s%s), lan %s (%zu network%s), media ports %u-%u, "
		 "inbound calls from %s, media timeout %us%s%s",
		 d.opt.queue, d.opt.wan, pub, d.opt.have_public ? ", set" : "", d.opt.lan, d.n_lan_nets,
		 d.n_lan_nets == 1 ? "" : "s", d.table.cfg.port_min, d.table.cfg.port_max,
		 d.table.cfg.registrar_only ? "the registrar" : "anyone", d.table.cfg.media_timeout,
		 d.opt.config ? ", config " : "", d.opt.config ? d.opt.config : "");
	log_info("limits: message %u bytes, %u headers, %u registrations per host, %u calls, "
		 "pinholes %u per call, %u per host, %u in all, %u new per second per host; "
		 "running as uid %u with CAP_NET_ADMIN only",
		 d.opt.limits.max_message_size, d.opt.limits.max_headers,
		 d.opt.limits.max_registrations_per_host, d.opt.limits.max_calls,
		 d.opt.limits.max_pinholes_per_call, d.opt.limits.max_pinholes_per_host,
		 d.opt.limits.max_pinholes, d.opt.limits.max_new_pinholes_per_second, (unsigned)getuid());
	while (!stop) {
		if (reload) {
			reload = 0;
			reload_config(&d);
		}
		struct pollfd pfd[3] = { { queue_fd(d.queue), POLLIN, 0 }, { d.control, POLLIN, 0 },
					 { d.wan_watch, POLLIN, 0 } };
		int64_t next;
		int r, timeout;

		d.now = monotonic_seconds();
		if (d.table.cfg.media_timeout && d.now >= next_media_check) {
			watch_media(&d);
			next_media_check = d.now + (d.table.cfg.media_timeout >= 8 ? d.table.cfg.media_timeout / 4 : 2);
		}
		if (d.now >= next_table_check) {
			keep_table(&d);
			next_table_check = d.now + 5;
		}
		next = table_expire(&d.table, d.now);
		if (d.table.cfg.media_timeout && next > next_media_check)
			next = next_media_check;
		if (next > next_table_check)
			next = next_table_check;
		commit_bindings(&d);
		timeout = next - d.now < 1 ? 1000 : next - d.now > 5 ? 5000 : (int)(next - d.now) * 1000;
		if (d.n_closed && timeout > 500)
			timeout = 500; /* flows to forget: see forget_flows */
		r = poll(pfd, 3, timeout);

		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[0].revents & POLLIN) && queue_receive(d.queue, on_packet, &d) < 0) {
			log_err("nfqueue: %s", strerror(errno));
			break;
		}
		commit_bindings(&d);
		forget_flows(&d, 0);
		if (r > 0 && (pfd[1].revents & POLLIN))
			control_serve(d.control, answer_control, &d);
		if (r > 0 && (pfd[2].revents & POLLIN) && wan_watch_read(d.wan_watch))
			follow_wan_address(&d);
	}
	log_info("stopping: %lu packets, %lu translated, %lu unchanged", d.count.seen,
		 d.count.translated, d.count.unchanged);
	forget_flows(&d, 1);
	queue_close(d.queue);
	wan_watch_close(d.wan_watch);
	control_close(d.control, d.opt.control);
	nft_close(d.nft); /* the table, and every binding and pinhole in it, goes */
	return 0;
}
