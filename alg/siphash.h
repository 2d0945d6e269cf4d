/* SPDX-License-Identifier: GPL-2.0-or-later */
/* siphash.h: SipHash-2-4 (Aumasson, Bernstein), the keyed hash of the table's indexes: with a
 * key the WAN side does not know, it cannot choose Call-IDs or ports that collide into one
 * bucket. Bytes are read as little-endian words on every CPU, so a hash is the same on a
 * big-endian router as here. */
#ifndef SIPALG_SIPHASH_H
#define SIPALG_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);

#endif
