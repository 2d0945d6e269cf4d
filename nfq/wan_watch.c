/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wan_watch.c: RTM_NEWADDR / RTM_DELADDR notifications. Which interface changed does not
 * matter: the daemon reads its WAN address again, which is cheap and always right. */
#include "wan_watch.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

int wan_watch_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		log_err("rtnetlink: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int wan_watch_read(int fd)
{
	char buf[8192];
	int changed = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR)
				changed = 1;
	}
	/* Lost notifications (ENOBUFS) may have been changes. */
	if (n < 0 && errno == ENOBUFS)
		changed = 1;
	return changed;
}

void wan_watch_close(int fd)
{
	if (fd >= 0)
		close(fd);
}
