/* SPDX-License-Identifier: GPL-2.0-or-later */
/* iface.c: read interface addresses with getifaddrs. */
#include "iface.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>

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
