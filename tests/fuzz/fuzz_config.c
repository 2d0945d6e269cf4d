/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_config: the daemon's config parser (nfq/config.c) over the built-in defaults, as sipalgd
 * reads /etc/config/sipalg. Whatever the file, a parse either gives settings that are all within
 * their documented ranges, or fails with one line that says what is wrong (truncated to the room
 * given, never overrun). The same file always means the same: parsed twice, with CRLF line
 * endings, or with any room for the error. The first bad line decides: cut after any line, a file
 * that parses still parses, and one that fails at or before the cut fails the same way. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"

#define ERR_CAP 256 /* as sipalgd's */

struct outcome {
	int rc;
	struct sipalg_config c;
	char err[ERR_CAP];
};

static void broken(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

static void network_name_ok(const char *name, const char *which)
{
	const char *nul = memchr(name, '\0', CONFIG_NAME_MAX);

	if (!nul || nul == name)
		broken("a network name empty or not NUL-terminated", which);
	for (const char *s = name; s < nul; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || *s == '.'))
			broken("a network name with a character UCI does not allow", which);
}

/* The limits' documented ranges (the table in nfq/config.c, the README, the UCI file). */
#define LIMIT(field, lo, hi) { #field, (uint64_t)(c->field), lo, hi }
static void limits_ok(const struct sipalg_config *c)
{
	const struct {
		const char *name;
		uint64_t v, min, max;
	} limits[] = {
		LIMIT(core.max_message_size, 1024, 65535),
		LIMIT(core.max_headers, 16, 128),
		LIMIT(max_bindings, 64, CONFIG_MAX_BINDINGS),
		LIMIT(table.max_registrations_per_host, 1, c->max_bindings),
		LIMIT(table.max_calls, 1, CONFIG_MAX_CALLS),
		LIMIT(table.max_pinholes_per_call, 2, c->max_bindings),
		LIMIT(table.max_pinholes_per_host, 2, c->max_bindings),
		LIMIT(table.max_pinholes, 2, c->max_bindings),
		LIMIT(table.max_new_pinholes_per_second, 1, 100000),
	};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (limits[i].v < limits[i].min || limits[i].v > limits[i].max)
			broken("a limit out of its range", limits[i].name);
}

/* What a successful parse promises the daemon. */
static void settings_ok(const struct sipalg_config *c)
{
	if (c->enabled != 0 && c->enabled != 1)
		broken("enabled is neither 0 nor 1", NULL);
	network_name_ok(c->wan, "wan");
	network_name_ok(c->lan, "lan");
	if (c->n_sip_ports < 1 || c->n_sip_ports > CONFIG_MAX_PORTS)
		broken("no SIP port, or more than CONFIG_MAX_PORTS", NULL);
	for (size_t i = 0; i < c->n_sip_ports; i++)
		if (c->sip_ports[i] == 0)
			broken("SIP port 0", NULL);
	if (c->table.media_port_min < 1024 || c->table.media_port_max <= c->table.media_port_min)
		broken("media ports not a range of two or more within 1024-65535", NULL);
	if (c->table.inbound_calls != INBOUND_REGISTRAR && c->table.inbound_calls != INBOUND_ANYONE)
		broken("inbound_calls neither registrar nor anyone", NULL);
	if (c->tcp != 0 && c->tcp != 1)
		broken("tcp is neither 0 nor 1", NULL);
	if (c->tcp_port < 1024)
		broken("tcp_port below 1024", NULL);
	if (c->table.media_timeout > 86400)
		broken("media_timeout above 86400", NULL);
	if (c->log_level != LOG_ERR && c->log_level != LOG_WARNING && c->log_level != LOG_NOTICE &&
	    c->log_level != LOG_INFO && c->log_level != LOG_DEBUG)
		broken("log_level not one of err, warning, notice, info, debug", NULL);
	limits_ok(c);
}


/* What a failed parse promises the user: one line naming the line, option or list at fault. */
static void error_ok(const char *err, size_t cap)
{
	const char *nul = memchr(err, '\0', cap);

	if (!nul)
		broken("the error is not NUL-terminated within its room", NULL);
	if (nul == err && cap > 1)
		broken("the error is empty", NULL);
	if (memchr(err, '\n', (size_t)(nul - err)))
		broken("the error is more than one line", err);
	if (cap == ERR_CAP && !strstr(err, "line") && !strstr(err, "option") && !strstr(err, "list"))
		broken("the error names no line, option or list", err);
}

/* The checks of the file as a whole, after its last line (a limit above max_bindings): cutting
 * lines off may make one fail (the cut took the max_bindings line) or pass (it took the limit),
 * unlike an error of one line. */
static int whole_file_error(const char *err)
{
	return strstr(err, "more than max_bindings") != NULL;
}

static void parse(const char *buf, size_t len, struct outcome *o)
{
	config_defaults(&o->c);
	memset(o->err, 'x', sizeof(o->err)); /* no NUL unless the parser writes one */
	o->rc = config_parse(buf, len, &o->c, o->err, sizeof(o->err));
	if (o->rc != 0 && o->rc != -1)
		broken("config_parse returned neither 0 nor -1", NULL);
	if (o->rc == 0)
		settings_ok(&o->c);
	else
		error_ok(o->err, sizeof(o->err));
}

/* b means what a means (the same settings, or the same error). */
static void same(const struct outcome *a, const struct outcome *b, const char *why)
{
	if (a->rc != b->rc)
		broken("a parse that succeeds one way and fails the other", why);
	if (a->rc == 0 && memcmp(&a->c, &b->c, sizeof(a->c)))
		broken("different settings", why);
	if (a->rc != 0 && strcmp(a->err, b->err))
		broken("a different error", why);
}

/* An exact-size copy (so that ASan sees any read past the end). */
static char *copy(const char *buf, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (len)
		memcpy(p, buf, len);
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct outcome *first = malloc(sizeof(*first)), *other = malloc(sizeof(*other));
	size_t lines = 0, n = 0;
	char *buf;

	parse(in, size, first);

	/* Deterministic. */
	parse(in, size, other);
	same(first, other, "parsed twice");

	/* Any room for the error gives the same outcome and a prefix of the same error. */
	{
		size_t cap = 1 + (size ? data[0] % 48 : 0);
		char *err = malloc(cap);
		struct sipalg_config c;
		int rc;

		config_defaults(&c);
		memset(err, 'x', cap);
		rc = config_parse(in, size, &c, err, cap);
		if (rc != first->rc || (rc == 0 && memcmp(&c, &first->c, sizeof(c))))
			broken("the room for the error changes the outcome", NULL);
		if (rc != 0) {
			error_ok(err, cap);
			if (strncmp(err, first->err, cap - 1) || strlen(err) != strnlen(first->err, cap - 1))
				broken("a short error that is not the start of the full one", err);
		}
		free(err);
	}

	/* CRLF line endings (a file edited on Windows) mean the same. */
	for (size_t i = 0; i < size; i++)
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			lines++;
	buf = malloc(size + lines + 1);
	for (size_t i = 0; i < size; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			buf[n++] = '\r';
		buf[n++] = in[i];
	}
	{
		char *crlf = copy(buf, n);

		parse(crlf, n, other);
		same(first, other, "with CRLF line endings");
		free(crlf);
	}
	free(buf);

	/* Cut after one of the lines: a success stays one, a failure before the cut stays the same. */
	lines = 0;
	for (size_t i = 0; i < size; i++)
		lines += in[i] == '\n';
	if (lines) {
		size_t want = (size + data[size - 1]) % lines, cut = 0;

		for (size_t i = 0, seen = 0; i < size; i++)
			if (in[i] == '\n' && seen++ == want) {
				cut = i + 1;
				break;
			}
		buf = copy(in, cut);
		parse(buf, cut, other);
		if (first->rc == 0 && other->rc != 0 && !whole_file_error(other->err))
			broken("a file that parses, cut after a line, does not", other->err);
		if (first->rc != 0 && other->rc != 0 && !whole_file_error(first->err) && !whole_file_error(other->err))
			same(first, other, "cut after a line");
		free(buf);
	}
	free(other);
	free(first);
	return 0;
}
