/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_sdp: the input is the SDP body of an INVITE whose headers are fixed and valid, so
 * every run reaches the SDP scanner and rewriter. */
#include <stdint.h>
#include <stdio.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char head[] = "INVITE sip:2001@198.51.100.20 SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 192.168.1.101:5060;branch=z9hG4bK1\r\n"
				   "Contact: <sip:1001@192.168.1.101:5060>\r\n"
				   "Call-ID: fuzz\r\n"
				   "CSeq: 1 INVITE\r\n"
				   "Content-Type: application/sdp\r\n"
				   "Content-Length: %zu\r\n\r\n";
	char *msg = malloc(sizeof(head) + 24 + size);
	int n;

	if (!msg)
		return 0;
	n = snprintf(msg, sizeof(head) + 24, head, size);
	memcpy(msg + n, data, size);
	fuzz_one(msg, (size_t)n + size, ALG_OUT, size & 1, size & 2);
	fuzz_one(msg, (size_t)n + size, ALG_IN, 0, 1);
	free(msg);
	return 0;
}
