/* SPDX-License-Identifier: GPL-2.0-or-later */
/* word.h: eight bytes at a time. Scanners look for a few byte values in a run of text; a
 * word read little-endian on every CPU puts the first byte lowest, so the lowest marked byte
 * of a search is the first match, on a big-endian router as here. */
#ifndef SIPALG_WORD_H
#define SIPALG_WORD_H

#include <stdint.h>
#include <string.h>

/* The eight bytes at p, the first one lowest. */
static inline uint64_t le64_load(const void *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Bit 7 of each zero byte of x set (the classic trick). Exact up to the lowest zero byte;
 * above it a borrow may mark a 0x01 byte too, so only the lowest mark is to be trusted. */
#define HAS_ZERO(x) (((x) - 0x0101010101010101ull) & ~(x) & 0x8080808080808080ull)
#define HAS_BYTE(w, c) HAS_ZERO((w) ^ (0x0101010101010101ull * (uint8_t)(c)))

/* The index of the lowest marked byte of a non-zero mask of le64_load's word. */
static inline unsigned first_marked(uint64_t mask)
{
	return (unsigned)__builtin_ctzll(mask) / 8;
}

#endif
