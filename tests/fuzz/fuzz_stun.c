/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_stun: the input is a STUN answer as it arrives from the network; it is read once as an
 * answer to its own transaction (so that the attribute walk is reached) and once to another. */
#include <stdint.h>
#include <string.h>

#include "stun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t other[STUN_TXID_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
	uint8_t txid[STUN_TXID_LEN] = { 0 }, req[STUN_HEADER_LEN];
	struct alg_endpoint ep = { 0, 0 };

	if (size >= STUN_HEADER_LEN)
		memcpy(txid, data + 8, STUN_TXID_LEN);
	if (stun_binding_answer(data, size, txid, &ep) == STUN_MAPPED && (ep.ip == 0 || ep.port == 0))
		__builtin_trap(); /* a mapped address is a whole endpoint */
	if (stun_binding_answer(data, size, other, &ep) == STUN_MAPPED && memcmp(txid, other, sizeof(other)))
		__builtin_trap(); /* another transaction's answer is never taken */
	if (stun_binding_request(txid, req, sizeof(req)) != STUN_HEADER_LEN)
		__builtin_trap();
	return 0;
}
