/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_torture.c: every RFC 4475 torture message, in both directions, under the sanitizers.
 * The translation must leave every byte that is not a LAN address (or Content-Length) as it
 * was, keep valid messages parseable, and pass the invalid ones through untouched.
 *
 * The corpus lives outside the repository (../shared/corpus/rfc4475 beside a developer's
 * checkout; SIPALG_CORPUS overrides): when it is absent the test says so and is skipped. */
#include <ctype.h>
#include <dirent.h>

#include "harness.h"

/* The torture messages use the documentation networks: make one of them the LAN. */
static const struct alg_net torture_lan[] = {
	{ 0xc0000200, 0xffffff00 }, /* 192.0.2.0/24 */
	{ 0x0a000000, 0xff000000 }, /* 10.0.0.0/8 */
};
#define TORTURE_PUBLIC 0xcb007109 /* 203.0.113.9 */

/* RFC 4475 3.1.2: invalid messages an ALG must pass byte-identical. baddate is absent: its
 * only fault is a Date header not in GMT, which is none of the ALG's business, and it is
 * translated like any other request. */
static const char *const invalid[] = {
	"badinv01", "clerr", "ncl", "scalar02", "scalarlg", "quotbal", "ltgtruri", "lwsruri",
	"lwsstart", "trws", "escruri", "regbadct", "badaspec", "baddn", "badvers",
	"mismatch01", "mismatch02", "bigcode",
};
/* RFC 4475 3.1.1: valid messages the ALG must understand. */
static const char *const valid[] = {
	"wsinv", "intmeth", "esc01", "escnull", "esc02", "lwsdisp", "longreq", "dblreq",
	"semiuri", "transports", "mpart01", "unreason", "noreason",
};

static int listed(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static int is_lan_or_public(uint32_t ip)
{
	return ip == TORTURE_PUBLIC || net_contains(torture_lan, 2, ip);
}

/* The message with every LAN or public IPv4 literal replaced by "@", and the value of
 * Content-Length (or l:) by "#": two messages that differ only in what the ALG may change
 * normalise to the same text. Written independently of the core on purpose. */
static char *normalise(const char *msg, size_t len, size_t *out_len)
{
	char *out = malloc(len + 1);
	size_t w = 0;

	for (size_t i = 0; i < len;) {
		int line_start = i == 0 || msg[i - 1] == '\n';

		if (line_start) {
			size_t j = i, name;

			while (j < len && (isalnum((unsigned char)msg[j]) || msg[j] == '-'))
				j++;
			name = j - i;
			while (j < len && (msg[j] == ' ' || msg[j] == '\t'))
				j++;
			if (j < len && msg[j] == ':' &&
			    ((name == 14 && strncasecmp(msg + i, "Content-Length", 14) == 0) ||
			     (name == 1 && (msg[i] | 0x20) == 'l'))) {
				j++;
				memcpy(out + w, msg + i, j - i);
				w += j - i;
				i = j;
				while (i < len && (msg[i] == ' ' || isdigit((unsigned char)msg[i])))
					i++;
				out[w++] = '#';
				continue;
			}
		}
		if (isdigit((unsigned char)msg[i]) && (i == 0 || (!isdigit((unsigned char)msg[i - 1]) &&
								 msg[i - 1] != '.'))) {
			size_t j = i;
			uint32_t ip;

			while (j < len && (isdigit((unsigned char)msg[j]) || msg[j] == '.'))
				j++;
			if (addr_parse(msg + i, j - i, &ip) == 0 && is_lan_or_public(ip)) {
				out[w++] = '@';
				i = j;
				continue;
			}
			memcpy(out + w, msg + i, j - i);
			w += j - i;
			i = j;
			continue;
		}
		out[w++] = msg[i++];
	}
	*out_len = w;
	return out;
}

static const char *corpus_dir(void)
{
	const char *d = getenv("SIPALG_CORPUS");

	return d && *d ? d : "../shared/corpus/rfc4475";
}

static void check_one(const char *dir, const char *file, enum alg_direction dir_)
{
	char path[512], name[64];
	size_t len, n_in, n_out;
	char *msg, *a, *b;
	struct alg_config cfg = { .lan = torture_lan, .n_lan = 2, .public_ip = TORTURE_PUBLIC };
	struct alg_endpoint phone = { 0xc000024d, 5060 }; /* 192.0.2.77 */
	struct run r;
	int in_parses;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	snprintf(name, sizeof(name), "%.*s", (int)(strlen(file) - 4), file);
	msg = read_file(path, &len);
	assert_non_null(msg);
	run_bytes(&r, &cfg, dir_, msg, len, phone);

	if (r.res.reason != ALG_OK)
		assert_int_equal(r.res.n_actions, 0);
	if (listed(invalid, sizeof(invalid) / sizeof(invalid[0]), name) && r.res.changed)
		fail_msg("%s (%s): invalid message was translated", name, dir_ == ALG_OUT ? "out" : "in");
	if (listed(valid, sizeof(valid) / sizeof(valid[0]), name) && r.res.reason != ALG_OK)
		fail_msg("%s (%s): valid message passed unchanged: %s", name,
			 dir_ == ALG_OUT ? "out" : "in", alg_reason_str(r.res.reason));
	if (r.res.changed) {
		a = normalise(r.in, r.in_len, &n_in);
		b = normalise(r.out, r.out_len, &n_out);
		if (n_in != n_out || memcmp(a, b, n_in) != 0)
			fail_msg("%s (%s): output differs in more than LAN addresses:\n%s\n----\n%s", name,
				 dir_ == ALG_OUT ? "out" : "in", r.in, r.out);
		free(a);
		free(b);
		in_parses = parses_as_sip(r.in, r.in_len);
		if (in_parses && !parses_as_sip(r.out, r.out_len))
			fail_msg("%s: input parsed but output does not", name);
	}
	run_free(&r);
	free(msg);
}

static int is_dat(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && strcmp(d->d_name + n - 4, ".dat") == 0;
}

static void every_torture_message(void **state)
{
	struct dirent **files;
	const char *dir = corpus_dir();
	int n = scandir(dir, &files, is_dat, alphasort);
	int translated = 0;

	(void)state;
	if (n < 0) {
		print_message("RFC 4475 corpus not found at %s (it is ../shared/corpus beside a "
			      "developer checkout; set SIPALG_CORPUS to use another): skipped\n", dir);
		skip();
	}
	assert_true(n >= 40);
	for (int i = 0; i < n; i++) {
		check_one(dir, files[i]->d_name, ALG_OUT);
		check_one(dir, files[i]->d_name, ALG_IN);
		free(files[i]);
		translated++;
	}
	free(files);
	print_message("RFC 4475: %d messages checked in both directions\n", translated);
}

/* The normaliser itself must see a difference that is not an address. */
static void normaliser_catches_other_changes(void **state)
{
	const char a[] = "Via: SIP/2.0/UDP 192.0.2.1:5060\r\nContent-Length: 12\r\n";
	const char b[] = "Via: SIP/2.0/UDP 203.0.113.9:5060\r\nContent-Length: 9\r\n";
	const char c[] = "Via: SIP/2.0/UDP 203.0.113.9:5061\r\nContent-Length: 9\r\n";
	size_t na, nb, nc;
	char *x = normalise(a, sizeof(a) - 1, &na), *y = normalise(b, sizeof(b) - 1, &nb),
	     *z = normalise(c, sizeof(c) - 1, &nc);

	(void)state;
	assert_int_equal(na, nb);
	assert_memory_equal(x, y, na);
	assert_true(na != nc || memcmp(x, z, na) != 0);
	free(x);
	free(y);
	free(z);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(normaliser_catches_other_changes),
		cmocka_unit_test(every_torture_message),
	};
	return cmocka_run_group_tests_name("rfc4475", tests, setup_osip, NULL);
}
