/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_scan.c: the message scanner, value splitter, splice list and address parsers. */
#include "harness.h"
#include "sip_fast.h"
#include "sip_msg.h"
#include "splice.h"

static void addresses_parse_strictly(void **state)
{
	uint32_t ip;
	uint16_t port;
	struct alg_net net;

	(void)state;
	assert_int_equal(addr_parse("192.168.1.101", 13, &ip), 0);
	assert_int_equal(ip, 0xc0a80165);
	assert_int_not_equal(addr_parse("192.168.1", 9, &ip), 0);
	assert_int_not_equal(addr_parse("192.168.1.256", 13, &ip), 0);
	assert_int_not_equal(addr_parse("192.168.1.1.", 12, &ip), 0);
	assert_int_not_equal(addr_parse("1921.68.1.1", 11, &ip), 0);
	assert_int_not_equal(addr_parse("host.example.com", 16, &ip), 0);
	assert_int_equal(port_parse("5060", 4, &port), 0);
	assert_int_equal(port, 5060);
	assert_int_not_equal(port_parse("0", 1, &port), 0);
	assert_int_not_equal(port_parse("65536", 5, &port), 0);
	assert_int_not_equal(port_parse("", 0, &port), 0);
	assert_int_equal(net_parse("192.168.1.77/24", &net), 0);
	assert_int_equal(net.addr, 0xc0a80100);
	assert_true(net_contains(&net, 1, 0xc0a801fe));
	assert_false(net_contains(&net, 1, 0xc0a802fe));
	assert_int_not_equal(net_parse("192.168.1.0/33", &net), 0);
	assert_int_not_equal(net_parse("192.168.1.0", &net), 0);
}

static void scanner_reads_folded_and_lf_only_messages(void **state)
{
	static const char msg[] = "SIP/2.0 200 OK\n"
				  "Via: SIP/2.0/UDP 192.168.1.101\n"
				  " ;branch=z9hG4bK1\n"
				  "l: 4\n"
				  "\n"
				  "bodyEXTRA";
	struct sip_msg m;
	const struct sip_header *via;

	(void)state;
	assert_int_equal(sip_msg_scan(msg, sizeof(msg) - 1, &m), SCAN_OK);
	assert_false(m.is_request);
	assert_int_equal(m.status, 200);
	assert_int_equal(m.n_headers, 2);
	via = sip_msg_find(&m, HDR_VIA);
	assert_non_null(via);
	assert_memory_equal(msg + via->value.off, "SIP/2.0/UDP 192.168.1.101\n ;branch=z9hG4bK1",
			    via->value.len);
	assert_int_equal(m.body_len, 4); /* the datagram's extra bytes are not body */
	assert_memory_equal(msg + m.body_off, "body", 4);
}

static void value_lists_split_outside_quotes_and_brackets(void **state)
{
	static const char v[] = "\"Smith, J\" <sip:a@h;x=1,2>, sip:b@h , <sip:c@h>";
	struct alg_span value = { 0, sizeof(v) - 1 }, e;
	uint32_t pos = 0;

	(void)state;
	assert_int_equal(sip_value_next(v, value, &pos, &e), 0);
	assert_memory_equal(v + e.off, "\"Smith, J\" <sip:a@h;x=1,2>", e.len);
	assert_int_equal(sip_value_next(v, value, &pos, &e), 0);
	assert_memory_equal(v + e.off, "sip:b@h", e.len);
	assert_int_equal(e.len, 7);
	assert_int_equal(sip_value_next(v, value, &pos, &e), 0);
	assert_memory_equal(v + e.off, "<sip:c@h>", e.len);
	assert_int_not_equal(sip_value_next(v, value, &pos, &e), 0);
}

/* The checks read eight bytes at a time and the last word overlapped: a mark is found at
 * every offset of values of every length around a word. */
static void value_checks_find_marks_at_every_offset(void **state)
{
	char v[40];

	(void)state;
	for (uint32_t len = 1; len <= 26; len++) {
		for (uint32_t i = 0; i < len; i++) {
			struct alg_span value = { 3, len }, e;
			uint32_t pos = 0;

			memset(v, 'x', sizeof(v));
			v[3 + i] = '>';
			assert_false(sip_value_balanced(v, value));
			v[3 + i] = '"';
			assert_false(sip_value_balanced(v, value));
			v[3 + i] = ',';
			assert_true(sip_value_balanced(v, value));
			if (len == 1) { /* "," alone: no element */
				assert_int_not_equal(sip_value_next(v, value, &pos, &e), 0);
				continue;
			}
			assert_int_equal(sip_value_next(v, value, &pos, &e), 0);
			assert_int_equal(e.off, i ? 3 : 4);
			assert_int_equal(e.len, i ? i : len - 1);
			for (uint32_t j = i + 1; j < len; j++) { /* "..." or <...> from i to j */
				v[3 + i] = '"';
				v[3 + j] = '"';
				assert_true(sip_value_balanced(v, value));
				v[3 + i] = '<';
				v[3 + j] = '>';
				assert_true(sip_value_balanced(v, value));
				v[3 + j] = 'x';
				assert_false(sip_value_balanced(v, value));
			}
		}
	}
}

/* SDP fields: single spaces between printable ASCII, at every offset of short lines. */
static void sdp_fields_checked_at_every_offset(void **state)
{
	char v[40];
	struct alg_span f[6];

	(void)state;
	for (uint32_t len = 3; len <= 26; len++) {
		for (uint32_t i = 1; i + 1 < len; i++) {
			memset(v, 'a', sizeof(v));
			v[2 + i] = ' ';
			assert_int_equal(sdp_fields(v, 2, 2 + len, f, 6), 2);
			assert_int_equal(f[0].len, i);
			assert_int_equal(f[1].off, 3 + i);
			assert_int_equal(f[1].len, len - i - 1);
			if (i + 2 < len) {
				v[3 + i] = ' ';
				assert_int_equal(sdp_fields(v, 2, 2 + len, f, 6), 0); /* two spaces */
			}
			v[2 + i] = '\r';
			v[3 + i] = 'a';
			assert_int_equal(sdp_fields(v, 2, 2 + len, f, 6), 0);
			v[2 + i] = (char)0x80;
			assert_int_equal(sdp_fields(v, 2, 2 + len, f, 6), 0);
		}
	}
}

static void splice_keeps_other_bytes(void **state)
{
	static const char in[] = "a=1.2.3.4 b=5";
	struct splice s = { 0 };
	char out[32];
	size_t n;

	(void)state;
	assert_int_equal(splice_add(&s, 12, 1, "60", 2), 0);
	assert_int_equal(splice_add(&s, 2, 7, "10.0.0.1", 8), 0);
	assert_int_equal(splice_delta(&s, 10, 13), 1);
	assert_int_equal(splice_apply(&s, in, sizeof(in) - 1, out, sizeof(out), &n), 0);
	assert_int_equal(n, 15);
	assert_memory_equal(out, "a=10.0.0.1 b=60", n);
	/* Overlapping edits and a too-small buffer are refused, not half-applied. */
	assert_int_equal(splice_add(&s, 3, 2, "x", 1), 0);
	assert_int_not_equal(splice_apply(&s, in, sizeof(in) - 1, out, sizeof(out), &n), 0);
	s.n = 1;
	assert_int_not_equal(splice_apply(&s, in, sizeof(in) - 1, out, 8, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addresses_parse_strictly),
		cmocka_unit_test(scanner_reads_folded_and_lf_only_messages),
		cmocka_unit_test(value_lists_split_outside_quotes_and_brackets),
		cmocka_unit_test(value_checks_find_marks_at_every_offset),
		cmocka_unit_test(sdp_fields_checked_at_every_offset),
		cmocka_unit_test(splice_keeps_other_bytes),
	};
	return cmocka_run_group_tests_name("scan", tests, NULL, NULL);
}
