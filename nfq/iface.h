/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iface.h: interfaces by name: index and IPv4 addresses. */
#ifndef SIPALG_IFACE_H
#define SIPALG_IFACE_H

#include <stddef.h>

#include "addr.h"

/* The interface's IPv4 networks (address and mask), up to max; returns how many, -1 if the
 * interface does not exist. */
int iface_networks(const char *name, struct alg_net *nets, uint32_t *addrs, size_t max);

#define IFACE_MAX_LAN_NETS 8

/* The router's two sides, as the daemon reads them at start. */
struct router_ifaces {
	const char *wan, *lan;
	unsigned wan_index, lan_index;
	struct alg_net lan_nets[IFACE_MAX_LAN_NETS]; /* only addresses inside these are translated */
	size_t n_lan_nets;
};

/* Reads both interfaces; -1 (logged, naming --wan or --lan) when one is missing or the LAN
 * side has no IPv4 address. */
int iface_read(struct router_ifaces *r, const char *wan, const char *lan);

/* The public address: external when set (a router behind another NAT), else the WAN
 * interface's own; 0 when it has none. */
uint32_t iface_public_address(const struct router_ifaces *r, uint32_t external);

#endif
