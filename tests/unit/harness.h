/* SPDX-License-Identifier: GPL-2.0-or-later */
/* harness.h: shared helpers for the cmocka tests of the translation core. Tests run from the
 * top of the source tree (make does that), so fixtures are found at tests/golden/. */
#ifndef SIPALG_TEST_HARNESS_H
#define SIPALG_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <osipparser2/osip_parser.h>

#include "alg.h"
#include "table.h"

#define OUT_EXTRA 1024

struct run {
	char *in;
	size_t in_len;
	char *out; /* NUL-terminated: the translated message, or a copy of the input */
	size_t out_len;
	struct alg_result res;
	char actions[32][256];
};

static inline char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		*len = (size_t)n;
	}
	return buf;
}

static inline char *fixture(const char *name, size_t *len)
{
	char path[256];
	char *buf;

	snprintf(path, sizeof(path), "tests/golden/%s/in.sip", name);
	buf = read_file(path, len);
	if (!buf)
		fail_msg("fixture %s missing (run from the top of the tree)", path);
	return buf;
}

/* A copy of in (len bytes, NUL-terminated, of malloc) with every `from` replaced by `to`
 * (at most twice as long). */
static inline char *replace_all(const char *in, size_t len, const char *from, const char *to, size_t *out_len)
{
	size_t fl = strlen(from), tl = strlen(to), w = 0;
	char *out = malloc(len * 2 + 1);

	for (size_t i = 0; i < len;) {
		if (i + fl <= len && memcmp(in + i, from, fl) == 0) {
			memcpy(out + w, to, tl);
			w += tl;
			i += fl;
		} else {
			out[w++] = in[i++];
		}
	}
	out[w] = '\0';
	*out_len = w;
	return out;
}

/* The lab of the fixtures: LAN 192.168.1.0/24, router 203.0.113.5. */
static const struct alg_net lab_lan[] = { { 0xc0a80100, 0xffffff00 } };

/* Ports are kept unless bindings are given; one list of bindings is live at a time. */
static inline struct alg_config lab_config(const struct alg_binding *b, size_t n)
{
	static struct alg_binding_list list;
	struct alg_config c = { .lan = lab_lan, .n_lan = 1, .public_ip = 0xcb007105 };

	if (n) {
		list = (struct alg_binding_list){ b, n };
		c.nat = alg_nat_list(&list);
	}
	return c;
}

/* Translates msg as sent from src (0: unknown) to dst over transport tr, as sipalgd does:
 * through table t at time now (table_translate, the daemon's message path), or through the
 * core alone when t is NULL. */
static inline void run_over(struct run *r, const struct alg_config *cfg, struct alg_table *t, int64_t now,
			    enum alg_transport tr, enum alg_direction dir, const char *msg, size_t len,
			    struct alg_endpoint src, struct alg_endpoint dst)
{
	struct alg_packet pkt = { msg, len, dir, src, dst, tr };
	struct table_txn txn;

	memset(r, 0, sizeof(*r));
	r->in = malloc(len + 1);
	memcpy(r->in, msg, len);
	r->in[len] = '\0';
	r->in_len = len;
	r->out = malloc(len + OUT_EXTRA + 1);
	if (t) {
		table_translate(&txn, t, cfg, &pkt, now, r->out, len + OUT_EXTRA, &r->res);
		table_commit(&txn);
	} else {
		alg_translate(cfg, &pkt, r->out, len + OUT_EXTRA, &r->res);
	}
	if (!r->res.changed) {
		memcpy(r->out, msg, len);
		r->res.out_len = len;
	}
	r->out_len = r->res.out_len;
	r->out[r->out_len] = '\0';
	for (size_t i = 0; i < r->res.n_actions; i++)
		alg_action_format(&r->res.actions[i], r->in, cfg->public_ip, r->actions[i],
				  sizeof(r->actions[i]));
}

/* run_over, over UDP. */
static inline void run_through(struct run *r, const struct alg_config *cfg, struct alg_table *t,
			       int64_t now, enum alg_direction dir, const char *msg, size_t len,
			       struct alg_endpoint src, struct alg_endpoint dst)
{
	run_over(r, cfg, t, now, ALG_UDP, dir, msg, len, src, dst);
}

static inline void run_from(struct run *r, const struct alg_config *cfg, enum alg_direction dir,
			    const char *msg, size_t len, struct alg_endpoint src, struct alg_endpoint dst)
{
	run_through(r, cfg, NULL, 0, dir, msg, len, src, dst);
}

static inline void run_bytes(struct run *r, const struct alg_config *cfg, enum alg_direction dir,
			     const char *msg, size_t len, struct alg_endpoint dst)
{
	run_from(r, cfg, dir, msg, len, (struct alg_endpoint){ 0, 0 }, dst);
}

static inline void run_fixture(struct run *r, const struct alg_config *cfg,
			       enum alg_direction dir, const char *name, struct alg_endpoint dst)
{
	size_t len;
	char *msg = fixture(name, &len);

	run_bytes(r, cfg, dir, msg, len, dst);
	free(msg);
}

static inline void run_free(struct run *r)
{
	free(r->in);
	free(r->out);
}

/* The output contains this exact line (CRLF-terminated in the message). */
static inline int has_line(const struct run *r, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = r->out; (p = strstr(p, line)); p++)
		if ((p == r->out || p[-1] == '\n') && (p[n] == '\r' || p[n] == '\n'))
			return 1;
	return 0;
}

#define assert_line(r, line)                                                              \
	do {                                                                               \
		if (!has_line((r), (line)))                                                \
			fail_msg("missing line \"%s\" in:\n%s", (line), (r)->out);         \
	} while (0)

#define assert_no_text(r, text)                                                           \
	do {                                                                               \
		if (strstr((r)->out, (text)))                                              \
			fail_msg("unexpected \"%s\" in:\n%s", (text), (r)->out);           \
	} while (0)

static inline int has_action(const struct run *r, const char *line)
{
	for (size_t i = 0; i < r->res.n_actions; i++)
		if (strcmp(r->actions[i], line) == 0)
			return 1;
	return 0;
}

#define assert_action(r, line)                                                            \
	do {                                                                               \
		if (!has_action((r), (line))) {                                            \
			for (size_t i_ = 0; i_ < (r)->res.n_actions; i_++)                 \
				print_message("  action: %s\n", (r)->actions[i_]);         \
			fail_msg("missing action \"%s\"", (line));                         \
		}                                                                          \
	} while (0)

/* libosip2 parses the message and its Content-Length equals the body's size. */
static inline int parses_as_sip(const char *msg, size_t len)
{
	osip_message_t *m = NULL;
	int ok = osip_message_init(&m) == 0 && osip_message_parse(m, msg, len) == 0;

	osip_message_free(m);
	return ok;
}

static inline void assert_consistent(const struct run *r)
{
	const char *body = strstr(r->out, "\r\n\r\n");
	const char *cl = strstr(r->out, "\nContent-Length: ");
	const char *l = strstr(r->out, "\nl: ");

	assert_true(parses_as_sip(r->out, r->out_len));
	assert_non_null(body);
	body += 4;
	if (cl || l) {
		const char *v = cl ? cl + 17 : l + 4;
		assert_int_equal(strtoul(v, NULL, 10), r->out_len - (size_t)(body - r->out));
	}
}

static inline int setup_osip(void **state)
{
	(void)state;
	return alg_init();
}

#endif
