/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fuzz_translate: whole messages, both directions, with and without port bindings. */
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
	fuzz_one((const char *)data, size, ALG_OUT, size & 1, size & 2);
	fuzz_one((const char *)data, size, ALG_IN, size & 1, size & 2);
	return 0;
}
