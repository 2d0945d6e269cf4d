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
#include "control.h"
#include "iface.h"
#include "log.h"
#include "mirror.h"
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
	int control;
	int wan_watch;
	struct alg_table table;
	struct mirror mirror;
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
	table_set_self_ip(&d->table, addr);
	d->mirror.now = monotonic_seconds();
	mirror_set_public_ip(&d->mirror, addr);
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
	struct table_config tc;
	struct sipalg_config c;
	char err[256];

	if (!d->opt.config)
		return;
	config_defaults(&c);
	if (config_load(d->opt.config, &c, err, sizeof(err))) {
		log_err("reload: %s: %s; keeping the running settings", d->opt.config, err);
		return;
	}
	tc = *table_get_config(&d->table);
	apply_config(&c, &d->opt, &tc);
	table_set_config(&d->table, &tc);
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
		"  --firewall-args    print sipalg-firewall's --queue, --ports and --tcp-port (or\n"
		"                     --no-tcp) for --config, exit\n"
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
		if (c.tcp)
			printf(" --tcp-port %u\n", c.tcp_port);
		else
			printf(" --no-tcp\n");
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
	struct status_view v = { &d->count, d->mirror.refusals, &d->table, d->public_ip, d->opt.wan,
				 d->opt.lan, monotonic_seconds() };

	if (strcmp(cmd, CONTROL_CMD_STATUS) == 0 || strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0)
		return status_format(&v, strcmp(cmd, CONTROL_CMD_STATUS_JSON) == 0, buf, cap);
	return (size_t)snprintf(buf, cap, "unknown command '%.32s' (try: " CONTROL_CMD_STATUS ", "
				CONTROL_CMD_STATUS_JSON ")\n", cmd);
}

/* Logs the actions of a message: registrations and calls at info, the rest at debug. */
static void log_actions(const struct alg_result *res, const char *msg, uint32_t public_ip)
{
	for (size_t i = 0; i < res->n_actions; i++) {
		const struct alg_action *a = &res->actions[i];
		int prio = a->kind == ALG_ACT_REGISTERED || a->kind == ALG_ACT_ANSWERED ||
				   a->kind == ALG_ACT_MEDIA_CLOSE ? LOG_INFO : LOG_DEBUG;
		char line[256];

		if (prio > log_level)
			continue; /* not formatted for nothing */
		alg_action_format(a, msg, public_ip, line, sizeof(line));
		log_msg(prio, "%s", line);
	}
}

/* One SIP/UDP message through the table. Returns the length of the rewritten packet in
 * d->pkt_out, or 0 when the packet passes as it came. */
static size_t translate_udp(struct daemon *d, const struct queued_packet *p, const struct udp_packet *u)
{
	const struct alg_config cfg = { .lan = d->lan_nets, .n_lan = d->n_lan_nets, .public_ip = d->public_ip,
					.max_message = d->opt.limits.max_message_size,
					.max_headers = d->opt.limits.max_headers };
	const struct alg_packet pkt = { u->payload, u->payload_len,
					p->indev == d->lan_index ? ALG_OUT : ALG_IN, u->src, u->dst };
	struct table_txn txn;
	struct alg_result res;
	size_t n;

	d->mirror.now = monotonic_seconds();
	table_translate(&txn, &d->table, &cfg, &pkt, d->mirror.now, d->msg_out, sizeof(d->msg_out), &res);
	if (res.reason != ALG_OK) {
		/* Logged the first time each reason is seen; counted always. */
		if (d->count.reasons[res.reason]++ == 0)
			log_notice("passing SIP unchanged: %s (first time; see counters)",
				   alg_reason_str(res.reason));
		d->count.unchanged++;
		return 0;
	}
	log_actions(&res, u->payload, d->public_ip);
	/* New bindings and pinholes are in place before the packet moves on; if the kernel
	 * refused them, the message must not announce them: it passes untranslated. Other
	 * changes (refreshes, narrowing, closing) go in the next batch, after the verdicts. */
	if (txn.n_added && mirror_commit(&d->mirror, &txn)) {
		d->count.unchanged++;
		return 0;
	}
	table_commit(&txn);
	if (!res.changed) {
		d->count.unchanged++;
		return 0;
	}
	n = packet_rewrite(p->data, p->len, u, d->msg_out, res.out_len, d->pkt_out, sizeof(d->pkt_out));
	if (n == 0) {
		d->count.errors++;
		log_warn("could not rewrite a %zu-byte packet; passing it unchanged", p->len);
		return 0;
	}
	d->count.translated++;
	return n;
}

/* Every queued packet gets exactly one verdict, here: accepted as it came, or rewritten. */
static void on_packet(void *ctx, struct queue *q, const struct queued_packet *p)
{
	struct daemon *d = ctx;
	struct udp_packet u;
	size_t n = 0;

	d->count.seen++;
	switch (packet_decode(p->data, p->len, &u)) {
	case PACKET_UDP:
		if (p->indev == d->lan_index || p->indev == d->wan_index)
			n = translate_udp(d, p, &u);
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
	queue_verdict(q, p->id, n ? d->pkt_out : NULL, n);
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
	if (!d.queue || mirror_open(&d.mirror, &d.table, d.opt.wan, d.public_ip)) {
		queue_close(d.queue);
		control_close(d.control, d.opt.control);
		return 1;
	}
	tcfg.media_timeout = (uint32_t)d.opt.media_timeout;
	table_init(&d.table, &tcfg, mirror_change, &d.mirror);
	table_set_self_ip(&d.table, d.public_ip);
	d.wan_watch = wan_watch_open();
	if (privdrop(d.opt.user ? d.opt.user : "nobody")) {
		mirror_close(&d.mirror);
		queue_close(d.queue);
		control_close(d.control, d.opt.control);
		return 1;
	}


	addr_format(d.public_ip, pub);
	log_info("started: queue %u, wan %s (public %s%s), lan %s (%zu network%s), media ports %u-%u, "
		 "inbound calls from %s, media timeout %us%s%s",
		 d.opt.queue, d.opt.wan, pub, d.opt.have_public ? ", set" : "", d.opt.lan, d.n_lan_nets,
		 d.n_lan_nets == 1 ? "" : "s", tcfg.port_min, tcfg.port_max,
		 tcfg.registrar_only ? "the registrar" : "anyone", tcfg.media_timeout,
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
		uint32_t media_timeout = table_get_config(&d.table)->media_timeout;
		int64_t next, now = d.mirror.now = monotonic_seconds();
		int r, timeout;

		if (media_timeout && now >= next_media_check) {
			mirror_watch_media(&d.mirror);
			next_media_check = now + (media_timeout >= 8 ? media_timeout / 4 : 2);
		}
		if (now >= next_table_check) {
			mirror_keep(&d.mirror);
			next_table_check = now + 5;
		}
		next = table_expire(&d.table, now);
		if (media_timeout && next > next_media_check)
			next = next_media_check;
		if (next > next_table_check)
			next = next_table_check;
		mirror_commit(&d.mirror, NULL);
		timeout = next - now < 1 ? 1000 : next - now > 5 ? 5000 : (int)(next - now) * 1000;
		if (d.mirror.n_closed && timeout > 500)
			timeout = 500; /* flows to forget: see mirror_forget_flows */
		r = poll(pfd, 3, timeout);

		if (r < 0 && errno != EINTR) {
			log_err("poll: %s", strerror(errno));
			break;
		}
		if (r > 0 && (pfd[0].revents & POLLIN) && queue_receive(d.queue, on_packet, &d) < 0) {
			log_err("nfqueue: %s", strerror(errno));
			break;
		}
		mirror_commit(&d.mirror, NULL);
		mirror_forget_flows(&d.mirror, 0);
		if (r > 0 && (pfd[1].revents & POLLIN))
			control_serve(d.control, answer_control, &d);
		if (r > 0 && (pfd[2].revents & POLLIN) && wan_watch_read(d.wan_watch))
			follow_wan_address(&d);
	}
	log_info("stopping: %lu packets, %lu translated, %lu unchanged", d.count.seen,
		 d.count.translated, d.count.unchanged);
	queue_close(d.queue);
	wan_watch_close(d.wan_watch);
	control_close(d.control, d.opt.control);
	mirror_close(&d.mirror);
	return 0;
}
