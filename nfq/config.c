/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.c: sipalg's options, in one table for the UCI file and sipalgd's command line.
 * The file: the `config sipalg` section, `option NAME VALUE`, `list NAME VALUE`, values bare,
 * 'single-quoted' or "double-quoted" (with backslash escapes), # comments. The command line:
 * --NAME VALUE, the file's name with dashes. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"
#include "control.h"
#include "stun.h"

#define VALUE_MAX 128

enum source {
	FROM_FILE = 1,
	FROM_CMDLINE = 2,
	FROM_BOTH = FROM_FILE | FROM_CMDLINE,
};

enum kind {
	K_BOOL,          /* 0 or 1 */
	K_NETWORK,       /* an OpenWrt network name, into a char array */
	K_PORT_LIST,     /* one port more of sip_ports (the file's list replaces the default) */
	K_ADDR_LIST,     /* one address more of a list (off: uint32_t[], off2: its size_t count) */
	K_PORT_RANGE,    /* LO-HI, into two uint16_t fields */
	K_CHOICE,        /* one of the option's words */
	K_UINT,          /* a number min-max */
	K_IPV4,          /* an address; empty: none (0) */
	K_SERVER,        /* an address with an optional port (off2 the default port); empty: none */
	K_DEVICE,        /* an interface name (a pointer into argv) */
	K_TEXT,          /* a path or a user name (a pointer into argv) */
	K_SWITCH,        /* no value: sets 1 */
	K_CONFIG,        /* the file, read before the rest of the command line */
	K_FIREWALL_ARGS, /* no value: what the command line asks for */
	K_HELP,
};

/* What SIGHUP does with an option of the file. */
enum on_reload {
	RELOAD_NOTHING,  /* not the daemon's (the init script's, the firewall's) */
	RELOAD_IN_PLACE, /* the new value is taken; calls and bindings stay */
	RELOAD_RESTART,  /* kept until a restart, with a warning */
};

struct choice {
	const char *word;
	int value;
};

struct opt {
	const char *name;       /* in the file; on the command line with dashes, unless cli says */
	const char *cli;        /* the command-line name when it is not the file's */
	enum source from;       /* who may set it */
	enum kind kind;
	size_t off, size;       /* its field in struct sipalg_config */
	size_t off2;            /* K_PORT_RANGE: the upper end's field; K_ADDR_LIST: the count;
				 * K_SERVER: the port taken when none is given */
	uint32_t min, max;      /* K_UINT, K_PORT_LIST, K_PORT_RANGE */
	const struct choice *choices; /* K_CHOICE, ended by a NULL word */
	const char *def;        /* the default, parsed as a value (none when NULL) */
	const char *expect;     /* a bad value's message, after the value; %u, %u: min, max */
	int required;           /* on the command line */
	enum on_reload reload;
	/* A limit: the reason a message that would break it passes untranslated, and that
	 * reason in the daemon's words. */
	enum alg_reason reason;
	const char *reason_str;
	const char *arg, *help; /* usage: the value's name, and what the option does */
};

#define AT(f) .off = offsetof(struct sipalg_config, f), .size = sizeof(((struct sipalg_config *)0)->f)

static const struct choice inbound_choices[] = {
	{ "registrar", INBOUND_REGISTRAR },
	{ "anyone", INBOUND_ANYONE },
	{ NULL, 0 },
};

static const struct choice log_levels[] = {
	{ "err", LOG_ERR },
	{ "warning", LOG_WARNING },
	{ "notice", LOG_NOTICE },
	{ "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
	{ NULL, 0 },
};

/* A limit of the binding table, in table_config under the option's name. */
#define TABLE_LIMIT(n, lo, hi, def_, r)                                                          \
	{ .name = #n, .from = FROM_FILE, .kind = K_UINT, AT(table.n), .min = lo, .max = hi,        \
	  .def = def_, .reload = RELOAD_IN_PLACE, .reason = r, .reason_str = "limit " #n }

/* Every option. The table's capacities (max_bindings; max_calls sizes the call table) are
 * what memory is allocated for at start; the limits of bindings may not exceed max_bindings
 * (config_parse checks), the message limits are alg/sip_msg.h's. wan and lan are two options each: OpenWrt networks in the
 * file (the init script resolves them to devices), devices on the command line. */
static const struct opt opts[] = {
	/* The command line's own. */
	{ .name = "wan", .from = FROM_CMDLINE, .kind = K_DEVICE, AT(cmd.wan), .required = 1,
	  .expect = "not an interface name", .arg = "IFACE",
	  .help = "the internet side's device; its IPv4 address is the public address" },
	{ .name = "lan", .from = FROM_CMDLINE, .kind = K_DEVICE, AT(cmd.lan), .required = 1,
	  .expect = "not an interface name", .arg = "IFACE",
	  .help = "the phones' side's device; its IPv4 networks are the ones translated" },
	{ .name = "config", .from = FROM_CMDLINE, .kind = K_CONFIG, AT(cmd.config), .arg = "FILE",
	  .help = "settings in UCI syntax (OpenWrt's /etc/config/sipalg); the\n"
		  "options below override it" },
	{ .name = "firewall_args", .from = FROM_CMDLINE, .kind = K_FIREWALL_ARGS,
	  .help = "print sipalg-firewall's --queue, --queues, --ports and\n--tcp-port (or --no-tcp) for --config, exit" },

	/* The file's, for the init script and the firewall. */
	{ .name = "enabled", .from = FROM_FILE, .kind = K_BOOL, AT(enabled), .def = "0",
	  .expect = "expected 0 or 1" },
	{ .name = "wan", .from = FROM_FILE, .kind = K_NETWORK, AT(wan), .def = "wan",
	  .expect = "expected an OpenWrt network name such as wan" },
	{ .name = "lan", .from = FROM_FILE, .kind = K_NETWORK, AT(lan), .def = "lan",
	  .expect = "expected an OpenWrt network name such as lan" },
	{ .name = "sip_port", .from = FROM_FILE, .kind = K_PORT_LIST, AT(sip_ports), .min = 1, .max = 65535,
	  .def = "5060", .expect = "expected a port %u-%u" },

	/* The daemon's. */
	{ .name = "queue", .from = FROM_BOTH, .kind = K_UINT, AT(queue), .min = 0, .max = 65535, .def = "0",
	  .expect = "expected a queue number %u-%u", .reload = RELOAD_RESTART, .arg = "N",
	  .help = "NFQUEUE number (the first, with queues)" },
	{ .name = "queues", .from = FROM_BOTH, .kind = K_UINT, AT(queues), .min = 1, .max = CONFIG_MAX_QUEUES,
	  .def = "1", .expect = "expected a number of queues %u-%u", .reload = RELOAD_RESTART, .arg = "N",
	  .help = "NFQUEUEs queue .. queue+N-1, a thread each (sipalg-firewall\n"
		  "balances flows over them): 1 for each core" },
	{ .name = "tcp", .from = FROM_BOTH, .kind = K_BOOL, AT(tcp), .def = "1",
	  .expect = "expected 0 or 1", .reload = RELOAD_RESTART, .arg = "0|1",
	  .help = "relay SIP over TCP (1) or leave it alone (0)" },
	{ .name = "tcp_port", .from = FROM_BOTH, .kind = K_UINT, AT(tcp_port), .min = 1024, .max = 65535,
	  .def = "15060", .expect = "expected a port %u-%u", .reload = RELOAD_RESTART, .arg = "PORT",
	  .help = "SIP/TCP relay's listener on 127.0.0.1 (sipalg-firewall diverts to it)" },
	/* The TCP relay's limits (nfq/tcp_relay.c): memory and sockets a peer can hold. */
	{ .name = "tcp_max_connections", .from = FROM_FILE, .kind = K_UINT, AT(tcp_limits.max_connections),
	  .min = 1, .max = 4096, .def = "256", .reload = RELOAD_RESTART },
	{ .name = "tcp_max_connections_per_host", .from = FROM_FILE, .kind = K_UINT,
	  AT(tcp_limits.max_connections_per_host), .min = 1, .max = 4096, .def = "16",
	  .reload = RELOAD_IN_PLACE },
	{ .name = "tcp_idle_timeout", .cli = "tcp-idle", .from = FROM_BOTH, .kind = K_UINT, AT(tcp_limits.idle_timeout),
	  .min = 10, .max = 86400, .def = "7440", .expect = "expected seconds, %u to %u",
	  .reload = RELOAD_IN_PLACE, .arg = "S",
	  .help = "close a SIP/TCP connection idle this long (RFC 5382: 7440)" },
	{ .name = "tcp_max_buffer", .from = FROM_FILE, .kind = K_UINT, AT(tcp_limits.max_buffer),
	  .min = 4096, .max = 1048576, .def = "65536", .reload = RELOAD_IN_PLACE },
	{ .name = "tcp_max_message_size", .from = FROM_FILE, .kind = K_UINT, AT(tcp_limits.max_message_size),
	  .min = 1024, .max = 65535, .def = "65535", .reload = RELOAD_RESTART },
	{ .name = "external_address", .cli = "public", .from = FROM_BOTH, .kind = K_IPV4,
	  AT(external_address), .def = "", .expect = "expected an IPv4 address", .reload = RELOAD_IN_PLACE,
	  .arg = "IP", .help = "public address to write instead of the WAN interface's\n"
			       "(a router behind another NAT)" },
	/* A router behind another NAT (a carrier's, or the provider's modem): see outer_nat.h. */
	{ .name = "stun_server", .from = FROM_BOTH, .kind = K_SERVER, AT(stun_server), .off2 = STUN_DEFAULT_PORT,
	  .def = "", .expect = "expected an IPv4 address and an optional port, such as 198.51.100.3:3478",
	  .reload = RELOAD_IN_PLACE, .arg = "IP[:PORT]",
	  .help = "learn the public address from this STUN server when the WAN\n"
		  "address is private (RFC 1918, RFC 6598) and --public is not set" },
	{ .name = "keepalive_interval", .cli = "keepalive", .from = FROM_BOTH, .kind = K_UINT,
	  AT(keepalive_interval), .min = 0, .max = 3600, .def = "25",
	  .expect = "expected seconds, %u (off) to %u", .reload = RELOAD_IN_PLACE, .arg = "S",
	  .help = "behind another NAT, send each registered phone's registrar a\n"
		  "keep-alive from its public port every S seconds; 0: never" },
	{ .name = "media_ports", .from = FROM_FILE, .kind = K_PORT_RANGE, AT(table.media_port_min),
	  .off2 = offsetof(struct sipalg_config, table.media_port_max), .min = 1024, .max = 65535,
	  .def = "16384-32767", .expect = "expected a range of at least two ports within %u-%u",
	  .reload = RELOAD_IN_PLACE },
	{ .name = "inbound_calls", .from = FROM_FILE, .kind = K_CHOICE, AT(table.inbound_calls),
	  .choices = inbound_choices, .def = "registrar", .reload = RELOAD_IN_PLACE },
	{ .name = "media_timeout", .from = FROM_BOTH, .kind = K_UINT, AT(table.media_timeout), .min = 0,
	  .max = 86400, .def = "60", .expect = "expected seconds, %u (never) to %u",
	  .reload = RELOAD_IN_PLACE, .arg = "S",
	  .help = "end an answered call whose media stopped for S seconds (after the\n"
		  "kernel's own UDP flow timeout); 0: never" },
	{ .name = "log_level", .from = FROM_BOTH, .kind = K_CHOICE, AT(log_level), .choices = log_levels,
	  .def = "info", .reload = RELOAD_IN_PLACE, .arg = "LEVEL",
	  .help = "err, warning, notice, info or debug" },
	{ .name = "max_message_size", .from = FROM_FILE, .kind = K_UINT, AT(core.max_message_size),
	  .min = 1024, .max = 65535, .def = "8192", .reload = RELOAD_IN_PLACE, .reason = ALG_TOO_LARGE,
	  .reason_str = "message larger than max_message_size" },
	{ .name = "max_headers", .from = FROM_FILE, .kind = K_UINT, AT(core.max_headers), .min = 16,
	  .max = 128, .def = "64", .reload = RELOAD_IN_PLACE },
	{ .name = "max_bindings", .from = FROM_FILE, .kind = K_UINT, AT(max_bindings), .min = 64,
	  .max = CONFIG_MAX_BINDINGS, .def = "4096", .reload = RELOAD_RESTART },
	TABLE_LIMIT(max_registrations_per_host, 1, CONFIG_MAX_BINDINGS, "16", ALG_LIMIT_REGISTRATIONS),
	TABLE_LIMIT(max_calls, 1, CONFIG_MAX_CALLS, "256", ALG_LIMIT_DIALOGS),
	TABLE_LIMIT(max_pinholes_per_call, 2, CONFIG_MAX_BINDINGS, "16", ALG_LIMIT_CALL_PINHOLES),
	TABLE_LIMIT(max_pinholes_per_host, 2, CONFIG_MAX_BINDINGS, "64", ALG_LIMIT_HOST_PINHOLES),
	TABLE_LIMIT(max_pinholes, 2, CONFIG_MAX_BINDINGS, "1024", ALG_LIMIT_PINHOLES),
	TABLE_LIMIT(max_new_pinholes_per_second, 1, 100000, "20", ALG_LIMIT_PINHOLE_RATE),

	/* The command line's own, again (in this order in the usage). */
	{ .name = "control", .from = FROM_CMDLINE, .kind = K_TEXT, AT(cmd.control),
	  .def = CONTROL_DEFAULT_PATH, .arg = "PATH", .help = "status socket for sipalgctl" },
	{ .name = "state_file", .from = FROM_CMDLINE, .kind = K_TEXT, AT(cmd.state_file),
	  .def = "/var/run/sipalg/state", .arg = "FILE",
	  .help = "registrations and calls, kept for the next start\n('': none)" },
	{ .name = "foreground", .from = FROM_CMDLINE, .kind = K_SWITCH, AT(cmd.foreground),
	  .help = "stay in the foreground and log to stderr (default: syslog)" },
	{ .name = "user", .from = FROM_CMDLINE, .kind = K_TEXT, AT(cmd.user), .def = "nobody",
	  .arg = "NAME", .help = "started as root, run as NAME once the sockets are open, with\n"
				 "CAP_NET_ADMIN only" },
	{ .name = "help", .from = FROM_CMDLINE, .kind = K_HELP, .help = "this text, exit" },

	/* SIP servers on the LAN (issue 14). */
	{ .name = "lan_server", .from = FROM_BOTH, .kind = K_ADDR_LIST, AT(lan_servers),
	  .off2 = offsetof(struct sipalg_config, n_lan_servers), .max = CONFIG_MAX_LAN_SERVERS,
	  .expect = "expected the IPv4 address of a SIP server on the LAN", .reload = RELOAD_IN_PLACE,
	  .arg = "IP", .help = "a SIP server on the LAN (PBX, proxy) whose messages may name\n"
			       "the LAN phones it serves (repeatable)" },
	{ .name = "direct_lan_media", .from = FROM_FILE, .kind = K_BOOL, AT(core.direct_lan_media), .def = "1",
	  .expect = "expected 0 or 1", .reload = RELOAD_IN_PLACE },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
}

static int number(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return -1;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int network_name(const char *v, size_t cap)
{
	size_t n = strlen(v);

	if (n == 0 || n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' || v[i] == '.'))
			return -1;
	return 0;
}

/* A number into a field of 2, 4 or 8 bytes. */
static void store(void *field, size_t size, unsigned long v)
{
	if (size == sizeof(uint16_t)) {
		uint16_t x = (uint16_t)v;

		memcpy(field, &x, sizeof(x));
	} else if (size == sizeof(uint32_t)) {
		uint32_t x = (uint32_t)v;

		memcpy(field, &x, sizeof(x));
	} else {
		uint64_t x = v;

		memcpy(field, &x, sizeof(x));
	}
}

/* "expected a, b or c" */
static void expect_choice(const struct choice *ch, char *why, size_t cap)
{
	size_t n = 0, len;

	while (ch[n].word)
		n++;
	len = (size_t)snprintf(why, cap, "expected");
	for (size_t i = 0; i < n && len < cap; i++)
		len += (size_t)snprintf(why + len, cap - len, "%s%s", i == 0 ? " " : i + 1 == n ? " or " : ", ",
					ch[i].word);
}

/* Sets o from the text v. On a bad value, -1 and why (what was expected). ports_listed: the
 * file's sip_port list has begun (it replaces the default). */
static int set_value(struct sipalg_config *c, const struct opt *o, const char *v, int *ports_listed,
		     char *why, size_t cap)
{
	char *field = (char *)c + o->off;
	unsigned long n, lo, hi;
	uint32_t addr;
	const char *dash;

	switch (o->kind) {
	case K_BOOL:
		if (strcmp(v, "0") && strcmp(v, "1"))
			break;
		store(field, o->size, v[0] == '1');
		return 0;
	case K_NETWORK:
		if (network_name(v, o->size))
			break;
		strcpy(field, v);
		return 0;
	case K_ADDR_LIST: {
		size_t count;

		/* The first of a source's list replaces what came before (the file's, for the
		 * command line's). */
		if (ports_listed && !(*ports_listed & 2)) {
			memset((char *)c + o->off2, 0, sizeof(size_t));
			*ports_listed |= 2;
		}
		memcpy(&count, (char *)c + o->off2, sizeof(count));
		if (addr_parse(v, strlen(v), &addr) || addr == 0 || addr == 0xffffffff)
			break;
		for (size_t i = 0; i < count; i++)
			if (memcmp(field + i * sizeof(addr), &addr, sizeof(addr)) == 0)
				return 0; /* named twice: once is enough */
		if (count == o->max)
			return fail(why, cap, "at most %u servers", o->max);
		memcpy(field + count * sizeof(addr), &addr, sizeof(addr));
		count++;
		memcpy((char *)c + o->off2, &count, sizeof(count));
		return 0;
	}
	case K_PORT_LIST:
		if (ports_listed && !(*ports_listed & 1)) {
			c->n_sip_ports = 0;
			*ports_listed |= 1;
		}
		if (number(v, o->max, &n) || n < o->min)
			break;
		if (c->n_sip_ports == CONFIG_MAX_PORTS)
			return fail(why, cap, "at most %d ports", CONFIG_MAX_PORTS);
		c->sip_ports[c->n_sip_ports++] = (uint16_t)n;
		return 0;
	case K_PORT_RANGE: {
		char lo_s[8] = "", hi_s[8] = "";

		dash = strchr(v, '-');
		if (!dash || (size_t)(dash - v) >= sizeof(lo_s) || strlen(dash + 1) >= sizeof(hi_s))
			return fail(why, cap, "expected a range such as %s", o->def);
		memcpy(lo_s, v, (size_t)(dash - v));
		strcpy(hi_s, dash + 1);
		if (number(lo_s, o->max, &lo) || number(hi_s, o->max, &hi) || lo < o->min || hi < lo + 1)
			break;
		store(field, o->size, lo);
		store((char *)c + o->off2, o->size, hi);
		return 0;
	}
	case K_CHOICE:
		for (const struct choice *ch = o->choices; ch->word; ch++)
			if (strcmp(v, ch->word) == 0) {
				store(field, o->size, (unsigned long)ch->value);
				return 0;
			}
		expect_choice(o->choices, why, cap);
		return -1;
	case K_UINT:
		if (number(v, o->max, &n) || n < o->min)
			break;
		store(field, o->size, n);
		return 0;
	case K_IPV4:
		if (*v == '\0')
			addr = 0;
		else if (addr_parse(v, strlen(v), &addr) || addr == 0)
			break;
		store(field, o->size, addr);
		return 0;
	case K_SERVER: {
		struct alg_endpoint ep;
		const char *colon = strchr(v, ':');

		memset(&ep, 0, sizeof(ep)); /* its padding too: settings are compared whole */
		ep.port = (uint16_t)o->off2;
		if (*v && (colon ? addr_parse(v, (size_t)(colon - v), &ep.ip) ||
					   port_parse(colon + 1, strlen(colon + 1), &ep.port)
				 : addr_parse(v, strlen(v), &ep.ip)))
			break;
		if (*v && (ep.ip == 0 || ep.ip == 0xffffffff))
			break;
		if (!*v)
			ep.port = 0;
		memcpy(field, &ep, sizeof(ep));
		return 0;
	}
	case K_DEVICE:
		if (strlen(v) >= IF_NAMESIZE)
			break;
		/* fall through */
	case K_TEXT:
	case K_CONFIG:
		memcpy(field, &v, sizeof(v));
		return 0;
	case K_SWITCH:
		store(field, o->size, 1);
		return 0;
	case K_FIREWALL_ARGS:
	case K_HELP:
		return 0;
	}
	if (o->expect)
		snprintf(why, cap, o->expect, o->min, o->max);
	else
		snprintf(why, cap, "expected a number %u-%u", o->min, o->max);
	return -1;
}

/* The option's name on the command line. */
static const char *cli_name(const struct opt *o, char *buf, size_t cap)
{
	size_t i;

	if (o->cli)
		return o->cli;
	for (i = 0; o->name[i] && i + 1 < cap; i++)
		buf[i] = o->name[i] == '_' ? '-' : o->name[i];
	buf[i] = '\0';
	return buf;
}

/* Sets o from the file or the command line; a bad value's error names the option, as the
 * source calls it, and the value: "option max_calls 'many': ..." or "--queue 'x': ...". */
static int set_option(struct sipalg_config *c, const struct opt *o, enum source from, const char *v,
		      int *ports_listed, char *err, size_t cap)
{
	char why[160], name[CONFIG_NAME_MAX];

	if (set_value(c, o, v, ports_listed, why, sizeof(why)) == 0)
		return 0;
	if (from == FROM_FILE)
		return fail(err, cap, "option %s '%s': %s", o->name, v, why);
	return fail(err, cap, "--%s '%s': %s", cli_name(o, name, sizeof(name)), v, why);
}

void config_defaults(struct sipalg_config *c)
{
	char why[160];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].def)
			set_value(c, &opts[i], opts[i].def, NULL, why, sizeof(why));
	/* The table's settings that are not options. */
	c->table.signaling_idle = 3600;
	c->table.dialog_idle = 7200;
	c->table.register_grace = 30;
}

/* Reads one word at *p (bare or quoted) into out; 0 on success, -1 when malformed. */
static int word(const char **p, const char *end, char *out, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end)
		return -1;
	if (*s == '\'' || *s == '"') {
		char q = *s++;

		while (s < end && *s != q) {
			if (q == '"' && *s == '\\' && s + 1 < end)
				s++;
			if (n + 1 >= cap)
				return -1;
			out[n++] = *s++;
		}
		if (s == end)
			return -1;
		s++;
	} else {
		while (s < end && *s != ' ' && *s != '\t' && *s != '#') {
			if (n + 1 >= cap)
				return -1;
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	*p = s;
	return 0;
}

/* One line of the section: `option` (is_list 0) or `list` NAME VALUE. */
static int file_option(struct sipalg_config *c, const char *name, const char *v, int is_list,
		       int *ports_listed, char *err, size_t cap)
{
	const struct opt *o = NULL;

	for (size_t i = 0; i < N_OPTS && !o; i++)
		if ((opts[i].from & FROM_FILE) && strcmp(name, opts[i].name) == 0)
			o = &opts[i];
	if (!o)
		return fail(err, cap, "option %s: unknown option (a typo?)", name);
	if (is_list && o->kind != K_PORT_LIST && o->kind != K_ADDR_LIST)
		return fail(err, cap, "list %s: only sip_port and lan_server take a list", name);
	return set_option(c, o, FROM_FILE, v, ports_listed, err, cap);
}

/* The queues are numbers queue .. queue + queues - 1. */
static int check_queues(const struct sipalg_config *c, char *err, size_t cap)
{
	if ((uint32_t)c->queue + c->queues - 1 > 65535)
		return fail(err, cap, "queue %u and queues %u: the last queue, %u, is past 65535", c->queue,
			    c->queues, (unsigned)c->queue + c->queues - 1);
	return 0;
}

/* A limit of bindings above max_bindings could never be reached: the table is full first. */
static int check_capacity(const struct sipalg_config *c, char *err, size_t cap)
{
	static const char *const limits[] = { "max_registrations_per_host", "max_pinholes_per_call",
					      "max_pinholes_per_host", "max_pinholes" };

	for (size_t k = 0; k < sizeof(limits) / sizeof(limits[0]); k++)
		for (size_t i = 0; i < N_OPTS; i++) {
			uint32_t v;

			if (strcmp(opts[i].name, limits[k]))
				continue;
			memcpy(&v, (const char *)c + opts[i].off, sizeof(v));
			if (v > c->max_bindings)
				return fail(err, cap, "option %s '%u': more than max_bindings (%u), what the table holds",
					    limits[k], v, c->max_bindings);
		}
	return 0;
}

struct table_capacity config_capacity(const struct sipalg_config *c)
{
	uint32_t dialogs = 2 * c->table.max_calls;

	return (struct table_capacity){ c->max_bindings, dialogs > 1024 ? dialogs : 1024 };
}

int config_parse(const char *buf, size_t len, struct sipalg_config *c, char *err, size_t err_cap)
{
	const char *p = buf, *end = buf + len;
	int in_section = 0, ports_listed = 0, line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
		char kw[16], name[VALUE_MAX], value[VALUE_MAX];
		const char *q = p;

		line++;
		p = nl ? nl + 1 : end;
		if (e > q && e[-1] == '\r')
			e--; /* a CRLF line end (a file edited on Windows) is a line end */
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q == e || *q == '#')
			continue;
		if (word(&q, e, kw, sizeof(kw)))
			return fail(err, err_cap, "line %d: cannot read it", line);
		if (strcmp(kw, "config") == 0) {
			if (word(&q, e, name, sizeof(name)))
				return fail(err, err_cap, "line %d: config without a type", line);
			in_section = strcmp(name, "sipalg") == 0;
			continue;
		}
		if (strcmp(kw, "option") && strcmp(kw, "list"))
			return fail(err, err_cap, "line %d: expected config, option or list, not '%s'", line, kw);
		if (word(&q, e, name, sizeof(name)) || word(&q, e, value, sizeof(value)))
			return fail(err, err_cap, "line %d: %s needs a name and a value", line, kw);
		while (q < e && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < e && *q != '#')
			return fail(err, err_cap, "line %d: option %s: unexpected text after the value", line, name);
		if (in_section &&
		    file_option(c, name, value, kw[0] == 'l', &ports_listed, err, err_cap))
			return -1;
	}
	return check_capacity(c, err, err_cap) || check_queues(c, err, err_cap) ? -1 : 0;
}

int config_load(const char *path, struct sipalg_config *c, char *err, size_t err_cap)
{
	FILE *f = fopen(path, "r");
	char buf[16384];
	size_t n;

	if (!f)
		return fail(err, err_cap, "--config '%s': %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf), f);
	if (!feof(f)) {
		fclose(f);
		return fail(err, err_cap, "--config '%s': larger than %zu bytes", path, sizeof(buf));
	}
	fclose(f);
	return config_parse(buf, n, c, err, err_cap);
}

/* getopt_long's view of the table: the command line's options, val 256 + their index. */
struct cmdline {
	struct option longopts[N_OPTS + 1];
	char names[N_OPTS][CONFIG_NAME_MAX];
};

static void cmdline_init(struct cmdline *cl)
{
	size_t n = 0;

	memset(cl, 0, sizeof(*cl));
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (!(o->from & FROM_CMDLINE))
			continue;
		cl->longopts[n].name = cli_name(o, cl->names[n], sizeof(cl->names[n]));
		cl->longopts[n].has_arg = o->arg ? required_argument : no_argument;
		cl->longopts[n].val = 256 + (int)i;
		n++;
	}
}

enum config_action config_args(int argc, char **argv, struct sipalg_config *c, char *err, size_t err_cap)
{
	struct cmdline cl;
	int k, firewall_args = 0, listed = 0;

	config_defaults(c);
	cmdline_init(&cl);
	/* First the file, so that the command line overrides it; nothing else is looked at
	 * yet, and nothing is said (the second pass says what is wrong). */
	opterr = 0;
	optind = 0;
	while ((k = getopt_long(argc, argv, "h", cl.longopts, NULL)) != -1) {
		if (k >= 256 && opts[k - 256].kind == K_CONFIG)
			c->cmd.config = optarg;
		else if (k >= 256 && opts[k - 256].kind == K_FIREWALL_ARGS)
			firewall_args = 1;
	}
	if (c->cmd.config && config_load(c->cmd.config, c, err, err_cap)) {
		if (strncmp(err, "--config", 8)) { /* name the file */
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(err, err_cap, "%s: %s", c->cmd.config, why);
		}
		return CONFIG_BAD;
	}
	if (firewall_args) /* one source for the daemon's and the firewall's settings */
		return CONFIG_FIREWALL_ARGS;

	opterr = 1;
	optind = 0;
	while ((k = getopt_long(argc, argv, "h", cl.longopts, NULL)) != -1) {
		const struct opt *o = k >= 256 ? &opts[k - 256] : NULL;

		if (k == 'h' || (o && o->kind == K_HELP))
			return CONFIG_HELP;
		if (!o)
			return CONFIG_BAD_USAGE;
		if (set_option(c, o, FROM_CMDLINE, optarg ? optarg : "", &listed, err, err_cap))
			return CONFIG_BAD;
		if (o->kind == K_ADDR_LIST)
			c->lan_servers_cli = 1;
	}
	if (optind < argc) {
		fail(err, err_cap, "argument '%s': unexpected", argv[optind]);
		return CONFIG_BAD;
	}
	if (check_queues(c, err, err_cap))
		return CONFIG_BAD;
	for (size_t i = 0; i < N_OPTS; i++) {
		char name[CONFIG_NAME_MAX];
		const char *v;

		if (!opts[i].required)
			continue;
		memcpy(&v, (const char *)c + opts[i].off, sizeof(v));
		if (!v) {
			fail(err, err_cap, "--%s '': is required", cli_name(&opts[i], name, sizeof(name)));
			return CONFIG_BAD;
		}
	}
	return CONFIG_RUN;
}

/* One word more of a paragraph, wrapped at 78 columns; *col: where the line is. */
static void put_word(FILE *f, int *col, const char *w, const char *indent)
{
	if (*col + 1 + (int)strlen(w) > 78) {
		*col = fprintf(f, "\n%s", indent) - 1;
	} else if (*col != (int)strlen(indent)) {
		fputc(' ', f);
		(*col)++;
	}
	*col += fprintf(f, "%s", w);
}

void config_usage(FILE *f)
{
	struct cmdline cl;
	char what[64];
	size_t n_file = 0;
	int col;

	cmdline_init(&cl);
	col = fprintf(f, "usage: sipalgd");
	for (size_t i = 0; cl.longopts[i].name; i++) {
		const struct opt *o = &opts[cl.longopts[i].val - 256];

		if (o->kind == K_HELP || o->kind == K_FIREWALL_ARGS)
			continue;
		snprintf(what, sizeof(what), o->required ? "--%s%s%s" : "[--%s%s%s]", cl.longopts[i].name,
			 o->arg ? " " : "", o->arg ? o->arg : "");
		put_word(f, &col, what, "               ");
	}
	fprintf(f, "\nSIP ALG daemon: translates the SIP that the firewall diverts to NFQUEUE N.\n");
	for (size_t i = 0; cl.longopts[i].name; i++) {
		const struct opt *o = &opts[cl.longopts[i].val - 256];
		const char *h = o->help;

		snprintf(what, sizeof(what), "--%s%s%s", cl.longopts[i].name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		fprintf(f, "  %-19s", what);
		for (const char *nl; (nl = strchr(h, '\n')) != NULL; h = nl + 1)
			fprintf(f, "%.*s\n%21s", (int)(nl - h), h, "");
		fprintf(f, "%s", h);
		if (o->def && *o->def)
			fprintf(f, " (default %s)", o->def);
		fprintf(f, "\n");
	}
	fprintf(f, "The config file (OpenWrt's /etc/config/sipalg) names the options above that it\n");
	col = fprintf(f, "shares with _ for - (--public is external_address), and has its own:");
	for (size_t i = 0; i < N_OPTS; i++)
		n_file += opts[i].from == FROM_FILE;
	for (size_t i = 0, n = 0; i < N_OPTS; i++) {
		if (opts[i].from != FROM_FILE)
			continue;
		snprintf(what, sizeof(what), "%s%s", opts[i].name, ++n == n_file ? "." : ",");
		put_word(f, &col, what, "");
	}
	fprintf(f, "\nIn the file wan and lan are OpenWrt networks (for the init script), not devices.\n");
}

void config_firewall_args(const struct sipalg_config *c, FILE *f)
{
	fprintf(f, "--queue %u --queues %u --ports ", c->queue, c->queues);
	for (size_t i = 0; i < c->n_sip_ports; i++)
		fprintf(f, "%s%u", i ? "," : "", c->sip_ports[i]);
	if (c->tcp)
		fprintf(f, " --tcp-port %u\n", c->tcp_port);
	else
		fprintf(f, " --no-tcp\n");
}

int config_reload(struct sipalg_config *c, char *err, size_t err_cap)
{
	struct sipalg_config f;
	int restart = 0;

	config_defaults(&f);
	if (config_load(c->cmd.config, &f, err, err_cap))
		return -1;
	for (size_t i = 0; i < N_OPTS; i++) {
		const struct opt *o = &opts[i];
		char *now = (char *)c + o->off, *then = (char *)&f + o->off;

		if (!(o->from & FROM_FILE))
			continue;
		if (o->reload == RELOAD_IN_PLACE) {
			if (o->kind == K_ADDR_LIST && c->lan_servers_cli)
				continue; /* the command line's list stands, as at start */
			memcpy(now, then, o->size);
			if (o->kind == K_PORT_RANGE)
				memcpy((char *)c + o->off2, (char *)&f + o->off2, o->size);
			if (o->kind == K_ADDR_LIST)
				memcpy((char *)c + o->off2, (char *)&f + o->off2, sizeof(size_t));
		} else if (o->reload == RELOAD_RESTART && memcmp(now, then, o->size) && !restart) {
			fail(err, err_cap, "option %s changed; it takes effect at the next restart", o->name);
			restart = 1;
		}
	}
	return restart;
}

int config_check_lan(const struct sipalg_config *c, const struct alg_net *lan, size_t n_lan,
		     const char *lan_dev, char *err, size_t err_cap)
{
	char a[ADDR_STR_MAX], nets[96] = "";
	size_t len = 0;

	for (size_t i = 0; i < c->n_lan_servers; i++) {
		if (net_contains(lan, n_lan, c->lan_servers[i]))
			continue;
		addr_format(c->lan_servers[i], a);
		for (size_t k = 0; k < n_lan && len + ADDR_STR_MAX + 6 < sizeof(nets); k++) {
			uint32_t bits = 0;

			for (uint32_t m = lan[k].mask; m; m <<= 1)
				bits++;
			len += (size_t)snprintf(nets + len, sizeof(nets) - len, "%s", k ? ", " : "");
			len += addr_format(lan[k].addr, nets + len);
			len += (size_t)snprintf(nets + len, sizeof(nets) - len, "/%u", bits);
		}
		if (c->lan_servers_cli)
			return fail(err, err_cap, "--lan-server '%s': not inside the LAN networks of %s (%s)", a,
				    lan_dev, nets);
		return fail(err, err_cap, "option lan_server '%s': not inside the LAN networks of %s (%s)", a,
			    lan_dev, nets);
	}
	return 0;
}

const char *config_reason_str(enum alg_reason r)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].reason_str && opts[i].reason == r)
			return opts[i].reason_str;
	return alg_reason_str(r);
}
