/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iface.c: read interface addresses with getifaddrs. */
#include "iface.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

#include "log.h"

int iface_networks(const char *name, struct alg_net *nets, uint32_t *addrs, size_t max)
{
	struct ifaddrs *all, *a;
	size_t n = 0;

	if (if_nametoindex(name) == 0 || getifaddrs(&all))
		return -1;
	for (a = all; a && n < max; a = a->ifa_next) {
		uint32_t ip, mask;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, name))
			continue;
		ip = ntohl(((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr);
		mask = a->ifa_netmask ? ntohl(((struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr)
				      : 0xffffffff;
		nets[n] = (struct alg_net){ ip & mask, mask };
		addrs[n] = ip;
		n++;
	}
	freeifaddrs(all);
	return (int)n;
}

int iface_read(struct router_ifaces *r, const char *wan, const char *lan)
{
	uint32_t addrs[IFACE_MAX_LAN_NETS];
	int n;

	r->wan = wan;
	r->lan = lan;
	r->lan_index = if_nametoindex(lan);
	r->wan_index = if_nametoindex(wan);
	if (!r->lan_index) {
		log_err("--lan '%s': no such interface", lan);
		return -1;
	}
	if (!r->wan_index) {
		log_err("--wan '%s': no such interface", wan);
		return -1;
	}
	n = iface_networks(lan, r->lan_nets, addrs, IFACE_MAX_LAN_NETS);
	if (n <= 0) {
		log_err("--lan '%s': the interface has no IPv4 address", lan);
		return -1;
	}
	r->n_lan_nets = (size_t)n;
	return 0;
}

uint32_t iface_public_address(const struct router_ifaces *r, uint32_t external)
{
	struct alg_net net;
	uint32_t addr;

	if (external)
		return external;
	return iface_networks(r->wan, &net, &addr, 1) == 1 ? addr : 0;
}
