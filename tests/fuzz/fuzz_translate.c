/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_translate: whole messages, both directions, with and without port bindings, from a
 * phone, from nobody known, or from a named LAN server. */
#include <stdint.h>

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return alg_init();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int src = size & 4 ? 2 : (size & 2) != 0;

	fuzz_one((const char *)data, size, ALG_OUT, size & 1, src);
	fuzz_one((const char *)data, size, ALG_IN, size & 1, src);
	return 0;
}
