/* SPDX-License-Identifier: GPL-2.0-or-later */
/* config.h: sipalg's settings, from /etc/config/sipalg (UCI syntax) and sipalgd's command line.
 * One table of options (config.c) serves both: each option is validated there, once, with one
 * message naming the option and the value, and goes straight into the field of its name here.
 * On the command line an option is the file's name with dashes (media_timeout: --media-timeout).
 * The parsers are pure: no exit(), no logging; the daemon acts on what they return. */
#ifndef SIPALG_CONFIG_H
#define SIPALG_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alg.h"
#include "table.h"
#include "tcp_relay.h"

#define CONFIG_MAX_PORTS 8
#define CONFIG_MAX_LAN_SERVERS 8
#define CONFIG_MAX_QUEUES 16 /* threads: one per core */
#define CONFIG_NAME_MAX 32
/* The largest capacities: max_bindings, and max_calls (the call table holds twice as many
 * dialogs, at least 1024: calls only the WAN side has spoken of yet take the rest). */
#define CONFIG_MAX_BINDINGS 1048576
#define CONFIG_MAX_CALLS 262144

/* The command line's own settings (the file cannot set them). */
struct sipalg_cmdline {
	const char *wan, *lan; /* interface devices (eth1, br-lan), not the file's OpenWrt networks */
	const char *config;    /* the file, read before the other options so that they override it */
	const char *control, *user;
	const char *state_file; /* "": none */
	int foreground;
};

struct sipalg_config {
	/* The file's only, for the init script and the firewall: the daemon does not use them. */
	int enabled;
	char wan[CONFIG_NAME_MAX];       /* OpenWrt networks, resolved to devices by the init script */
	char lan[CONFIG_NAME_MAX];
	uint16_t sip_ports[CONFIG_MAX_PORTS]; /* list sip_port */
	size_t n_sip_ports;
	/* The daemon's. */
	uint16_t queue;
	uint32_t queues;                 /* NFQUEUEs queue .. queue + queues - 1, a thread each */
	int tcp;                         /* SIP over TCP diverted (tproxy) to the listener */
	uint16_t tcp_port;               /* that listener's port, on 127.0.0.1 */
	struct tcp_limits tcp_limits;    /* tcp_max_connections, ..., under the options' names */
	uint32_t external_address;       /* 0: the WAN interface's own (--public on the command line) */
	struct alg_endpoint stun_server; /* ip 0: none */
	uint32_t keepalive_interval;     /* seconds; 0: no keep-alives */
	int log_level;                   /* syslog priority */
	uint32_t max_bindings;           /* the table's capacity of bindings (signaling and media) */
	struct table_config table;       /* media_ports, inbound_calls, media_timeout, the table's limits */
	struct alg_config core;          /* max_message_size, max_headers; the rest is the daemon's */
	struct sipalg_cmdline cmd;
	/* SIP servers on the LAN (list lan_server, --lan-server): see alg_config. That each is
	 * inside the LAN networks is checked once the interface is read (config_check_lan). */
	uint32_t lan_servers[CONFIG_MAX_LAN_SERVERS];
	size_t n_lan_servers;
	int lan_servers_cli; /* the list came from the command line (for the message's wording) */
};

/* Every setting at its default (the shipped /etc/config/sipalg states the same). */
void config_defaults(struct sipalg_config *c);

/* Parses the `config sipalg` section of a UCI file over c. On a bad value it returns -1 and
 * writes into err a line naming the option and the value. */
int config_parse(const char *buf, size_t len, struct sipalg_config *c, char *err, size_t err_cap);

/* Reads and parses path; errors as config_parse, or naming the file. */
int config_load(const char *path, struct sipalg_config *c, char *err, size_t err_cap);

/* What sipalgd's command line asks for. */
enum config_action {
	CONFIG_RUN,           /* c holds the settings: defaults, --config FILE, the command line */
	CONFIG_HELP,          /* --help: print config_usage, exit 0 */
	CONFIG_FIREWALL_ARGS, /* --firewall-args: print config_firewall_args, exit 0 */
	CONFIG_BAD,           /* err names the option and the value; exit 2 */
	CONFIG_BAD_USAGE,     /* getopt has said what is wrong: print config_usage, exit 2 */
};

/* The daemon's settings: the defaults, then --config FILE, then the other options. */
enum config_action config_args(int argc, char **argv, struct sipalg_config *c, char *err, size_t err_cap);

void config_usage(FILE *f);

/* sipalg-firewall's --queue, --queues and --ports for these settings, one line. */
void config_firewall_args(const struct sipalg_config *c, FILE *f);

/* SIGHUP: reads c->cmd.config again over the defaults, as at start but without the command
 * line, and takes what can change in place (log_level, external_address, table, core limits).
 * A bad file changes nothing: -1 and err as config_load. 1 when an option that needs a restart
 * changed (err says which), else 0. */
int config_reload(struct sipalg_config *c, char *err, size_t err_cap);

/* The LAN servers against the LAN's networks: -1 and err naming the option (as its source
 * calls it) and the first address outside them; else 0. */
int config_check_lan(const struct sipalg_config *c, const struct alg_net *lan, size_t n_lan,
		     const char *lan_dev, char *err, size_t err_cap);

/* The table's capacities for these settings: max_bindings, and dialogs for max_calls. */
struct table_capacity config_capacity(const struct sipalg_config *c);

/* A reason in the daemon's words: a limit by the name of its option ("limit max_calls"),
 * anything else as the core says it (alg_reason_str). */
const char *config_reason_str(enum alg_reason r);

#endif
