/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iface.h: interfaces by name: index and IPv4 addresses. */
#ifndef SIPALG_IFACE_H
#define SIPALG_IFACE_H

#include <stddef.h>

#include "addr.h"

/* The interface's IPv4 networks (address and mask), up to max; returns how many, -1 if the
 * interface does not exist. */
int iface_networks(const char *name, struct alg_net *nets, uint32_t *addrs, size_t max);

#endif
