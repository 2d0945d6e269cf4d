/* config.h: sipalg's settings, as OpenWrt keeps them in /etc/config/sipalg (UCI syntax).
 * The parser is buffer-fed and pure; config_load reads the file. */
#ifndef SIPALG_CONFIG_H
#define SIPALG_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_PORTS 8
#define CONFIG_NAME_MAX 32

enum inbound_policy {
	INBOUND_REGISTRAR, /* requests to a registered phone only from its registrar */
	INBOUND_ANYONE,
};

struct sipalg_config {
	int enabled;
	char wan[CONFIG_NAME_MAX];       /* the OpenWrt network (resolved to a device by the init script) */
	char lan[CONFIG_NAME_MAX];
	uint16_t sip_ports[CONFIG_MAX_PORTS];
	size_t n_sip_ports;
	uint16_t media_port_min, media_port_max;
	enum inbound_policy inbound;
	uint32_t media_timeout;
	uint32_t external_address;       /* 0: the WAN interface's own */
	uint16_t queue;
	int tcp;                         /* SIP over TCP diverted (tproxy) to the listener */
	uint16_t tcp_port;               /* that listener's port, on 127.0.0.1 */
	int log_level;                   /* syslog priority */
	struct sipalg_limits {
		uint32_t max_message_size;   /* bytes of one SIP message */
		uint32_t max_headers;        /* header lines of one message */
		uint32_t max_registrations_per_host;
		uint32_t max_calls;
		uint32_t max_pinholes_per_call;
		uint32_t max_pinholes_per_host;
		uint32_t max_pinholes;
		uint32_t max_new_pinholes_per_second; /* per host */
	} limits;
};

void config_defaults(struct sipalg_config *c);

/* The syslog priority named err, warning, notice, info or debug; -1 for anything else. */
int config_log_level(const char *name);

/* Parses the `config sipalg` section of a UCI file over the defaults. On a bad value it
 * returns -1 and writes into err a line naming the option and the value. */
int config_parse(const char *buf, size_t len, struct sipalg_config *c, char *err, size_t err_cap);

/* Reads and parses path; errors as config_parse, or naming the file. */
int config_load(const char *path, struct sipalg_config *c, char *err, size_t err_cap);

#endif
