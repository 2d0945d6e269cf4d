/* SPDX-License-Identifier: GPL-2.0-or-later */
/* conntrack.h: forgetting the kernel's flows of a closed pinhole. Removing a binding from
 * the maps stops new flows; flows already through it live on in conntrack and would keep
 * media flowing after BYE, or hand a reused public port's traffic to the previous phone. */
#ifndef SIPALG_CONNTRACK_H
#define SIPALG_CONNTRACK_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct ct_flow_key {
	struct alg_endpoint priv; /* flows from the phone's endpoint ... */
	struct alg_endpoint pub;  /* ... and flows addressed to the public endpoint */
};

/* Deletes the UDP flows that match any of the keys. Returns how many, -1 on error. */
int ct_forget(const struct ct_flow_key *keys, size_t n);

/* Sets seen[i] when a UDP flow matches keys[i] (media still flowing, or recently).
 * Returns -1 on error. */
int ct_seen(const struct ct_flow_key *keys, size_t n, uint8_t *seen);

#endif
