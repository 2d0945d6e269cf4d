/* SPDX-License-Identifier: GPL-2.0-or-later */
/* core: the translation core alone (alg/, as sipalgd calls it per packet: translate with the
 * binding table's NAT, then apply the actions to the table), over the golden corpus.
 *
 *   core CORPUS_DIR [--rounds N]
 *
 * Without --rounds: each message is translated in a loop for a fixed count; prints one
 * "case" line per message (ns and heap allocations per translation, when built with
 * alloc_count.c) and a summary line. With --rounds N: N passes over the corpus inside
 * bench_round() and nothing else, for callgrind --toggle-collect=bench_round.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alg.h"
#include "table.h"

#define MAX_CASES 64
#define LOOPS 2000

/* Defined by alloc_count.c in the counting build only. */
extern unsigned long bench_allocs __attribute__((weak));

struct bench_case {
	char name[64];
	char *msg;
	size_t len;
	enum alg_direction dir;
	struct alg_endpoint src, dst;
};

static struct bench_case cases[MAX_CASES];
static size_t n_cases;
static struct alg_net lan;
static uint32_t public_ip;
static struct alg_table table;
static char out[65536 + 1024];
/* sipalgd's defaults, but for the new-pinhole rate: the clock stands still here while the
 * same calls open and close thousands of times. */
static const struct table_config table_cfg = {
	.media_port_min = 16384, .media_port_max = 32767, .signaling_idle = 3600, .dialog_idle = 7200,
	.register_grace = 30, .media_timeout = 60, .inbound_calls = INBOUND_REGISTRAR,
	.max_registrations_per_host = 16, .max_calls = 256, .max_pinholes_per_call = 16,
	.max_pinholes_per_host = 64, .max_pinholes = 1024,
};

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* One golden case: in.sip and the options of its args file. */
static int load_case(const char *dir, const char *name)
{
	char path[512], *args, *tok, *save = NULL;
	struct bench_case *c = &cases[n_cases];
	size_t alen;

	snprintf(path, sizeof(path), "%s/%s/in.sip", dir, name);
	c->msg = read_all(path, &c->len);
	snprintf(path, sizeof(path), "%s/%s/args", dir, name);
	args = read_all(path, &alen);
	if (!c->msg || !args)
		return -1;
	snprintf(c->name, sizeof(c->name), "%s", name);
	for (tok = strtok_r(args, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *v = strtok_r(NULL, " \t\n", &save);

		if (!v)
			break;
		if (!strcmp(tok, "--direction"))
			c->dir = strcmp(v, "in") ? ALG_OUT : ALG_IN;
		else if (!strcmp(tok, "--src"))
			endpoint_parse(v, &c->src);
		else if (!strcmp(tok, "--dst"))
			endpoint_parse(v, &c->dst);
		else if (!strcmp(tok, "--lan"))
			net_parse(v, &lan);
		else if (!strcmp(tok, "--public"))
			addr_parse(v, strlen(v), &public_ip);
		/* --map: the table chooses the ports, as in the daemon */
	}
	free(args);
	n_cases++;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct bench_case *)a)->name, ((const struct bench_case *)b)->name);
}

/* What sipalgd does with one message, minus the packet and netlink I/O. */
static enum alg_reason translate_one(const struct bench_case *c)
{
	struct alg_config cfg = { .lan = &lan, .n_lan = 1, .public_ip = public_ip,
				  .max_message_size = 8192, .max_headers = 64 };
	struct alg_packet pkt = { c->msg, c->len, c->dir, c->src, c->dst };
	static struct alg_result res;
	struct table_txn txn;

	table_translate(&txn, &table, &cfg, &pkt, 1000, out, sizeof(out), &res);
	table_commit(&txn);
	return res.reason;
}

__attribute__((noinline)) void bench_round(unsigned rounds);
__attribute__((noinline)) void bench_round(unsigned rounds)
{
	for (unsigned r = 0; r < rounds; r++)
		for (size_t i = 0; i < n_cases; i++)
			translate_one(&cases[i]);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	double sum_ns = 0, sum_allocs = 0;
	size_t zero_alloc_cases = 0;

	if (argc < 2 || alg_init()) {
		fprintf(stderr, "usage: core CORPUS_DIR [--rounds N]\n");
		return 2;
	}
	d = opendir(argv[1]);
	if (!d) {
		perror(argv[1]);
		return 1;
	}
	while ((e = readdir(d)) && n_cases < MAX_CASES)
		if (e->d_name[0] != '.')
			load_case(argv[1], e->d_name);
	closedir(d);
	if (n_cases == 0) {
		fprintf(stderr, "core: no cases in %s\n", argv[1]);
		return 1;
	}
	qsort(cases, n_cases, sizeof(cases[0]), by_name);
	table_init(&table, &table_cfg, NULL, NULL);
	table_set_self_ip(&table, public_ip);
	bench_round(1); /* the table holds the corpus's bindings and dialogs from here on */

	if (argc == 4 && !strcmp(argv[2], "--rounds")) {
		bench_round((unsigned)atoi(argv[3]));
		printf("messages=%zu\n", n_cases * (size_t)atoi(argv[3]));
		return 0;
	}
	for (size_t i = 0; i < n_cases; i++) {
		unsigned long allocs0 = &bench_allocs ? bench_allocs : 0;
		enum alg_reason reason = ALG_OK;
		double t0 = now_ns(), ns, allocs;

		for (unsigned k = 0; k < LOOPS; k++)
			reason = translate_one(&cases[i]);
		ns = (now_ns() - t0) / LOOPS;
		allocs = &bench_allocs ? (double)(bench_allocs - allocs0) / LOOPS : -1;
		sum_ns += ns;
		sum_allocs += allocs;
		zero_alloc_cases += allocs == 0;
		printf("case=%s bytes=%zu result=%s ns=%.0f allocs=%.1f\n", cases[i].name, cases[i].len,
		       alg_reason_str(reason), ns, allocs);
	}
	printf("messages=%zu ns_mean=%.0f allocs_mean=%.1f zero_alloc_cases=%zu "
	       "sizeof_table=%zu sizeof_binding=%zu sizeof_dialog=%zu max_bindings=%d max_dialogs=%d\n",
	       n_cases, sum_ns / (double)n_cases, sum_allocs / (double)n_cases, zero_alloc_cases,
	       sizeof(struct alg_table), sizeof(struct table_binding), sizeof(struct table_dialog),
	       TABLE_MAX_BINDINGS, TABLE_MAX_DIALOGS);
	return 0;
}
