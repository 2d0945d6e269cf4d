/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sipalg-rewrite: the translation core on one message from a file or stdin, for tests,
 * debugging and bug reports. The translated message goes to stdout, one line per binding or
 * pinhole action to stderr. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alg.h"

#define MAX_LAN 16
#define MAX_MAP 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipalg-rewrite --direction out|in --lan CIDR [--lan CIDR ...] --public IP\n"
		"                      [--map PRIV_IP:PORT=PUBLIC_PORT ...] [--src IP:PORT] [--dst IP:PORT]\n"
		"                      [--lan-server IP ...] [FILE]\n"
		"Translates one SIP message (FILE, or stdin when absent or -) as the ALG would.\n"
		"  --direction out   from a LAN phone toward the internet; in: the reverse\n"
		"  --lan CIDR        a LAN network; only its addresses are translated (repeatable)\n"
		"  --public IP       the router's public address\n"
		"  --map P:PORT=PUB  private endpoint P:PORT is seen as PUBLIC:PUB (repeatable;\n"
		"                    default: the port is kept)\n"
		"  --src, --dst      the packet's source and destination, as the router sees them\n"
		"  --lan-server IP   a SIP server on the LAN (PBX, proxy): its messages may name\n"
		"                    the LAN phones it serves (repeatable)\n"
		"Output: the message on stdout; actions, and why a message passed unchanged, on stderr.\n");
}

static int bad_option(const char *opt, const char *value, const char *why)
{
	fprintf(stderr, "sipalg-rewrite: %s '%s': %s\n", opt, value, why);
	return 2;
}

static int parse_map(const char *s, struct alg_binding *b)
{
	char priv[32];
	const char *eq = strchr(s, '=');

	if (!eq || (size_t)(eq - s) >= sizeof(priv))
		return -1;
	memcpy(priv, s, (size_t)(eq - s));
	priv[eq - s] = '\0';
	if (endpoint_parse(priv, &b->priv))
		return -1;
	return port_parse(eq + 1, strlen(eq + 1), &b->pub_port);
}

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (got == 0)
			break;
		if (n == cap) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "direction", required_argument, NULL, 'd' },
		{ "lan", required_argument, NULL, 'l' },
		{ "public", required_argument, NULL, 'p' },
		{ "map", required_argument, NULL, 'm' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 't' },
		{ "lan-server", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct alg_net lan[MAX_LAN];
	struct alg_binding map[MAX_MAP];
	struct alg_binding_list bindings = { map, 0 };
	uint32_t servers[MAX_LAN];
	struct alg_config cfg = { .lan = lan, .lan_servers = servers };
	struct alg_packet pkt = { .dir = ALG_OUT };
	struct alg_result res;
	int have_dir = 0, have_public = 0, opt;
	const char *path = "-";
	FILE *in = stdin;
	char *msg, *out;
	size_t len;

	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			if (strcmp(optarg, "out") && strcmp(optarg, "in"))
				return bad_option("--direction", optarg, "must be out or in");
			pkt.dir = strcmp(optarg, "out") ? ALG_IN : ALG_OUT;
			have_dir = 1;
			break;
		case 'l':
			if (cfg.n_lan == MAX_LAN)
				return bad_option("--lan", optarg, "too many networks");
			if (net_parse(optarg, &lan[cfg.n_lan]))
				return bad_option("--lan", optarg, "expected an IPv4 network such as 192.168.1.0/24");
			cfg.n_lan++;
			break;
		case 'p':
			if (addr_parse(optarg, strlen(optarg), &cfg.public_ip))
				return bad_option("--public", optarg, "expected an IPv4 address");
			have_public = 1;
			break;
		case 'm':
			if (bindings.n == MAX_MAP)
				return bad_option("--map", optarg, "too many mappings");
			if (parse_map(optarg, &map[bindings.n]))
				return bad_option("--map", optarg, "expected PRIV_IP:PORT=PUBLIC_PORT");
			bindings.n++;
			break;
		case 's':
			if (endpoint_parse(optarg, &pkt.src))
				return bad_option("--src", optarg, "expected IP:PORT");
			break;
		case 't':
			if (endpoint_parse(optarg, &pkt.dst))
				return bad_option("--dst", optarg, "expected IP:PORT");
			break;
		case 'S':
			if (cfg.n_lan_servers == MAX_LAN)
				return bad_option("--lan-server", optarg, "too many servers");
			if (addr_parse(optarg, strlen(optarg), &servers[cfg.n_lan_servers]))
				return bad_option("--lan-server", optarg, "expected an IPv4 address");
			cfg.n_lan_servers++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!have_dir)
		return bad_option("--direction", "", "is required (out or in)");
	if (!cfg.n_lan)
		return bad_option("--lan", "", "at least one LAN network is required");
	if (!have_public)
		return bad_option("--public", "", "is required");
	for (size_t i = 0; i < cfg.n_lan_servers; i++)
		if (!net_contains(lan, cfg.n_lan, servers[i])) {
			char a[ADDR_STR_MAX];

			addr_format(servers[i], a);
			return bad_option("--lan-server", a, "not inside the --lan networks");
		}
	cfg.nat = alg_nat_list(&bindings);
	if (optind < argc)
		path = argv[optind++];
	if (optind < argc)
		return bad_option("FILE", argv[optind], "only one message file is read");
	if (strcmp(path, "-") && !(in = fopen(path, "rb"))) {
		fprintf(stderr, "sipalg-rewrite: %s: %s\n", path, strerror(errno));
		return 1;
	}
	msg = read_all(in, &len);
	if (in != stdin)
		fclose(in);
	if (!msg || alg_init()) {
		fprintf(stderr, "sipalg-rewrite: out of memory\n");
		return 1;
	}
	out = malloc(len + 1024);
	if (!out) {
		fprintf(stderr, "sipalg-rewrite: out of memory\n");
		return 1;
	}
	pkt.msg = msg;
	pkt.len = len;
	alg_translate(&cfg, &pkt, out, len + 1024, &res);

	if (res.reason != ALG_OK)
		fprintf(stderr, "passed unchanged: %s\n", alg_reason_str(res.reason));
	for (size_t i = 0; i < res.n_actions; i++) {
		char line[256];

		alg_action_format(&res.actions[i], msg, cfg.public_ip, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
	}
	if (res.changed)
		fwrite(out, 1, res.out_len, stdout);
	else
		fwrite(msg, 1, len, stdout);
	free(out);
	free(msg);
	return fflush(stdout) ? 1 : 0;
}
