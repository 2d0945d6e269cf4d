/* SPDX-License-Identifier: GPL-2.0-or-later */
/* test_stun.c: the STUN Binding request and the reading of its answer (RFC 5389), against the
 * test vectors of RFC 5769 and broken answers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "stun.h"

/* RFC 5769 2.2: a success response with XOR-MAPPED-ADDRESS 192.0.2.1:32853, SOFTWARE,
 * MESSAGE-INTEGRITY and FINGERPRINT. */
static const uint8_t rfc5769_ipv4[] = {
	0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
	0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
	0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
	0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
	0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96,
};
static const uint8_t *txid = rfc5769_ipv4 + 8;

static void request_is_a_bare_binding_request(void **state)
{
	uint8_t out[32];

	(void)state;
	assert_int_equal(stun_binding_request(txid, out, sizeof(out)), 20);
	assert_memory_equal(out, "\x00\x01\x00\x00\x21\x12\xa4\x42", 8);
	assert_memory_equal(out + 8, txid, STUN_TXID_LEN);
	assert_int_equal(stun_binding_request(txid, out, 19), 0);
}

static void rfc5769_response_gives_the_mapped_address(void **state)
{
	struct alg_endpoint ep = { 0, 0 };

	(void)state;
	assert_int_equal(stun_binding_answer(rfc5769_ipv4, sizeof(rfc5769_ipv4), txid, &ep), STUN_MAPPED);
	assert_int_equal(ep.ip, 0xc0000201);
	assert_int_equal(ep.port, 32853);
}

static void another_transaction_is_not_ours(void **state)
{
	uint8_t other[STUN_TXID_LEN];
	struct alg_endpoint ep = { 0, 0 };

	(void)state;
	memcpy(other, txid, sizeof(other));
	other[11] ^= 1;
	assert_int_equal(stun_binding_answer(rfc5769_ipv4, sizeof(rfc5769_ipv4), other, &ep), STUN_NOT_OURS);
	assert_int_equal(ep.ip, 0);
}

/* Every cut and every flipped byte of the header or an attribute's length: never a mapped
 * address that is not the vector's, never a read out of bounds (ASan). */
static void broken_answers_are_refused(void **state)
{
	uint8_t m[sizeof(rfc5769_ipv4)];
	struct alg_endpoint ep;

	(void)state;
	for (size_t n = 0; n < sizeof(rfc5769_ipv4); n++) {
		ep.ip = 0;
		assert_int_equal(stun_binding_answer(rfc5769_ipv4, n, txid, &ep), STUN_MALFORMED);
	}
	for (size_t i = 0; i < sizeof(m); i++) {
		memcpy(m, rfc5769_ipv4, sizeof(m));
		m[i] ^= 0x40;
		ep = (struct alg_endpoint){ 0, 0 };
		if (stun_binding_answer(m, sizeof(m), txid, &ep) == STUN_MAPPED && i < 40)
			assert_true(ep.ip == 0xc0000201 || i >= 40);
	}
	/* an attribute longer than the message */
	memcpy(m, rfc5769_ipv4, sizeof(m));
	m[22] = 0x01;
	assert_int_equal(stun_binding_answer(m, sizeof(m), txid, &ep), STUN_MALFORMED);
	/* not STUN: the top bits of a SIP message */
	assert_int_equal(stun_binding_answer((const uint8_t *)"SIP/2.0 200 OK\r\n\r\n\r\n", 20, txid, &ep),
			 STUN_MALFORMED);
}

static void classic_mapped_address_and_errors(void **state)
{
	/* An RFC 3489-style server: MAPPED-ADDRESS 198.51.100.1:40000 only. */
	uint8_t m[32] = { 0x01, 0x01, 0x00, 0x0c, 0x21, 0x12, 0xa4, 0x42 };
	struct alg_endpoint ep = { 0, 0 };

	(void)state;
	memcpy(m + 8, txid, STUN_TXID_LEN);
	memcpy(m + 20, "\x00\x01\x00\x08\x00\x01\x9c\x40\xc6\x33\x64\x01", 12);
	assert_int_equal(stun_binding_answer(m, 32, txid, &ep), STUN_MAPPED);
	assert_int_equal(ep.ip, 0xc6336401);
	assert_int_equal(ep.port, 40000);
	/* port 0 (found by fuzz_stun): no endpoint, no answer */
	m[26] = m[27] = 0;
	assert_int_equal(stun_binding_answer(m, 32, txid, &ep), STUN_MALFORMED);
	m[26] = 0x9c;
	m[27] = 0x40;
	/* an IPv6 mapping only: nothing this router can write */
	m[25] = 0x02;
	assert_int_equal(stun_binding_answer(m, 32, txid, &ep), STUN_MALFORMED);
	/* an error response (here with no ERROR-CODE: still an error, not an address) */
	m[1] = 0x11;
	assert_int_equal(stun_binding_answer(m, 32, txid, &ep), STUN_ERROR);
}

static void private_and_shared_addresses_are_behind_nat(void **state)
{
	(void)state;
	assert_true(addr_behind_nat(0x0a000001));  /* 10.0.0.1 */
	assert_true(addr_behind_nat(0xac1f0001));  /* 172.31.0.1 */
	assert_false(addr_behind_nat(0xac200001)); /* 172.32.0.1 */
	assert_true(addr_behind_nat(0xc0a80101));  /* 192.168.1.1 */
	assert_true(addr_behind_nat(0x64400001));  /* 100.64.0.1 */
	assert_true(addr_behind_nat(0x647fffff));  /* 100.127.255.255 */
	assert_false(addr_behind_nat(0x64800001)); /* 100.128.0.1 */
	assert_false(addr_behind_nat(0xcb007101)); /* 203.0.113.1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_is_a_bare_binding_request),
		cmocka_unit_test(rfc5769_response_gives_the_mapped_address),
		cmocka_unit_test(another_transaction_is_not_ours),
		cmocka_unit_test(broken_answers_are_refused),
		cmocka_unit_test(classic_mapped_address_and_errors),
		cmocka_unit_test(private_and_shared_addresses_are_behind_nat),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
