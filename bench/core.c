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
static char public_str[16]; /* public_ip, for the fill's answers */
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

/* --fill REGS CALLS: a table sized as sipalgd sizes it for max_bindings REGS + 2 CALLS and
 * max_calls CALLS (config_capacity), filled through the core with real messages. */
static struct table_capacity fill_capacity;
#define FILL_REGISTRAR 0xc633640a /* 198.51.100.10 */
#define FILL_FAR 0xc6336414       /* 198.51.100.20 */

static long vm_rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long kib = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

/* The next public port the fill may give a phone: its own port, outside 5000-19999 (the
 * golden corpus's phones and the start of the media range stay free for it). */
static uint16_t fill_port(uint32_t *next, int pair)
{
	while (*next >= 5000 && *next < 20000)
		*next = 20000;
	if (pair && (*next & 1))
		(*next)++;
	if (*next + (uint32_t)pair > 65535)
		return 0;
	*next += 1 + (uint32_t)pair;
	return (uint16_t)(*next - 1 - (uint32_t)pair);
}

static enum alg_reason fill_step(enum alg_direction dir, const char *msg, struct alg_endpoint src,
				 struct alg_endpoint dst)
{
	static const struct alg_net fill_lan = { 0x0a000000, 0xff000000 };
	struct alg_config cfg = { .lan = &fill_lan, .n_lan = 1, .public_ip = public_ip,
				  .max_message_size = 8192, .max_headers = 64 };
	struct alg_packet pkt = { msg, strlen(msg), dir, src, dst, ALG_UDP };
	static struct alg_result res;
	struct table_txn txn;

	table_translate(&txn, &table, &cfg, &pkt, 1000, out, sizeof(out), &res);
	table_commit(&txn);
	return res.reason;
}

/* Phone i (10.x.y.z) registers; the registrar's 200 lists its contact. */
static int fill_register(uint32_t i, struct alg_endpoint phone)
{
	struct alg_endpoint reg = { FILL_REGISTRAR, 5060 };
	const struct table_binding *b;
	char msg[1024], ip[16];
	uint16_t pub;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", phone.ip >> 24, (phone.ip >> 16) & 255, (phone.ip >> 8) & 255,
		 phone.ip & 255);
	snprintf(msg, sizeof(msg),
		 "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-r%u\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:u%u@example.com>;tag=f%u\r\nTo: <sip:u%u@example.com>\r\n"
		 "Call-ID: reg%u@%s\r\nCSeq: 1 REGISTER\r\nContact: <sip:u%u@%s:%u>\r\nExpires: 3600\r\n"
		 "Content-Length: 0\r\n\r\n",
		 ip, phone.port, i, i, i, i, i, ip, i, ip, phone.port);
	if (fill_step(ALG_OUT, msg, phone, reg) != ALG_OK || !(b = table_find_private(&table, phone))) {
		fprintf(stderr, "fill: REGISTER %u: %s\n", i, alg_reason_str(fill_step(ALG_OUT, msg, phone, reg)));
		return -1;
	}
	pub = b->pub_port;
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-r%u\r\n"
		 "From: <sip:u%u@example.com>;tag=f%u\r\nTo: <sip:u%u@example.com>;tag=r%u\r\n"
		 "Call-ID: reg%u@%s\r\nCSeq: 1 REGISTER\r\nContact: <sip:u%u@%s:%u>;expires=3600\r\n"
		 "Content-Length: 0\r\n\r\n",
		 public_str, pub, i, i, i, i, i, i, ip, i, public_str, pub);
	if (fill_step(ALG_IN, msg, reg, (struct alg_endpoint){ public_ip, pub }) != ALG_OK || !b->registered) {
		fprintf(stderr, "fill: 200 to REGISTER %u: %s\n%s", i,
			alg_reason_str(fill_step(ALG_IN, msg, reg, (struct alg_endpoint){ public_ip, pub })), msg);
		return -1;
	}
	return 0;
}

/* Phone i calls the far end from media port rtp; the far end answers. */
static int fill_call(uint32_t i, struct alg_endpoint phone, uint16_t rtp)
{
	struct alg_endpoint far = { FILL_FAR, 5060 };
	const struct table_binding *b = table_find_private(&table, phone);
	char sdp[256], msg[2048], ip[16];
	int n;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", phone.ip >> 24, (phone.ip >> 16) & 255, (phone.ip >> 8) & 255,
		 phone.ip & 255);
	n = snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		     "m=audio %u RTP/AVP 0\r\n", ip, ip, rtp);
	snprintf(msg, sizeof(msg),
		 "INVITE sip:far@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-i%u\r\n"
		 "Max-Forwards: 70\r\nFrom: <sip:u%u@example.com>;tag=a%u\r\nTo: <sip:far@198.51.100.20>\r\n"
		 "Call-ID: call%u@%s\r\nCSeq: 1 INVITE\r\nContact: <sip:u%u@%s:%u>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 ip, phone.port, i, i, i, i, ip, i, ip, phone.port, n, sdp);
	if (!b || fill_step(ALG_OUT, msg, phone, far) != ALG_OK)
		return -1;
	n = snprintf(sdp, sizeof(sdp), "v=0\r\no=- 2 2 IN IP4 198.51.100.20\r\ns=-\r\nc=IN IP4 198.51.100.20\r\n"
		     "t=0 0\r\nm=audio 40000 RTP/AVP 0\r\n");
	snprintf(msg, sizeof(msg),
		 "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP %s:%u;branch=z9hG4bK-i%u\r\n"
		 "From: <sip:u%u@example.com>;tag=a%u\r\nTo: <sip:far@198.51.100.20>;tag=b%u\r\n"
		 "Call-ID: call%u@%s\r\nCSeq: 1 INVITE\r\nContact: <sip:far@198.51.100.20>\r\n"
		 "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s",
		 public_str, b->pub_port, i, i, i, i, i, ip, n, sdp);
	return fill_step(ALG_IN, msg, far, (struct alg_endpoint){ public_ip, b->pub_port }) == ALG_OK ? 0 : -1;
}

/* regs phones register, the first calls of them are in a call: one public address's ports
 * (a phone's own ports, each taken once) bound what it can hold. */
static void fill(uint32_t regs, uint32_t calls)
{
	uint32_t next = 1024, held = 0, in_call = 0;

	for (uint32_t i = 0; i < regs; i++) {
		struct alg_endpoint phone = { 0x0a000000 + 256 + i, fill_port(&next, 0) };
		uint16_t rtp;

		if (!phone.port || fill_register(i, phone))
			break;
		held++;
		if (i >= calls)
			continue;
		rtp = fill_port(&next, 1);
		if (!rtp || fill_call(i, phone, rtp))
			break;
		in_call++;
	}
	printf("fill_registrations=%u fill_calls=%u ", held, in_call);
	printf("held_signaling=%u held_pinholes=%u held_calls=%u ", table.n_bound[ALG_PORT_SIGNALING],
	       table.n_bound[ALG_PORT_MEDIA], table.n_lan_calls);
}

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
	struct alg_packet pkt = { c->msg, c->len, c->dir, c->src, c->dst, ALG_UDP };
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
		fprintf(stderr, "usage: core CORPUS_DIR [--rounds N] [--fill REGISTRATIONS CALLS]\n");
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
	if (argc >= 5 && !strcmp(argv[argc - 3], "--fill")) {
		static const struct siphash_key key = { 0x5eed, 0xf111 };
		uint32_t regs = (uint32_t)atoi(argv[argc - 2]), calls = (uint32_t)atoi(argv[argc - 1]);
		size_t size;
		void *mem;
		long rss0 = vm_rss_kib();
		struct table_config c = table_cfg;

		fill_capacity.bindings = regs + 2 * calls + 64 > 4096 ? regs + 2 * calls + 64 : 4096; /* + the corpus's */
		fill_capacity.dialogs = 2 * calls > 1024 ? 2 * calls : 1024;
		size = table_memory_size(&fill_capacity);
		mem = calloc(1, size);
		/* no limits but the capacities: one "host" per phone here anyway */
		c.max_registrations_per_host = c.max_calls = c.max_pinholes_per_call = 0;
		c.max_pinholes_per_host = c.max_pinholes = c.max_new_pinholes_per_second = 0;
		if (!mem || table_init_sized(&table, &c, &fill_capacity, mem, size, &key, NULL, NULL))
			return 1;
		table_set_self_ip(&table, public_ip);
		snprintf(public_str, sizeof(public_str), "%u.%u.%u.%u", public_ip >> 24, (public_ip >> 16) & 255,
			 (public_ip >> 8) & 255, public_ip & 255);
		bench_round(1);
		fill(regs, calls);
		printf("table_bytes=%zu rss_kib_before_fill=%ld rss_kib=%ld capacity_bindings=%u capacity_dialogs=%u\n",
		       size, rss0, vm_rss_kib(), fill_capacity.bindings, fill_capacity.dialogs);
		argc -= 3;
	} else {
		table_init(&table, &table_cfg, NULL, NULL);
		table_set_self_ip(&table, public_ip);
		bench_round(1); /* the table holds the corpus's bindings and dialogs from here on */
	}

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
