/* SPDX-License-Identifier: GPL-2.0-or-later */
/* alloc_count: counts heap allocations for the core benchmark. Defining malloc and its kin
 * in the executable puts them in front of libc's for every library, libosip2 included. */
#include <stddef.h>

unsigned long bench_allocs;

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

void *malloc(size_t n)
{
	bench_allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	bench_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	bench_allocs++;
	return __libc_realloc(p, n);
}

void free(void *p)
{
	__libc_free(p);
}
