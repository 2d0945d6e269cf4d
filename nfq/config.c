/* config.c: the `config sipalg` section of a UCI file: `option NAME VALUE`, `list NAME VALUE`,
 * values bare, 'single-quoted' or "double-quoted" (with backslash escapes), # comments. */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "addr.h"

#define VALUE_MAX 128

void config_defaults(struct sipalg_config *c)
{
	memset(c, 0, sizeof(*c));
	strcpy(c->wan, "wan");
	strcpy(c->lan, "lan");
	c->sip_ports[0] = 5060;
	c->n_sip_ports = 1;
	c->media_port_min = 16384;
	c->media_port_max = 32767;
	c->inbound = INBOUND_REGISTRAR;
	c->media_timeout = 60;
	c->tcp = 1;
	c->tcp_port = 15060;
	c->log_level = LOG_INFO;
	c->limits = (struct sipalg_limits){
		.max_message_size = 8192,
		.max_headers = 64,
		.max_registrations_per_host = 16,
		.max_calls = 256,
		.max_pinholes_per_call = 16,
		.max_pinholes_per_host = 64,
		.max_pinholes = 1024,
		.max_new_pinholes_per_second = 20,
	};
}

/* The limits: a name, where the value goes, and its range (the upper ends are the sizes of
 * the daemon's tables: see alg/table.h and alg/sip_msg.h). */
static const struct limit_option {
	const char *name;
	size_t offset;
	uint32_t min, max;
} limit_options[] = {
	{ "max_message_size", offsetof(struct sipalg_limits, max_message_size), 1024, 65535 },
	{ "max_headers", offsetof(struct sipalg_limits, max_headers), 16, 128 },
	{ "max_registrations_per_host", offsetof(struct sipalg_limits, max_registrations_per_host), 1, 4096 },
	{ "max_calls", offsetof(struct sipalg_limits, max_calls), 1, 1024 },
	{ "max_pinholes_per_call", offsetof(struct sipalg_limits, max_pinholes_per_call), 2, 4096 },
	{ "max_pinholes_per_host", offsetof(struct sipalg_limits, max_pinholes_per_host), 2, 4096 },
	{ "max_pinholes", offsetof(struct sipalg_limits, max_pinholes), 2, 4096 },
	{ "max_new_pinholes_per_second", offsetof(struct sipalg_limits, max_new_pinholes_per_second), 1, 100000 },
};

static const struct limit_option *limit_option(const char *name)
{
	for (size_t i = 0; i < sizeof(limit_options) / sizeof(limit_options[0]); i++)
		if (strcmp(name, limit_options[i].name) == 0)
			return &limit_options[i];
	return NULL;
}

static int fail(char *err, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
	return -1;
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

static int number(const char *v, unsigned long max, unsigned long *out)
{
	char *end;

	if (!*v || *v == '-' || *v == '+')
		return -1;
	errno = 0;
	*out = strtoul(v, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int network_name(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n >= CONFIG_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' || v[i] == '.'))
			return -1;
	return 0;
}

int config_log_level(const char *name)
{
	static const char *const levels[] = { "err", "warning", "notice", "info", "debug" };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(name, levels[i]) == 0)
			return prio[i];
	return -1;
}

static int set_option(struct sipalg_config *c, const char *name, const char *v, int is_list,
		      int *ports_listed, char *err, size_t cap)
{
	const struct limit_option *lim = limit_option(name);
	unsigned long n, lo, hi;
	const char *dash;

	if (strcmp(name, "sip_port") == 0) {
		if (!*ports_listed) { /* the file's list replaces the default */
			c->n_sip_ports = 0;
			*ports_listed = 1;
		}
		if (number(v, 65535, &n) || n == 0)
			return fail(err, cap, "option sip_port '%s': expected a port 1-65535", v);
		if (c->n_sip_ports == CONFIG_MAX_PORTS)
			return fail(err, cap, "option sip_port '%s': at most %d ports", v, CONFIG_MAX_PORTS);
		c->sip_ports[c->n_sip_ports++] = (uint16_t)n;
		return 0;
	}
	if (is_list)
		return fail(err, cap, "list %s: only sip_port takes a list", name);
	if (strcmp(name, "enabled") == 0) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return fail(err, cap, "option enabled '%s': expected 0 or 1", v);
		c->enabled = v[0] == '1';
	} else if (strcmp(name, "wan") == 0 || strcmp(name, "lan") == 0) {
		if (network_name(v))
			return fail(err, cap, "option %s '%s': expected an OpenWrt network name such as %s",
				    name, v, name);
		strcpy(name[0] == 'w' ? c->wan : c->lan, v);
	} else if (strcmp(name, "media_ports") == 0) {
		char lo_s[8] = "", hi_s[8] = "";

		dash = strchr(v, '-');
		if (!dash || (size_t)(dash - v) >= sizeof(lo_s) || strlen(dash + 1) >= sizeof(hi_s))
			return fail(err, cap, "option media_ports '%s': expected a range such as 16384-32767", v);
		memcpy(lo_s, v, (size_t)(dash - v));
		strcpy(hi_s, dash + 1);
		if (number(lo_s, 65535, &lo) || number(hi_s, 65535, &hi) || lo < 1024 || hi < lo + 1)
			return fail(err, cap,
				    "option media_ports '%s': expected a range of at least two ports within 1024-65535", v);
		c->media_port_min = (uint16_t)lo;
		c->media_port_max = (uint16_t)hi;
	} else if (strcmp(name, "inbound_calls") == 0) {
		if (strcmp(v, "registrar") == 0)
			c->inbound = INBOUND_REGISTRAR;
		else if (strcmp(v, "anyone") == 0)
			c->inbound = INBOUND_ANYONE;
		else
			return fail(err, cap, "option inbound_calls '%s': expected registrar or anyone", v);
	} else if (strcmp(name, "media_timeout") == 0) {
		if (number(v, 86400, &n))
			return fail(err, cap, "option media_timeout '%s': expected seconds, 0 (never) to 86400", v);
		c->media_timeout = (uint32_t)n;
	} else if (strcmp(name, "external_address") == 0) {
		if (*v == '\0')
			c->external_address = 0;
		else if (addr_parse(v, strlen(v), &c->external_address) || c->external_address == 0)
			return fail(err, cap, "option external_address '%s': expected an IPv4 address", v);
	} else if (strcmp(name, "queue") == 0) {
		if (number(v, 65535, &n))
			return fail(err, cap, "option queue '%s': expected a queue number 0-65535", v);
		c->queue = (uint16_t)n;
	} else if (strcmp(name, "tcp") == 0) {
		if (strcmp(v, "0") && strcmp(v, "1"))
			return fail(err, cap, "option tcp '%s': expected 0 or 1", v);
		c->tcp = v[0] == '1';
	} else if (strcmp(name, "tcp_port") == 0) {
		if (number(v, 65535, &n) || n < 1024)
			return fail(err, cap, "option tcp_port '%s': expected a port 1024-65535", v);
		c->tcp_port = (uint16_t)n;
	} else if (lim) {
		if (number(v, lim->max, &n) || n < lim->min)
			return fail(err, cap, "option %s '%s': expected a number %u-%u", name, v, lim->min, lim->max);
		*(uint32_t *)((char *)&c->limits + lim->offset) = (uint32_t)n;
	} else if (strcmp(name, "log_level") == 0) {
		c->log_level = config_log_level(v);
		if (c->log_level < 0)
			return fail(err, cap, "option log_level '%s': expected err, warning, notice, info or debug", v);
	} else {
		return fail(err, cap, "option %s: unknown option (a typo?)", name);
	}
	return 0;
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
		    set_option(c, name, value, kw[0] == 'l', &ports_listed, err, err_cap))
			return -1;
	}
	return 0;
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
